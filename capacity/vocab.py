"""The fixed vocabularies every part of SafeBeds speaks: areas, genders, NRM stages, languages."""

from enum import StrEnum

import pycountry


class OrganisationType(StrEnum):
    ngo_safe_house = "ngo_safe_house"
    refuge = "refuge"
    local_authority = "local_authority"
    emergency_accommodation = "emergency_accommodation"
    statutory = "statutory"
    police = "police"
    first_responder = "first_responder"
    commissioning = "commissioning"


PROVIDER_TYPES = frozenset(
    {
        OrganisationType.ngo_safe_house,
        OrganisationType.refuge,
        OrganisationType.local_authority,
        OrganisationType.emergency_accommodation,
        OrganisationType.statutory,
    }
)


class Role(StrEnum):
    officer = "officer"
    provider = "provider"
    commissioner = "commissioner"
    coordinator = "coordinator"
    admin = "admin"


class Gender(StrEnum):
    female = "female"
    male = "male"
    non_binary = "non_binary"


class NrmStage(StrEnum):
    """Where a person is in the National Referral Mechanism."""

    pre_nrm = "pre_nrm"
    recovery = "recovery"
    move_on = "move_on"


class ExploitationType(StrEnum):
    sexual = "sexual"
    labour = "labour"
    domestic_servitude = "domestic_servitude"
    criminal = "criminal"


class SupportNeed(StrEnum):
    mental_health = "mental_health"
    substance_use = "substance_use"
    lgbt_plus = "lgbt_plus"


class BedStatus(StrEnum):
    available = "available"
    held = "held"
    occupied = "occupied"
    out_of_service = "out_of_service"


class Region(StrEnum):
    """London's sub-regions (London Plan) and the other UK nations and regions."""

    central_london = "central_london"
    east_london = "east_london"
    north_london = "north_london"
    south_london = "south_london"
    west_london = "west_london"
    outside_london = "outside_london"


class Area(StrEnum):
    """The 33 London local authorities, then the UK regions used for out-of-area placements."""

    barking_and_dagenham = "barking_and_dagenham"
    barnet = "barnet"
    bexley = "bexley"
    brent = "brent"
    bromley = "bromley"
    camden = "camden"
    city_of_london = "city_of_london"
    croydon = "croydon"
    ealing = "ealing"
    enfield = "enfield"
    greenwich = "greenwich"
    hackney = "hackney"
    hammersmith_and_fulham = "hammersmith_and_fulham"
    haringey = "haringey"
    harrow = "harrow"
    havering = "havering"
    hillingdon = "hillingdon"
    hounslow = "hounslow"
    islington = "islington"
    kensington_and_chelsea = "kensington_and_chelsea"
    kingston_upon_thames = "kingston_upon_thames"
    lambeth = "lambeth"
    lewisham = "lewisham"
    merton = "merton"
    newham = "newham"
    redbridge = "redbridge"
    richmond_upon_thames = "richmond_upon_thames"
    southwark = "southwark"
    sutton = "sutton"
    tower_hamlets = "tower_hamlets"
    waltham_forest = "waltham_forest"
    wandsworth = "wandsworth"
    westminster = "westminster"
    north_east = "north_east"
    north_west = "north_west"
    yorkshire_and_the_humber = "yorkshire_and_the_humber"
    east_midlands = "east_midlands"
    west_midlands = "west_midlands"
    east_of_england = "east_of_england"
    south_east = "south_east"
    south_west = "south_west"
    wales = "wales"
    scotland = "scotland"
    northern_ireland = "northern_ireland"


_LONDON_REGIONS: dict[Region, tuple[Area, ...]] = {
    Region.central_london: (
        Area.camden,
        Area.city_of_london,
        Area.islington,
        Area.kensington_and_chelsea,
        Area.lambeth,
        Area.southwark,
        Area.westminster,
    ),
    Region.east_london: (
        Area.barking_and_dagenham,
        Area.bexley,
        Area.greenwich,
        Area.hackney,
        Area.havering,
        Area.lewisham,
        Area.newham,
        Area.redbridge,
        Area.tower_hamlets,
        Area.waltham_forest,
    ),
    Region.north_london: (Area.barnet, Area.enfield, Area.haringey),
    Region.south_london: (
        Area.bromley,
        Area.croydon,
        Area.kingston_upon_thames,
        Area.merton,
        Area.richmond_upon_thames,
        Area.sutton,
        Area.wandsworth,
    ),
    Region.west_london: (
        Area.brent,
        Area.ealing,
        Area.hammersmith_and_fulham,
        Area.harrow,
        Area.hillingdon,
        Area.hounslow,
    ),
}

AREA_REGION: dict[Area, Region] = {area: region for region, areas in _LONDON_REGIONS.items() for area in areas}
LONDON_AREAS: tuple[Area, ...] = tuple(area for area in Area if area in AREA_REGION)
LONDON_REGIONS: tuple[Region, ...] = tuple(_LONDON_REGIONS)


def region_of(area: Area) -> Region:
    """Return the London sub-region of an area, or `outside_london`."""
    return AREA_REGION.get(area, Region.outside_london)


_LABELS: dict[StrEnum, str] = {
    Area.city_of_london: "City of London",
    Area.yorkshire_and_the_humber: "Yorkshire and the Humber",
    Area.east_of_england: "East of England",
    Gender.non_binary: "Non-binary",
    OrganisationType.ngo_safe_house: "NGO safe house",
    SupportNeed.lgbt_plus: "LGBT+ specialist",
    NrmStage.pre_nrm: "Pre-NRM",
    NrmStage.move_on: "Move-on",
}

DESCRIPTIONS: dict[StrEnum, str] = {
    NrmStage.pre_nrm: "Found, no Reasonable Grounds decision yet (or no consent to an NRM referral)",
    NrmStage.recovery: "Recovery period, after a positive Reasonable Grounds decision",
    NrmStage.move_on: "After a Conclusive Grounds decision",
    Role.officer: "Police and other first responders: find and hold a bed, and follow their organisation's requests",
    Role.provider: "A provider's staff: keep their own houses' beds true, and accept or decline holds on them",
    Role.commissioner: "Reads the capacity and unmet-need reports (small numbers shown as <5); never an address",
    Role.coordinator: "Allocates the queue of waiting requests across every house; never a case reference or address",
    Role.admin: "Registers organisations and accounts, and may see and change everything, addresses included",
}
_SMALL_WORDS = frozenset({"and", "upon", "the", "of"})


def label(value: StrEnum) -> str:
    """Return the words a person reads for a vocabulary value."""
    # Keyed by type as well: members of different vocabularies may share a string value.
    for known, text in _LABELS.items():
        if type(known) is type(value) and known == value:
            return text
    words = value.value.split("_")
    if isinstance(value, Area | Region):
        return " ".join(w if w in _SMALL_WORDS and i else w.capitalize() for i, w in enumerate(words))
    return " ".join(words).capitalize()


# Languages are ISO 639 codes: the two-letter 639-1 code where one exists, else the 639-3 code.
# These are the names practitioners use where the standard's name differs.
_LANGUAGE_NAME_OVERRIDES = {
    "bin": "Edo",
    "yue": "Cantonese",
    "ne": "Nepali",
    "pa": "Punjabi",
    "ps": "Pashto",
    "bn": "Bengali",
}

# Offered first in pickers: the largest groups of people found in London, then common others.
COMMON_LANGUAGES: tuple[str, ...] = (
    "en",
    "sq",
    "vi",
    "ro",
    "pcm",
    "bin",
    "pl",
    "zh",
    "yue",
    "ti",
    "lt",
    "bg",
    "ar",
    "fa",
    "prs",
    "ku",
    "am",
    "so",
    "pt",
    "es",
    "fr",
    "uk",
    "ru",
    "hu",
    "sk",
    "cs",
    "yo",
    "ig",
    "tw",
    "ur",
    "hi",
    "bn",
    "pa",
    "ta",
    "tl",
    "th",
)


class UnknownLanguageError(ValueError):
    """A language code that is not in ISO 639."""


def normalise_language(code: str) -> str:
    """Return the canonical ISO 639 code for `code`, or raise UnknownLanguageError."""
    cleaned = code.strip().lower()
    found = None
    if len(cleaned) == 2:
        found = pycountry.languages.get(alpha_2=cleaned)
    elif len(cleaned) == 3:
        found = pycountry.languages.get(alpha_3=cleaned) or pycountry.languages.get(bibliographic=cleaned)
    if found is None:
        raise UnknownLanguageError(f"unknown language code {code!r} (expected ISO 639, e.g. 'sq', 'pcm')")
    if getattr(found, "scope", None) == "S":
        raise UnknownLanguageError(f"{code!r} is not a language (undetermined, multiple or none); name one")
    return str(getattr(found, "alpha_2", None) or found.alpha_3)


def language_name(code: str) -> str:
    """Return the display name of a canonical language code."""
    if code in _LANGUAGE_NAME_OVERRIDES:
        return _LANGUAGE_NAME_OVERRIDES[code]
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    if found is None:
        raise UnknownLanguageError(f"unknown language code {code!r}")
    return str(getattr(found, "common_name", None) or found.name)
