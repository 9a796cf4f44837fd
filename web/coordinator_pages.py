"""The coordinator's queue: every request waiting for a bed, allocated at once by the solver, then held."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlmodel import Session

from capacity import service as capacity_service
from capacity.errors import InvalidError
from capacity.models import User
from matching import allocation, holds
from matching.eligibility import REASON_PHRASES, Reason
from matching.models import AssignmentConfirm
from web.authz import Permission
from web.deps import SessionDep, SettingsDep, require
from web.pages import render

router = APIRouter(include_in_schema=False)
Coordinator = Annotated[User, Depends(require(Permission.allocate_queue))]
# The solver's time on a page: long enough to prove London's queue optimal many times over.
PAGE_TIME_LIMIT_S = 5.0


def _house_names(session: Session) -> dict[int, str]:
    return {h.id: h.display_name for h in capacity_service.get_all_houses(session=session) if h.id is not None}


def _queue_context(session: Session, user: User) -> dict[str, Any]:
    return {"user": user, "queue": allocation.queue(session=session), "proposal": None, "confirmed": None}


@router.get("/queue", name="allocation_queue")
def queue_page(request: Request, user: Coordinator, session: SessionDep) -> Response:
    """The queue, highest priority first: needs and links, never a case reference."""
    return render(request, "queue.html", _queue_context(session, user))


@router.post("/queue/proposal", name="allocation_proposal")
def proposal_page(request: Request, user: Coordinator, session: SessionDep, settings: SettingsDep) -> Response:
    """The solver's best allocation of the whole queue to today's free beds; nothing is held until confirmed."""
    result = allocation.propose(
        session=session, stale_after=settings.stale_after, time_limit_s=PAGE_TIME_LIMIT_S, workers=2
    )
    unplaced = [
        (u.request, [REASON_PHRASES[Reason(code)] for code in u.reasons if code in Reason.__members__])
        for u in result.unplaced
    ]
    context = _queue_context(session, user) | {
        "proposal": result,
        "unplaced": unplaced,
        "house_names": _house_names(session),
    }
    return render(request, "queue.html", context, block="allocation")


@router.post("/queue/confirm", name="allocation_confirm")
def confirm_page(
    request: Request,
    user: Coordinator,
    session: SessionDep,
    settings: SettingsDep,
    assignment: Annotated[list[str], Form(max_length=10_000)] = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    """Hold each ticked assignment (a family all or none) and say which could not be held, and why."""
    chosen: list[AssignmentConfirm] = []
    for pair in assignment:
        request_id, _, house_id = pair.partition(":")
        if request_id.isdigit() and house_id.isdigit():
            chosen.append(AssignmentConfirm(request=int(request_id), house=int(house_id)))
    try:
        made, failed = allocation.confirm(session=session, assignments=chosen, expires_after=settings.hold_expiry)
    except InvalidError as error:
        made, failed = [], [(a, error.message) for a in chosen]
    confirmed = {
        "holds": [holds.describe(session=session, hold=hold, show_address=False) for hold in made],
        "not_held": [(a.request, a.house, reason) for a, reason in failed],
        "asked": len(chosen),
    }
    context = _queue_context(session, user) | {"confirmed": confirmed, "house_names": _house_names(session)}
    return render(request, "queue.html", context, block="allocation")
