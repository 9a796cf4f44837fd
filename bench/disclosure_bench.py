"""What hiding the counts that would give a small one away costs the gaps report, on the demo's year.

Usage: python -m bench.disclosure_bench [--history-days 365] [--repeats 7]
Loads the demo into a fresh SQLite database, counts the report's year once, then builds its tables
`--repeats` times with the protection (`matching.disclosure`: counts under 5, and every count from
which one could be worked out, hidden, checked by linear programming) and, as the baseline in the
same process, without it (every table once, no count hidden but those under 5). Prints the medians,
their ratio, and how many counts each way reads "<5" and "not shown".
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlmodel import Session

from capacity.reporting import SUPPRESSED, suppress
from matching import reporting
from matching.disclosure import NOT_SHOWN, Cells
from web import demo
from web.db import make_engine
from web.settings import Settings


def counts(tables: dict[str, reporting.Table]) -> list[object]:
    """Every count the tables show (not their headings, shares or blanks)."""
    return [
        cell
        for table in tables.values()
        for row in table.rows
        for column, cell in zip(table.columns[1:], row.cells[1:], strict=True)
        if cell != "" and not column.startswith(("Share", "Occupancy"))
    ]


def unprotected(figures: reporting.Figures) -> dict[str, reporting.Table]:
    """The tables as they would read with counts under 5 alone hidden: the baseline."""
    cells = Cells()
    built = reporting._build(figures, cells)
    return {
        table.name: reporting.Table(
            table.name,
            table.caption,
            table.columns,
            tuple(
                reporting.Row(row.key, tuple(suppress(c) if isinstance(c, int) else c for c in row.cells))
                for row in table.rows
            ),
        )
        for table in built
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history-days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'demo.db'}"
        os.environ["SAFEBEDS_DATABASE_URL"] = url
        settings = Settings(_env_file=None)
        demo.create(database_url=url, history_days=args.history_days, settings=settings)
        engine = make_engine(url)
        with Session(engine) as session:
            start, end = reporting.default_period()
            figures = reporting.figures(session=session, start=start, end=end, stale_after=settings.stale_after)
        engine.dispose()
    timed: dict[str, list[float]] = {"protected": [], "baseline": []}
    found: dict[str, dict[str, reporting.Table]] = {}
    for _ in range(args.repeats):
        for name, build in (("baseline", unprotected), ("protected", reporting.tables)):
            started = time.perf_counter()
            found[name] = build(figures)
            timed[name].append(time.perf_counter() - started)
    medians = {name: statistics.median(times) for name, times in timed.items()}
    print(f"Gaps report, {start} to {end}: {figures.total.requests} requests; {args.repeats} builds each")
    print("| tables | median s | counts | <5 | not shown |")
    print("| --- | --- | --- | --- | --- |")
    for name in ("baseline", "protected"):
        shown = counts(found[name])
        print(
            f"| {name} | {medians[name]:.3f} | {len(shown)} | {sum(c == SUPPRESSED for c in shown)} "
            f"| {sum(c == NOT_SHOWN for c in shown)} |"
        )
    extra, ratio = medians["protected"] - medians["baseline"], medians["protected"] / medians["baseline"]
    print(f"Protection costs {extra:.3f} s a report (median), {ratio:.0f} times the baseline.")


if __name__ == "__main__":
    main()
