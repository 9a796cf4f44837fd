"""Aggregate reports for commissioners; small numbers are suppressed."""

from typing import Annotated

from fastapi import APIRouter, Depends

from capacity import service as capacity_service
from capacity.models import CapacitySummary, User
from web.authz import Permission
from web.deps import SessionDep, SettingsDep, require

router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/capacity", response_model=CapacitySummary)
def capacity_report(
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, Depends(require(Permission.read_capacity_report))],
) -> CapacitySummary:
    """Beds and free beds by gender served, NRM stage and region; counts under 5 read "<5"."""
    return capacity_service.capacity_summary(session=session, stale_after=settings.stale_after)
