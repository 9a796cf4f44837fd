"""The provider's house form: what a browser sends, checked with the models the JSON API uses."""

import re
from functools import cache
from typing import Any

from pydantic import Field, ValidationError
from pydantic_core import ErrorDetails

from capacity.models import House, HouseCreate
from capacity.vocab import (
    COMMON_LANGUAGES,
    LONDON_AREAS,
    Area,
    ExploitationType,
    Gender,
    NrmStage,
    SupportNeed,
    label,
    language_name,
)
from web.csrf import PageForm

# What each field is called on the form, in the order the form asks: problems are listed in this order.
FIELD_LABELS = {
    "organisation_id": "Organisation",
    "display_name": "Name officers see",
    "area": "Area",
    "genders": "Genders",
    "trans_inclusive": "Trans people",
    "nrm_stages": "NRM stages",
    "max_children": "Children accepted",
    "max_child_age": "Oldest child accepted",
    "languages": "Languages staff speak",
    "step_free": "Step-free access",
    "specialisms": "Specialisms",
    "extra_support": "Extra support",
    "max_stay_days": "Longest stay",
    "address": "Address",
    "postcode": "Postcode",
    "bed_labels": "Beds",
}
# Fields shown as a group of checkboxes: an error links to the first box, whose id is the field's name.
CHECKBOX_GROUPS = ("genders", "nrm_stages", "languages", "specialisms", "extra_support")
NUMBERS = {"max_children": 0, "max_child_age": 0, "max_stay_days": None}


class HouseForm(PageForm):
    """The form's fields as sent: text kept as typed, repeated fields as lists, ticks present only when ticked.

    The lengths are far above the model's own limits, which then name the problem in words; these only stop abuse.
    """

    display_name: str = Field(default="", max_length=1000)
    area: str = Field(default="", max_length=64)
    genders: list[str] = Field(default_factory=list, max_length=10)
    trans_inclusive: bool = False
    nrm_stages: list[str] = Field(default_factory=list, max_length=10)
    max_children: str = Field(default="0", max_length=100)
    max_child_age: str = Field(default="0", max_length=100)
    languages: list[str] = Field(default_factory=list, max_length=200)
    step_free: bool = False
    specialisms: list[str] = Field(default_factory=list, max_length=10)
    extra_support: list[str] = Field(default_factory=list, max_length=10)
    max_stay_days: str = Field(default="", max_length=100)
    address: str = Field(default="", max_length=2000)
    postcode: str = Field(default="", max_length=100)


class NewHouseForm(HouseForm):
    """A new house: its beds too, and for admins the organisation it belongs to."""

    bed_labels: str = Field(default="", max_length=20_000)
    organisation_id: str = Field(default="", max_length=20)


def form_of(house: House) -> HouseForm:
    """The form filled in with a house as it stands."""
    values: dict[str, Any] = house.model_dump(include=set(HouseForm.model_fields))
    for name in NUMBERS:
        values[name] = "" if values[name] is None else str(values[name])
    return HouseForm.model_validate(values)


def house_from(form: HouseForm) -> tuple[HouseCreate | None, dict[str, str]]:
    """The house the form describes, or every problem by field, in words a person reads."""
    problems: dict[str, str] = {}
    values: dict[str, Any] = form.model_dump(include=set(HouseForm.model_fields))
    for name, empty in NUMBERS.items():
        typed = values[name].strip()
        if not typed:
            values[name] = empty
        elif typed.isdecimal():
            values[name] = int(typed)
        else:
            problems[name] = "Enter a whole number, in figures."
            values.pop(name)
    try:
        house = HouseCreate.model_validate(values)
    except ValidationError as error:
        for found in error.errors():
            field = str(found["loc"][0]) if found["loc"] else "display_name"
            # A number left out above fails again here as missing: its own problem says more.
            problems.setdefault(field, in_words(found))
        return None, in_form_order(problems)
    return (None, in_form_order(problems)) if problems else (house, {})


def in_words(problem: ErrorDetails) -> str:
    """A validation error as a sentence."""
    context = problem.get("ctx", {})
    if problem["type"] == "too_short":
        return "Choose at least one."
    if problem["type"] == "missing":
        return "Fill this in."
    if problem["type"] == "string_too_long":
        return f"Use {context['max_length']} characters or fewer."
    if problem["type"] == "greater_than_equal":
        return f"Must be {context['ge']} or more."
    if problem["type"] == "less_than_equal":
        return f"Must be {context['le']} or less."
    if problem["type"] == "enum":
        return "Choose one of the options given."
    message = problem["msg"].removeprefix("Value error, ")
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def in_form_order(problems: dict[str, str]) -> dict[str, str]:
    """The problems in the order the form asks its questions."""
    order = list(FIELD_LABELS)
    return dict(sorted(problems.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order)))


def bed_labels(text: str) -> list[str]:
    """Bed labels typed one a line or separated by commas; empty ones are gaps, not beds."""
    return [part for part in re.split(r"[,\n]", text) if part.strip()]


@cache
def choices() -> dict[str, list[tuple[str, str]]]:
    """The options of every list on the form, as (value, words): the same for every house, so made once."""

    def of(values: Any) -> list[tuple[str, str]]:
        return [(str(v), label(v)) for v in values]

    return {
        "areas": of([*LONDON_AREAS, *(a for a in Area if a not in LONDON_AREAS)]),
        "genders": of(Gender),
        "nrm_stages": of(NrmStage),
        "languages": [(code, language_name(code)) for code in COMMON_LANGUAGES],
        "specialisms": of(ExploitationType),
        "extra_support": of(SupportNeed),
    }


def language_choices(chosen: list[str]) -> list[tuple[str, str]]:
    """The common languages, then any other the house already has (so that saving keeps it)."""
    common = choices()["languages"]
    known = {code for code, _ in common}
    others = []
    for code in chosen:
        if code not in known:
            try:
                others.append((code, language_name(code)))
            except ValueError:
                others.append((code, code))
    return common + sorted(others, key=lambda option: option[1])
