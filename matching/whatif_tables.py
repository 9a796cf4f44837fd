"""The what-if and the recommendation as commissioners see them: tables and a summary in words.

Counts under 5, and counts from which one could be worked out, are not shown (`matching.disclosure`).
"""

from collections.abc import Hashable
from datetime import timedelta

from capacity.reporting import SUPPRESSION_THRESHOLD
from capacity.vocab import Region, label
from matching.disclosure import NOT_SHOWN, Cell, Cells, protected
from matching.recommend import Recommendation
from matching.reporting import GAPS, GROUP_WORDS, PARTITIONS, REASON_ORDER, REASON_WORDS, BedKind, Group, Row, Table
from matching.whatif import Recommended, WhatIf


def _change(cells: Cells, key: Hashable, change: int) -> Cell:
    """A change in a count as shown: signed, unless hidden or nothing."""
    cell = cells.show(key, change, signed=True)
    return f"{cell:+d}" if isinstance(cell, int) and cell else cell


def _wait_words(wait: timedelta | None, placed: Cell) -> str:
    """A median time to placement in words; shown only beside a count placed of 5 or more that is shown
    (of fewer it would tell their waits, and shown or not it would tell the count)."""
    if wait is None:
        return "nobody placed"
    if not isinstance(placed, int):
        return NOT_SHOWN
    hours = wait / timedelta(hours=1)
    if hours < 2:
        return f"{wait // timedelta(minutes=1)} minutes"
    return f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.0f} days"


COLUMNS = ("recorded", "today", "changed")
# What a what-if is read for: hidden to protect another count only when no other count would do.
KEPT = {"placed", "placed_quickly", "unplaced", *GAPS}


def tables(what: WhatIf, *, recorded: bool = True) -> dict[str, Table]:
    """The what-if as tables: counts under 5, and counts that would give one away, not shown.

    Without the `recorded` column where the same report shows what was recorded otherwise (the
    PDF's gaps tables): protected apart, the two could give away together what neither does alone.
    """
    return {table.name: table for table in protected(lambda cells: _whatif_tables(what, cells, recorded=recorded))}


def left_unplaced(tables: dict[str, Table]) -> Cell:
    """How many people the replay against today's capacity left unplaced, as the tables show it."""
    (row,) = [row for row in tables["whatif_outcomes"].rows if row.key == "unplaced"]
    return row.cells[-3]


def _whatif_tables(what: WhatIf, cells: Cells, *, recorded: bool) -> tuple[Table, ...]:
    today, after = what.today, what.changed
    columns = COLUMNS if recorded else COLUMNS[1:]
    headings: tuple[str, ...] = ("Replayed, today's capacity", "Replayed, with the changes", "Gained with the changes")
    headings = ("Recorded", *headings) if recorded else headings
    requests = len(what.demand)
    waiting = [sum(r.fates[d.id].waiting for d in what.demand) for r in (today, after)]
    replayed = cells.show(("requests",), requests, fixed=True)
    counts = {
        "placed": (what.recorded_placed(), today.placed(), after.placed()),
        "placed_quickly": (what.recorded_quickly(), today.placed_quickly(), after.placed_quickly()),
        "unplaced": (requests - what.recorded_placed(), requests - today.placed(), requests - after.placed()),
        "waiting": (sum(d.recorded_waiting for d in what.demand), *waiting),
    }
    for group in Group:
        counts[group] = (what.recorded_placed(group), today.placed(group=group), after.placed(group=group))
    counts = {key: found[-len(columns) :] for key, found in counts.items()}
    row_cells = {
        key: (
            *(cells.show((column, key), n, keep=key in KEPT) for column, n in zip(columns, found, strict=True)),
            _gained(cells, key, found[-2], found[-1]),
        )
        for key, found in counts.items()
    }
    for n, column in enumerate(columns):
        placed, quickly, unplaced, still_waiting = (
            counts[key][n] for key in ("placed", "placed_quickly", "unplaced", "waiting")
        )
        cells.unpublished((column, "placed_late"), placed - quickly)
        cells.unpublished((column, "gone"), unplaced - still_waiting)
        cells.sum(("requests",), [(column, "placed"), (column, "unplaced")])
        cells.sum((column, "placed"), [(column, "placed_quickly"), (column, "placed_late")])
        cells.sum((column, "unplaced"), [(column, "waiting"), (column, "gone")])
        for partition in PARTITIONS:
            cells.sum((column, "placed"), [(column, group) for group in partition])

    def row(key: str, words: str) -> Row:
        return Row(key, (words, *row_cells[key]))

    outcomes = [
        Row("requests", ("Requests replayed", *(replayed for _ in columns), 0)),
        row("placed", "Placed"),
        row("placed_quickly", "Placed within 24 hours"),
        row("unplaced", "Not placed (went elsewhere or still waiting)"),
        row("waiting", "Of which still waiting at the end"),
    ]
    waits = Row(
        "median_wait",
        (
            "Median time to placement",
            *(
                _wait_words(wait, placed)
                for placed, wait in zip(
                    row_cells["placed"][:-1],
                    (what.recorded_median_wait(), today.median_wait(), after.median_wait())[-len(columns) :],
                    strict=True,
                )
            ),
            "",
        ),
    )
    groups = [row(group, GROUP_WORDS[group]) for group in Group]
    reasons = []
    by_reason = {"today": today.unplaced_by_reason(), "changed": after.unplaced_by_reason()}
    for column, found in by_reason.items():
        unplaced = counts["unplaced"][columns.index(column)]
        cells.unpublished((column, "no_reason"), unplaced - sum(found.values()))
        cells.sum((column, "unplaced"), [(column, "no_reason"), *((column, f"reason/{r}") for r in found)])
    for reason in REASON_ORDER:
        before, later = by_reason["today"].get(reason, 0), by_reason["changed"].get(reason, 0)
        if before or later:
            key = f"reason/{reason}"
            counted = (cells.show(("today", key), before), cells.show(("changed", key), later))
            reasons.append(Row(reason, (REASON_WORDS[reason], *counted, _gained(cells, key, before, later))))
    new_beds = []
    for supply in what.new_houses():
        placed_there = sum(f.house == supply.house.id for f in after.fates.values())
        there = cells.show(("new_beds", supply.house.id), placed_there)
        # Under 5 people, how full the beds were would tell how long each of them stayed.
        occupancy = f"{after.occupancy(supply):.0%}" if isinstance(there, int) else NOT_SHOWN
        new_beds.append(Row(str(supply.house.id), (supply.added, supply.beds, there, occupancy)))
    return (
        Table("whatif_outcomes", "What became of the period's requests", ("Figure", *headings), (*outcomes, waits)),
        Table("whatif_groups", "Placed, by group (a request may be in several)", ("Group", *headings), tuple(groups)),
        Table(
            "whatif_reasons",
            "Not placed, by main reason",
            ("Main reason", "Today's capacity", "With the changes", "Change"),
            tuple(reasons),
        ),
        Table(
            "whatif_new_beds",
            "The added beds: who they placed, and how full they were over the period",
            ("Added", "Beds", "People placed there", "Occupancy"),
            tuple(new_beds),
        ),
    )


def _gained(cells: Cells, key: str, before: int, after: int) -> Cell:
    cells.sum(("changed", key), [("today", key), ("gained", key)])
    return _change(cells, ("gained", key), after - before)


def _share_of_requests(part: float, whole: int) -> str:
    """A share as a percentage; not shown of under 5 (it would tell about each of them)."""
    return NOT_SHOWN if whole < SUPPRESSION_THRESHOLD else f"{part:.0%}"


def _count(number: int, thing: str) -> str:
    return f"{number:,} {thing}{'s' if number != 1 else ''}"


def summary(what: WhatIf, tables: dict[str, Table]) -> str:
    """What was replayed, against what, and how faithful the replay is, in a few lines (counts as `tables` show)."""
    beds = sum(s.beds for s in what.base.houses)
    (replayed,) = [row.cells[1] for row in tables["whatif_outcomes"].rows if row.key == "requests"]
    requests = f"{replayed:,}" if isinstance(replayed, int) else replayed
    # How many fates differ says how far apart the placed counts can be: only where both are shown.
    (placed,) = [row.cells[1:-1] for row in tables["whatif_outcomes"].rows if row.key == "placed"]
    agreed = _share_of_requests(what.agreement(), len(what.demand))
    agreed = agreed if all(isinstance(cell, int) for cell in placed[:2]) else NOT_SHOWN
    lines = [
        f"What-if, {what.start.isoformat()} to {what.end.isoformat()}: {requests} requests replayed "
        f"against today's {_count(len(what.base.houses), 'house')} ({_count(beds, 'bed')}), with beds taken by "
        "others and out of service as recorded.",
        "Changes: "
        + ("; ".join(s.added for s in what.changed_capacity.houses if s.added) or "none")
        + (
            ""
            if not any(c.beds < 0 for c in what.changes)
            else "; " + "; ".join(c.words() for c in what.changes if c.beds < 0)
        )
        + ".",
        f"Fidelity: replayed against today's capacity, {agreed} of requests were placed, or not, as recorded.",
    ]
    return "\n".join(lines)


def recommendation_tables(found: Recommended) -> dict[str, Table]:
    """The recommendation as tables: the beds and where, and the value of each further bed.

    People placed are counted as everywhere (under 5, or what would give such a count away, not
    shown); beds are not people, and are shown as they are. The priority placed is not shown: with the
    count placed it would tell how many of them were urgent.
    """
    best = found.recommendation.best
    steps_in = {kind: step.budget for step in reversed(found.recommendation.steps) for kind in step.beds}

    def first_needed(item: tuple[BedKind, dict[Region, int]]) -> tuple[int, int]:
        """The kinds in the order the budgets bring them in: the bed that helps most first."""
        return steps_in.get(item[0], len(found.recommendation.steps)), -sum(item[1].values())

    beds = tuple(
        Row(f"{kind.code}/{region}", (kind.words(), label(region), n))
        for kind, regions in sorted(found.recommendation.where.items(), key=first_needed)
        for region, n in regions.items()
    )
    steps = _steps(found.recommendation)
    return {
        "recommended_beds": Table(
            "recommended_beds",
            f"The {sum(best.beds.values())} beds that would have placed the most (priority-weighted), and where",
            ("Kind of bed", "Where", "Beds"),
            beds,
        ),
        "recommended_steps": Table(
            "recommended_steps",
            "The best beds for each budget: the value of each further bed",
            ("Budget", "People the new beds place", "Placed by this further bed", "Beds"),
            steps,
        ),
    }


def _steps(recommendation: Recommendation) -> tuple[Row, ...]:
    return protected(lambda cells: _step_rows(recommendation, cells))


def _step_rows(recommendation: Recommendation, cells: Cells) -> tuple[Row, ...]:
    """Each budget: the people its beds place, and what the last bed added (which may be less than nothing)."""
    rows = []
    cells.show(("placed", 0), 0)
    for step, further in zip(recommendation.steps, recommendation.marginal(), strict=True):
        cells.sum(("placed", step.budget), [("placed", step.budget - 1), ("further", step.budget)])
        placed = cells.show(("placed", step.budget), step.placed)
        by_this = _change(cells, ("further", step.budget), further)
        beds = "; ".join(f"{n} × {kind.words()}" for kind, n in step.beds.items()) or "none"
        rows.append(
            Row(str(step.budget), (f"{step.budget} bed{'s' if step.budget != 1 else ''}", placed, by_this, beds))
        )
    return tuple(rows)
