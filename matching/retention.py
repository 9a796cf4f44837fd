"""Retention: a request's details are removed a set time after it closes; what the reports counted stays.

A purge takes every request closed at least the retention period ago (and linked to no request
still live) and, in transactions of 500 requests each, replaces it with its `Outcome` added to a
`RequestTally` (counts by day, area, gender, NRM stage, the group flags, the outcome and the main
reason). It then deletes the request and everything that names it: what ruled houses out for it,
its case links, its holds, their beds, and its placement. Every report counts tallies as it counts
requests, so it gives the same numbers before and after a purge, and a second purge finds nothing
to do. The audit log keeps its events, which name a request by its number.
"""

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import timedelta

from sqlalchemy import delete, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from capacity import audit, clock
from capacity.audit import Action
from matching.models import (
    Hold,
    HoldBed,
    Placement,
    PlacementRequest,
    RequestLink,
    RequestReason,
    RequestStatus,
    RequestTally,
)
from matching.reporting import Outcome, outcome

# Requests purged in one transaction: a first purge of years of history does not hold one lock for minutes.
BATCH = 500


@dataclass(frozen=True)
class Purged:
    requests: int
    tallies: int

    def summary(self, retention: timedelta) -> str:
        if not self.requests:
            return f"Nothing to purge: no request closed more than {retention.days} days ago still has its details."
        return (
            f"Purged {self.requests} request{'s' if self.requests != 1 else ''} closed more than "
            f"{retention.days} days ago; the reports keep them as {self.tallies} tallies."
        )


def due(*, session: Session, retention: timedelta) -> list[int]:
    """The ids of requests closed at least `retention` ago, oldest first.

    A request still linked to one that is not closed waits: its links hold a live case together
    (two family members each linked only through it would otherwise no longer be placed together).
    """
    cutoff = clock.now() - retention
    other = aliased(PlacementRequest)
    linked_to_live = (
        select(RequestLink.request_id)
        .join(other, col(other.id) == col(RequestLink.other_id))
        .where(col(other.status) != RequestStatus.closed)
    )
    query = (
        select(PlacementRequest.id)
        .where(col(PlacementRequest.status) == RequestStatus.closed, col(PlacementRequest.closed_at) <= cutoff)
        .where(col(PlacementRequest.id).not_in(linked_to_live))
        .order_by(col(PlacementRequest.id))
    )
    return [request_id for request_id in session.exec(query) if request_id is not None]


def _purge_batch(session: Session, request_ids: list[int]) -> int:
    """Tally and delete these requests, in the caller's transaction; return how many tallies were written."""
    requests = session.exec(select(PlacementRequest).where(col(PlacementRequest.id).in_(request_ids))).all()
    started = dict(
        session.exec(
            select(Placement.request_id, func.min(Placement.started_at))
            .where(col(Placement.request_id).in_(request_ids))
            .group_by(col(Placement.request_id))
        ).all()
    )
    reasons: dict[int, list[RequestReason]] = defaultdict(list)
    for reason in session.exec(select(RequestReason).where(col(RequestReason.request_id).in_(request_ids))):
        reasons[reason.request_id].append(reason)
    at = clock.now()
    counted: Counter[Outcome] = Counter(
        outcome(request, started.get(request.id or 0), reasons[request.id or 0], now=at) for request in requests
    )
    for kept, times in counted.items():
        fields = asdict(kept)
        assert fields.pop("waiting") is False, "only closed requests are purged"
        session.add(RequestTally(**fields, requests=times))
    hold_ids = select(Hold.id).where(col(Hold.request_id).in_(request_ids))
    session.exec(delete(HoldBed).where(col(HoldBed.hold_id).in_(hold_ids)))
    session.exec(delete(Placement).where(col(Placement.request_id).in_(request_ids)))
    session.exec(delete(Hold).where(col(Hold.request_id).in_(request_ids)))
    session.exec(delete(RequestReason).where(col(RequestReason.request_id).in_(request_ids)))
    linked = or_(col(RequestLink.request_id).in_(request_ids), col(RequestLink.other_id).in_(request_ids))
    session.exec(delete(RequestLink).where(linked))
    session.exec(delete(PlacementRequest).where(col(PlacementRequest.id).in_(request_ids)))
    return len(counted)


def purge(*, session: Session, retention: timedelta) -> Purged:
    """Remove the details of every request closed at least `retention` ago, keeping what reports count."""
    ids = due(session=session, retention=retention)
    tallies = 0
    for first in range(0, len(ids), BATCH):
        batch = ids[first : first + BATCH]
        try:
            tallies += _purge_batch(session, batch)
            detail = f"{len(batch)} requests closed more than {retention.days} days ago, ids {batch[0]} to {batch[-1]}"
            audit.record(session, Action.purge, object_type="request", detail=detail)
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return Purged(requests=len(ids), tallies=tallies)
