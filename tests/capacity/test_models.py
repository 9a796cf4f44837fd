from typing import Any

import pytest
from pydantic import ValidationError

from capacity.models import HouseCreate, OrganisationCreate
from capacity.vocab import Area, ExploitationType, Gender, NrmStage, OrganisationType, SupportNeed
from tests.factories import house_data


def bad_fields(model: type[HouseCreate] | type[OrganisationCreate], values: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Validate `values` expecting failure; return the location of every error."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(values)
    return [tuple(error["loc"]) for error in caught.value.errors()]


def house(**overrides: Any) -> HouseCreate:
    return HouseCreate.model_validate(house_data(**overrides))


def test_a_valid_house() -> None:
    created = house(area="newham", genders=["male"], nrm_stages=["pre_nrm", "recovery"], max_stay_days=90)
    assert created.area == Area.newham
    assert created.genders == [Gender.male]
    assert created.nrm_stages == [NrmStage.pre_nrm, NrmStage.recovery]
    assert created.max_children == 0
    assert created.max_child_age == 0
    assert created.max_stay_days == 90


# Vocabularies: an unknown value is refused, never coerced into something else ----------------------


@pytest.mark.parametrize(
    ("field", "value", "loc"),
    [
        ("area", "narnia", ("area",)),
        ("area", "Camden", ("area",)),
        ("area", "london", ("area",)),
        ("area", "", ("area",)),
        ("area", 5, ("area",)),
        ("genders", ["female", "woman"], ("genders", 1)),
        ("genders", ["FEMALE"], ("genders", 0)),
        ("nrm_stages", ["post_nrm"], ("nrm_stages", 0)),
        ("specialisms", ["organ_removal"], ("specialisms", 0)),
        ("extra_support", ["housing"], ("extra_support", 0)),
    ],
)
def test_unknown_vocabulary_values_are_refused(field: str, value: Any, loc: tuple[Any, ...]) -> None:
    assert bad_fields(HouseCreate, house_data(**{field: value})) == [loc]


def test_known_values_are_kept_as_members() -> None:
    created = house(specialisms=["labour", "sexual"], extra_support=["lgbt_plus"])
    assert created.specialisms == [ExploitationType.labour, ExploitationType.sexual]
    assert created.extra_support == [SupportNeed.lgbt_plus]


@pytest.mark.parametrize("field", ["genders", "nrm_stages"])
def test_a_house_serves_at_least_one_gender_and_nrm_stage(field: str) -> None:
    assert bad_fields(HouseCreate, house_data(**{field: []})) == [(field,)]


def test_repeated_values_are_kept_once() -> None:
    created = house(genders=["male", "female", "male"], nrm_stages=["recovery", "recovery"])
    assert created.genders == [Gender.female, Gender.male]
    assert created.nrm_stages == [NrmStage.recovery]


@pytest.mark.parametrize("field", ["display_name", "area", "address", "postcode", "genders", "nrm_stages"])
def test_required_fields(field: str) -> None:
    values = house_data()
    del values[field]
    assert bad_fields(HouseCreate, values) == [(field,)]


@pytest.mark.parametrize("field", ["display_name", "address"])
def test_blank_text_is_refused(field: str) -> None:
    assert bad_fields(HouseCreate, house_data(**{field: "   "})) == [(field,)]


# Children ------------------------------------------------------------------------------------------


def test_negative_max_children_is_refused() -> None:
    assert bad_fields(HouseCreate, house_data(max_children=-1)) == [("max_children",)]


def test_children_accepted_need_a_max_age_and_the_error_names_max_child_age() -> None:
    assert bad_fields(HouseCreate, house_data(max_children=2, max_child_age=0)) == [("max_child_age",)]


def test_children_accepted_with_the_max_age_left_out_is_refused() -> None:
    # The default of 0 is validated too, or a house could accept children of no age at all.
    assert bad_fields(HouseCreate, house_data(max_children=2)) == [("max_child_age",)]


def test_a_max_child_age_without_children_is_refused() -> None:
    assert bad_fields(HouseCreate, house_data(max_child_age=5)) == [("max_child_age",)]
    assert bad_fields(HouseCreate, house_data(max_children=0, max_child_age=5)) == [("max_child_age",)]


def test_children_with_an_age() -> None:
    created = house(max_children=2, max_child_age=11)
    assert (created.max_children, created.max_child_age) == (2, 11)


@pytest.mark.parametrize(("field", "value"), [("max_child_age", 18), ("max_children", 21), ("max_stay_days", 0)])
def test_numbers_out_of_range_are_refused(field: str, value: int) -> None:
    values = house_data(max_children=1, max_child_age=5) | {field: value}
    assert bad_fields(HouseCreate, values) == [(field,)]


# The name must not give the place away -------------------------------------------------------------


@pytest.mark.parametrize(
    "display_name",
    [
        "12 Acacia Avenue",
        "The 12 acacia avenue house",
        "ZZ99 3ZZ",
        "House at zz99 3zz",
        "zz993zz",
        "Acacia Avenue House",
        "House ZZ993ZZ",
    ],
)
def test_a_display_name_that_reveals_the_address_is_refused(display_name: str) -> None:
    values = house_data(display_name=display_name, address="12 Acacia Avenue, Fictionville", postcode="ZZ99 3ZZ")
    assert bad_fields(HouseCreate, values) == [("display_name",)]


def test_a_display_name_that_reveals_nothing_is_kept() -> None:
    created = house(display_name="  Juniper   House ", address="12 Acacia Avenue, Fictionville", postcode="ZZ99 3ZZ")
    assert created.display_name == "Juniper House"


def test_the_postcode_check_uses_the_normalised_postcode() -> None:
    values = house_data(display_name="Juniper ZZ99 3ZZ", postcode="zz993zz")
    assert bad_fields(HouseCreate, values) == [("display_name",)]


@pytest.mark.parametrize(
    ("display_name", "address", "postcode"),
    [
        ("Larch Road", "Flat 2, 12 Larch Road", "ZZ99 3ZZ"),
        ("12 Larch", "12 Larch Road", "ZZ99 3ZZ"),
        ("Oak St House", "3 Oak Street", "ZZ99 3ZZ"),
        ("Juniper House", "1 Juniper House Road", "ZZ99 3ZZ"),
        ("Larch Lodge", "Larch Cottage, Mill Lane", "ZZ99 3ZZ"),
        ("Mill House", "Larch Cottage, Mill Lane", "ZZ99 3ZZ"),
        ("E1 House", "12 Acacia Avenue", "E1 6AN"),
    ],
)
def test_a_display_name_sharing_a_word_with_the_street_or_district_is_refused(
    display_name: str, address: str, postcode: str
) -> None:
    values = house_data(display_name=display_name, address=address, postcode=postcode)
    assert bad_fields(HouseCreate, values) == [("display_name",)]


@pytest.mark.parametrize(
    ("display_name", "address"),
    [
        ("Juniper House", "Flat 2, 12 Larch Road, Croydon"),
        ("Croydon Women's House", "12 Larch Road, Croydon"),
        ("Flat Court", "Flat 2, 12 Larch Road"),
    ],
)
def test_a_display_name_sharing_only_common_or_town_words_is_kept(display_name: str, address: str) -> None:
    assert house(display_name=display_name, address=address).display_name == display_name


# Postcodes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("e16an", "E1 6AN"),
        ("E1 6AN", "E1 6AN"),
        ("sw1a1aa", "SW1A 1AA"),
        ("  SW1A 1AA  ", "SW1A 1AA"),
        ("zz99 3zz", "ZZ99 3ZZ"),
        ("n1 9gu", "N1 9GU"),
        ("SW1A  1AA", "SW1A 1AA"),
    ],
)
def test_postcodes_are_normalised(given: str, normalised: str) -> None:
    assert house(postcode=given).postcode == normalised


@pytest.mark.parametrize("postcode", ["12345", "E1", "E16 AN", "EE1 6AN1", "London", "", "E1-6AN"])
def test_bad_postcodes_are_refused(postcode: str) -> None:
    assert bad_fields(HouseCreate, house_data(postcode=postcode)) == [("postcode",)]


# Languages -----------------------------------------------------------------------------------------


def test_languages_are_normalised_deduplicated_and_sorted() -> None:
    assert house(languages=["SQI", "alb", "sq", "pcm", "EN", "eng"]).languages == ["en", "pcm", "sq"]


def test_no_languages_is_allowed() -> None:
    assert house(languages=[]).languages == []


@pytest.mark.parametrize("code", ["zz", "english", "", "und", "mul", "zxx"])
def test_an_unknown_language_is_refused_and_named(code: str) -> None:
    with pytest.raises(ValidationError) as caught:
        HouseCreate.model_validate(house_data(languages=["en", code]))
    [error] = caught.value.errors()
    assert error["loc"] == ("languages",)
    assert repr(code) in error["msg"]


# Organisations -------------------------------------------------------------------------------------


def organisation(**overrides: Any) -> dict[str, Any]:
    return {"name": "Fictional Refuge", "type": "refuge"} | overrides


@pytest.mark.parametrize("phone", ["020 7946 0000", "+44 20 7946 0000", "(020) 7946-0000", "07700900000"])
def test_good_phone_numbers(phone: str) -> None:
    assert OrganisationCreate.model_validate(organisation(offers_phone=phone)).offers_phone == phone


def test_a_phone_number_is_stripped() -> None:
    assert OrganisationCreate.model_validate(organisation(offers_phone=" 020 7946 0000 ")).offers_phone == (
        "020 7946 0000"
    )


@pytest.mark.parametrize("phone", ["call us", "12345", "020 7946 0000 ext 4", "0207946000O", "+", "1" * 41])
def test_bad_phone_numbers_are_refused(phone: str) -> None:
    assert bad_fields(OrganisationCreate, organisation(offers_phone=phone)) == [("offers_phone",)]


@pytest.mark.parametrize("email", ["offers", "offers@", "@example.org", "offers at example.org", "a@b@example.org"])
def test_bad_emails_are_refused(email: str) -> None:
    assert bad_fields(OrganisationCreate, organisation(offers_email=email)) == [("offers_email",)]


def test_a_good_email_and_no_contact_at_all() -> None:
    created = OrganisationCreate.model_validate(organisation(offers_email="offers@example.org"))
    assert created.offers_email == "offers@example.org"
    bare = OrganisationCreate.model_validate(organisation())
    assert (bare.offers_email, bare.offers_phone, bare.faith_based) == (None, None, False)


def test_an_organisation_needs_a_known_type_and_a_name() -> None:
    assert bad_fields(OrganisationCreate, organisation(type="cafe")) == [("type",)]
    assert bad_fields(OrganisationCreate, organisation(name="  ")) == [("name",)]
    assert OrganisationCreate.model_validate(organisation()).type == OrganisationType.refuge
