"""Instant search: for one person's needs, every house that can take them now, ranked, and why the rest cannot."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import numpy as np

from capacity.models import HousePublic
from matching.eligibility import REASON_PHRASES, Reason, score
from matching.instance import HouseSnapshot, RequestSnapshot
from matching.models import RequestNeeds, RuledOut, SearchMatch, SearchResult
from matching.table import ELIGIBLE, ORDER, HouseTable, Ints

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def microseconds(at: datetime) -> int:
    """A time as whole microseconds since 1970, exactly (a float would round)."""
    return (at - EPOCH) // MICROSECOND


def request_snapshot(needs: RequestNeeds, *, id: int | str = "search", priority: int = 1) -> RequestSnapshot:
    """The solver's view of a request's needs."""
    return RequestSnapshot.model_validate(
        needs.model_dump(
            include={
                "gender",
                "trans",
                "nrm_stage",
                "children",
                "languages",
                "interpreter_ok",
                "needs_step_free",
                "excluded_areas",
                "preferred_areas",
                "avoid_faith_based",
                "exploitation_type",
                "support_needs",
            }
        )
        | {"id": id, "priority": priority}
    )


def house_snapshot(house: HousePublic) -> HouseSnapshot:
    """The solver's view of a house as anyone may see it (no address), with its free beds now."""
    return HouseSnapshot.model_validate(
        house.model_dump(
            include={
                "id",
                "area",
                "genders",
                "trans_inclusive",
                "nrm_stages",
                "max_children",
                "max_child_age",
                "languages",
                "step_free",
                "faith_based",
                "specialisms",
                "extra_support",
                "stale",
            }
        )
        | {"free_beds": house.beds.available}
    )


@dataclass(frozen=True)
class Listing:
    """What an officer may see of a house in a search, besides its matching attributes."""

    house_id: int
    display_name: str
    organisation_name: str


@dataclass(frozen=True)
class SearchIndex:
    """Houses ready to search: matching columns, what officers see of each, and when vacancies were confirmed."""

    table: HouseTable
    listings: tuple[Listing, ...]
    confirmed_at: Ints  # microseconds since 1970, by row
    house_ids: Ints

    @classmethod
    def of(cls, houses: Sequence[HousePublic]) -> "SearchIndex":
        return cls(
            table=HouseTable.build([house_snapshot(h) for h in houses]),
            listings=tuple(Listing(h.id, h.display_name, h.organisation_name) for h in houses),
            confirmed_at=np.array([microseconds(h.vacancies_confirmed_at) for h in houses], dtype=np.int64),
            house_ids=np.array([h.id for h in houses], dtype=np.int64),
        )

    def with_vacancies(self, free_beds: Ints, confirmed_at: Ints, *, stale_before: datetime) -> "SearchIndex":
        """The same houses with their free beds and confirmation times now."""
        stale = confirmed_at < microseconds(stale_before)
        return replace(self, table=self.table.with_vacancies(free_beds, stale), confirmed_at=confirmed_at)


def rank(person: RequestSnapshot, index: SearchIndex, *, limit: int | None = None) -> SearchResult:
    """Rank the houses that can take this person now; count the rest by the first reason that rules each out."""
    if limit is not None and limit < 1:
        raise ValueError("limit must be at least 1")
    table = index.table
    codes = table.first_reasons(person)
    eligible = np.flatnonzero(codes == ELIGIBLE)
    # Best fit first; among equals, fresh vacancy data, the latest confirmed, the most room, the lowest id.
    first = 2 * table.points(person, eligible) + ~table.stale[eligible]
    rows = eligible
    if limit is not None and limit < len(eligible):
        # Only houses as good as the limit-th best by the first keys can be listed: sort just those.
        keep = first >= np.partition(first, len(first) - limit)[len(first) - limit]
        rows, first = eligible[keep], first[keep]
    order = np.lexsort((index.house_ids[rows], -table.free_beds[rows], -index.confirmed_at[rows], -first))
    matches = [_match(person, index, int(row)) for row in rows[order[:limit]]]
    counts = np.bincount(codes[codes != ELIGIBLE], minlength=len(ORDER))
    ruled_out = [
        RuledOut(reason=ORDER[i], phrase=REASON_PHRASES[ORDER[i]], houses=int(counts[i]))
        for i in sorted(np.flatnonzero(counts), key=lambda i: (-counts[i], i))
    ]
    total = int(counts.sum())
    summary = f"{total} ruled out" + (
        ": " + ", ".join(f"{r.houses} {r.phrase}" for r in ruled_out) if ruled_out else ""
    )
    return SearchResult(
        matches=matches, matches_total=len(eligible), ruled_out_total=total, ruled_out=ruled_out, summary=summary
    )


@dataclass(frozen=True)
class RuledOutCount:
    reason: Reason
    houses: int
    houses_with_room: int


def ruled_out_counts(person: RequestSnapshot, index: SearchIndex) -> tuple[int, list[RuledOutCount]]:
    """How many houses can take this person now, and the rest by first reason, with how many of them had room.

    The same counts as `rank`'s (a house is counted under the first reason in ORDER that rules it
    out); "with room" says which of those houses had free beds enough, so that a report can tell
    a house that does not take this person from a house that is full.
    """
    codes = index.table.first_reasons(person)
    room = index.table.free_beds >= person.beds_needed
    houses = np.bincount(codes[codes != ELIGIBLE], minlength=len(ORDER))
    with_room = np.bincount(codes[(codes != ELIGIBLE) & room], minlength=len(ORDER))
    counts = [RuledOutCount(ORDER[i], int(houses[i]), int(with_room[i])) for i in np.flatnonzero(houses)]
    return int((codes == ELIGIBLE).sum()), counts


def smallest_relaxation(person: RequestSnapshot, index: SearchIndex) -> tuple[Reason, ...]:
    """The fewest constraints that, relaxed, would have let a house take this person now; empty if one can already.

    Each house offers a way: the rules that rule it out whatever its vacancies, plus, if it has not
    beds enough, NOT_ENOUGH_BEDS (one more free bed there). The way with the fewest constraints is
    taken; among equals, one more bed before a change of a house's rules (a bed is what a commissioner
    can fund), then the way most houses offer, then the earliest rules in ORDER, so the same moment
    always gives the same answer. NOT_ENOUGH_BEDS comes first in the answer when it is part of it.
    """
    full = 1 << ORDER.index(Reason.NOT_ENOUGH_BEDS)
    table = index.table
    ways = table.failures(person) | np.where(table.free_beds < person.beds_needed, full, 0)
    if not len(ways):
        return (Reason.NOT_ENOUGH_BEDS,)
    sets, houses = np.unique(ways, return_counts=True)
    best = min(
        zip(sets.tolist(), houses.tolist(), strict=True),
        key=lambda way: (way[0].bit_count(), not way[0] & full, -way[1], way[0]),
    )[0]
    return tuple(sorted((r for i, r in enumerate(ORDER) if best >> i & 1), key=lambda r: r != Reason.NOT_ENOUGH_BEDS))


def _match(person: RequestSnapshot, index: SearchIndex, row: int) -> SearchMatch:
    listing = index.listings[row]
    snapshot = index.table.houses[row].model_copy(
        update={"free_beds": int(index.table.free_beds[row]), "stale": bool(index.table.stale[row])}
    )
    fit = score(person, snapshot)
    return SearchMatch(
        house_id=listing.house_id,
        display_name=listing.display_name,
        area=snapshot.area,
        organisation_name=listing.organisation_name,
        free_beds=snapshot.free_beds,
        stale=snapshot.stale,
        vacancies_confirmed_at=EPOCH + int(index.confirmed_at[row]) * MICROSECOND,
        score=fit.points,
        explanation=fit.explanation,
    )


def search(needs: RequestNeeds, houses: Sequence[HousePublic], *, limit: int | None = None) -> SearchResult:
    """Rank the houses that can take this person now, and count the rest by reason."""
    return rank(request_snapshot(needs), SearchIndex.of(houses), limit=limit)
