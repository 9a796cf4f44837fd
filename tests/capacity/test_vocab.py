from enum import StrEnum

import pytest

from capacity.vocab import (
    AREA_REGION,
    COMMON_LANGUAGES,
    LONDON_AREAS,
    PROVIDER_TYPES,
    Area,
    ExploitationType,
    Gender,
    NrmStage,
    OrganisationType,
    Region,
    SupportNeed,
    UnknownLanguageError,
    label,
    language_name,
    normalise_language,
    region_of,
)

LONDON_REGIONS = set(Region) - {Region.outside_london}
OTHER_UK = {
    Area.north_east,
    Area.north_west,
    Area.yorkshire_and_the_humber,
    Area.east_midlands,
    Area.west_midlands,
    Area.east_of_england,
    Area.south_east,
    Area.south_west,
    Area.wales,
    Area.scotland,
    Area.northern_ireland,
}


def test_the_33_london_local_authorities_are_the_london_areas() -> None:
    assert len(LONDON_AREAS) == 33
    assert len(set(LONDON_AREAS)) == 33
    assert set(LONDON_AREAS) == set(AREA_REGION)
    assert {Area.city_of_london, Area.westminster, Area.newham, Area.hillingdon, Area.bromley} <= set(LONDON_AREAS)


def test_every_london_area_has_a_london_sub_region() -> None:
    for area in LONDON_AREAS:
        assert region_of(area) in LONDON_REGIONS, area


def test_every_sub_region_of_london_has_areas() -> None:
    assert {region_of(area) for area in LONDON_AREAS} == LONDON_REGIONS


def test_every_area_is_either_london_or_another_uk_region() -> None:
    assert set(Area) == set(LONDON_AREAS) | OTHER_UK
    assert not set(LONDON_AREAS) & OTHER_UK


@pytest.mark.parametrize("area", sorted(OTHER_UK))
def test_other_uk_regions_are_outside_london(area: Area) -> None:
    assert region_of(area) == Region.outside_london


@pytest.mark.parametrize(
    ("area", "region"),
    [
        (Area.westminster, Region.central_london),
        (Area.city_of_london, Region.central_london),
        (Area.newham, Region.east_london),
        (Area.barnet, Region.north_london),
        (Area.croydon, Region.south_london),
        (Area.hounslow, Region.west_london),
    ],
)
def test_region_of_known_boroughs(area: Area, region: Region) -> None:
    assert region_of(area) == region


@pytest.mark.parametrize("code", ["sq", "SQ", "SQI", "sqi", "alb", " alb "])
def test_albanian_codes_normalise_to_sq(code: str) -> None:
    assert normalise_language(code) == "sq"


@pytest.mark.parametrize(
    ("code", "canonical"),
    [("pcm", "pcm"), ("PCM", "pcm"), ("bin", "bin"), ("ti", "ti"), ("tir", "ti"), ("eng", "en"), ("vie", "vi")],
)
def test_language_codes_normalise_to_the_shortest_iso_code(code: str, canonical: str) -> None:
    assert normalise_language(code) == canonical


@pytest.mark.parametrize(
    ("code", "name"),
    [("pcm", "Nigerian Pidgin"), ("bin", "Edo"), ("ti", "Tigrinya"), ("sq", "Albanian"), ("yue", "Cantonese")],
)
def test_language_names(code: str, name: str) -> None:
    assert language_name(code) == name


@pytest.mark.parametrize("code", ["zz", "xx", "", "   ", "english", "e", "zzz", "en-GB"])
def test_unknown_language_codes_are_refused(code: str) -> None:
    with pytest.raises(UnknownLanguageError, match="unknown language code"):
        normalise_language(code)


def test_unknown_language_error_is_a_value_error() -> None:
    # Pydantic turns a ValueError raised in a validator into a field error rather than a crash.
    assert issubclass(UnknownLanguageError, ValueError)


def test_language_name_refuses_an_unknown_code() -> None:
    with pytest.raises(UnknownLanguageError):
        language_name("zz")


def test_common_languages_are_canonical_and_named() -> None:
    assert len(set(COMMON_LANGUAGES)) == len(COMMON_LANGUAGES)
    for code in COMMON_LANGUAGES:
        assert normalise_language(code) == code
        assert language_name(code)
    assert COMMON_LANGUAGES[:2] == ("en", "sq")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (Area.barking_and_dagenham, "Barking and Dagenham"),
        (Area.kingston_upon_thames, "Kingston upon Thames"),
        (Area.city_of_london, "City of London"),
        (Area.yorkshire_and_the_humber, "Yorkshire and the Humber"),
        (Area.east_of_england, "East of England"),
        (Area.tower_hamlets, "Tower Hamlets"),
        (Area.northern_ireland, "Northern Ireland"),
        (Region.central_london, "Central London"),
        (Region.outside_london, "Outside London"),
        (Gender.non_binary, "Non-binary"),
        (NrmStage.pre_nrm, "Pre-NRM"),
        (NrmStage.recovery, "Recovery"),
        (NrmStage.move_on, "Move-on"),
        (SupportNeed.lgbt_plus, "LGBT+ specialist"),
        (ExploitationType.domestic_servitude, "Domestic servitude"),
        (OrganisationType.ngo_safe_house, "NGO safe house"),
        (OrganisationType.emergency_accommodation, "Emergency accommodation"),
    ],
)
def test_labels_read_well(value: StrEnum, words: str) -> None:
    assert label(value) == words


@pytest.mark.parametrize(
    "vocabulary", [Area, Region, Gender, NrmStage, ExploitationType, SupportNeed, OrganisationType]
)
def test_no_label_shows_a_code(vocabulary: type[StrEnum]) -> None:
    labels = [label(value) for value in vocabulary]
    assert len(set(labels)) == len(labels)
    for value, words in zip(vocabulary, labels, strict=True):
        assert "_" not in words, value
        assert words[0].isupper(), value


def test_police_and_commissioners_are_not_providers() -> None:
    assert OrganisationType.police not in PROVIDER_TYPES
    assert OrganisationType.first_responder not in PROVIDER_TYPES
    assert OrganisationType.commissioning not in PROVIDER_TYPES
    assert OrganisationType.ngo_safe_house in PROVIDER_TYPES
    assert OrganisationType.emergency_accommodation in PROVIDER_TYPES
