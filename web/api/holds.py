"""Holds: an officer holds a house for a request; its provider accepts or declines; unanswered holds lapse."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from capacity import service as capacity_service
from capacity.models import House, User
from matching import holds
from matching import service as matching_service
from matching.models import Hold, HoldCreate, HoldDecline, HoldPublic, HoldStatus, PlacementRequest
from web import authz
from web.api.requests import Requester, readable_request
from web.authz import Permission
from web.deps import CurrentUser, PathId, SessionDep, SettingsDep, forbidden

router = APIRouter(tags=["holds"])


def _parts(session: SessionDep, hold: Hold) -> tuple[PlacementRequest, House]:
    request = matching_service.get(session=session, request_id=hold.request_id)
    house = capacity_service.get_house(session=session, house_id=hold.house_id)
    assert request is not None and house is not None
    return request, house


def readable_hold(hold_id: PathId, session: SessionDep, user: CurrentUser) -> Hold:
    """Return the hold named in the path if the user may see it; 404 or 403 otherwise."""
    hold = holds.get(session=session, hold_id=hold_id)
    if hold is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no hold with id {hold_id}")
    request, house = _parts(session, hold)
    if not authz.can_read_hold(user, request=request, house=house):
        raise forbidden("this hold is not yours to see")
    return hold


ReadableHold = Annotated[Hold, Depends(readable_hold)]


def show(session: SessionDep, hold: Hold, user: User) -> HoldPublic:
    """The hold as this user may see it."""
    placement = holds.placement_of(session=session, hold=hold)
    request, _ = _parts(session, hold)
    return holds.describe(
        session=session,
        hold=hold,
        show_address=authz.can_see_hold_address(user, hold, placement),
        show_needs=authz.can_see_hold_needs(user, hold, request=request),
    )


@router.post("/requests/{request_id}/holds", response_model=HoldPublic, status_code=status.HTTP_201_CREATED)
def hold_a_house(
    data: HoldCreate,
    request: Annotated[PlacementRequest, Depends(readable_request)],
    user: Requester,
    session: SessionDep,
    settings: SettingsDep,
) -> HoldPublic:
    """Hold a house for a request: its beds (one, plus one per child) are reserved until the provider decides."""
    house = capacity_service.get_house(session=session, house_id=data.house_id)
    if house is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no house with id {data.house_id}")
    made = holds.hold(session=session, request=request, house=house, officer=user, expires_after=settings.hold_expiry)
    return show(session, made, user)


@dataclass(frozen=True)
class Scope:
    """Which holds and placements a user may list: all (both None), a provider's houses, or an officer's requests."""

    house_ids: list[int] | None = None
    request_ids: list[int] | None = None


def case_scope(user: CurrentUser, session: SessionDep) -> Scope:
    """The houses or requests whose holds and placements this user may list; other roles get 403."""
    if authz.has_permission(user, Permission.manage_any_house):
        return Scope()
    if authz.has_permission(user, Permission.manage_own_houses):
        own = capacity_service.get_all_houses(session=session, organisation_id=user.organisation_id)
        return Scope(house_ids=[h.id for h in own if h.id is not None])
    if authz.has_permission(user, Permission.make_requests):
        mine = matching_service.get_all(session=session, organisation_id=user.organisation_id)
        return Scope(request_ids=[r.id for r in mine if r.id is not None])
    raise forbidden(f"the {user.role} role does not see holds or placements")


CaseScope = Annotated[Scope, Depends(case_scope)]


@router.get("/holds", response_model=list[HoldPublic])
def list_holds(
    scope: CaseScope,
    user: CurrentUser,
    session: SessionDep,
    status_: Annotated[HoldStatus | None, Query(alias="status", description="Only holds in this state")] = None,
) -> list[HoldPublic]:
    """Holds newest first: on a provider's own houses, for an officer's organisation's requests, or all for admins."""
    holds.expire_due(session=session)
    found = holds.get_all(session=session, house_ids=scope.house_ids, request_ids=scope.request_ids)
    return [show(session, hold, user) for hold in found if status_ is None or hold.status == status_]


@router.get("/holds/{hold_id}", response_model=HoldPublic)
def get_hold(hold: ReadableHold, user: CurrentUser, session: SessionDep) -> HoldPublic:
    """One hold; once accepted, its officer sees the house's address here."""
    holds.expire_due(session=session)
    session.refresh(hold)
    return show(session, hold, user)


def decidable_hold(hold: ReadableHold, user: CurrentUser, session: SessionDep) -> Hold:
    """Return the hold if the user may accept or decline it: the house's own organisation, or an admin."""
    _, house = _parts(session, hold)
    if not authz.can_manage_house(user, house):
        raise forbidden("only the house's own organisation may accept or decline a hold on it")
    return hold


def cancellable_hold(hold: ReadableHold, user: CurrentUser, session: SessionDep) -> Hold:
    """Return the hold if the user may cancel it: the officers of the request's organisation, or an admin."""
    request, _ = _parts(session, hold)
    if not authz.can_read_request(user, request):
        raise forbidden("only the officers of the request's organisation may cancel its hold")
    return hold


@router.post("/holds/{hold_id}/accept", response_model=HoldPublic)
def accept(hold: Annotated[Hold, Depends(decidable_hold)], user: CurrentUser, session: SessionDep) -> HoldPublic:
    """The provider accepts: the person is placed and the held beds become occupied."""
    holds.accept(session=session, hold=hold, provider=user)
    return show(session, hold, user)


@router.post("/holds/{hold_id}/decline", response_model=HoldPublic)
def decline(
    data: HoldDecline, hold: Annotated[Hold, Depends(decidable_hold)], user: CurrentUser, session: SessionDep
) -> HoldPublic:
    """The provider declines with a reason: the beds are free again and the request goes back to the officer."""
    return show(session, holds.decline(session=session, hold=hold, provider=user, reason=data.reason), user)


@router.post("/holds/{hold_id}/cancel", response_model=HoldPublic)
def cancel(hold: Annotated[Hold, Depends(cancellable_hold)], user: CurrentUser, session: SessionDep) -> HoldPublic:
    """The officer lets a waiting hold go."""
    return show(session, holds.cancel(session=session, hold=hold, officer=user), user)
