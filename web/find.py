"""The officer's "find a bed" form: what a browser sends, turned into a person's needs."""

from functools import cache
from typing import Any

from pydantic import Field, ValidationError

from capacity.models import MAX_ID
from capacity.vocab import (
    COMMON_LANGUAGES,
    LONDON_AREAS,
    Area,
    ExploitationType,
    Gender,
    NrmStage,
    Region,
    SupportNeed,
    label,
    language_name,
    region_of,
)
from matching.eligibility import Reason
from matching.models import AgeBand, Fallback, RequestCreate, RequestNeeds, SearchResult, Urgency
from matching.reporting import FALLBACK_WORDS
from web.csrf import PageForm

URGENCY_WORDS = {Urgency.tonight: "Tonight", Urgency.within_72h: "Within 72 hours", Urgency.planned: "Planned"}
AGE_WORDS = {
    AgeBand.under_18: "Under 18",
    AgeBand.age_18_24: "18 to 24",
    AgeBand.age_25_34: "25 to 34",
    AgeBand.age_35_49: "35 to 49",
    AgeBand.age_50_64: "50 to 64",
    AgeBand.age_65_plus: "65 or over",
}

# Fields of the form that are not needs themselves, or not in the needs' shape.
NOT_NEEDS = {"children", "no_interpreter", "exploitation_type", "reference", "house_id", "fallback", "found_area"}


class FindForm(PageForm):
    """The form's fields as sent: text, repeated fields as lists, and checkboxes present only when ticked."""

    urgency: str = Urgency.tonight
    nrm_stage: str = NrmStage.pre_nrm
    nrm_consent: bool = False
    gender: str = Gender.female
    trans: bool = False
    age_band: str = AgeBand.age_25_34
    children: str = Field(default="", max_length=100)
    languages: list[str] = Field(default_factory=list, max_length=20)
    no_interpreter: bool = False
    needs_step_free: bool = False
    exploitation_type: str = ""
    support_needs: list[str] = Field(default_factory=list, max_length=10)
    excluded_areas: list[str] = Field(default_factory=list, max_length=60)
    preferred_areas: list[str] = Field(default_factory=list, max_length=60)
    avoid_faith_based: bool = False
    reference: str = Field(default="", max_length=40)
    fallback: str = Field(default="", max_length=32)
    found_area: str = Field(default="", max_length=32)


class HoldForm(FindForm):
    """The same form, sent by a house's Hold button."""

    house_id: int = Field(ge=1, le=MAX_ID)


def needs_from(form: FindForm) -> tuple[RequestNeeds | None, dict[str, str]]:
    """The needs the form describes, or the problems by field, in words a person reads."""
    values: dict[str, Any] = form.model_dump(exclude=NOT_NEEDS)
    values["interpreter_ok"] = not form.no_interpreter
    values["exploitation_type"] = form.exploitation_type or None
    ages = [part.strip() for part in form.children.replace(";", ",").split(",") if part.strip()]
    if not all(age.isdigit() for age in ages):
        return None, {"children": "Give each child's age in whole years, separated by commas (for example 4, 7)."}
    values["children"] = [int(age) for age in ages]
    try:
        return RequestNeeds.model_validate(values), {}
    except ValidationError as error:
        problems: dict[str, str] = {}
        for found in error.errors():
            field = str(found["loc"][0]) if found["loc"] else "form"
            problems.setdefault(field, found["msg"].removeprefix("Value error, "))
        return None, problems


@cache
def choices() -> dict[str, list[Any]]:
    """The options of every list on the form, as (value, words): the same for every request, so made once."""

    def of(values: Any) -> list[tuple[str, str]]:
        return [(str(v), label(v)) for v in values]

    return {
        "urgency": [(str(u), URGENCY_WORDS[u]) for u in Urgency],
        "nrm_stage": of(NrmStage),
        "gender": of(Gender),
        "age_band": [(str(a), AGE_WORDS[a]) for a in AgeBand],
        "exploitation_type": of(ExploitationType),
        "support_needs": of(SupportNeed),
        "areas": of([*LONDON_AREAS, *(a for a in Area if a not in LONDON_AREAS)]),
        "languages": [(code, language_name(code)) for code in COMMON_LANGUAGES],
        "fallbacks": [(str(f), FALLBACK_WORDS[f]) for f in Fallback],
        "found_areas": found_area_groups(),
    }


def found_area_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """Where a person may be now, grouped by London's sub-regions, then the regions outside London."""
    return [(label(region), [(str(a), label(a)) for a in Area if region_of(a) == region]) for region in Region]


PEOPLE = {Gender.female: "women", Gender.male: "men", Gender.non_binary: "non-binary people"}
AT_STAGE = {
    NrmStage.pre_nrm: "before a Reasonable Grounds decision (pre-NRM)",
    NrmStage.recovery: "in the recovery period",
    NrmStage.move_on: "for move-on",
}
PROVISION = {Reason.GENDER_NOT_SERVED, Reason.NRM_STAGE_NOT_SERVED, Reason.NOT_ENOUGH_BEDS}


def gap(needs: RequestNeeds, result: SearchResult) -> str | None:
    """When nothing fits for want of provision alone, say so plainly: the sentence a commissioner should hear."""
    if result.matches or not result.ruled_out or {r.reason for r in result.ruled_out} - PROVISION:
        return None
    return f"No house with a free bed takes {PEOPLE[needs.gender]} {AT_STAGE[needs.nrm_stage]}."


def fallback_from(form: FindForm) -> tuple[Fallback | None, dict[str, str]]:
    """Where the person went instead of a SafeBeds bed, as the form says, or the problem."""
    if form.fallback not in Fallback.__members__:
        return None, {"fallback": "Choose where the person went instead (or “Nowhere”)."}
    return Fallback(form.fallback), {}


def request_from(form: FindForm, needs: RequestNeeds) -> tuple[RequestCreate | None, dict[str, str]]:
    """The request to record before a hold: the needs and a case reference, never a name."""
    if not form.reference.strip():
        return None, {"reference": "Give the case reference (for example MSU-2231) to hold a bed."}
    try:
        given = {"reference": form.reference.strip(), "found_area": form.found_area or None}
        return RequestCreate.model_validate(needs.model_dump() | given), {}
    except ValidationError as error:
        problem = error.errors()[0]
        field = "found_area" if problem["loc"][:1] == ("found_area",) else "reference"
        return None, {field: problem["msg"].removeprefix("Value error, ")}


def needs_and_request_from(form: FindForm) -> tuple[RequestNeeds | None, RequestCreate | None, dict[str, str]]:
    """The needs and the request to record that the form describes, or the problems by field."""
    needs, problems = needs_from(form)
    if needs is None:
        return None, None, problems
    data, problems = request_from(form, needs)
    return needs, data, problems
