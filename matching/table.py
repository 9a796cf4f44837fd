"""Houses as columns, for checking one person's needs against thousands of houses at once.

`matching.eligibility` states every rule for one request and one house; this module applies the
same rules to a whole column of houses with numpy, for instant search and for the solver at
national scale. Tests hold the two to the same answers, rule by rule and point by point.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

from capacity.vocab import Area, ExploitationType, Gender, NrmStage, SupportNeed
from matching.eligibility import Reason
from matching.instance import HouseSnapshot, Id, RequestSnapshot

Mask = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.integer[Any]]

# The order in which rules are tried: the first that fails is the reason a house is counted under.
ORDER: tuple[Reason, ...] = (
    Reason.GENDER_NOT_SERVED,
    Reason.TRANS_NOT_INCLUDED,
    Reason.NRM_STAGE_NOT_SERVED,
    Reason.CHILDREN_NOT_ACCEPTED,
    Reason.CHILD_TOO_OLD,
    Reason.NO_SHARED_LANGUAGE,
    Reason.NOT_STEP_FREE,
    Reason.AREA_EXCLUDED,
    Reason.FAITH_BASED,
    Reason.KEPT_APART,
    Reason.KEPT_TOGETHER,
    Reason.NOT_ENOUGH_BEDS,
)
ELIGIBLE = -1
_AREAS = {area: i for i, area in enumerate(Area)}


def _bits(values: Sequence[StrEnum], vocabulary: type[StrEnum]) -> int:
    members = list(vocabulary)
    return sum(1 << members.index(vocabulary(v)) for v in set(values))


def _popcount(values: Ints) -> Ints:
    counts = np.zeros_like(values)
    remaining = values.copy()
    while remaining.any():
        counts += remaining & 1
        remaining >>= 1
    return counts


@dataclass(frozen=True)
class HouseTable:
    """Every house's matching attributes as numpy columns, in the order of `houses`."""

    houses: tuple[HouseSnapshot, ...]
    ids: tuple[Id, ...]
    area: Ints
    genders: Ints
    trans_inclusive: Mask
    stages: Ints
    max_children: Ints
    max_child_age: Ints
    languages: Mask  # houses x language vocabulary
    language_index: dict[str, int]
    step_free: Mask
    faith_based: Mask
    specialisms: Ints
    extra_support: Ints
    free_beds: Ints
    stale: Mask
    position: dict[Id, int] = field(repr=False)

    @classmethod
    def build(cls, houses: Sequence[HouseSnapshot]) -> "HouseTable":
        language_index: dict[str, int] = {}
        for house in houses:
            for code in house.languages:
                language_index.setdefault(code, len(language_index))
        languages = np.zeros((len(houses), max(1, len(language_index))), dtype=np.bool_)
        for row, house in enumerate(houses):
            languages[row, [language_index[code] for code in house.languages]] = True

        def column(values: list[Any], dtype: Any = np.int64) -> Any:
            return np.array(values, dtype=dtype)

        return cls(
            houses=tuple(houses),
            ids=tuple(h.id for h in houses),
            area=column([_AREAS[h.area] for h in houses]),
            genders=column([_bits(h.genders, Gender) for h in houses]),
            trans_inclusive=column([h.trans_inclusive for h in houses], np.bool_),
            stages=column([_bits(h.nrm_stages, NrmStage) for h in houses]),
            max_children=column([h.max_children for h in houses]),
            max_child_age=column([h.max_child_age for h in houses]),
            languages=languages,
            language_index=language_index,
            step_free=column([h.step_free for h in houses], np.bool_),
            faith_based=column([h.faith_based for h in houses], np.bool_),
            specialisms=column([_bits(h.specialisms, ExploitationType) for h in houses]),
            extra_support=column([_bits(h.extra_support, SupportNeed) for h in houses]),
            free_beds=column([h.free_beds for h in houses]),
            stale=column([h.stale for h in houses], np.bool_),
            position={h.id: i for i, h in enumerate(houses)},
        )

    def __len__(self) -> int:
        return len(self.ids)

    def with_vacancies(self, free_beds: Ints, stale: Mask) -> "HouseTable":
        """The same houses with today's free beds and freshness."""
        return replace(self, free_beds=free_beds, stale=stale)

    def _shared_language(self, request: RequestSnapshot) -> Mask:
        columns = [self.language_index[code] for code in request.languages if code in self.language_index]
        if not columns:
            return np.zeros(len(self), dtype=np.bool_)
        return np.asarray(self.languages[:, columns].any(axis=1))

    def _failures(self, request: RequestSnapshot, *, beds: bool) -> Iterator[tuple[int, Mask]]:
        """Each rule that rules some house out for this request, with the houses it rules out."""
        n_children = len(request.children)
        if not self.genders.size:
            return
        yield 0, (self.genders & _bits([request.gender], Gender)) == 0
        if request.trans:
            yield 1, ~self.trans_inclusive
        yield 2, (self.stages & _bits([request.nrm_stage], NrmStage)) == 0
        if n_children:
            yield 3, self.max_children < n_children
            yield 4, (self.max_children > 0) & (self.max_child_age < max(request.children))
        if not request.interpreter_ok and request.languages:
            yield 5, ~self._shared_language(request)
        if request.needs_step_free:
            yield 6, ~self.step_free
        if request.excluded_areas:
            yield 7, np.isin(self.area, [_AREAS[a] for a in request.excluded_areas])
        if request.avoid_faith_based:
            yield 8, self.faith_based
        if avoid := [self.position[h] for h in request.avoid_houses if h in self.position]:
            kept_apart = np.zeros(len(self), dtype=np.bool_)
            kept_apart[avoid] = True
            yield 9, kept_apart
        if request.only_house is not None:
            elsewhere = np.ones(len(self), dtype=np.bool_)
            if request.only_house in self.position:
                elsewhere[self.position[request.only_house]] = False
            if avoid:
                elsewhere[avoid] = False  # already ruled out as KEPT_APART, as the one-house rule says
            yield 10, elsewhere
        if beds:
            yield 11, self.free_beds < request.beds_needed

    def first_reasons(self, request: RequestSnapshot) -> npt.NDArray[np.int8]:
        """For each house, the index in ORDER of the first rule that rules it out, or ELIGIBLE."""
        codes = np.full(len(self), ELIGIBLE, dtype=np.int8)
        for index, fails in self._failures(request, beds=True):
            codes[(codes == ELIGIBLE) & fails] = index
        return codes

    def suitable(self, request: RequestSnapshot) -> Mask:
        """The houses that could take this request if they had the beds."""
        ok = np.ones(len(self), dtype=np.bool_)
        for _, fails in self._failures(request, beds=False):
            ok &= ~fails
        return ok

    def failures(self, request: RequestSnapshot) -> Ints:
        """For each house, every rule that rules it out whatever its vacancies, as bits (bit i for ORDER[i])."""
        bits = np.zeros(len(self), dtype=np.int64)
        for index, fails in self._failures(request, beds=False):
            bits |= fails.astype(np.int64) << index
        return bits

    def reasons(self, request: RequestSnapshot) -> tuple[set[Reason], bool]:
        """Every reason that rules some house out whatever its vacancies, and whether any house is suitable."""
        found: set[Reason] = set()
        ok = np.ones(len(self), dtype=np.bool_)
        for index, fails in self._failures(request, beds=False):
            if fails.any():
                found.add(ORDER[index])
                ok &= ~fails
        return found, bool(ok.any())

    def points(self, request: RequestSnapshot, rows: Ints) -> Ints:
        """The soft score (as `eligibility.score`) of the houses at these rows."""
        total = np.zeros(len(rows), dtype=np.int64)
        if request.languages:
            total += 3 * self._shared_language(request)[rows]
        if request.preferred_areas:
            total += 3 * np.isin(self.area[rows], [_AREAS[a] for a in request.preferred_areas])
        if request.exploitation_type is not None:
            total += 2 * ((self.specialisms[rows] & _bits([request.exploitation_type], ExploitationType)) != 0)
        if request.support_needs:
            total += np.minimum(3, _popcount(self.extra_support[rows] & _bits(request.support_needs, SupportNeed)))
        total += ~self.stale[rows]
        if not request.children:
            total += 2 * (self.max_children[rows] == 0)
        else:
            total += 2
        if not request.needs_step_free:
            total += 2 * ~self.step_free[rows]
        else:
            total += 2
        return total
