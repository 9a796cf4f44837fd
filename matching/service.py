"""Placement requests and search, over the database."""

import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta

import numpy as np
from sqlmodel import Session, col, func, select

from capacity import audit, clock
from capacity import service as capacity_service
from capacity.audit import Action
from capacity.errors import InvalidError
from capacity.models import Bed, House, Organisation, User
from capacity.vocab import BedStatus
from matching import search as search_module
from matching.models import (
    LinkKind,
    PlacementRequest,
    RequestCreate,
    RequestLink,
    RequestNeeds,
    RequestPublic,
    RequestReason,
    RequestStatus,
    SearchResult,
)


def create(
    *, session: Session, officer: User, data: RequestCreate, index: "HouseIndex | None" = None
) -> PlacementRequest:
    """Record a placement request for the officer's organisation, linked to others of the same case.

    What the search rules houses out for at this moment is recorded with it, in the same
    transaction: the evidence of unmet need that reports count (`index` spares rebuilding the
    houses' index for it).
    """
    links = [(other, LinkKind.keep_apart) for other in data.keep_apart]
    links += [(other, LinkKind.place_together) for other in data.place_together]
    if both := sorted(set(data.keep_apart) & set(data.place_together)):
        raise InvalidError("place_together", f"request {both[0]} cannot be both kept apart and placed together")
    for other_id, kind in links:
        other = session.get(PlacementRequest, other_id)
        if other is None or other.organisation_id != officer.organisation_id:
            raise InvalidError(kind.value, f"no request {other_id} of your organisation")
        if other.status == RequestStatus.closed:
            raise InvalidError(kind.value, f"request {other_id} is closed")
    if clash := _kept_apart_within_family(session, keep_apart=data.keep_apart, place_together=data.place_together):
        raise InvalidError("place_together", clash)
    request = PlacementRequest.model_validate(
        data.model_dump(exclude={"keep_apart", "place_together"}),
        update={"officer_id": officer.id, "organisation_id": officer.organisation_id, "created_at": clock.now()},
    )
    session.add(request)
    session.flush()
    assert request.id is not None
    _record_reasons(session, request, index or HouseIndex())
    for other_id, kind in links:
        session.add(RequestLink(request_id=request.id, other_id=other_id, kind=kind))
        session.add(RequestLink(request_id=other_id, other_id=request.id, kind=kind))
    audit.record(session, Action.request_created, object_type="request", object_id=request.id, user=officer)
    session.commit()
    session.refresh(request)
    return request


# Staleness ranks houses but never rules one out, so the reasons do not depend on it.
_ANY_STALENESS = timedelta(0)


def _record_reasons(session: Session, request: PlacementRequest, index: "HouseIndex") -> None:
    """Note how many houses could take the person now, what ruled the others out, and what would have let one."""
    assert request.id is not None
    houses = index.get(session=session, stale_after=_ANY_STALENESS)
    person = search_module.request_snapshot(request)
    matched, counts = search_module.ruled_out_counts(person, houses)
    request.houses_matched = matched
    request.relaxation = "+".join(search_module.smallest_relaxation(person, houses))
    for count in counts:
        session.add(
            RequestReason(
                request_id=request.id,
                reason=count.reason,
                houses=count.houses,
                houses_with_room=count.houses_with_room,
            )
        )


def reasons(*, session: Session, request_ids: Sequence[int]) -> Sequence[RequestReason]:
    """What ruled houses out for these requests when they were made."""
    return session.exec(select(RequestReason).where(col(RequestReason.request_id).in_(request_ids))).all()


def _kept_apart_within_family(session: Session, *, keep_apart: Sequence[int], place_together: Sequence[int]) -> str:
    """Why these links would put two people who must be kept apart into one family (one house), or ''."""
    if not place_together:
        return ""
    family = set().union(*families(session=session, request_ids=place_together).values())
    if inside := sorted(set(keep_apart) & family):
        return f"request {inside[0]} is in the family this request would join, so it cannot also be kept apart"
    for link in links(session=session, request_ids=sorted(family)):
        if link.kind == LinkKind.keep_apart and link.other_id in family:
            return (
                f"requests {link.request_id} and {link.other_id} must be kept apart; "
                "placing this request with both would put them in one house"
            )
    return ""


def links(*, session: Session, request_ids: Sequence[int]) -> Sequence[RequestLink]:
    """The links from these requests to others."""
    return session.exec(select(RequestLink).where(col(RequestLink.request_id).in_(request_ids))).all()


def families(*, session: Session, request_ids: Iterable[int]) -> dict[int, frozenset[int]]:
    """Each request's family: itself and every request to be placed together with it, however indirectly.

    Placing together is transitive: if A goes with B and B with C, then A and C share B's house too.
    """
    wanted = list(request_ids)
    partners: dict[int, set[int]] = defaultdict(set)
    seen = set(wanted)
    frontier = set(wanted)
    while frontier:
        pairs = session.exec(
            select(RequestLink.request_id, RequestLink.other_id).where(
                col(RequestLink.request_id).in_(sorted(frontier)), col(RequestLink.kind) == LinkKind.place_together
            )
        ).all()
        for request_id, other_id in pairs:
            partners[request_id].add(other_id)
        frontier = {other_id for _, other_id in pairs} - seen
        seen |= frontier
    found: dict[int, frozenset[int]] = {}
    for start in wanted:
        if start in found:
            continue
        members: set[int] = set()
        unvisited = [start]
        while unvisited:
            member = unvisited.pop()
            if member not in members:
                members.add(member)
                unvisited.extend(partners[member] - members)
        found |= dict.fromkeys(members, frozenset(members))
    return {request_id: found[request_id] for request_id in wanted}


def family(*, session: Session, request_ids: Iterable[int]) -> set[int]:
    """These requests and everyone in their families."""
    return set().union(*families(session=session, request_ids=request_ids).values())


def describe(*, session: Session, request: PlacementRequest) -> RequestPublic:
    """A request as its officers see it, with the requests it is linked to."""
    found = links(session=session, request_ids=[request.id or 0])
    audit.record(session, Action.view_needs, object_type="request", object_id=request.id)
    return RequestPublic.model_validate(
        request,
        update={
            "keep_apart": sorted(link.other_id for link in found if link.kind == LinkKind.keep_apart),
            "place_together": sorted(link.other_id for link in found if link.kind == LinkKind.place_together),
        },
    )


def get(*, session: Session, request_id: int) -> PlacementRequest | None:
    """Return one placement request by id."""
    return session.get(PlacementRequest, request_id)


def get_all(*, session: Session, organisation_id: int | None = None) -> Sequence[PlacementRequest]:
    """Return placement requests, newest first: all of them, or one organisation's."""
    query = select(PlacementRequest).order_by(col(PlacementRequest.created_at).desc(), col(PlacementRequest.id).desc())
    if organisation_id is not None:
        query = query.where(PlacementRequest.organisation_id == organisation_id)
    return session.exec(query).all()


def get_open_twin(*, session: Session, organisation_id: int, data: RequestCreate) -> PlacementRequest | None:
    """The organisation's open request with this reference and exactly these needs, if one was recorded already.

    An officer who keeps a request in the queue, then records where the person went, or holds another
    house after a refusal, is still asking for one person: counting them twice would inflate unmet need.
    Co-victims share a case reference, so the needs must match too.
    """
    query = select(PlacementRequest).where(
        PlacementRequest.organisation_id == organisation_id,
        PlacementRequest.reference == data.reference,
        col(PlacementRequest.status) == RequestStatus.open,
    )
    wanted = data.model_dump(exclude={"keep_apart", "place_together"})
    for candidate in session.exec(query.order_by(col(PlacementRequest.id).desc())):
        if candidate.model_dump(include=set(wanted)) == wanted:
            return candidate
    return None


class HouseIndex:
    """The houses' matching attributes, indexed once and rebuilt only when a house or organisation changes.

    Free beds and confirmation times are read fresh on every search: they change by the minute. The
    rest is kept while the houses' and organisations' versions (which every change counts) stay the
    same, so an edit made through any process is seen by the next search in every other.
    """

    def __init__(self) -> None:
        self._built: tuple[tuple[object, ...], search_module.SearchIndex] | None = None
        self._rebuilding = threading.Lock()

    def _versions(self, session: Session) -> tuple[object, ...]:
        """What the index was built from: the database, and its houses' and organisations' counts and versions."""
        counts = (
            int(value or 0)
            for model in (House, Organisation)
            for value in session.exec(select(func.count(), func.sum(model.version), func.max(model.id))).one()
        )
        return (str(session.get_bind().engine.url), *counts)

    def get(self, *, session: Session, stale_after: timedelta) -> search_module.SearchIndex:
        versions = self._versions(session)
        built = self._built
        if built is None or built[0] != versions:
            # One rebuild at a time; a search that waited for another's finds it done.
            with self._rebuilding:
                built = self._built
                if built is None or built[0] != versions:
                    houses = capacity_service.describe_houses(
                        session=session,
                        houses=capacity_service.get_all_houses(session=session),
                        stale_after=stale_after,
                        show_address=lambda _: False,
                    )
                    built = versions, search_module.SearchIndex.of(houses)
                    self._built = built
        index = built[1]
        row = index.table.position
        free = np.zeros(len(row), dtype=np.int64)
        confirmed = np.zeros(len(row), dtype=np.int64)
        available = func.count(col(Bed.id)).filter(col(Bed.status) == BedStatus.available)
        query = select(House.id, House.vacancies_confirmed_at, available).outerjoin(Bed).group_by(col(House.id))
        for house_id, confirmed_at, count in session.exec(query):
            if house_id not in row:
                continue  # added since the versions were read: the next search indexes it
            free[row[house_id]] = count
            confirmed[row[house_id]] = search_module.microseconds(confirmed_at)
        return index.with_vacancies(free, confirmed, stale_before=clock.now() - stale_after)


def search(
    *,
    session: Session,
    needs: RequestNeeds,
    stale_after: timedelta,
    index: HouseIndex | None = None,
    limit: int | None = None,
) -> SearchResult:
    """Every house that can take this person now, ranked (the best `limit`), and the rest counted by reason."""
    houses = (index or HouseIndex()).get(session=session, stale_after=stale_after)
    return search_module.rank(search_module.request_snapshot(needs), houses, limit=limit)
