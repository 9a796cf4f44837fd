"""Whole-queue allocation over the database: the database builds an Instance, the solver answers.

Priority: what placing a request is worth. Urgency sets the base (tonight 100, within 72 hours 30,
planned 10) and waiting adds one point for every full six hours waited, up to 12 (three days), so a
request that has waited long edges ahead of an equally urgent new one but never overtakes a more
urgent class.
"""

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from capacity import audit, clock
from capacity import service as capacity_service
from capacity.audit import Action
from capacity.errors import InvalidError
from capacity.models import User
from matching import holds, solver
from matching import service as matching_service
from matching.instance import Instance, Result
from matching.models import (
    AssignmentConfirm,
    Hold,
    LinkKind,
    PlacementRequest,
    QueuedRequest,
    RequestNeeds,
    RequestStatus,
    Urgency,
)
from matching.search import house_snapshot, request_snapshot

URGENCY_BASE = {Urgency.tonight: 100, Urgency.within_72h: 30, Urgency.planned: 10}
WAITING_STEP = timedelta(hours=6)
MAX_WAITING_POINTS = 12


def priority(request: PlacementRequest, *, at: datetime) -> int:
    """What placing this request is worth now: its urgency, plus a little for time waited."""
    return priority_of(Urgency(request.urgency), waited=at - request.created_at)


def priority_of(urgency: Urgency, *, waited: timedelta) -> int:
    """What placing a request of this urgency is worth after it has waited so long."""
    return URGENCY_BASE[urgency] + min(int(max(waited, timedelta(0)) / WAITING_STEP), MAX_WAITING_POINTS)


def open_requests(*, session: Session) -> Sequence[PlacementRequest]:
    """Requests waiting for a bed, oldest first."""
    query = select(PlacementRequest).where(col(PlacementRequest.status) == RequestStatus.open)
    return session.exec(query.order_by(col(PlacementRequest.created_at), col(PlacementRequest.id))).all()


def queue(*, session: Session) -> list[QueuedRequest]:
    """The open queue as a coordinator sees it, highest priority first: needs and links, never a case reference."""
    holds.expire_due(session=session)
    at = clock.now()
    waiting = open_requests(session=session)
    links = matching_service.links(session=session, request_ids=[r.id for r in waiting if r.id is not None])
    linked: dict[tuple[int, LinkKind], list[int]] = defaultdict(list)
    for link in links:
        linked[link.request_id, LinkKind(link.kind)].append(link.other_id)
    queued = [
        QueuedRequest(
            id=request.id,
            organisation_id=request.organisation_id,
            created_at=request.created_at,
            priority=priority(request, at=at),
            needs=RequestNeeds.model_validate(request.model_dump(include=set(RequestNeeds.model_fields))),
            keep_apart=sorted(linked[request.id, LinkKind.keep_apart]),
            place_together=sorted(linked[request.id, LinkKind.place_together]),
        )
        for request in waiting
        if request.id is not None
    ]
    audit.record_each(session, Action.view_needs, object_type="request", object_ids=[q.id for q in queued])
    return sorted(queued, key=lambda q: -q.priority)


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
    links = matching_service.links(session=session, request_ids=sorted(ids))
    kept_apart: dict[int, set[int]] = defaultdict(set)
    for link in links:
        if link.kind == LinkKind.keep_apart:
            kept_apart[link.request_id].add(link.other_id)
    families = matching_service.families(session=session, request_ids=sorted(ids))
    # Partners outside the queue bind it where they are held or placed now.
    outside = set().union(*kept_apart.values(), *families.values()) - ids
    where = holds.live_houses(session=session, request_ids=sorted(outside))
    requests = []
    for request in waiting:
        assert request.id is not None
        avoid = {where[other] for other in kept_apart[request.id] if other in where}
        family_houses = sorted({where[member] for member in families[request.id] if member in where})
        snapshot = request_snapshot(request, id=request.id, priority=priority(request, at=at))
        requests.append(
            snapshot.model_copy(
                update={"avoid_houses": sorted(avoid), "only_house": family_houses[0] if family_houses else None}
            )
        )
    queued_families = {family & ids for family in families.values()}
    return Instance(
        houses=[house_snapshot(h) for h in houses],
        requests=requests,
        keep_apart=sorted({(a, b) for a, partners in kept_apart.items() for b in partners if a < b and b in ids}),
        place_together=sorted(sorted(family) for family in queued_families if len(family) > 1),
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
    """Hold a confirmed proposal, a family all or none; return the holds made and the assignments not held, with why."""
    if repeated := sorted(r for r, n in Counter(a.request for a in assignments).items() if n > 1):
        raise InvalidError("assignments", f"request {repeated[0]} is assigned more than once")
    families = matching_service.families(session=session, request_ids=[a.request for a in assignments])
    groups: dict[frozenset[int], list[AssignmentConfirm]] = {}
    for assignment in assignments:
        groups.setdefault(families[assignment.request], []).append(assignment)
    made: list[Hold] = []
    failed: list[tuple[AssignmentConfirm, str]] = []
    for group in groups.values():
        wanted = []
        for assignment in group:
            request = session.get(PlacementRequest, assignment.request)
            house = capacity_service.get_house(session=session, house_id=assignment.house)
            if request is None or house is None:
                failed += _not_held(group, assignment, "no such request or house")
                break
            # The hold is the requesting officer's, so the address reaches them once it is accepted.
            officer = session.get(User, request.officer_id)
            assert officer is not None
            wanted.append(holds.Wanted(request, house, officer))
        else:
            try:
                made += holds.hold_together(session=session, wanted=wanted, expires_after=expires_after)
            except holds.NotHeld as refused:
                culprit = next(a for a in group if a.request == refused.request_id)
                failed += _not_held(group, culprit, refused.message)
    return made, failed


def _not_held(
    group: list[AssignmentConfirm], culprit: AssignmentConfirm, reason: str
) -> list[tuple[AssignmentConfirm, str]]:
    """Why each assignment of a group was not held: the culprit's own reason; its family's, that it was not."""
    family = f"not held, so that the family stays together: request {culprit.request} could not be held ({reason})"
    return [(assignment, reason if assignment is culprit else family) for assignment in group]
