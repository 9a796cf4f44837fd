"""Server-rendered pages; each renders whole, or as one block when htmx asks (HX-Request)."""

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2_fragments.fastapi import Jinja2Blocks

from capacity import clock, vocab
from capacity import service as capacity_service
from capacity.models import House, User
from providers import service as providers_service
from web import accounts, authz
from web.api.auth import set_session_cookie
from web.authz import Permission
from web.deps import SessionDep, SettingsDep, managed_house, optional_user, session_cookie_name, session_token

templates = Jinja2Blocks(directory=Path(__file__).parent / "templates")
templates.env.globals["label"] = vocab.label
templates.env.filters["label"] = vocab.label
templates.env.globals["language_name"] = vocab.language_name

router = APIRouter(include_in_schema=False)


def render(
    request: Request, template: str, context: dict[str, Any], *, block: str = "content", status_code: int = 200
) -> HTMLResponse:
    """Render a whole page, or only `block` when htmx made the request."""
    partial = request.headers.get("hx-request") == "true"
    response = templates.TemplateResponse(
        request, template, context, block_name=block if partial else None, status_code=status_code
    )
    assert isinstance(response, HTMLResponse)
    return response


def ago(moment: Any) -> str:
    """Say how long ago a moment was, in the largest whole unit."""
    minutes = int((clock.now() - moment).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    return f"{hours} h ago" if hours < 48 else f"{hours // 24} days ago"


templates.env.globals["ago"] = ago


@router.get("/login", name="login_page")
def login_page(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> Response:
    """The log-in form."""
    if user is not None:
        return RedirectResponse(request.url_for("home"), status_code=status.HTTP_303_SEE_OTHER)
    return render(request, "login.html", {"error": None, "email": ""})


@router.post("/login", name="login")
def login(
    request: Request,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=accounts.MAX_PASSWORD_LENGTH)],
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Check the credentials, start a session and go home."""
    user = accounts.authenticate(session=session, email=email, password=password)
    if user is None:
        context = {"error": "Wrong email or password.", "email": email}
        return render(request, "login.html", context, status_code=status.HTTP_401_UNAUTHORIZED)
    response = RedirectResponse(request.url_for("home"), status_code=status.HTTP_303_SEE_OTHER)
    set_session_cookie(response, accounts.start_session(session=session, user=user), settings)
    return response


@router.post("/logout", name="logout")
def logout(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """End the session and return to the log-in form."""
    token = session_token(request, settings)
    if token:
        accounts.end_session(session=session, token=token)
    response = RedirectResponse(request.url_for("login_page"), status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(session_cookie_name(settings), path="/")
    return response


@router.get("/", name="home")
def home(
    request: Request, user: Annotated[User | None, Depends(optional_user)], session: SessionDep, settings: SettingsDep
) -> Response:
    """Each role's start page: houses for officers and providers, aggregates for commissioners."""
    if user is None:
        return RedirectResponse(request.url_for("login_page"), status_code=status.HTTP_303_SEE_OTHER)
    organisation = capacity_service.get_organisation(session=session, organisation_id=user.organisation_id)
    context: dict[str, Any] = {"user": user, "organisation": organisation, "houses": [], "beds": {}, "summary": None}
    if authz.can_read_houses(user):
        houses = [h for h in capacity_service.get_all_houses(session=session) if authz.can_read_house(user, h)]
        context["houses"] = capacity_service.describe_houses(
            session=session,
            houses=houses,
            stale_after=settings.stale_after,
            show_address=lambda house: authz.can_see_address(user, house),
        )
        context["manages"] = {h.id for h in houses if authz.can_manage_house(user, h)}
    if authz.has_permission(user, Permission.read_capacity_report):
        context["summary"] = capacity_service.capacity_summary(session=session, stale_after=settings.stale_after)
    return render(request, "home.html", context)


@router.post("/houses/{house_id}/confirm", name="confirm_house")
def confirm_house(
    request: Request,
    house: Annotated[House, Depends(managed_house)],
    user: Annotated[User | None, Depends(optional_user)],
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """All still correct, from the provider's board; answers with the refreshed house row."""
    confirmed = providers_service.confirm_house(session=session, house=house)
    described = capacity_service.describe_houses(
        session=session, houses=[confirmed], stale_after=settings.stale_after, show_address=lambda _: True
    )[0]
    return templates.TemplateResponse(
        request, "home.html", {"house": described, "manages": {confirmed.id}, "user": user}, block_name="house_row"
    )
