"""Placement requests: a reference and the needs that matter for placement, never a name or a story."""

import re
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from pydantic import AfterValidator, AwareDatetime, field_validator
from sqlmodel import Field, SQLModel

from capacity.models import MAX_ID, EnumList, Languages, StrictInput, UTCDateTime, enum_column
from capacity.vocab import Area, ExploitationType, Gender, NrmStage, SupportNeed
from matching.eligibility import Reason


class Urgency(StrEnum):
    tonight = "tonight"
    within_72h = "within_72h"
    planned = "planned"


class AgeBand(StrEnum):
    """Adults only: `under_18` exists to be refused with a message that says where children go."""

    under_18 = "under_18"
    age_18_24 = "18_24"
    age_25_34 = "25_34"
    age_35_49 = "35_49"
    age_50_64 = "50_64"
    age_65_plus = "65_plus"


class RequestStatus(StrEnum):
    open = "open"
    held = "held"
    placed = "placed"
    closed = "closed"


class HoldStatus(StrEnum):
    waiting = "waiting"
    accepted = "accepted"
    declined = "declined"
    expired = "expired"
    cancelled = "cancelled"


class DeclineReason(StrEnum):
    """Why a provider declines a hold: a code, never free text (no stories travel through SafeBeds)."""

    no_longer_available = "no_longer_available"
    cannot_meet_needs = "cannot_meet_needs"
    risk_to_residents = "risk_to_residents"
    referral_incomplete = "referral_incomplete"
    other = "other"


class NrmDecision(StrEnum):
    positive_rg = "positive_rg"
    negative_rg = "negative_rg"
    positive_cg = "positive_cg"
    negative_cg = "negative_cg"


class Fallback(StrEnum):
    """Where a person went when SafeBeds found no bed: unmet need, never counted as placed."""

    hotel = "hotel"
    police_station = "police_station"
    sofa = "sofa"
    other_accommodation = "other_accommodation"
    none = "none"


NRM_STARTED = datetime(2009, 4, 1, tzinfo=UTC)

CHILD_VICTIM_MESSAGE = (
    "SafeBeds places adults only: a child victim goes to the local authority's children's services "
    "(out of hours, its emergency duty team), not to an adult safe house"
)

# A reference such as "MSU-2231", "CAD 4471/24" or "24/0173": digits, with at most one short run of
# letters (a unit's prefix), so that a name ("Jane-Doe-1990") cannot pass as one.
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_-]{2,39}$")


def _reference(text: str) -> str:
    letter_runs = re.findall(r"[A-Za-z]+", text)
    digits = sum(c.isdigit() for c in text)
    if not _REFERENCE.match(text.strip()) or digits < 2 or len(letter_runs) > 1 or any(len(r) > 6 for r in letter_runs):
        raise ValueError(
            "must be a case reference such as 'MSU-2231': digits, '/', '-' or '_', with at most one "
            "prefix of up to 6 letters; never a name"
        )
    return text.strip().upper()


def _sorted_unique(values: list[Area]) -> list[Area]:
    return sorted(set(values))


Reference = Annotated[str, AfterValidator(_reference)]
RequestIds = Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], AfterValidator(lambda ids: sorted(set(ids)))]
ChildAges = Annotated[list[Annotated[int, Field(ge=0, le=17)]], Field(max_length=20)]
Areas = Annotated[list[Area], AfterValidator(_sorted_unique)]


class RequestNeeds(StrictInput):
    """What a search needs to know about a person: no identity, only what placement depends on."""

    urgency: Urgency = Field(sa_type=enum_column(Urgency))
    nrm_stage: NrmStage = Field(sa_type=enum_column(NrmStage))
    nrm_consent: bool = Field(description="Consent recorded for an NRM referral (people who decline still need beds)")
    gender: Gender = Field(sa_type=enum_column(Gender))
    trans: bool = False
    age_band: AgeBand = Field(sa_type=enum_column(AgeBand))
    children: ChildAges = Field(default_factory=list, sa_type=sa.JSON, description="Ages of accompanying children")
    languages: Languages = Field(default_factory=list, sa_type=sa.JSON, description="ISO 639 codes")
    interpreter_ok: bool = True
    needs_step_free: bool = False
    exploitation_type: ExploitationType | None = Field(default=None, sa_type=enum_column(ExploitationType))
    support_needs: list[SupportNeed] = Field(default_factory=list, sa_type=EnumList(SupportNeed))
    excluded_areas: Areas = Field(default_factory=list, sa_type=EnumList(Area))
    preferred_areas: Areas = Field(default_factory=list, sa_type=EnumList(Area))
    avoid_faith_based: bool = False

    @field_validator("age_band")
    @classmethod
    def _adults_only(cls, age_band: AgeBand) -> AgeBand:
        if age_band == AgeBand.under_18:
            raise ValueError(CHILD_VICTIM_MESSAGE)
        return age_band


class LinkKind(StrEnum):
    keep_apart = "keep_apart"
    place_together = "place_together"


FOUND_AREA = "Where the person is now: the London local authority, or the region outside London"


class RequestCreate(RequestNeeds):
    reference: Reference = Field(max_length=40)
    found_area: Area | None = Field(default=None, description=FOUND_AREA)
    keep_apart: RequestIds = Field(
        default_factory=list, max_length=50, description="Requests of the same case who must not share a house"
    )
    place_together: RequestIds = Field(
        default_factory=list, max_length=20, description="Requests of the same case: the same house, or none of them"
    )


class RequestLink(SQLModel, table=True):
    """Two requests of the same case: co-victims kept apart, or family placed together."""

    __tablename__ = "request_link"

    request_id: int = Field(foreign_key="placement_request.id", primary_key=True)
    other_id: int = Field(foreign_key="placement_request.id", primary_key=True, index=True)
    kind: LinkKind = Field(sa_type=enum_column(LinkKind))


RELAXATION = (
    "The fewest rules that, relaxed, would have let a house take the person when the request was made, "
    "as reason codes joined by '+' (NOT_ENOUGH_BEDS first when no suitable house had room); empty when a "
    "house could take them"
)
RELAXATION_LENGTH = 320


class PlacementRequest(RequestNeeds, table=True):
    __tablename__ = "placement_request"
    # A number is never given twice, even after a purge removed the newest (migration 0008).
    __table_args__ = {"sqlite_autoincrement": True}
    model_config = {"extra": "ignore"}

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=40, index=True)
    officer_id: int = Field(foreign_key="user_account.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    status: RequestStatus = Field(default=RequestStatus.open, sa_type=enum_column(RequestStatus))
    created_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fallback: Fallback | None = Field(default=None, sa_type=enum_column(Fallback))
    found_area: Area | None = Field(default=None, sa_type=enum_column(Area), description=FOUND_AREA)
    houses_matched: int | None = Field(
        default=None, description="How many houses could take the person when the request was made"
    )
    relaxation: str | None = Field(default=None, max_length=RELAXATION_LENGTH, description=RELAXATION)


class RequestTally(SQLModel, table=True):
    """What purged requests counted as in the reports, and how many: never a request, a person, a house or an officer.

    A purge replaces each request closed long enough ago by what the reports counted it as, so that
    every report gives the same numbers before and after. Kept by day, as reports take any days.
    """

    __tablename__ = "request_tally"

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True, description="The day the requests were made (UTC)")
    found_area: Area | None = Field(default=None, sa_type=enum_column(Area))
    gender: Gender = Field(sa_type=enum_column(Gender))
    nrm_stage: NrmStage = Field(sa_type=enum_column(NrmStage))
    with_children: bool
    language_without_interpreter: bool
    step_free: bool
    placed: bool
    placed_quickly: bool = Field(description="Placed within 24 hours of the request")
    fallback: Fallback | None = Field(default=None, sa_type=enum_column(Fallback))
    reason: str | None = Field(default=None, max_length=32, description="The main reason it was not placed in time")
    relaxation: str | None = Field(default=None, max_length=RELAXATION_LENGTH, description=RELAXATION)
    requests: int = Field(ge=1)


class RequestReason(SQLModel, table=True):
    """What ruled houses out for a request when it was made, by the first reason that ruled out each house."""

    __tablename__ = "request_reason"

    request_id: int = Field(foreign_key="placement_request.id", primary_key=True)
    reason: Reason = Field(sa_type=enum_column(Reason), primary_key=True)
    houses: int
    houses_with_room: int = Field(description="Of those houses, how many had free beds enough for the request")


class RequestPublic(RequestNeeds):
    id: int
    reference: str
    officer_id: int
    organisation_id: int
    status: RequestStatus
    created_at: datetime
    closed_at: datetime | None
    fallback: Fallback | None
    found_area: Area | None = Field(default=None, description=FOUND_AREA)
    keep_apart: list[int] = Field(default_factory=list)
    place_together: list[int] = Field(default_factory=list)


class QueuedRequest(SQLModel):
    """An open request as a coordinator sees it: needs, priority and case links, never the case reference."""

    id: int
    organisation_id: int
    created_at: datetime
    priority: int = Field(description="What placing it is worth now: urgency, plus a little for time waited")
    needs: RequestNeeds
    keep_apart: list[int]
    place_together: list[int]


class FallbackCreate(StrictInput):
    fallback: Fallback = Field(description="Where the person went instead of a SafeBeds bed")


class SearchMatch(SQLModel):
    """A house that can take the person now: what an officer may see of it, and why it fits."""

    house_id: int
    display_name: str
    area: Area
    organisation_name: str
    free_beds: int
    stale: bool
    vacancies_confirmed_at: datetime
    score: int
    explanation: str


class RuledOut(SQLModel):
    reason: str
    phrase: str
    houses: int


class SearchResult(SQLModel):
    matches: list[SearchMatch] = Field(description="The best houses first, up to the limit asked for")
    matches_total: int = Field(description="How many houses could take the person, shown or not")
    ruled_out_total: int
    ruled_out: list[RuledOut]
    summary: str


# The database itself refuses a second live hold or placement of one request, or of one bed, should a
# bug or a hand-made write ever get past the services' conditional updates. SQLite and PostgreSQL both
# enforce partial unique indexes.
_LIVE_HOLD = sa.text("status IN ('waiting', 'accepted')")
_BED_NOT_RELEASED = sa.text("released_at IS NULL")
_PLACEMENT_NOT_ENDED = sa.text("ended_at IS NULL")


class Hold(SQLModel, table=True):
    """An officer's claim on the beds a request needs in one house, until the provider decides or it expires."""

    # A request is held at most once at a time, and placed at most once (a placed request is closed at move-on).
    __table_args__ = (
        sa.Index(
            "ux_hold_request_live",
            "request_id",
            unique=True,
            sqlite_where=_LIVE_HOLD,
            postgresql_where=_LIVE_HOLD,
        ),
        {"sqlite_autoincrement": True},  # numbers never given twice (migration 0008)
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="placement_request.id", index=True)
    house_id: int = Field(foreign_key="house.id", index=True)
    officer_id: int = Field(foreign_key="user_account.id")
    status: HoldStatus = Field(default=HoldStatus.waiting, sa_type=enum_column(HoldStatus), index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: int | None = Field(default=None, foreign_key="user_account.id")
    decline_reason: DeclineReason | None = Field(default=None, sa_type=enum_column(DeclineReason))


class HoldBed(SQLModel, table=True):
    """Which beds a hold reserved (and, once accepted, which beds the placement occupies)."""

    __tablename__ = "hold_bed"
    # A bed is reserved by one live hold or placement at a time.
    __table_args__ = (
        sa.Index(
            "ux_hold_bed_bed_live",
            "bed_id",
            unique=True,
            sqlite_where=_BED_NOT_RELEASED,
            postgresql_where=_BED_NOT_RELEASED,
        ),
    )

    hold_id: int = Field(foreign_key="hold.id", primary_key=True)
    bed_id: int = Field(foreign_key="bed.id", primary_key=True, index=True)
    released_at: datetime | None = Field(
        default=None,
        sa_type=UTCDateTime,
        description="When the hold ended without a placement, or the placement moved on",
    )


class Placement(SQLModel, table=True):
    """A person placed in a house through SafeBeds, from the provider's acceptance until move-on."""

    __table_args__ = (
        sa.Index(
            "ux_placement_request_live",
            "request_id",
            unique=True,
            sqlite_where=_PLACEMENT_NOT_ENDED,
            postgresql_where=_PLACEMENT_NOT_ENDED,
        ),
        {"sqlite_autoincrement": True},  # numbers never given twice (migration 0008)
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="placement_request.id", index=True)
    hold_id: int = Field(foreign_key="hold.id", unique=True)
    house_id: int = Field(foreign_key="house.id", index=True)
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision: NrmDecision | None = Field(default=None, sa_type=enum_column(NrmDecision))
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    support_until: datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="The move-on deadline the latest decision sets"
    )


class PlacementPublic(SQLModel):
    id: int
    request_id: int
    house_id: int
    started_at: datetime
    ended_at: datetime | None
    decision: NrmDecision | None
    decided_at: datetime | None
    support_until: datetime | None


class DecisionCreate(StrictInput):
    decision: NrmDecision
    decided_at: AwareDatetime | None = Field(
        default=None, description="When the decision was made (with its time zone); now if left out"
    )

    @field_validator("decided_at")
    @classmethod
    def _not_before_the_nrm(cls, decided_at: datetime | None) -> datetime | None:
        if decided_at is not None and decided_at < NRM_STARTED:
            raise ValueError("must not be before the NRM began (April 2009)")
        return decided_at


class AssignmentConfirm(StrictInput):
    """One assignment of a proposal a coordinator confirms."""

    request: int = Field(ge=1, le=MAX_ID)
    house: int = Field(ge=1, le=MAX_ID)


class HoldCreate(StrictInput):
    house_id: int = Field(ge=1, le=MAX_ID)


class HoldDecline(StrictInput):
    reason: DeclineReason


class HoldPublic(SQLModel):
    """A hold as its officer and the house's provider see it: the needs, never the person's reference."""

    id: int
    request_id: int
    house_id: int
    house_name: str
    status: HoldStatus
    beds: int
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None
    decline_reason: DeclineReason | None
    needs: RequestNeeds | None = Field(description="Absent for a provider once a hold ended without acceptance")
    address: str | None = Field(default=None, description="Only for the officer whose hold was accepted")
    postcode: str | None = Field(default=None, description="Only for the officer whose hold was accepted")
