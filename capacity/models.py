"""Tables and public shapes of organisations, houses, beds and the people who use SafeBeds."""

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import AfterValidator, EmailStr, StringConstraints, ValidationInfo, field_validator
from sqlmodel import Field, SQLModel, UniqueConstraint

from capacity.vocab import (
    Area,
    BedStatus,
    ExploitationType,
    Gender,
    NrmStage,
    OrganisationType,
    Role,
    SupportNeed,
    normalise_language,
)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Stores aware datetimes as naive UTC and hands them back aware, on SQLite and PostgreSQL alike."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class EnumList(sa.TypeDecorator[list[Any]]):
    """A list of vocabulary values, stored as a JSON array of strings and read back as enum members."""

    impl = sa.JSON
    cache_ok = True

    def __init__(self, enum_type: type[StrEnum]) -> None:
        super().__init__()
        self.enum_type = enum_type

    def process_bind_param(self, value: list[Any] | None, dialect: sa.Dialect) -> list[str] | None:
        return None if value is None else [self.enum_type(v).value for v in value]

    def process_result_value(self, value: list[str] | None, dialect: sa.Dialect) -> list[Any] | None:
        return None if value is None else [self.enum_type(v) for v in value]


def enum_column(enum_type: type[Any]) -> sa.Enum:
    # Stored as plain strings (no native enum type) so that adding a value needs no type migration.
    return sa.Enum(
        enum_type,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


def _unique_sorted(values: list[Any]) -> list[Any]:
    return sorted(set(values))


def _languages(codes: list[str]) -> list[str]:
    return sorted({normalise_language(code) for code in codes})


def _non_blank(text: str) -> str:
    stripped = " ".join(text.split())
    if not stripped:
        raise ValueError("must not be blank")
    return stripped


_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) *([0-9][A-Z]{2})$")


def _postcode(text: str) -> str:
    match = _POSTCODE.match(text.strip().upper())
    if match is None:
        raise ValueError("not a UK postcode (for example 'E1 6AN')")
    return f"{match[1]} {match[2]}"


def _letters_and_digits(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.casefold())


_STREET_TYPES = frozenset(
    "road rd street st lane ln avenue ave close way mews terrace drive dr gardens grove crescent square row "
    "walk place hill park parade court yard".split()
)
# Words so common in addresses and house names alike that sharing one gives nothing away.
_COMMON_WORDS = _STREET_TYPES | frozenset(
    "flat apartment apt unit floor block room rooms house lodge the and of at on upon london".split()
)


def _identifying_words(address: str) -> set[str]:
    """The words of an address that could identify it: its first part, and every part naming a street."""
    found: set[str] = set()
    for position, part in enumerate(address.split(",")):
        words = _words(part)
        if position == 0 or any(w in _STREET_TYPES or any(c.isdigit() for c in w) for w in words):
            found |= {w for w in words if w not in _COMMON_WORDS and not any(c.isdigit() for c in w) and len(w) > 2}
    return found


NonBlank = Annotated[str, AfterValidator(_non_blank)]
Postcode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=16), AfterValidator(_postcode)]
Languages = Annotated[list[str], AfterValidator(_languages)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{6,40}$")]


# The largest id a 32-bit integer column holds; larger ids are refused before they reach the database.
MAX_ID = 2**31 - 1


class StrictInput(SQLModel):
    """An input shape: a field it does not know is an error, so a misspelt field is never silently lost."""

    model_config = {"extra": "forbid"}


# Organisations ---------------------------------------------------------------------------------


class OrganisationBase(SQLModel):
    name: NonBlank = Field(max_length=120, sa_column_kwargs={"unique": True})
    type: OrganisationType = Field(sa_type=enum_column(OrganisationType))
    faith_based: bool = False
    offers_email: EmailStr | None = Field(default=None, max_length=254)
    offers_phone: Phone | None = Field(default=None, max_length=40)


class OrganisationCreate(StrictInput, OrganisationBase):
    pass


class OrganisationUpdate(StrictInput):
    name: NonBlank | None = Field(default=None, max_length=120)
    faith_based: bool | None = None
    offers_email: EmailStr | None = Field(default=None, max_length=254)
    offers_phone: Phone | None = Field(default=None, max_length=40)


VERSION = "Counts changes, so that a search can tell when the houses it has indexed have changed"


class Organisation(OrganisationBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description=VERSION)


class OrganisationPublic(OrganisationBase):
    id: int
    is_provider: bool


# Houses ------------------------------------------------------------------------------------------


class HouseDetails(SQLModel):
    """What a provider says about a house, apart from where it is."""

    display_name: NonBlank = Field(
        max_length=80, description="A name that does not identify the place, e.g. 'Juniper House'"
    )
    area: Area = Field(sa_type=enum_column(Area))
    genders: Annotated[list[Gender], AfterValidator(_unique_sorted)] = Field(sa_type=EnumList(Gender), min_length=1)
    trans_inclusive: bool = False
    nrm_stages: Annotated[list[NrmStage], AfterValidator(_unique_sorted)] = Field(
        sa_type=EnumList(NrmStage), min_length=1
    )
    max_children: int = Field(default=0, ge=0, le=20, description="Accompanying children accepted")
    max_child_age: int = Field(
        default=0,
        ge=0,
        le=17,
        description="Oldest accompanying child accepted",
        schema_extra={"validate_default": True},
    )
    languages: Languages = Field(default_factory=list, sa_type=sa.JSON, description="ISO 639 codes")
    step_free: bool = False
    specialisms: Annotated[list[ExploitationType], AfterValidator(_unique_sorted)] = Field(
        default_factory=list, sa_type=EnumList(ExploitationType)
    )
    extra_support: Annotated[list[SupportNeed], AfterValidator(_unique_sorted)] = Field(
        default_factory=list, sa_type=EnumList(SupportNeed)
    )
    max_stay_days: int | None = Field(default=None, ge=1, le=3650, description="Empty for no fixed limit")

    @field_validator("max_child_age")
    @classmethod
    def _children_need_an_age(cls, max_child_age: int, info: ValidationInfo) -> int:
        max_children = info.data.get("max_children")
        if max_children and max_child_age == 0:
            raise ValueError("must be at least 1 when children are accepted")
        if max_children == 0 and max_child_age > 0:
            raise ValueError("must be 0 when no children are accepted")
        return max_child_age


class HouseAddress(SQLModel):
    """Where a house is: confidential to its own organisation and admins."""

    address: NonBlank = Field(max_length=200)
    postcode: Postcode = Field(sa_type=sa.String(8), description="A UK postcode; stored as e.g. 'E1 6AN'")


class HouseCreate(StrictInput, HouseDetails, HouseAddress):
    @field_validator("display_name")
    @classmethod
    def _name_does_not_reveal_address(cls, display_name: str, info: ValidationInfo) -> str:
        if _POSTCODE.match(display_name.strip().upper()):
            raise ValueError("must not be a postcode")
        name_words = set(_words(display_name))
        postcode = str(info.data.get("postcode", ""))
        if postcode and (
            _letters_and_digits(postcode) in _letters_and_digits(display_name)
            or postcode.split()[0].casefold() in name_words
        ):
            raise ValueError("must not reveal the address or postcode (it contains the postcode or its district)")
        if name_words & _identifying_words(str(info.data.get("address", ""))):
            raise ValueError("must not reveal the address or postcode (it shares a word with the street or building)")
        return display_name


class HouseUpdate(StrictInput):
    """A partial change to a house; the merged result is validated as a whole."""

    display_name: str | None = None
    area: Area | None = None
    genders: list[Gender] | None = None
    trans_inclusive: bool | None = None
    nrm_stages: list[NrmStage] | None = None
    max_children: int | None = None
    max_child_age: int | None = None
    languages: list[str] | None = None
    step_free: bool | None = None
    specialisms: list[ExploitationType] | None = None
    extra_support: list[SupportNeed] | None = None
    max_stay_days: int | None = None
    address: str | None = None
    postcode: str | None = None


class House(HouseDetails, HouseAddress, table=True):
    __table_args__ = (UniqueConstraint("organisation_id", "display_name"),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    vacancies_confirmed_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"}, description=VERSION)


# Columns whose change does not change what a house is for matching.
UNVERSIONED = frozenset({"vacancies_confirmed_at", "updated_at", "version"})


@sa.event.listens_for(Organisation, "before_update")
@sa.event.listens_for(House, "before_update")
def _count_version(mapper: Any, connection: Any, target: Organisation | House) -> None:
    """Add one to the version of every changed house or organisation, in SQL, so that concurrent changes all count."""
    state = sa.inspect(target)
    if any(attr.history.has_changes() for attr in state.attrs if attr.key not in UNVERSIONED):
        target.version = type(target).version + 1


class BedCounts(SQLModel):
    total: int
    available: int
    held: int
    occupied: int
    out_of_service: int


class HousePublic(HouseDetails):
    """A house as officers see it: no address."""

    id: int
    organisation_id: int
    organisation_name: str
    faith_based: bool
    vacancies_confirmed_at: datetime
    stale: bool
    beds: BedCounts
    language_names: list[str] = Field(description="The staff languages' names, in the order of `languages`")


class HouseConfidential(HousePublic, HouseAddress):
    """A house as its own organisation and admins see it."""


class CapacityRow(SQLModel):
    """One line of a capacity report; counts under 5 read "<5"."""

    group: str
    label: str
    beds: int | str
    available: int | str
    available_stale: int | str = Field(description="Of the available beds, those in houses whose vacancies are stale")


class CapacitySummary(SQLModel):
    houses: int | str
    stale_houses: int | str
    by_gender_served: list[CapacityRow]
    by_nrm_stage: list[CapacityRow]
    by_region: list[CapacityRow]


# Beds --------------------------------------------------------------------------------------------


class BedCreate(StrictInput):
    label: NonBlank = Field(max_length=40, description="Unique within the house, e.g. 'Room 3'")


class BedUpdate(StrictInput):
    label: NonBlank | None = Field(default=None, max_length=40)
    status: BedStatus | None = None


class BedBase(SQLModel):
    label: str = Field(max_length=40)
    status: BedStatus = Field(default=BedStatus.available, sa_type=enum_column(BedStatus))
    status_changed_at: datetime = Field(sa_type=UTCDateTime)
    status_confirmed_at: datetime = Field(sa_type=UTCDateTime)


class Bed(BedBase, table=True):
    __table_args__ = (UniqueConstraint("house_id", "label"),)

    id: int | None = Field(default=None, primary_key=True)
    house_id: int = Field(foreign_key="house.id", index=True)


class BedPublic(BedBase):
    id: int
    house_id: int


# People ------------------------------------------------------------------------------------------


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, sa_column_kwargs={"unique": True})
    password_hash: str = Field(max_length=255)
    role: Role = Field(sa_type=enum_column(Role))
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    is_active: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime)
    # A TOTP second factor: the shared secret (base32), and the last time step used, so a code works once.
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_last_step: int | None = Field(default=None, sa_type=sa.BigInteger)


class UserPublic(SQLModel):
    id: int
    email: str
    role: Role
    organisation_id: int
    is_active: bool
