"""How faithfully the what-if replay reproduces what was recorded, on the demo's year.

Usage: python -m bench.replay_fidelity [--history-days 365]
Loads the demo (its houses and a year of fictional London requests, run through SafeBeds' own
matching with declines, lapsed holds and officers' choices) into a fresh SQLite database, then
replays periods of it against the capacity it had (today's houses, with the beds others took as
recorded) and compares, for the year, each quarter and the last 90 days:
- per request: the share placed, or not, as recorded;
- placed and placed within 24 hours: recorded against replayed, as a share of the period's requests,
  overall and for each group of at least 50 requests (the largest difference is shown);
- the median time to placement, and the replay's own time.
"""

import argparse
import os
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlmodel import Session

from matching import reporting, whatif
from matching.reporting import Group
from web import demo
from web.db import make_engine
from web.settings import Settings


def periods(end: date) -> list[tuple[str, date, date]]:
    year_start = end - timedelta(days=364)
    quarters = [
        (f"quarter {q + 1}", year_start + timedelta(days=91 * q), year_start + timedelta(days=91 * q + 90))
        for q in range(4)
    ]
    return [("the year", year_start, end), *quarters, ("last 90 days", end - timedelta(days=89), end)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history-days", type=int, default=365)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'demo.db'}"
        os.environ["SAFEBEDS_DATABASE_URL"] = url
        demo.create(database_url=url, history_days=args.history_days, settings=Settings(_env_file=None))
        engine = make_engine(url)
        rows = []
        with Session(engine) as session:
            end = reporting.default_period()[1]
            for name, start, last in periods(end):
                started = time.perf_counter()
                what = whatif.run(session=session, start=start, end=min(last, end))
                took = time.perf_counter() - started
                rows.append((name, what, took))
        engine.dispose()
    print(
        "| period | requests | same fate per request | placed: recorded / replayed "
        "| placed in 24 h: recorded / replayed | largest group difference in share placed "
        "| median time to placement: recorded / replayed | replay s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, what, took in rows:
        n = len(what.demand)
        groups = []
        for group in Group:
            people = len(what.today.of(group))
            if people >= 50:
                difference = (what.today.placed(group=group) - what.recorded_placed(group)) / people
                groups.append((abs(difference), difference, group))
        worst = max(groups, default=None)
        worst_words = f"{worst[1]:+.1%} ({reporting.GROUP_WORDS[worst[2]]})" if worst else "-"
        recorded_wait, replayed_wait = what.recorded_median_wait(), what.today.median_wait()
        print(
            f"| {name} | {n:,} | {what.agreement():.1%} "
            f"| {what.recorded_placed() / n:.1%} / {what.today.placed() / n:.1%} "
            f"| {what.recorded_quickly() / n:.1%} / {what.today.placed_quickly() / n:.1%} | {worst_words} "
            f"| {_minutes(recorded_wait)} / {_minutes(replayed_wait)} | {took:.2f} |"
        )


def _minutes(wait: timedelta | None) -> str:
    return "-" if wait is None else f"{wait / timedelta(minutes=1):.0f} min"


if __name__ == "__main__":
    main()
