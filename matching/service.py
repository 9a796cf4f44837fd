"""Placement requests and search, over the database."""

from collections.abc import Sequence
from datetime import timedelta

from sqlmodel import Session, col, select

from capacity import clock
from capacity import service as capacity_service
from capacity.models import User
from matching import search as search_module
from matching.models import PlacementRequest, RequestCreate, RequestNeeds, SearchResult


def create(*, session: Session, officer: User, data: RequestCreate) -> PlacementRequest:
    """Record a placement request for the officer's organisation."""
    request = PlacementRequest.model_validate(
        data,
        update={"officer_id": officer.id, "organisation_id": officer.organisation_id, "created_at": clock.now()},
    )
    session.add(request)
    session.commit()
    session.refresh(request)
    return request


def get(*, session: Session, request_id: int) -> PlacementRequest | None:
    """Return one placement request by id."""
    return session.get(PlacementRequest, request_id)


def get_all(*, session: Session, organisation_id: int | None = None) -> Sequence[PlacementRequest]:
    """Return placement requests, newest first: all of them, or one organisation's."""
    query = select(PlacementRequest).order_by(col(PlacementRequest.created_at).desc(), col(PlacementRequest.id).desc())
    if organisation_id is not None:
        query = query.where(PlacementRequest.organisation_id == organisation_id)
    return session.exec(query).all()


def search(*, session: Session, needs: RequestNeeds, stale_after: timedelta) -> SearchResult:
    """Every house that can take this person now, ranked, and the rest counted by reason."""
    houses = capacity_service.describe_houses(
        session=session,
        houses=capacity_service.get_all_houses(session=session),
        stale_after=stale_after,
        show_address=lambda _: False,
    )
    return search_module.search(needs, houses)
