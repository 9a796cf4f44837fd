"""Instant search: for one person's needs, every house that can take them now, ranked, and why the rest cannot."""

from collections import Counter
from collections.abc import Sequence

from capacity.models import HousePublic
from matching.eligibility import REASON_PHRASES, Reason, rule_out_reasons, score
from matching.instance import HouseSnapshot, RequestSnapshot
from matching.models import RequestNeeds, RuledOut, SearchMatch, SearchResult


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


def search(needs: RequestNeeds, houses: Sequence[HousePublic]) -> SearchResult:
    """Rank the houses that can take this person now; count the rest by the first reason that rules each out."""
    person = request_snapshot(needs)
    matches: list[SearchMatch] = []
    first_reasons: Counter[Reason] = Counter()
    for house in houses:
        snapshot = house_snapshot(house)
        if reasons := rule_out_reasons(person, snapshot):
            first_reasons[reasons[0]] += 1
            continue
        fit = score(person, snapshot)
        matches.append(
            SearchMatch(
                house_id=house.id,
                display_name=house.display_name,
                area=house.area,
                organisation_name=house.organisation_name,
                free_beds=house.beds.available,
                stale=house.stale,
                vacancies_confirmed_at=house.vacancies_confirmed_at,
                score=fit.points,
                explanation=fit.explanation,
            )
        )
    # Best fit first; among equals, the freshest vacancy data, then the most room.
    matches.sort(key=lambda m: (-m.score, m.stale, -m.vacancies_confirmed_at.timestamp(), -m.free_beds, m.house_id))
    ruled_out = [
        RuledOut(reason=reason, phrase=REASON_PHRASES[reason], houses=count)
        for reason, count in sorted(first_reasons.items(), key=lambda item: (-item[1], list(Reason).index(item[0])))
    ]
    total = sum(first_reasons.values())
    summary = f"{total} ruled out" + (
        ": " + ", ".join(f"{r.houses} {r.phrase}" for r in ruled_out) if ruled_out else ""
    )
    return SearchResult(matches=matches, ruled_out_total=total, ruled_out=ruled_out, summary=summary)
