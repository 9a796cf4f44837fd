"""Placements: NRM decisions set move-on deadlines; move-on ends the placement and frees its beds."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from capacity import clock
from capacity import service as capacity_service
from matching import holds
from matching import service as matching_service
from matching.models import DecisionCreate, Placement, PlacementPublic
from web import authz
from web.api.holds import CaseScope
from web.deps import CurrentUser, PathId, SessionDep, SettingsDep, forbidden

router = APIRouter(tags=["placements"])


def readable_placement(placement_id: PathId, session: SessionDep, user: CurrentUser) -> Placement:
    """Return the placement named in the path if the user may see and update it; 404 or 403 otherwise."""
    placement = holds.get_placement(session=session, placement_id=placement_id)
    if placement is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no placement with id {placement_id}")
    request = matching_service.get(session=session, request_id=placement.request_id)
    house = capacity_service.get_house(session=session, house_id=placement.house_id)
    assert request is not None and house is not None
    if not authz.can_read_placement(user, request=request, house=house):
        raise forbidden("this placement is not yours to see")
    return placement


ReadablePlacement = Annotated[Placement, Depends(readable_placement)]


def updatable_placement(placement: ReadablePlacement, session: SessionDep, user: CurrentUser) -> Placement:
    """Return the placement if the user may record its decisions and move-on: its house's provider, or an admin."""
    house = capacity_service.get_house(session=session, house_id=placement.house_id)
    assert house is not None
    if not authz.can_update_placement(user, house=house):
        raise forbidden("only the house's provider records NRM decisions and move-on")
    return placement


UpdatablePlacement = Annotated[Placement, Depends(updatable_placement)]


@router.get("/placements", response_model=list[PlacementPublic])
def list_placements(scope: CaseScope, session: SessionDep) -> list[Placement]:
    """Placements newest first: in a provider's own houses, for an officer's organisation's requests, or all."""
    return list(holds.get_placements(session=session, house_ids=scope.house_ids, request_ids=scope.request_ids))


@router.get("/placements/{placement_id}", response_model=PlacementPublic)
def get_placement(placement: ReadablePlacement) -> Placement:
    """One placement, with its latest NRM decision and move-on deadline."""
    return placement


@router.post("/placements/{placement_id}/decision", response_model=PlacementPublic)
def record_decision(
    data: DecisionCreate, placement: UpdatablePlacement, session: SessionDep, settings: SettingsDep
) -> Placement:
    """Record a Reasonable or Conclusive Grounds decision: it sets the move-on deadline."""
    return holds.record_decision(
        session=session,
        placement=placement,
        decision=data.decision,
        decided_at=data.decided_at or clock.now(),
        periods=settings.support_periods,
    )


@router.post("/placements/{placement_id}/move-on", response_model=PlacementPublic)
def move_on(placement: UpdatablePlacement, session: SessionDep) -> Placement:
    """The person has moved on: the placement ends and its beds are free."""
    return holds.move_on(session=session, placement=placement)
