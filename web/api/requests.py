"""Placement requests and instant search: officers (and admins) only."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from capacity.models import User
from matching import holds
from matching import service as matching_service
from matching.models import (
    FallbackCreate,
    PlacementRequest,
    RequestCreate,
    RequestNeeds,
    RequestPublic,
    SearchResult,
)
from web import authz
from web.authz import Permission
from web.deps import HouseIndexDep, PathId, SearchLimit, SessionDep, SettingsDep, require

router = APIRouter(tags=["requests"])
Requester = Annotated[User, Depends(require(Permission.make_requests))]
DEFAULT_SEARCH_LIMIT = 50


def readable_request(request_id: PathId, session: SessionDep, user: Requester) -> PlacementRequest:
    """Return the request named in the path if the user may read it; 404 or 403 otherwise."""
    request = matching_service.get(session=session, request_id=request_id)
    if request is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no placement request with id {request_id}")
    if not authz.can_read_request(user, request):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this request belongs to another organisation")
    return request


@router.post("/search", response_model=SearchResult)
def search(
    needs: RequestNeeds,
    user: Requester,
    session: SessionDep,
    settings: SettingsDep,
    index: HouseIndexDep,
    limit: SearchLimit = DEFAULT_SEARCH_LIMIT,
) -> SearchResult:
    """Every house that can take a person with these needs now, ranked, and why the others cannot."""
    return matching_service.search(
        session=session, needs=needs, stale_after=settings.stale_after, index=index, limit=limit
    )


@router.post("/requests", response_model=RequestPublic, status_code=status.HTTP_201_CREATED)
def create_request(data: RequestCreate, user: Requester, session: SessionDep, index: HouseIndexDep) -> RequestPublic:
    """Record a placement request: a case reference and the needs, never a name or a story."""
    created = matching_service.create(session=session, officer=user, data=data, index=index)
    return matching_service.describe(session=session, request=created)


@router.get("/requests", response_model=list[RequestPublic])
def list_requests(user: Requester, session: SessionDep) -> list[RequestPublic]:
    """Requests newest first: an officer's organisation's, or every request for an admin."""
    organisation_id = None if authz.has_permission(user, Permission.manage_any_house) else user.organisation_id
    found = matching_service.get_all(session=session, organisation_id=organisation_id)
    return [matching_service.describe(session=session, request=request) for request in found]


@router.get("/requests/{request_id}", response_model=RequestPublic)
def get_request(request: Annotated[PlacementRequest, Depends(readable_request)], session: SessionDep) -> RequestPublic:
    """One placement request."""
    return matching_service.describe(session=session, request=request)


@router.get("/requests/{request_id}/search", response_model=SearchResult)
def search_for_request(
    request: Annotated[PlacementRequest, Depends(readable_request)],
    session: SessionDep,
    settings: SettingsDep,
    index: HouseIndexDep,
    limit: SearchLimit = DEFAULT_SEARCH_LIMIT,
) -> SearchResult:
    """The instant search for a recorded request."""
    return matching_service.search(
        session=session, needs=request, stale_after=settings.stale_after, index=index, limit=limit
    )


@router.post("/requests/{request_id}/fallback", response_model=RequestPublic)
def record_fallback(
    data: FallbackCreate, request: Annotated[PlacementRequest, Depends(readable_request)], session: SessionDep
) -> RequestPublic:
    """Close an open request with where the person went instead (hotel, police station...): unmet need."""
    closed = holds.record_fallback(session=session, request=request, fallback=data.fallback)
    return matching_service.describe(session=session, request=closed)
