"""Whole-queue allocation for a coordinator (or an admin): see the queue, propose with the solver, confirm as holds."""

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import Field
from sqlmodel import SQLModel

from capacity.models import StrictInput, User
from matching import allocation, holds
from matching.instance import Result
from matching.models import AssignmentConfirm, HoldPublic, QueuedRequest
from web.authz import Permission
from web.deps import SessionDep, SettingsDep, require

router = APIRouter(prefix="/allocation", tags=["allocation"])
Coordinator = Annotated[User, Depends(require(Permission.allocate_queue))]
QueueViewer = Annotated[User, Depends(require(Permission.view_queue))]


class ProposalAsk(StrictInput):
    time_limit_s: float = Field(default=5.0, gt=0, le=60, description="Seconds the solver may take")


class Confirmation(StrictInput):
    assignments: list[AssignmentConfirm] = Field(max_length=10_000)


class NotHeld(SQLModel):
    request: int
    house: int
    reason: str


class Confirmed(SQLModel):
    holds: list[HoldPublic]
    not_held: list[NotHeld]


@router.get("/queue", response_model=list[QueuedRequest])
def view_queue(user: QueueViewer, session: SessionDep) -> list[QueuedRequest]:
    """Every open request, highest priority first: its needs and case links, never its case reference."""
    return allocation.queue(session=session)


@router.post("/proposal", response_model=Result)
def propose(ask: ProposalAsk, user: Coordinator, session: SessionDep, settings: SettingsDep) -> Result:
    """The best allocation of every open request to today's free beds. Nothing is held until confirmed."""
    return allocation.propose(
        session=session, stale_after=settings.stale_after, time_limit_s=ask.time_limit_s, workers=2
    )


@router.post("/confirm", response_model=Confirmed)
def confirm(data: Confirmation, user: Coordinator, session: SessionDep, settings: SettingsDep) -> Confirmed:
    """Hold each confirmed assignment, a family all or none; any that cannot be held is reported with why."""
    made, failed = allocation.confirm(session=session, assignments=data.assignments, expires_after=settings.hold_expiry)
    return Confirmed(
        holds=[holds.describe(session=session, hold=hold, show_address=False) for hold in made],
        not_held=[NotHeld(request=a.request, house=a.house, reason=reason) for a, reason in failed],
    )
