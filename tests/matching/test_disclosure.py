"""Counts under 5, and every count that would give one away, are hidden: checked as a reader would check."""

import random
from collections.abc import Callable, Hashable
from types import ModuleType
from typing import TypeVar

import pytest
from ortools.sat.python import cp_model

from matching.disclosure import NOT_SHOWN, Cells, protected, small

T = TypeVar("T")

MOST = 10_000  # as large as any count a reader could think a hidden one might be


def reader_ranges(cells: Cells) -> dict[Hashable, tuple[int, int]]:
    """For each count under 5, the least and the most it could be, as a reader of the shown counts finds.

    An integer model solved by CP-SAT, so independent of the linear programme that decided what to
    hide: the reader knows every sum, that "<5" is 1 to 4 (a change, -4 to 4 but not 0) and that
    "not shown" may be anything.
    """
    assert cells.hidden is not None
    found = {}
    for watched in [key for key in cells.values if key in cells.hidden and small(cells.values[key])]:
        reach = []
        for maximise in (False, True):
            model = cp_model.CpModel()
            x = {}
            for key, value in cells.values.items():
                signed = key in cells.signed
                if key not in cells.hidden:
                    x[key] = model.new_constant(value)
                elif key in cells.published and key not in cells.withheld:  # "<5"
                    x[key] = model.new_int_var(-4 if signed else 1, 4, str(key))
                    if signed:
                        model.add(x[key] != 0)
                else:  # "not shown", or in no table; at least 1 in a row there only for someone
                    x[key] = model.new_int_var(-MOST if signed else int(key in cells.listed), MOST, str(key))
            for each in cells.sums:
                model.add(x[each.whole] == sum(x[part] for part in each.parts))
            (model.maximize if maximise else model.minimize)(x[watched])
            solver = cp_model.CpSolver()
            assert solver.solve(model) == cp_model.OPTIMAL
            reach.append(int(solver.objective_value))
        found[watched] = (reach[0], reach[1])
    return found


def keeping(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> list[Cells]:
    """The `Cells` each report the module builds protects, kept for a test to check as a reader would."""
    kept: list[Cells] = []

    def keep(build: Callable[[Cells], T]) -> T:
        cells = Cells()
        kept.append(cells)
        build(cells)
        cells.protect()
        return build(cells)

    monkeypatch.setattr(module, "protected", keep)
    return kept


def assert_nothing_small_pinned_down(cells: Cells) -> None:
    assert cells.exposed == [], "protect says it could not protect these"
    pinned = {key: reach for key, reach in reader_ranges(cells).items() if reach[0] == reach[1]}
    assert not pinned, f"a reader can work these out: {pinned}"


def row_table(cells: Cells, counts: list[int]) -> list[int | str]:
    shown = [cells.show(("cell", n), count) for n, count in enumerate(counts)]
    cells.sum(("total",), [("cell", n) for n in range(len(counts))])
    return [cells.show(("total",), sum(counts)), *shown]


def test_a_row_whose_total_would_give_its_one_small_count_away_hides_the_next_smallest() -> None:
    cells = Cells()
    row_table(cells, [7, 3, 20])
    cells.protect()
    assert row_table(cells, [7, 3, 20]) == [30, NOT_SHOWN, "<5", 20]
    assert_nothing_small_pinned_down(cells)


def test_a_table_with_margins_hides_another_count_in_the_small_ones_row_and_in_its_column() -> None:
    grid = [[12, 2, 30], [9, 15, 11], [20, 8, 6]]

    def build(cells: Cells) -> list[list[int | str]]:
        shown = [[cells.show((r, c), n) for c, n in enumerate(row)] for r, row in enumerate(grid)]
        for r, row in enumerate(grid):
            shown[r].append(cells.show((r, "total"), sum(row)))
            cells.sum((r, "total"), [(r, c) for c in range(3)])
        shown.append([cells.show(("total", c), sum(row[c] for row in grid)) for c in range(3)])
        for c in range(3):
            cells.sum(("total", c), [(r, c) for r in range(3)])
        return shown

    cells = Cells()
    build(cells)
    cells.protect()
    shown = build(cells)
    assert shown[0][1] == "<5"
    assert [cell for cell in shown[0] if cell == NOT_SHOWN], "another in its row"
    assert [row[1] for row in shown if row[1] == NOT_SHOWN], "another in its column"
    assert_nothing_small_pinned_down(cells)


@pytest.mark.parametrize("seed", range(40))
def test_random_tables_never_let_a_reader_pin_down_a_small_count(seed: int) -> None:
    """Tables of counts with row, column and grand totals, some counts small, some nought."""
    rng = random.Random(seed)
    rows, columns = rng.randint(2, 5), rng.randint(2, 5)
    grid = [[rng.choice([0, 1, 2, 3, 4, 5, 8, 13, 21]) for _ in range(columns)] for _ in range(rows)]

    def build(cells: Cells) -> None:
        for r, row in enumerate(grid):
            for c, count in enumerate(row):
                cells.show((r, c), count)
            cells.show((r, "total"), sum(row))
            cells.sum((r, "total"), [(r, c) for c in range(columns)])
        for c in range(columns):
            cells.show(("total", c), sum(row[c] for row in grid))
            cells.sum(("total", c), [(r, c) for r in range(rows)])
        cells.show(("total", "total"), sum(map(sum, grid)), fixed=True)
        cells.sum(("total", "total"), [("total", c) for c in range(columns)])
        cells.sum(("total", "total"), [(r, "total") for r in range(rows)])

    cells = Cells()
    build(cells)
    cells.protect()
    assert_nothing_small_pinned_down(cells)
    assert cells.hidden is not None
    assert ("total", "total") not in cells.hidden or small(sum(map(sum, grid))), "a fixed total stays"


def test_a_count_no_table_shows_is_protected_too() -> None:
    """Placed 9, 6 of them within 24 hours: the 3 placed later are in no table, but the two would tell it."""

    def build(cells: Cells) -> tuple[int | str, int | str]:
        shown = cells.show("placed", 9), cells.show("placed_quickly", 6)
        cells.unpublished("placed_late", 3)
        cells.sum("placed", ["placed_quickly", "placed_late"])
        return shown

    assert protected(build) == (9, NOT_SHOWN)


def test_a_change_under_5_either_way_is_hidden_with_what_would_give_it() -> None:
    def build(cells: Cells) -> tuple[int | str, ...]:
        shown = cells.show("before", 12), cells.show("after", 9), cells.show("change", -3, signed=True)
        cells.sum("after", ["before", "change"])
        return shown

    assert protected(build) == (12, NOT_SHOWN, NOT_SHOWN), "a change under 5 reads not shown"


def test_what_a_reader_can_work_out_anyway_is_shown_and_shares_only_of_counts_they_know() -> None:
    def build(cells: Cells) -> tuple[int | str | None, ...]:
        shown = (
            cells.show("all", 20, fixed=True),
            cells.show("men", 2),
            cells.show("women", 18),
            cells.show("nobody else", 0),
            cells.share("women", "all"),
            cells.share("nobody else", "all"),
        )
        cells.sum("all", ["men", "women", "nobody else"])
        return shown

    assert protected(build) == (20, "<5", NOT_SHOWN, 0, "not shown", "0%")


def test_sums_that_do_not_add_up_are_refused() -> None:
    cells = Cells()
    cells.show("whole", 10)
    cells.show("part", 4)
    cells.sum("whole", ["part"])
    with pytest.raises(ValueError, match="its parts add to 4"):
        cells.protect()


def test_a_count_shown_other_than_as_learnt_is_refused() -> None:
    cells = Cells()
    cells.show("whole", 10)
    cells.protect()
    with pytest.raises(ValueError, match="learnt as 10"):
        cells.show("whole", 11)
