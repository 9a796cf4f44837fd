"""Who can go where: hard constraints as pure functions with stable reason codes, and the soft score.

Every rule takes a request and a house snapshot and answers with the reason that rules the house
out, or None. The codes are stable: reports of unmet need count them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from capacity.vocab import label, language_name
from matching.instance import HouseSnapshot, RequestSnapshot


class Reason(StrEnum):
    GENDER_NOT_SERVED = "GENDER_NOT_SERVED"
    TRANS_NOT_INCLUDED = "TRANS_NOT_INCLUDED"
    NRM_STAGE_NOT_SERVED = "NRM_STAGE_NOT_SERVED"
    CHILDREN_NOT_ACCEPTED = "CHILDREN_NOT_ACCEPTED"
    CHILD_TOO_OLD = "CHILD_TOO_OLD"
    NO_SHARED_LANGUAGE = "NO_SHARED_LANGUAGE"
    NOT_STEP_FREE = "NOT_STEP_FREE"
    AREA_EXCLUDED = "AREA_EXCLUDED"
    FAITH_BASED = "FAITH_BASED"
    NOT_ENOUGH_BEDS = "NOT_ENOUGH_BEDS"
    KEPT_APART = "KEPT_APART"
    KEPT_TOGETHER = "KEPT_TOGETHER"
    NOT_SOLVED = "NOT_SOLVED"


# How a person reads each reason in a "ruled out" summary ("9 female only, 2 full").
REASON_PHRASES: dict[Reason, str] = {
    Reason.GENDER_NOT_SERVED: "do not take this gender",
    Reason.TRANS_NOT_INCLUDED: "not trans-inclusive",
    Reason.NRM_STAGE_NOT_SERVED: "not for this NRM stage",
    Reason.CHILDREN_NOT_ACCEPTED: "cannot take the children",
    Reason.CHILD_TOO_OLD: "a child is over their age limit",
    Reason.NO_SHARED_LANGUAGE: "no shared language",
    Reason.NOT_STEP_FREE: "not step-free",
    Reason.AREA_EXCLUDED: "in an excluded area",
    Reason.FAITH_BASED: "faith-based",
    Reason.NOT_ENOUGH_BEDS: "full",
    Reason.KEPT_APART: "a co-victim to keep apart is there",
    Reason.KEPT_TOGETHER: "not where family or co-victims to keep together are",
    Reason.NOT_SOLVED: "not allocated in the time allowed",
}

Rule = Callable[[RequestSnapshot, HouseSnapshot], Reason | None]


def gender(request: RequestSnapshot, house: HouseSnapshot) -> Reason | None:
    return None if request.gender in house.genders else Reason.GENDER_NOT_SERVED


def trans(request: RequestSnapshot, house: HouseSnapshot) -> Reason | None:
    return Reason.TRANS_NOT_INCLUDED if request.trans and not house.trans_inclusive else None


def nrm_stage(request: RequestSnapshot, house: HouseSnapshot) -> Reason | None:
    return None if request.nrm_stage in house.nrm_stages else Reason.NRM_STAGE_NOT_SERVED


def children(request: RequestSnapshot, house: HouseSnapshot) -> Reason | None:
    return Reason.CHILDREN_NOT_ACCEPTED if len(request.children) > house.max_children else None


def child_age(request: RequestSnapshot, house: HouseSnapshot) -> Reason | None:
    too_old = request.children and house.max_children and max(request.children) > house.max_child_age
    return Reason.CHILD_TOO_OLD if too_old else None


def language(request: RequestSnapshot, house: HouseSnapshot) -> Reason | None:
    # Only a person who cannot work through an interpreter is ruled out by language.
    if request.interpreter_ok or not request.languages or set(request.languages) & set(house.languages):
        return None
    return Reason.NO_SHARED_LANGUAGE


def step_free(request: RequestSnapshot, house: HouseSnapshot) -> Reason | None:
    return Reason.NOT_STEP_FREE if request.needs_step_free and not house.step_free else None


def area(request: RequestSnapshot, house: HouseSnapshot) -> Reason | None:
    return Reason.AREA_EXCLUDED if house.area in request.excluded_areas else None


def faith(request: RequestSnapshot, house: HouseSnapshot) -> Reason | None:
    return Reason.FAITH_BASED if request.avoid_faith_based and house.faith_based else None


def links(request: RequestSnapshot, house: HouseSnapshot) -> Reason | None:
    if house.id in request.avoid_houses:
        return Reason.KEPT_APART
    if request.only_house is not None and house.id != request.only_house:
        return Reason.KEPT_TOGETHER
    return None


def beds(request: RequestSnapshot, house: HouseSnapshot) -> Reason | None:
    return Reason.NOT_ENOUGH_BEDS if house.free_beds < request.beds_needed else None


# What the house is, whatever its vacancies: these never change while a request waits.
SUITABILITY_RULES: tuple[Rule, ...] = (
    gender,
    trans,
    nrm_stage,
    children,
    child_age,
    language,
    step_free,
    area,
    faith,
    links,
)


def unsuitable_reasons(request: RequestSnapshot, house: HouseSnapshot) -> list[Reason]:
    """Every reason the house could never take this request, whatever its vacancies."""
    return [reason for rule in SUITABILITY_RULES if (reason := rule(request, house)) is not None]


def rule_out_reasons(request: RequestSnapshot, house: HouseSnapshot) -> list[Reason]:
    """Every reason the house cannot take this request now; empty when it can."""
    reasons = unsuitable_reasons(request, house)
    if (full := beds(request, house)) is not None:
        reasons.append(full)
    return reasons


@dataclass(frozen=True)
class Score:
    points: int
    explanation: str


MAX_SCORE = 16


def score(request: RequestSnapshot, house: HouseSnapshot) -> Score:
    """How well a suitable house fits, from 0 to MAX_SCORE, with one line saying why."""
    points = 0
    said: list[str] = []
    shared = sorted(set(request.languages) & set(house.languages))
    if shared:
        points += 3
        said.append(f"staff speak {', '.join(language_name(code) for code in shared)}")
    if house.area in request.preferred_areas:
        points += 3
        said.append(f"in {label(house.area)}, a preferred area")
    if request.exploitation_type is not None and request.exploitation_type in house.specialisms:
        points += 2
        said.append(f"specialises in {label(request.exploitation_type).lower()} exploitation")
    if met := [need for need in dict.fromkeys(request.support_needs) if need in house.extra_support]:
        points += min(3, len(met))
        said.append(f"offers {', '.join(label(need).lower() for need in met)} support")
    if not house.stale:
        points += 1
        said.append("vacancies recently confirmed")
    # Keep scarce beds for those who need them: a family room or a step-free bed is worth
    # more to the next person who can use nothing else.
    if not (house.max_children and not request.children):
        points += 2
    else:
        said.append("uses a family room")
    if not (house.step_free and not request.needs_step_free):
        points += 2
    else:
        said.append("uses a step-free bed")
    return Score(points=points, explanation="; ".join(said) or "meets every need")
