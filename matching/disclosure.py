"""Small numbers that cannot be worked out: counts under 5 hidden, and as many more as it takes.

A count from 1 to 4 reads "<5" (primary suppression). That alone is not enough where counts add up:
a row's total less its other cells, or a month less the others, would give it back. So the counts of
a report go into `Cells` with the sums that tie them, and `protect` hides more ("not shown": secondary
suppression), the smallest count that helps each time, until no count under 5 can be narrowed to one
value. It checks as a reader would who knows every sum and that a hidden count is from 1 to 4 or (not
shown) 5 or more: for each count under 5, the least and the most it could be, by linear programming
(GLOP), must differ. Tables are built twice over the same `Cells`: once to learn the counts and sums,
then, after `protect`, to show them.
"""

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from ortools.linear_solver import pywraplp

from capacity.reporting import SUPPRESSED, SUPPRESSION_THRESHOLD

NOT_SHOWN = "not shown"
T = TypeVar("T")
Cell = int | str

# How much a count under 5 must be able to vary, as a reader may narrow it, for it to count as hidden.
LEAST_DOUBT = 1.0
_SLACK = 1e-6


def small(count: int) -> bool:
    """Whether a count (or a change in one) is under 5 and not nothing, and so never shown."""
    return 0 < abs(count) < SUPPRESSION_THRESHOLD


@dataclass(frozen=True)
class Sum:
    whole: Hashable
    parts: tuple[Hashable, ...]

    @property
    def cells(self) -> tuple[Hashable, ...]:
        return (self.whole, *self.parts)


@dataclass
class Cells:
    """The counts of one report, the sums that tie them, and, once protected, which of them it shows."""

    values: dict[Hashable, int] = field(default_factory=dict)
    published: dict[Hashable, None] = field(default_factory=dict)  # in the order given: ties go to the first
    signed: set[Hashable] = field(default_factory=set)  # changes, which may be below nothing
    fixed: set[Hashable] = field(default_factory=set)  # shown unless under 5, whatever else is hidden
    kept: set[Hashable] = field(default_factory=set)  # hidden to protect another only if nothing else will do
    sums: list[Sum] = field(default_factory=list)
    hidden: set[Hashable] | None = None  # None until protected
    # Counts under 5 that a reader could still pin down, with nothing left to hide: where every count
    # they add up with is hidden already, and each "<5" taken for at least 1 leaves one answer (four
    # months of "<5" in a row whose total is "<5": 1 each, 4 in all).
    exposed: list[Hashable] = field(default_factory=list)
    _rank: dict[Hashable, int] = field(default_factory=dict, repr=False)
    _known: set[Hashable] = field(default_factory=set, repr=False)

    def show(self, key: Hashable, value: int, *, signed: bool = False, fixed: bool = False, keep: bool = False) -> Cell:
        """A count as the report shows it; before `protect`, learn it and give it back as it is.

        A `fixed` count (a report's total, also said in words) is never hidden to protect another; one
        to `keep` (what the report is most read for) only when no other count would do.
        """
        if self.hidden is None:
            self._learn(key, value)
            self.published[key] = None
            if signed:
                self.signed.add(key)
            if fixed:
                self.fixed.add(key)
            if keep:
                self.kept.add(key)
            return value
        if self.values.get(key) != value:
            raise ValueError(f"{key!r} was learnt as {self.values.get(key)!r}, now shown as {value!r}")
        if key not in self.hidden:
            return value
        return SUPPRESSED if small(value) else NOT_SHOWN

    def unpublished(self, key: Hashable, value: int) -> None:
        """A count no table shows, but which a sum needs (a reader may still work it out)."""
        if self.hidden is None:
            self._learn(key, value)

    def sum(self, whole: Hashable, parts: Iterable[Hashable]) -> None:
        """Say that `whole` is the sum of `parts`, as a reader could tell (cells not yet learnt count as 0)."""
        if self.hidden is None:
            self.sums.append(Sum(whole, tuple(parts)))

    def visible(self, key: Hashable) -> bool:
        """Whether a reader knows this count exactly: shown, or worked out from those shown."""
        if self.hidden is None:
            return True
        return key in self._known

    def share(self, part: Hashable, whole: Hashable) -> str:
        """Part of a whole as a percentage; not shown where it would tell a hidden count; empty of nothing."""
        if self.hidden is None or not self.values.get(whole):
            return ""
        if not (self.visible(part) and self.visible(whole)):
            return NOT_SHOWN
        return f"{round(100 * self.values.get(part, 0) / self.values[whole])}%"

    def protect(self) -> None:
        """Decide what to hide: every count under 5, and what else it takes to stop them being worked out."""
        for each in self.sums:
            parts = sum(self.values.get(part, 0) for part in each.parts)
            if parts != self.values.get(each.whole, 0):
                raise ValueError(f"{each.whole!r} is {self.values.get(each.whole, 0)}, its parts add to {parts}")
        self.sums = [Sum(s.whole, tuple(p for p in s.parts if p in self.values)) for s in self.sums]
        self._rank = {key: n for n, key in enumerate(self.values)}
        hidden = {key for key in self.values if key not in self.published or small(self.values[key])}
        given: dict[Hashable, Sum] = {}
        given_up: set[Hashable] = set()
        while True:
            exposed = [key for key in self._worked_out_small(hidden, given) if key not in given_up]
            exposed = exposed or [key for key in self._exposed(hidden) if key not in given_up]
            if not exposed:
                break
            covered: set[Hashable] = set()
            for key in exposed:
                if any(key in s.cells and covered.intersection(s.cells) for s in self.sums):
                    continue
                cover = self._cover(key, hidden, given)
                if cover is None:
                    given_up.add(key)
                else:
                    covered.add(cover)
            hidden |= covered
        self.exposed = self._exposed(hidden) if given_up else []
        self._known = set(self._worked_out(hidden))
        # A count a reader can work out anyway may as well be shown: it tells them nothing more.
        self.hidden = {key for key in hidden if key not in self._known or key not in self.published}

    def _learn(self, key: Hashable, value: int) -> None:
        if self.values.setdefault(key, value) != value:
            raise ValueError(f"{key!r} given as {self.values[key]} and as {value}")

    def _bounds(self, key: Hashable, hidden: set[Hashable]) -> tuple[float, float]:
        """What a reader knows of a count: its value if shown, else the range its label allows."""
        value = self.values[key]
        if key not in hidden:
            return value, value
        if key not in self.published:
            return (-pywraplp.Solver.infinity() if key in self.signed else 0.0), pywraplp.Solver.infinity()
        most_hidden = float(SUPPRESSION_THRESHOLD - 1)
        if small(value):
            # Not 1 at least: otherwise four "<5" adding up to a "<5" total would be an exposure that no
            # more hiding could mend, and the search would hide the report's big numbers trying.
            return (-most_hidden if key in self.signed else 0.0), most_hidden
        if key in self.signed:
            return -pywraplp.Solver.infinity(), pywraplp.Solver.infinity()
        return float(SUPPRESSION_THRESHOLD), pywraplp.Solver.infinity()

    def _exposed(self, hidden: set[Hashable]) -> list[Hashable]:
        """The counts under 5, hidden, that a reader could narrow to one value (at least to under 1 apart)."""
        tied = [s for s in self.sums if hidden.intersection(s.cells)]
        unknown = sorted({key for s in tied for key in s.cells if key in hidden}, key=self._order)
        watched = [key for key in unknown if small(self.values[key])]
        if not watched:
            return []
        solver = pywraplp.Solver.CreateSolver("GLOP")
        x = {key: solver.NumVar(*self._bounds(key, hidden), str(n)) for n, key in enumerate(unknown)}
        for each in tied:
            known = sum(self.values[k] for k in each.parts if k not in hidden) - (
                self.values[each.whole] if each.whole not in hidden else 0
            )
            terms = [x[k] for k in each.parts if k in hidden]
            whole = [x[each.whole]] if each.whole in hidden else []
            solver.Add(solver.Sum(terms) + known == (whole[0] if whole else 0))
        # Every answer the solver gives is a table a reader could not rule out: the least and most each
        # count was in any of them so far. A count seen 1 apart already needs no solve of its own.
        seen = {key: (float("inf"), float("-inf")) for key in watched}
        exposed = []
        for key in watched:
            for maximise in (False, True):
                if seen[key][1] - seen[key][0] >= LEAST_DOUBT - _SLACK:
                    break
                objective = solver.Objective()
                objective.Clear()
                objective.SetCoefficient(x[key], 1)
                objective.SetOptimizationDirection(maximise)
                if solver.Solve() != pywraplp.Solver.OPTIMAL:  # unbounded: as far as a reader knows, any size
                    seen[key] = (float("-inf"), float("inf"))
                    break
                for other, (least, most) in seen.items():
                    value = x[other].solution_value()
                    seen[other] = (min(least, value), max(most, value))
            if seen[key][1] - seen[key][0] < LEAST_DOUBT - _SLACK:
                exposed.append(key)
        return exposed

    def _cover(self, exposed: Hashable, hidden: set[Hashable], given: dict[Hashable, Sum]) -> Hashable | None:
        """The count to hide next for `exposed`: the smallest shown in a sum with it (the sum that gives
        it, where one does), else in the sums of the hidden counts there, and so on out; None if none is
        left. Never a nought: a reader would take a hidden one for at least 1, and be none the wiser.
        """
        route, seen = [exposed], {exposed}
        while route:
            key = route.pop(0)
            sums = [given[key]] if key in given else [s for s in self.sums if key in s.cells]
            candidates = [
                cell
                for each in sums
                for cell in each.cells
                if cell not in hidden and cell in self.published and cell not in self.fixed and self.values[cell]
            ]
            if candidates:
                return min(
                    candidates, key=lambda c: (c in self.kept, abs(self.values[c]), self._is_whole(c), self._order(c))
                )
            route += [cell for each in sums for cell in each.cells if cell in hidden and cell not in seen]
            seen.update(route)
        return None

    def _is_whole(self, key: Hashable) -> bool:
        return any(s.whole == key for s in self.sums)

    def _order(self, key: Hashable) -> int:
        return self._rank[key]

    def _worked_out_small(self, hidden: set[Hashable], given: dict[Hashable, Sum]) -> list[Hashable]:
        """Counts under 5, hidden, that sums give exactly: found quickly, before any linear programme.

        `given` is filled with the sum that gives each count worked out, for `_cover` to follow.
        """
        known = self._worked_out(hidden)
        given.clear()
        given.update({key: each for key, each in known.items() if each is not None})
        return [key for key in self.values if key in hidden and key in known and small(self.values[key])]

    def _worked_out(self, hidden: set[Hashable]) -> dict[Hashable, Sum | None]:
        """The counts a reader knows exactly: those shown (None), and those one sum after another gives
        (the sum that gives each)."""
        known: dict[Hashable, Sum | None] = {key: None for key in self.values if key not in hidden}
        progress = True
        while progress:
            progress = False
            for each in self.sums:
                missing = [key for key in each.cells if key not in known]
                if len(missing) == 1:
                    known[missing[0]] = each
                    progress = True
        return known


def protected(build: Callable[[Cells], T]) -> T:
    """Build a report once to learn its counts and sums, then, with them protected, again to show it."""
    cells = Cells()
    build(cells)
    cells.protect()
    return build(cells)
