"""Holds and placements: no bed is ever held or occupied twice.

Every change of a bed's status is one conditional UPDATE ("... WHERE status = 'available'") whose
row count is checked inside the same transaction as the hold, so of two officers racing for the
last bed exactly one wins, on SQLite (where writers queue) and on PostgreSQL (where the loser's
UPDATE waits for the winner's row lock and then finds the bed no longer available). Holds of
linked requests first lock the case's requests, so their link checks run one after the other too.
Should any of this ever be bypassed, the database's partial unique indexes (see `matching.models`)
refuse a second live hold or placement of a request or a bed, and the hold answers 409.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from capacity import audit, clock
from capacity import service as capacity_service
from capacity.audit import Action
from capacity.errors import ConflictError, DomainError, InvalidError
from capacity.models import Bed, House, User
from capacity.vocab import BedStatus, NrmStage
from matching import service as matching_service
from matching.eligibility import unsuitable_reasons
from matching.models import (
    DeclineReason,
    Fallback,
    Hold,
    HoldBed,
    HoldPublic,
    HoldStatus,
    LinkKind,
    NrmDecision,
    Placement,
    PlacementRequest,
    RequestLink,
    RequestNeeds,
    RequestStatus,
)
from matching.search import house_snapshot, request_snapshot


def get(*, session: Session, hold_id: int) -> Hold | None:
    """Return one hold by id."""
    return session.get(Hold, hold_id)


def get_all(
    *, session: Session, house_ids: Sequence[int] | None = None, request_ids: Sequence[int] | None = None
) -> Sequence[Hold]:
    """Return holds newest first, optionally only those on some houses or for some requests."""
    query = select(Hold).order_by(col(Hold.created_at).desc(), col(Hold.id).desc())
    if house_ids is not None:
        query = query.where(col(Hold.house_id).in_(house_ids))
    if request_ids is not None:
        query = query.where(col(Hold.request_id).in_(request_ids))
    return session.exec(query).all()


def bed_ids(*, session: Session, hold: Hold) -> list[int]:
    """The beds a hold reserved."""
    return list(session.exec(select(HoldBed.bed_id).where(HoldBed.hold_id == hold.id)).all())


def _set_beds(session: Session, ids: Sequence[int], *, from_status: BedStatus, to_status: BedStatus) -> int:
    at = clock.now()
    result = session.exec(
        update(Bed)
        .where(col(Bed.id).in_(ids), col(Bed.status) == from_status)
        .values(status=to_status, status_changed_at=at, status_confirmed_at=at)
    )
    return int(result.rowcount)


def _set_request(session: Session, request_id: int, *, from_status: RequestStatus, to_status: RequestStatus) -> int:
    result = session.exec(
        update(PlacementRequest)
        .where(col(PlacementRequest.id) == request_id, col(PlacementRequest.status) == from_status)
        .values(status=to_status)
    )
    return int(result.rowcount)


@dataclass(frozen=True)
class Wanted:
    """A request to hold in a house, for the officer whose hold it will be."""

    request: PlacementRequest
    house: House
    officer: User


class NotHeld(DomainError):
    """None of a group was held, because one of its requests could not be: `request_id` says which, `error` why."""

    def __init__(self, request_id: int, error: DomainError) -> None:
        super().__init__(error.message)
        self.request_id = request_id
        self.error = error


def hold(*, session: Session, request: PlacementRequest, house: House, officer: User, expires_after: timedelta) -> Hold:
    """Reserve the beds a request needs (one, plus one per child) in a house, or raise ConflictError."""
    try:
        [made] = hold_together(session=session, wanted=[Wanted(request, house, officer)], expires_after=expires_after)
    except NotHeld as refused:
        raise refused.error from refused.error.__cause__
    return made


def hold_together(*, session: Session, wanted: Sequence[Wanted], expires_after: timedelta) -> list[Hold]:
    """Hold each request in its house, all in one transaction or none (a family is never half held); else NotHeld."""
    expire_due(session=session)
    made: list[Hold] = []
    request_ids = [each.request.id or 0 for each in wanted]
    try:
        _lock_cases(session, request_ids)
        for request_id, each in zip(request_ids, wanted, strict=True):
            try:
                made.append(_reserve(session, each, expires_after=expires_after))
            except DomainError as error:
                raise NotHeld(request_id, error) from error
        session.commit()
    except BaseException:
        session.rollback()
        raise
    for new in made:
        session.refresh(new)
    return made


def _lock_cases(session: Session, request_ids: Sequence[int]) -> None:
    """Lock these requests and every request linked to them, in ascending id order, until the transaction ends.

    Without the lock, on PostgreSQL two holds of co-victims into one house (or of a family into two
    houses) made at the same moment could each check the links before the other's hold exists, and
    both succeed. With it they run one after the other, and the second sees the first's hold. One
    lock order for every caller, so two holds cannot deadlock. SQLite ignores FOR UPDATE and needs
    none: its writers already queue (BEGIN IMMEDIATE).
    """
    partners = session.exec(select(RequestLink.other_id).where(col(RequestLink.request_id).in_(request_ids))).all()
    case = matching_service.family(session=session, request_ids=[*request_ids, *partners])
    session.exec(
        select(PlacementRequest.id)
        .where(col(PlacementRequest.id).in_(sorted(case)))
        .order_by(col(PlacementRequest.id))
        .with_for_update()
    ).all()


def _reserve(session: Session, wanted: Wanted, *, expires_after: timedelta) -> Hold:
    """Hold one request in its house within the caller's transaction, which commits it or rolls it back."""
    request, house, officer = wanted.request, wanted.house, wanted.officer
    session.refresh(request)
    if request.status != RequestStatus.open:
        raise ConflictError(f"this request is already {request.status}; cancel its hold first")
    described = capacity_service.describe_houses(
        session=session, houses=[house], stale_after=timedelta.max, show_address=lambda _: False
    )[0]
    if reasons := unsuitable_reasons(request_snapshot(request), house_snapshot(described)):
        raise InvalidError("house_id", f"this house cannot take this person: {', '.join(reasons)}")
    if clash := _link_clash(session, request, house_id=house.id or 0):
        raise ConflictError(clash)
    needed = 1 + len(request.children)
    free = [
        bed_id
        for bed_id in session.exec(
            select(Bed.id)
            .where(Bed.house_id == house.id, col(Bed.status) == BedStatus.available)
            .order_by(col(Bed.label))
            .limit(needed)
        )
        if bed_id is not None
    ]
    at = clock.now()
    assert request.id is not None and house.id is not None and officer.id is not None
    if (
        len(free) < needed
        or _set_beds(session, free, from_status=BedStatus.available, to_status=BedStatus.held) != needed
    ):
        room = "a free bed" if needed == 1 else f"{needed} free beds"
        raise ConflictError(f"this house no longer has {room}; search again")
    if _set_request(session, request.id, from_status=RequestStatus.open, to_status=RequestStatus.held) != 1:
        raise ConflictError("this request was held by someone else a moment ago")
    new = Hold(
        request_id=request.id, house_id=house.id, officer_id=officer.id, created_at=at, expires_at=at + expires_after
    )
    # The database's own backstops (one live hold per request, one per bed) answer as the checks above would.
    try:
        session.add(new)
        session.flush()
    except IntegrityError as error:
        raise ConflictError("this request is already held or placed; reload it") from error
    assert new.id is not None
    try:
        session.add_all(HoldBed(hold_id=new.id, bed_id=bed_id) for bed_id in free)
        session.flush()
    except IntegrityError as error:
        raise ConflictError("a bed in this house is already held or occupied; search again") from error
    detail = f"request {request.id}, house {house.id}, {needed} bed{'s' if needed > 1 else ''}"
    audit.record(session, Action.hold_created, object_type="hold", object_id=new.id, detail=detail)
    return new


def live_houses(*, session: Session, request_ids: Sequence[int]) -> dict[int, int]:
    """The house each of these requests is held or placed in now, for those that are."""
    waiting = select(Hold.request_id, Hold.house_id).where(
        col(Hold.request_id).in_(request_ids), col(Hold.status) == HoldStatus.waiting
    )
    placed = select(Placement.request_id, Placement.house_id).where(
        col(Placement.request_id).in_(request_ids), col(Placement.ended_at).is_(None)
    )
    return {request_id: house_id for query in (placed, waiting) for request_id, house_id in session.exec(query)}


def _link_clash(session: Session, request: PlacementRequest, *, house_id: int) -> str | None:
    """Why the request's case links forbid this house: a co-victim there, or family elsewhere."""
    assert request.id is not None
    kept_apart = session.exec(
        select(RequestLink.other_id).where(
            RequestLink.request_id == request.id, col(RequestLink.kind) == LinkKind.keep_apart
        )
    ).all()
    family = matching_service.family(session=session, request_ids=[request.id]) - {request.id}
    where = live_houses(session=session, request_ids=[*kept_apart, *family])
    for other in sorted(kept_apart):
        if where.get(other) == house_id:
            return f"request {other}, of the same case and to be kept apart, is held or placed in this house"
    for other in sorted(family):
        if where.get(other, house_id) != house_id:
            return f"request {other}, family to be placed together, is held or placed in another house"
    return None


def _decide(session: Session, hold: Hold, *, to_status: HoldStatus, by: User | None, **values: object) -> bool:
    """Move a waiting hold to `to_status` if it is still waiting (and, unless expiring, not yet due).

    One conditional UPDATE on the hold row: of an acceptance, a decline, a cancellation and an
    expiry racing for the same hold, exactly one matches; the others change nothing. Only the
    winner then touches the hold's beds, so a bed freed by one can never be taken by another.
    """
    at = clock.now()
    due = col(Hold.expires_at) <= at if to_status == HoldStatus.expired else col(Hold.expires_at) > at
    result = session.exec(
        update(Hold)
        .where(col(Hold.id) == hold.id, col(Hold.status) == HoldStatus.waiting, due)
        .values(status=to_status, decided_at=at, decided_by=by.id if by else None, **values)
    )
    if result.rowcount != 1:
        return False
    reason = values.get("decline_reason")
    audit.record(
        session,
        Action(f"hold.{to_status}"),
        object_type="hold",
        object_id=hold.id,
        detail=f"request {hold.request_id}, house {hold.house_id}" + (f", reason {reason}" if reason else ""),
        user=by,
        by_safebeds=to_status == HoldStatus.expired,
    )
    return True


def _release_beds(session: Session, hold: Hold) -> None:
    """Mark the hold's beds as no longer reserved by it (the live-bed backstop counts only unreleased ones)."""
    session.exec(
        update(HoldBed)
        .where(col(HoldBed.hold_id) == hold.id, col(HoldBed.released_at).is_(None))
        .values(released_at=clock.now())
    )


def _release(session: Session, hold: Hold) -> None:
    """Free an ended hold's beds and give its request back to the officer."""
    _set_beds(session, bed_ids(session=session, hold=hold), from_status=BedStatus.held, to_status=BedStatus.available)
    _release_beds(session, hold)
    _set_request(session, hold.request_id, from_status=RequestStatus.held, to_status=RequestStatus.open)


def _refuse(session: Session, hold: Hold) -> ConflictError:
    """The error for a hold someone else has already decided (or that has lapsed)."""
    session.rollback()
    expire_due(session=session)
    session.refresh(hold)
    return ConflictError(f"this hold has already been {hold.status}")


def accept(*, session: Session, hold: Hold, provider: User) -> Placement:
    """The provider accepts: the held beds become occupied and the request is placed."""
    assert hold.id is not None
    if not _decide(session, hold, to_status=HoldStatus.accepted, by=provider):
        raise _refuse(session, hold)
    beds = bed_ids(session=session, hold=hold)
    if _set_beds(session, beds, from_status=BedStatus.held, to_status=BedStatus.occupied) != len(beds):
        session.rollback()
        # Do not leave the officer waiting on a hold that can never be accepted.
        decline(session=session, hold=hold, provider=provider, reason=DeclineReason.no_longer_available)
        raise ConflictError("the held beds changed, so the hold was declined as no longer available")
    _set_request(session, hold.request_id, from_status=RequestStatus.held, to_status=RequestStatus.placed)
    placement = Placement(request_id=hold.request_id, hold_id=hold.id, house_id=hold.house_id, started_at=clock.now())
    session.add(placement)
    audit.record(
        session,
        Action.placement_started,
        object_type="request",
        object_id=hold.request_id,
        detail=f"hold {hold.id}, house {hold.house_id}",
        user=provider,
    )
    capacity_service.commit(session=session, conflict="this hold was accepted a moment ago")
    session.refresh(hold)
    session.refresh(placement)
    return placement


def decline(*, session: Session, hold: Hold, provider: User, reason: DeclineReason) -> Hold:
    """The provider declines, with a reason: the beds are free again and the request goes back to the officer."""
    if not _decide(session, hold, to_status=HoldStatus.declined, by=provider, decline_reason=reason):
        raise _refuse(session, hold)
    _release(session, hold)
    session.commit()
    session.refresh(hold)
    return hold


def cancel(*, session: Session, hold: Hold, officer: User) -> Hold:
    """The officer lets a waiting hold go."""
    if not _decide(session, hold, to_status=HoldStatus.cancelled, by=officer):
        raise _refuse(session, hold)
    _release(session, hold)
    session.commit()
    session.refresh(hold)
    return hold


def expire_due(*, session: Session) -> int:
    """Expire every waiting hold whose time is up, freeing its beds; return how many expired."""
    due = session.exec(
        select(Hold)
        .where(col(Hold.status) == HoldStatus.waiting, col(Hold.expires_at) <= clock.now())
        .order_by(col(Hold.id))  # one lock order for every caller, so two cannot deadlock
    ).all()
    expired = 0
    for each in due:
        if _decide(session, each, to_status=HoldStatus.expired, by=None):
            _release(session, each)
            expired += 1
    session.commit()
    return expired


@dataclass(frozen=True)
class SupportPeriods:
    """How long support lasts after each NRM decision (today's guidance; every period is a setting)."""

    recovery: timedelta
    after_positive_cg: timedelta
    after_negative: timedelta

    def after(self, decision: NrmDecision) -> timedelta:
        return {
            NrmDecision.positive_rg: self.recovery,
            NrmDecision.positive_cg: self.after_positive_cg,
            NrmDecision.negative_rg: self.after_negative,
            NrmDecision.negative_cg: self.after_negative,
        }[decision]


# The NRM stage a person is in after each decision (a negative Reasonable Grounds decision changes nothing).
_STAGE_AFTER = {
    NrmDecision.positive_rg: NrmStage.recovery,
    NrmDecision.positive_cg: NrmStage.move_on,
    NrmDecision.negative_cg: NrmStage.move_on,
}


def get_placement(*, session: Session, placement_id: int) -> Placement | None:
    """Return one placement by id."""
    return session.get(Placement, placement_id)


def placement_of(*, session: Session, hold: Hold) -> Placement | None:
    """The placement an accepted hold made."""
    return session.exec(select(Placement).where(Placement.hold_id == hold.id)).first()


def get_placements(
    *, session: Session, house_ids: Sequence[int] | None = None, request_ids: Sequence[int] | None = None
) -> Sequence[Placement]:
    """Return placements newest first, optionally only in some houses or for some requests."""
    query = select(Placement).order_by(col(Placement.started_at).desc(), col(Placement.id).desc())
    if house_ids is not None:
        query = query.where(col(Placement.house_id).in_(house_ids))
    if request_ids is not None:
        query = query.where(col(Placement.request_id).in_(request_ids))
    return session.exec(query).all()


def bed_is_placed(*, session: Session, bed_id: int) -> bool:
    """True while the bed is occupied by a live SafeBeds placement (its status is then not the provider's to change)."""
    query = (
        select(Placement.id)
        .join(HoldBed, col(HoldBed.hold_id) == col(Placement.hold_id))
        .where(col(HoldBed.bed_id) == bed_id, col(Placement.ended_at).is_(None))
    )
    return session.exec(query).first() is not None


def placed_bed_ids(*, session: Session, bed_ids: Sequence[int]) -> set[int]:
    """Of these beds, those occupied by a live SafeBeds placement (`bed_is_placed` for many beds in one query)."""
    if not bed_ids:
        return set()
    query = (
        select(HoldBed.bed_id)
        .join(Placement, col(Placement.hold_id) == col(HoldBed.hold_id))
        .where(col(HoldBed.bed_id).in_(bed_ids), col(Placement.ended_at).is_(None))
    )
    return set(session.exec(query).all())


_REASONABLE_GROUNDS = frozenset({NrmDecision.positive_rg, NrmDecision.negative_rg})


def _out_of_order(decision: NrmDecision, *, previous: NrmDecision | None, stage: NrmStage) -> str | None:
    """Why the NRM cannot make this decision now: Reasonable Grounds first, then Conclusive Grounds, then nothing.

    The request's stage counts too: a person placed in the recovery period had a positive Reasonable
    Grounds decision before SafeBeds, and one placed for move-on had the Conclusive Grounds one.
    """
    if previous in (NrmDecision.positive_cg, NrmDecision.negative_cg) or stage == NrmStage.move_on:
        return f"{decision} cannot be recorded: the Conclusive Grounds decision has been made, and nothing follows it"
    if previous == NrmDecision.negative_rg:
        return f"{decision} cannot be recorded: a negative Reasonable Grounds decision ends the NRM process"
    if decision in _REASONABLE_GROUNDS and stage == NrmStage.recovery:
        return f"{decision} cannot be recorded: the positive Reasonable Grounds decision has already been made"
    if decision not in _REASONABLE_GROUNDS and stage == NrmStage.pre_nrm:
        return f"{decision} cannot be recorded: the Reasonable Grounds decision comes first; record it before this one"
    return None


def record_decision(
    *, session: Session, placement: Placement, decision: NrmDecision, decided_at: datetime, periods: SupportPeriods
) -> Placement:
    """Record an NRM decision, in the NRM's order: it sets the move-on deadline and the person's next stage."""
    session.refresh(placement)
    request = session.get(PlacementRequest, placement.request_id)
    assert request is not None
    session.refresh(request)
    if placement.ended_at is not None:
        raise ConflictError("this placement has ended")
    if decided_at > clock.now():
        raise InvalidError("decided_at", "must not be in the future")
    previous = NrmDecision(placement.decision) if placement.decision else None
    if refusal := _out_of_order(decision, previous=previous, stage=NrmStage(request.nrm_stage)):
        raise ConflictError(refusal)
    if previous is not None and placement.decided_at is not None and decided_at < placement.decided_at:
        raise InvalidError(
            "decided_at",
            f"must not be before the {previous} decision it follows ({placement.decided_at:%Y-%m-%d %H:%M} UTC)",
        )
    # One conditional update: of two decisions recorded at once (a double click, or two staff) only
    # the first follows the decision both saw; the other is refused and can be checked again.
    same_as_seen = col(Placement.decision).is_(None) if previous is None else col(Placement.decision) == previous
    recorded = session.exec(
        update(Placement)
        .where(col(Placement.id) == placement.id, col(Placement.ended_at).is_(None), same_as_seen)
        .values(decision=decision, decided_at=decided_at, support_until=decided_at + periods.after(decision))
    )
    if recorded.rowcount != 1:
        session.rollback()
        raise ConflictError("this placement changed a moment ago (another decision, or move-on); reload it")
    audit.record(session, Action.placement_decision, object_type="placement", object_id=placement.id, detail=decision)
    if decision in _STAGE_AFTER:
        session.exec(
            update(PlacementRequest)
            .where(col(PlacementRequest.id) == placement.request_id)
            .values(nrm_stage=_STAGE_AFTER[decision])
        )
    session.commit()
    session.refresh(placement)
    return placement


def move_on(*, session: Session, placement: Placement) -> Placement:
    """The person moves on: the placement ends, its beds are free, and the request is closed."""
    at = clock.now()
    # One conditional update: of two move-ons (a double click, or officer and provider at once) only
    # one ends the placement, so beds someone else took since can never be freed by the other.
    ended = session.exec(
        update(Placement)
        .where(col(Placement.id) == placement.id, col(Placement.ended_at).is_(None))
        .values(ended_at=at)
    )
    if ended.rowcount != 1:
        session.rollback()
        raise ConflictError("this placement has already ended")
    hold = session.get(Hold, placement.hold_id)
    assert hold is not None
    _set_beds(
        session, bed_ids(session=session, hold=hold), from_status=BedStatus.occupied, to_status=BedStatus.available
    )
    _release_beds(session, hold)
    session.exec(
        update(PlacementRequest)
        .where(col(PlacementRequest.id) == placement.request_id)
        .values(status=RequestStatus.closed, closed_at=at)
    )
    detail = f"request {placement.request_id}, house {placement.house_id}"
    audit.record(session, Action.placement_moved_on, object_type="placement", object_id=placement.id, detail=detail)
    session.commit()
    session.refresh(placement)
    return placement


def record_fallback(*, session: Session, request: PlacementRequest, fallback: Fallback) -> PlacementRequest:
    """Close an open request with where the person went instead: unmet need, never counted as placed."""
    assert request.id is not None
    result = session.exec(
        update(PlacementRequest)
        .where(col(PlacementRequest.id) == request.id, col(PlacementRequest.status) == RequestStatus.open)
        .values(status=RequestStatus.closed, closed_at=clock.now(), fallback=fallback)
    )
    if result.rowcount != 1:
        session.rollback()
        raise ConflictError("only an open request can be closed with a fallback; cancel its hold first")
    audit.record(session, Action.request_fallback, object_type="request", object_id=request.id, detail=fallback)
    session.commit()
    session.refresh(request)
    return request


def describe(*, session: Session, hold: Hold, show_address: bool, show_needs: bool = True) -> HoldPublic:
    """A hold as its officer or provider sees it: the needs, never the reference; the address only if allowed."""
    house = session.get(House, hold.house_id)
    request = session.get(PlacementRequest, hold.request_id)
    assert house is not None and request is not None and hold.id is not None
    if show_address:
        audit.record(session, Action.view_address, object_type="house", object_id=house.id, detail=f"hold {hold.id}")
    if show_needs:
        audit.record(session, Action.view_needs, object_type="request", object_id=request.id, detail=f"hold {hold.id}")
    return HoldPublic(
        id=hold.id,
        request_id=hold.request_id,
        house_id=hold.house_id,
        house_name=house.display_name,
        status=hold.status,
        beds=len(bed_ids(session=session, hold=hold)),
        created_at=hold.created_at,
        expires_at=hold.expires_at,
        decided_at=hold.decided_at,
        decline_reason=hold.decline_reason,
        needs=RequestNeeds.model_validate(request.model_dump(include=set(RequestNeeds.model_fields)))
        if show_needs
        else None,
        address=house.address if show_address else None,
        postcode=house.postcode if show_address else None,
    )
