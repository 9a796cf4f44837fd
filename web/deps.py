"""Dependencies that validate: the session, the current user, and the things a path names."""

import ipaddress
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request, status
from sqlmodel import Session

from capacity import audit
from capacity import service as capacity_service
from capacity.models import MAX_ID, Bed, House, Organisation, User
from matching.service import HouseIndex
from web import accounts, authz, csrf
from web.authz import Permission
from web.db import get_session
from web.settings import Settings, get_settings

# "function": what is left pending (the audit of a view) is committed before the answer goes, not after.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def house_index(request: Request) -> HouseIndex:
    """The application's index of houses for instant search."""
    index: HouseIndex = request.app.state.house_index
    return index


HouseIndexDep = Annotated[HouseIndex, Depends(house_index)]
SearchLimit = Annotated[int, Query(ge=1, le=1000, description="How many of the best houses to list")]

# Ids are PostgreSQL `integer`s; a larger one in a path is the caller's mistake (422), not a database error (500).
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


def session_cookie_name(settings: Settings) -> str:
    """The `__Host-` prefix pins the cookie to this host, but browsers accept it only over HTTPS."""
    return "__Host-safebeds" if settings.secure_cookies else "safebeds_session"


def bearer_token(request: Request) -> str | None:
    """Return the log-in token of an `Authorization: Bearer` header, if any."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def session_token(request: Request, settings: SettingsDep) -> str | None:
    """Return the log-in token from an `Authorization: Bearer` header or the session cookie."""
    return bearer_token(request) or request.cookies.get(session_cookie_name(settings))


def client_address(request: Request) -> str | None:
    """The network address the request came from (the proxy's own, unless it is a trusted proxy); None if it is
    not an IP address (a forged `X-Forwarded-For` is never recorded, nor counted as an address to throttle)."""
    host = request.client.host if request.client else None
    try:
        return str(ipaddress.ip_address(host)) if host else None
    except ValueError:
        return None


def logged_in_user(request: Request, session: SessionDep, settings: SettingsDep) -> User | None:
    """Return the logged-in user, or None.

    Sync on purpose: FastAPI runs it in the thread pool. Run on the event loop, a wait for SQLite's
    write lock would stall the loop, and with it the request holding the lock. Whoever it is, and
    from where, is what the audit log records for anything this request does.
    """
    request.state.db = session
    audit.set_actor(session, user=None, client=client_address(request))
    token = bearer_token(request)
    from_cookie = token is None
    token = token or request.cookies.get(session_cookie_name(settings))
    if not token:
        return None
    user = accounts.resume_session(
        session=session,
        token=token,
        idle=settings.session_idle,
        absolute=settings.session_absolute,
    )
    audit.set_actor(session, user=user, client=client_address(request))
    if user is not None and from_cookie:
        request.state.cookie_token = token
        request.state.csrf_token = csrf.token_for(token)
    return user


async def optional_user(request: Request, user: Annotated[User | None, Depends(logged_in_user)]) -> User | None:
    """The logged-in user, or None; a change sent with the session cookie must carry its CSRF token."""
    cookie_token = getattr(request.state, "cookie_token", None)
    if user is not None and cookie_token:
        await csrf.check_token(request, cookie_token)
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]


def is_htmx(request: Request) -> bool:
    """Whether htmx sent the request (and so wants a fragment, not a whole page)."""
    return request.headers.get("hx-request") == "true"


def current_user(request: Request, user: OptionalUser) -> User:
    """Return the logged-in user, or answer 401 (and send an htmx click whose session has ended to the log-in page)."""
    if user is None:
        headers = {"WWW-Authenticate": "Bearer"}
        if is_htmx(request):
            # htmx swaps nothing on a 401, so without this the click would silently do nothing.
            headers["HX-Redirect"] = request.url_for("login_page").path
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "log in first", headers=headers)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require(permission: Permission) -> Callable[[User], User]:
    """Return a dependency that lets through only users whose role grants `permission`."""

    def check(user: CurrentUser) -> User:
        if not authz.has_permission(user, permission):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"the {user.role} role may not do this")
        return user

    check.__name__ = f"require_{permission.value}"
    return check


def forbidden(message: str) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, message)


def valid_organisation_id(organisation_id: PathId, session: SessionDep) -> Organisation:
    """Return the organisation named in the path, or 404."""
    organisation = capacity_service.get_organisation(session=session, organisation_id=organisation_id)
    if organisation is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no organisation with id {organisation_id}")
    return organisation


def valid_house_id(house_id: PathId, session: SessionDep) -> House:
    """Return the house named in the path, or 404."""
    house = capacity_service.get_house(session=session, house_id=house_id)
    if house is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no house with id {house_id}")
    return house


def readable_house(house: Annotated[House, Depends(valid_house_id)], user: CurrentUser) -> House:
    """Return the house if the user may read it, else 403."""
    if not authz.can_read_house(user, house):
        raise forbidden("this house is not yours to see")
    return house


def managed_house(house: Annotated[House, Depends(valid_house_id)], user: CurrentUser) -> House:
    """Return the house if the user may change it, else 403."""
    if not authz.can_manage_house(user, house):
        raise forbidden("only the house's own organisation may change it")
    return house


def managed_bed(bed_id: PathId, session: SessionDep, user: CurrentUser) -> Bed:
    """Return the bed named in the path if the user may change it; 404 or 403 otherwise."""
    bed = capacity_service.get_bed(session=session, bed_id=bed_id)
    if bed is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no bed with id {bed_id}")
    house = capacity_service.get_house(session=session, house_id=bed.house_id)
    if house is None or not authz.can_manage_house(user, house):
        raise forbidden("only the house's own organisation may change its beds")
    return bed


def editable_organisation(
    organisation: Annotated[Organisation, Depends(valid_organisation_id)], user: CurrentUser
) -> Organisation:
    """Return the organisation if the user may edit it, else 403."""
    if not authz.can_edit_organisation(user, organisation):
        raise forbidden("only the organisation itself or an admin may change it")
    return organisation


def house_owner(
    organisation: Annotated[Organisation, Depends(valid_organisation_id)], user: CurrentUser
) -> Organisation:
    """Return the organisation if the user may add houses to it, else 403."""
    if not authz.can_add_house_to(user, organisation):
        raise forbidden("only the organisation itself or an admin may add houses to it")
    return organisation
