"""Small numbers that cannot be worked out: counts under 5 hidden, and as many more as it takes.

A count from 1 to 4 reads "<5" (primary suppression). That alone is not enough where counts add up:
a row's total less its other cells, or a month less the others, would give it back. So the counts of
a report go into `Cells` with the sums that tie them, and `protect` hides more ("not shown":
secondary suppression), the smallest count that helps each time, until no count under 5 can be
narrowed to one whole number. It checks as a reader would who knows every sum, that "<5" is 1 to 4
and that "not shown" could be anything (a nought or a count under 5 may read so too, where "<5"
would give too much away): for each count under 5, the least and the most it could be, by linear
programming (GLOP), must hold two whole numbers. Tables are built twice over the same `Cells`: once
to learn the counts and sums, then, after `protect`, to show them.
"""

import logging
import math
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from ortools.linear_solver import pywraplp

from capacity.reporting import SUPPRESSED, SUPPRESSION_THRESHOLD

NOT_SHOWN = "not shown"
T = TypeVar("T")
Cell = int | str

log = logging.getLogger(__name__)
_SLACK = 1e-6
_ANY = pywraplp.Solver.infinity()


def _spelt(key: Hashable) -> str:
    """A key as words, the same however it was made (an enum member or its value)."""
    return "/".join(map(str, key)) if isinstance(key, tuple) else str(key)


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
    published: dict[Hashable, None] = field(default_factory=dict)
    signed: set[Hashable] = field(default_factory=set)  # changes, which may be below nothing
    fixed: set[Hashable] = field(default_factory=set)  # hidden to protect another only as the last resort
    kept: set[Hashable] = field(default_factory=set)  # hidden to protect another only if no other shown count will do
    noughts: set[Hashable] = field(default_factory=set)  # in no table, but known to be nothing: never hidden
    listed: set[Hashable] = field(default_factory=set)  # in a row only there when it counts someone: at least 1
    sums: list[Sum] = field(default_factory=list)
    hidden: set[Hashable] | None = None  # None until protected
    withheld: set[Hashable] = field(default_factory=set)  # hidden and read "not shown", whatever they are
    exposed: list[Hashable] = field(default_factory=list)  # counts under 5 still pinned down: none, but see `protect`
    _rank: dict[Hashable, int] = field(default_factory=dict, repr=False)
    _known: set[Hashable] = field(default_factory=set, repr=False)
    _wholes: set[Hashable] = field(default_factory=set, repr=False)

    def show(
        self,
        key: Hashable,
        value: int,
        *,
        signed: bool = False,
        fixed: bool = False,
        keep: bool = False,
        listed: bool = False,
    ) -> Cell:
        """A count as the report shows it; before `protect`, learn it and give it back as it is.

        A `fixed` count (a report's total, also said in words) is hidden to protect another only when
        nothing else will do; one to `keep` (what the report is most read for) only when no other
        shown count will. A `listed` count is in a row that is there only when it counts someone, so
        a reader knows it is at least 1. A change (`signed`) under 5 reads "not shown" from the start:
        "<5" would say it is not nought, which a linear programme cannot weigh.
        """
        if self.hidden is None:
            self._learn(key, value)
            self.published[key] = None
            for flag, kind in ((signed, self.signed), (fixed, self.fixed), (keep, self.kept), (listed, self.listed)):
                if flag:
                    kind.add(key)
            return value
        if self.values.get(key) != value:
            raise ValueError(f"{key!r} was learnt as {self.values.get(key)!r}, now shown as {value!r}")
        if key not in self.hidden:
            return value
        return NOT_SHOWN if key in self.withheld else SUPPRESSED

    def nought(self, key: Hashable) -> None:
        """A count that no table shows but that a reader knows is nothing, from how the report counts."""
        if self.hidden is None:
            self._learn(key, 0)
            self.published[key] = None
            self.noughts.add(key)

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
        """Decide what to hide: every count under 5, and what else it takes to stop them being worked out.

        Should a count under 5 stay pinned down with nothing left to hide (it cannot, with every count
        hideable as a last resort), it is in `exposed` and logged: a defect to mend, not a report to trust.
        """
        for each in self.sums:
            parts = sum(self.values.get(part, 0) for part in each.parts)
            if parts != self.values.get(each.whole, 0):
                raise ValueError(f"{each.whole!r} is {self.values.get(each.whole, 0)}, its parts add to {parts}")
        # Ties go the same way whatever order the counts and sums came in: the same counts, the same report.
        self._rank = {key: n for n, key in enumerate(sorted(self.values, key=_spelt))}
        self.sums = sorted(
            {Sum(s.whole, tuple(sorted((p for p in s.parts if p in self.values), key=self._order))) for s in self.sums},
            key=lambda s: (self._order(s.whole), [self._order(p) for p in s.parts]),
        )
        self._wholes = {each.whole for each in self.sums}
        hidden = {key for key in self.values if key not in self.published or small(self.values[key])}
        withheld = {key for key in hidden if key in self.signed}
        given: dict[Hashable, Sum] = {}
        given_up: set[Hashable] = set()
        while True:
            exact = [key for key in self._worked_out_small(hidden, given) if key not in given_up]
            exposed = exact or [key for key in self._exposed(hidden, withheld) if key not in given_up]
            if not exposed:
                break
            covered: set[Hashable] = set()
            for key in exposed:
                if any(key in s.cells and covered.intersection(s.cells) for s in self.sums):
                    continue
                cover = self._cover(key, hidden, withheld, given if exact else {}, relabel=not exact)
                if cover is None:
                    given_up.add(key)
                else:
                    covered.add(cover)
            hidden |= covered
            withheld |= covered  # each reads "not shown": a count shown till now, or a "<5" relabelled
        self.exposed = self._exposed(hidden, withheld) if given_up else []
        if self.exposed:
            log.error("counts under 5 a reader could work out, with nothing left to hide: %s", self.exposed)
        self._known = set(self._worked_out(hidden))
        # A count of 5 or more a reader can work out anyway may as well be shown: it tells them nothing.
        shown_anyway = {key for key in hidden & self._known if key in self.published and not small(self.values[key])}
        self.hidden = hidden - shown_anyway
        self.withheld = (withheld - shown_anyway) & self.hidden

    def _learn(self, key: Hashable, value: int) -> None:
        if self.values.setdefault(key, value) != value:
            raise ValueError(f"{key!r} given as {self.values[key]} and as {value}")

    def _bounds(self, key: Hashable, hidden: set[Hashable], withheld: set[Hashable]) -> tuple[float, float]:
        """What a reader knows of a count: its value if shown, else what its label allows."""
        value = self.values[key]
        if key not in hidden:
            return value, value
        if key in self.signed:
            return -_ANY, _ANY  # a change "not shown"
        if key in self.published and key not in withheld:  # "<5"
            return 1.0, float(SUPPRESSION_THRESHOLD - 1)
        return float(key in self.listed), _ANY  # "not shown" (a listed row's at least 1), or in no table

    def _exposed(self, hidden: set[Hashable], withheld: set[Hashable]) -> list[Hashable]:
        """The counts under 5, hidden, that a reader could narrow to one whole number."""
        tied = [s for s in self.sums if hidden.intersection(s.cells)]
        unknown = sorted({key for s in tied for key in s.cells if key in hidden}, key=self._order)
        watched = [key for key in unknown if small(self.values[key])]
        if not watched:
            return []
        solver = pywraplp.Solver.CreateSolver("GLOP")
        x = {key: solver.NumVar(*self._bounds(key, hidden, withheld), str(n)) for n, key in enumerate(unknown)}
        for each in tied:
            known = sum(self.values[k] for k in each.parts if k not in hidden) - (
                self.values[each.whole] if each.whole not in hidden else 0
            )
            terms = [x[k] for k in each.parts if k in hidden]
            whole = [x[each.whole]] if each.whole in hidden else []
            solver.Add(solver.Sum(terms) + known == (whole[0] if whole else 0))

        def whole_numbers(least: float, most: float) -> float:
            """How far apart the least and the most whole numbers in a range are (below 1: one, or none)."""
            if math.isinf(most - least):
                return math.inf if most > least else -math.inf
            return math.floor(most + _SLACK) - math.ceil(least - _SLACK)

        # Every answer the solver gives is a table a reader could not rule out: the least and most each
        # count was in any of them so far. A count seen 1 apart already needs no solve of its own.
        seen = dict.fromkeys(watched, (math.inf, -math.inf))
        exposed = []
        for key in watched:
            for maximise in (False, True):
                if whole_numbers(*seen[key]) >= 1:
                    break
                objective = solver.Objective()
                objective.Clear()
                objective.SetCoefficient(x[key], 1)
                objective.SetOptimizationDirection(maximise)
                status = solver.Solve()
                if status != pywraplp.Solver.OPTIMAL:
                    # The true counts always fit, so this is GLOP saying "unbounded" (which it may
                    # call infeasible): possible only of a count with no bound that way.
                    least, most = self._bounds(key, hidden, withheld)
                    if not math.isinf(most if maximise else least):
                        raise RuntimeError(f"the reader's linear programme could not be solved (status {status})")
                    seen[key] = (-math.inf, math.inf)
                    break
                for other, (least, most) in seen.items():
                    value = x[other].solution_value()
                    seen[other] = (min(least, value), max(most, value))
            if whole_numbers(*seen[key]) < 1:
                exposed.append(key)
        return exposed

    def _cover(
        self,
        exposed: Hashable,
        hidden: set[Hashable],
        withheld: set[Hashable],
        given: dict[Hashable, Sum],
        *,
        relabel: bool,
    ) -> Hashable | None:
        """The count to hide next for `exposed`; None if nothing is left.

        Where the range "<5" allows pins it (`relabel`), first the count itself, to read "not shown".
        Then the smallest count shown that is not one to keep; where the range pins it, another "<5"
        to read "not shown"; a count to keep; a nought (late: hiding one blocks one sum, where others
        may still give the count away); and last a fixed one. Each is looked for in the sums with
        `exposed` (the sum that gives it, where one does), then in the sums of the hidden counts
        there, and so on out.
        """
        if relabel and exposed in self.published and exposed not in withheld:
            return exposed

        def hideable(key: Hashable) -> bool:
            return key not in hidden and key not in self.fixed and key not in self.noughts

        passes: list[Callable[[Hashable], bool]] = [
            lambda key: hideable(key) and key not in self.kept and self.values[key] != 0,
            lambda key: relabel and key in hidden and key not in withheld,
            lambda key: hideable(key) and self.values[key] != 0,
            hideable,
            lambda key: key not in hidden and key not in self.noughts,
        ]
        for allowed in passes:
            level, seen = [exposed], {exposed}
            while level:  # one sum further out at a time, so that the order sums were given in does not matter
                sums = [each for key in level for each in ([given[key]] if key in given else self._sums_with(key))]
                candidates = [cell for each in sums for cell in each.cells if cell in self.published and allowed(cell)]
                if candidates:
                    return min(candidates, key=lambda c: (abs(self.values[c]), c in self._wholes, self._order(c)))
                level = sorted({cell for each in sums for cell in each.cells if cell in hidden} - seen, key=self._order)
                seen.update(level)
        return None

    def _sums_with(self, key: Hashable) -> list[Sum]:
        return [each for each in self.sums if key in each.cells]

    def _order(self, key: Hashable) -> int:
        return self._rank[key]

    def _worked_out_small(self, hidden: set[Hashable], given: dict[Hashable, Sum]) -> list[Hashable]:
        """Counts under 5, hidden, that sums give exactly: found quickly, before any linear programme.

        `given` is filled with the sum that gives each count worked out, for `_cover` to follow.
        """
        known = self._worked_out(hidden)
        given.clear()
        given.update({key: each for key, each in known.items() if each is not None})
        return sorted((key for key in known if key in hidden and small(self.values[key])), key=self._order)

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
