"""Whole-queue allocation over the database: the database builds an Instance, the solver answers.

Priority: what placing a request is worth. Urgency sets the base (tonight 100, within 72 hours 30,
planned 10) and waiting adds one point for every full six hours waited, up to 12 (three days), so a
request that has waited long edges ahead of an equally urgent new one but never overtakes a more
urgent class.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from capacity import clock
from capacity import service as capacity_service
from capacity.errors import DomainError
from capacity.models import User
from matching import holds, solver
from matching import service as matching_service
from matching.instance import Instance, Result
from matching.models import AssignmentConfirm, Hold, LinkKind, PlacementRequest, RequestStatus, Urgency
from matching.search import house_snapshot, request_snapshot

URGENCY_BASE = {Urgency.tonight: 100, Urgency.within_72h: 30, Urgency.planned: 10}
WAITING_STEP = timedelta(hours=6)
MAX_WAITING_POINTS = 12


def priority(request: PlacementRequest, *, at: datetime) -> int:
    """What placing this request is worth now: its urgency, plus a little for time waited."""
    waited = max(at - request.created_at, timedelta(0))
    return URGENCY_BASE[Urgency(request.urgency)] + min(int(waited / WAITING_STEP), MAX_WAITING_POINTS)


def open_requests(*, session: Session) -> Sequence[PlacementRequest]:
    """Requests waiting for a bed, oldest first."""
    query = select(PlacementRequest).where(col(PlacementRequest.status) == RequestStatus.open)
    return session.exec(query.order_by(col(PlacementRequest.created_at), col(PlacementRequest.id))).all()


def build_instance(*, session: Session, stale_after: timedelta) -> Instance:
    """A snapshot of every open request and every house's free beds now."""
    holds.expire_due(session=session)
    at = clock.now()
    houses = capacity_service.describe_houses(
        session=session,
        houses=capacity_service.get_all_houses(session=session),
        stale_after=stale_after,
        show_address=lambda _: False,
    )
    waiting = open_requests(session=session)
    ids = {r.id for r in waiting if r.id is not None}
    links = [link for link in matching_service.links(session=session, request_ids=list(ids)) if link.other_id in ids]
    keep_apart = {tuple(sorted((link.request_id, link.other_id))) for link in links if link.kind == LinkKind.keep_apart}
    together = [[link.request_id, link.other_id] for link in links if link.kind == LinkKind.place_together]
    return Instance(
        houses=[house_snapshot(h) for h in houses],
        requests=[request_snapshot(r, id=r.id or 0, priority=priority(r, at=at)) for r in waiting],
        keep_apart=sorted(keep_apart),
        place_together=together,
    )


def propose(*, session: Session, stale_after: timedelta, time_limit_s: float, workers: int) -> Result:
    """The best allocation of the open queue to today's free beds: a proposal, nothing is held."""
    instance = build_instance(session=session, stale_after=stale_after)
    # End the read before the search: on SQLite an open transaction would hold the write lock throughout.
    session.commit()
    return solver.solve(instance, time_limit_s=time_limit_s, workers=workers)


def confirm(
    *, session: Session, assignments: Sequence[AssignmentConfirm], expires_after: timedelta
) -> tuple[list[Hold], list[tuple[AssignmentConfirm, str]]]:
    """Hold a confirmed proposal, assignment by assignment; return the holds made and those that could not be."""
    made: list[Hold] = []
    failed: list[tuple[AssignmentConfirm, str]] = []
    for assignment in assignments:
        request = session.get(PlacementRequest, assignment.request)
        house = capacity_service.get_house(session=session, house_id=assignment.house)
        if request is None or house is None:
            failed.append((assignment, "no such request or house"))
            continue
        # The hold is the requesting officer's, so the address reaches them once it is accepted.
        officer = session.get(User, request.officer_id)
        assert officer is not None
        try:
            made.append(
                holds.hold(session=session, request=request, house=house, officer=officer, expires_after=expires_after)
            )
        except DomainError as error:
            failed.append((assignment, error.message))
    return made, failed
