"""Houses and beds: officers read them without addresses; providers keep their own true."""

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Body, Depends, HTTPException, Query, status
from pydantic import Field
from sqlmodel import Session

from capacity import service as capacity_service
from capacity.errors import ConflictError
from capacity.models import (
    MAX_ID,
    Bed,
    BedCreate,
    BedPublic,
    BedUpdate,
    House,
    HouseConfidential,
    HouseCreate,
    HousePublic,
    HouseUpdate,
    User,
)
from matching import holds
from providers import service as providers_service
from providers.imports import MAX_BEDS
from web import authz
from web.deps import CurrentUser, SessionDep, SettingsDep, managed_bed, managed_house, readable_house
from web.settings import Settings

router = APIRouter(tags=["houses"])


class HouseRegistration(HouseCreate):
    bed_labels: list[str] = Field(
        default_factory=list, max_length=MAX_BEDS, description="One label per bed, unique in the house"
    )


def describe(session: Session, house: House, settings: Settings, *, confidential: bool) -> HousePublic:
    """Describe one house, with its address only when `confidential`."""
    return capacity_service.describe_houses(
        session=session, houses=[house], stale_after=settings.stale_after, show_address=lambda _: confidential
    )[0]


def readable_houses(*, user: User, session: Session, organisation_id: int | None = None) -> list[House]:
    """The houses this user may read (of all, or of one organisation), by id."""
    return [
        house
        for house in capacity_service.get_all_houses(session=session, organisation_id=organisation_id)
        if authz.can_read_house(user, house)
    ]


def describe_for(*, user: User, session: Session, settings: Settings, houses: Sequence[House]) -> list[HousePublic]:
    """Describe houses as this user may see them: each address only where the user may see it."""
    return capacity_service.describe_houses(
        session=session,
        houses=houses,
        stale_after=settings.stale_after,
        show_address=lambda house: authz.can_see_address(user, house),
    )


@router.get("/houses", response_model=list[HouseConfidential | HousePublic])
def list_houses(
    session: SessionDep,
    settings: SettingsDep,
    user: CurrentUser,
    organisation_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only this organisation's houses")
    ] = None,
) -> list[HousePublic]:
    """Houses with bed counts and freshness: every house for officers, coordinators and admins; providers their own."""
    if not authz.can_read_houses(user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"the {user.role} role sees aggregate reports only")
    houses = readable_houses(user=user, session=session, organisation_id=organisation_id)
    return describe_for(user=user, session=session, settings=settings, houses=houses)


@router.get("/houses/{house_id}", response_model=HouseConfidential | HousePublic)
def get_house(
    house: Annotated[House, Depends(readable_house)], user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> HousePublic:
    """One house; the address only for its own organisation and admins."""
    return describe_for(user=user, session=session, settings=settings, houses=[house])[0]


@router.patch("/houses/{house_id}", response_model=HouseConfidential)
def update_house(
    data: HouseUpdate, house: Annotated[House, Depends(managed_house)], session: SessionDep, settings: SettingsDep
) -> HousePublic:
    """Change a house's details."""
    updated = providers_service.update_house(session=session, house=house, data=data)
    return describe(session, updated, settings, confidential=True)


@router.post("/houses/{house_id}/confirm", response_model=HouseConfidential, name="api_confirm_house")
def confirm_house(
    house: Annotated[House, Depends(managed_house)], session: SessionDep, settings: SettingsDep
) -> HousePublic:
    """All still correct: confirm every bed of the house as it stands."""
    confirmed = providers_service.confirm_house(session=session, house=house)
    return describe(session, confirmed, settings, confidential=True)


@router.get("/houses/{house_id}/beds", response_model=list[BedPublic])
def list_beds(house: Annotated[House, Depends(managed_house)], session: SessionDep) -> list[Bed]:
    """The beds of a house, by label."""
    assert house.id is not None
    return capacity_service.get_beds(session=session, house_ids=[house.id])[house.id]


@router.post("/houses/{house_id}/beds", response_model=list[BedPublic], status_code=status.HTTP_201_CREATED)
def add_beds(
    data: Annotated[list[BedCreate], Body(min_length=1, max_length=MAX_BEDS)],
    house: Annotated[House, Depends(managed_house)],
    session: SessionDep,
) -> list[Bed]:
    """Add one or more beds to a house; each label must be new in the house."""
    return providers_service.add_beds(session=session, house=house, labels=[bed.label for bed in data])


@router.patch("/beds/{bed_id}", response_model=BedPublic)
def update_bed(data: BedUpdate, bed: Annotated[Bed, Depends(managed_bed)], session: SessionDep) -> Bed:
    """Relabel a bed or change its status (available, occupied, out of service)."""
    if data.status is not None and holds.bed_is_placed(session=session, bed_id=bed.id or 0):
        raise ConflictError("this bed is occupied by a SafeBeds placement; record the move-on instead")
    return providers_service.update_bed(session=session, bed=bed, data=data)
