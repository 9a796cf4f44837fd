"""Server-rendered pages; each renders whole, or as one block when htmx asks (HX-Request)."""

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import pass_context
from jinja2.runtime import Context
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup
from sqlmodel import Session

from capacity import audit, clock, vocab
from capacity import service as capacity_service
from capacity.audit import Action
from capacity.errors import ConflictError, DomainError
from capacity.models import User
from matching import holds
from matching import service as matching_service
from matching.models import DeclineReason, Fallback, Hold, HoldStatus, PlacementRequest, RequestCreate, RequestNeeds
from matching.service import HouseIndex
from web import authz, csrf
from web.api import holds as holds_api
from web.api import houses as houses_api
from web.api.holds import ReadableHold, decidable_hold
from web.api.requests import readable_request
from web.authz import Permission
from web.deps import CurrentUser, HouseIndexDep, OptionalUser, SessionDep, SettingsDep, is_htmx, require
from web.find import FindForm, HoldForm, choices, fallback_from, gap, needs_and_request_from, needs_from
from web.settings import Settings


@pass_context
def url_for(context: Context, name: str, /, **path_params: Any) -> str:
    """The path of a named route: behind an HTTPS proxy the app sees http://, so a full URL would be wrong."""
    request: Request = context["request"]
    return request.url_for(name, **path_params).path


templates = Jinja2Blocks(directory=Path(__file__).parent / "templates")
templates.env.globals["url_for"] = url_for
templates.env.globals["label"] = vocab.label
templates.env.filters["label"] = vocab.label
templates.env.filters["language_name"] = vocab.language_name
templates.env.filters["query"] = lambda fields: urlencode(fields, doseq=True)

router = APIRouter(include_in_schema=False)


def redirect(request: Request, name: str) -> RedirectResponse:
    """See Other, to the path of a named page (a path, so it holds behind an HTTPS proxy)."""
    return RedirectResponse(request.url_for(name).path, status_code=status.HTTP_303_SEE_OTHER)


def render(
    request: Request, template: str, context: dict[str, Any], *, block: str = "content", status_code: int = 200
) -> HTMLResponse:
    """Render a whole page, or only `block` when htmx made the request."""
    partial = is_htmx(request)
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


def in_words(duration: timedelta) -> str:
    """Say a duration as people do: "24 hours", "1 hour", "90 minutes"."""
    minutes = duration.total_seconds() / 60
    if minutes % 60 == 0:
        hours = int(minutes // 60)
        return "1 hour" if hours == 1 else f"{hours} hours"
    if minutes.is_integer():
        return "1 minute" if minutes == 1 else f"{int(minutes)} minutes"
    return f"{minutes / 60:g} hours"


templates.env.globals["ago"] = ago


@pass_context
def csrf_token(context: Context) -> str:
    """This log-in's CSRF token (empty before log-in), for `hx-headers` and each form's hidden field."""
    request: Request = context["request"]
    return str(getattr(request.state, "csrf_token", ""))


@pass_context
def csrf_field(context: Context) -> Markup:
    """The hidden field every `<form method="post">` carries."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(csrf.FIELD, csrf_token(context))


templates.env.globals["csrf_token"] = csrf_token
templates.env.globals["csrf_field"] = csrf_field

# Each role's pages, in the order the header lists them: (route name, words, who may go there).
NAVIGATION = [
    ("my_houses", "My houses", Permission.manage_own_houses),
    ("find_bed", "Find a bed", Permission.make_requests),
    ("my_requests", "My requests", Permission.make_requests),
    ("allocation_queue", "The queue", Permission.allocate_queue),
    ("gaps", "The gaps", Permission.read_capacity_report),
    ("whatif", "What-if", Permission.read_capacity_report),
    ("recommend", "New beds", Permission.read_capacity_report),
    ("admin_home", "Administration", Permission.manage_users),
]


def navigation(user: User) -> list[tuple[str, str]]:
    """The header's links for this user's role."""
    return [(route, words) for route, words, needed in NAVIGATION if authz.has_permission(user, needed)]


templates.env.globals["navigation"] = navigation


@router.get("/", name="home")
def home(request: Request, user: OptionalUser, session: SessionDep, settings: SettingsDep) -> Response:
    """Each role's start page: houses for officers, coordinators and providers, aggregates for commissioners."""
    if user is None:
        return redirect(request, "login_page")
    organisation = capacity_service.get_organisation(session=session, organisation_id=user.organisation_id)
    context: dict[str, Any] = {"user": user, "organisation": organisation, "houses": [], "summary": None}
    context["manages"] = set()
    context["can_find"] = authz.has_permission(user, Permission.make_requests)
    context["can_administer"] = authz.has_permission(user, Permission.manage_users)
    if authz.can_read_houses(user):
        houses = houses_api.readable_houses(user=user, session=session)
        context["houses"] = houses_api.describe_for(user=user, session=session, settings=settings, houses=houses)
        context["manages"] = {h.id for h in houses if authz.can_manage_house(user, h)}
    context["can_keep_houses"] = authz.has_permission(user, Permission.manage_own_houses)
    if context["manages"]:
        context |= incoming_holds(session, user, sorted(context["manages"]))
    if authz.has_permission(user, Permission.read_capacity_report):
        context["summary"] = capacity_service.capacity_summary(session=session, stale_after=settings.stale_after)
        context["stale_after"] = in_words(settings.stale_after)
    return render(request, "home.html", context)


def incoming_holds(session: Session, user: User, house_ids: list[int]) -> dict[str, Any]:
    """The holds on these houses waiting for the provider's answer, for incoming_holds.html."""
    holds.expire_due(session=session)
    waiting = holds.get_all(session=session, house_ids=house_ids, request_ids=None)
    shown = [holds_api.show(session, h, user) for h in waiting if h.status == HoldStatus.waiting]
    return {"incoming": shown, "decline_reasons": DECLINE_REASONS}


Requester = Annotated[User, Depends(require(Permission.make_requests))]
DecidableHold = Annotated[Hold, Depends(decidable_hold)]
FOUND_LIMIT = 20


@router.get("/find", name="find_bed")
def find_bed(request: Request, user: Requester) -> Response:
    """Find a bed now: the person's needs; results follow as each need is entered."""
    context: dict[str, Any] = {
        "user": user,
        "form": FindForm(),
        "result": None,
        "gap": None,
        "problems": {},
        **choices(),
    }
    return render(request, "find.html", context)


@router.post("/find", name="find_bed_results")
def find_bed_results(
    request: Request,
    user: Requester,
    form: Annotated[FindForm, Form()],
    session: SessionDep,
    settings: SettingsDep,
    index: HouseIndexDep,
) -> Response:
    """The houses that can take the person now, best first, and why the others cannot (the results block)."""
    needs, problems = needs_from(form)
    context = {"user": user, "form": form, "problems": problems, **_found(session, settings, index, needs)}
    return render(request, "find.html", context | choices(), block="results")


def _found(session: Session, settings: Settings, index: HouseIndex, needs: RequestNeeds | None) -> dict[str, Any]:
    """The search for these needs, and the gap in provision when nothing fits, for the results block."""
    if needs is None:
        return {"result": None, "gap": None}
    result = matching_service.search(
        session=session, needs=needs, stale_after=settings.stale_after, index=index, limit=FOUND_LIMIT
    )
    return {"result": result, "gap": gap(needs, result)}


@router.post("/find/hold", name="find_bed_hold")
def find_bed_hold(
    request: Request,
    user: Requester,
    form: Annotated[HoldForm, Form()],
    session: SessionDep,
    settings: SettingsDep,
    index: HouseIndexDep,
) -> Response:
    """Record the request and hold a house for it, in one tap from the results."""
    needs, data, problems = needs_and_request_from(form)
    house = capacity_service.get_house(session=session, house_id=form.house_id)
    if house is None:
        problems = problems or {"house_id": f"There is no house {form.house_id}; search again."}
    held, refused = None, None
    if data is not None and house is not None:
        recorded = _request_for(session, user, data, index)
        try:
            made = holds.hold(
                session=session, request=recorded, house=house, officer=user, expires_after=settings.hold_expiry
            )
            held = holds.describe(session=session, hold=made, show_address=False)
        except DomainError as error:
            refused = f"{error.message}. The request {recorded.reference} is recorded and waits in the queue."
    context: dict[str, Any] = {"user": user, "form": form, "problems": problems, "held": held, "refused": refused}
    context |= _found(session, settings, index, None if held else needs)
    return render(request, "find.html", context | choices(), block="results")


@router.post("/find/queue", name="find_bed_queue")
def find_bed_queue(
    request: Request,
    user: Requester,
    form: Annotated[FindForm, Form()],
    session: SessionDep,
    settings: SettingsDep,
    index: HouseIndexDep,
) -> Response:
    """Nothing fits now: record the request, to wait in the queue the coordinator allocates."""
    return _record(request, user, form, session, settings, index, fallback=None)


@router.post("/find/fallback", name="find_bed_fallback")
def find_bed_fallback(
    request: Request,
    user: Requester,
    form: Annotated[FindForm, Form()],
    session: SessionDep,
    settings: SettingsDep,
    index: HouseIndexDep,
) -> Response:
    """Nothing fits now: record the request and where the person went instead, as unmet need."""
    fallback, problems = fallback_from(form)
    if fallback is None:
        needs, need_problems = needs_from(form)
        context = {"user": user, "form": form, "problems": need_problems, "fallback_problem": problems["fallback"]}
        return render(
            request, "find.html", context | _found(session, settings, index, needs) | choices(), block="results"
        )
    return _record(request, user, form, session, settings, index, fallback=fallback)


def _record(
    request: Request,
    user: User,
    form: FindForm,
    session: Session,
    settings: Settings,
    index: HouseIndex,
    *,
    fallback: Fallback | None,
) -> Response:
    """Record the request the form describes, closed with `fallback` if one is given, and say so."""
    needs, data, problems = needs_and_request_from(form)
    recorded, fallback_problem = None, None
    if data is not None:
        recorded = _request_for(session, user, data, index)
        if fallback is not None:
            try:
                holds.record_fallback(session=session, request=recorded, fallback=fallback)
            except ConflictError:
                fallback_problem = f"{recorded.reference} has a hold now: follow it under My requests."
                recorded = None
    context: dict[str, Any] = {"user": user, "form": form, "problems": problems, "recorded": recorded}
    context["fallback_problem"] = fallback_problem
    context |= _found(session, settings, index, None if recorded else needs)
    return render(request, "find.html", context | choices(), block="results")


def _request_for(session: Session, user: User, data: RequestCreate, index: HouseIndex) -> PlacementRequest:
    """The request already recorded for this person and still open, or a new one."""
    twin = matching_service.get_open_twin(session=session, organisation_id=user.organisation_id, data=data)
    return twin or matching_service.create(session=session, officer=user, data=data, index=index)


@router.get("/holds/{hold_id}/panel", name="hold_panel")
def hold_panel(request: Request, hold: ReadableHold, user: CurrentUser, session: SessionDep) -> Response:
    """A hold as its officer follows it (waiting, accepted with the address, declined, lapsed)."""
    holds.expire_due(session=session)
    session.refresh(hold)
    return render(request, "hold.html", {"user": user, "held": holds_api.show(session, hold, user)}, block="panel")


DECLINE_REASONS = [(str(r), vocab.label(r)) for r in DeclineReason]


def _decided(request: Request, session: Session, hold: Hold, user: User, problem: str | None = None) -> Response:
    """The hold's row, for htmx to swap in; without JavaScript, back to the board of houses."""
    if not is_htmx(request):
        return redirect(request, "my_houses")
    context = {"hold": holds_api.show(session, hold, user), "decline_reasons": DECLINE_REASONS, "problem": problem}
    return templates.TemplateResponse(request, "incoming_hold.html", context)


@router.post("/holds/{hold_id}/accept", name="accept_hold_page")
def accept_hold_page(request: Request, hold: DecidableHold, user: CurrentUser, session: SessionDep) -> Response:
    """Accept from the provider's home: the person is placed; answers with the hold's new row."""
    holds.accept(session=session, hold=hold, provider=user)
    return _decided(request, session, hold, user)


@router.post("/holds/{hold_id}/decline", name="decline_hold_page")
def decline_hold_page(
    request: Request,
    hold: DecidableHold,
    user: CurrentUser,
    session: SessionDep,
    reason: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Decline from the provider's home, with a coded reason (never free text)."""
    if reason not in DeclineReason.__members__:
        return _decided(request, session, hold, user, problem="Choose a reason to decline.")
    holds.decline(session=session, hold=hold, provider=user, reason=DeclineReason(reason))
    return _decided(request, session, hold, user)


@router.get("/requests", name="my_requests")
def my_requests(request: Request, user: Requester, session: SessionDep) -> Response:
    """The officer's organisation's requests, newest first, each with its state and latest hold."""
    return _requests_page(request, user, session)


def _requests_page(
    request: Request, user: User, session: Session, problem: str | None = None, status_code: int | None = None
) -> Response:
    organisation_id = None if authz.has_permission(user, Permission.manage_any_house) else user.organisation_id
    found = matching_service.get_all(session=session, organisation_id=organisation_id)
    holds.expire_due(session=session)
    latest: dict[int, Hold] = {}
    for hold in holds.get_all(session=session, request_ids=[r.id for r in found if r.id is not None]):
        latest.setdefault(hold.request_id, hold)
    names = {h.id: h.display_name for h in capacity_service.get_all_houses(session=session)}
    rows = []
    for placement_request in found:
        last = latest.get(placement_request.id or 0)
        rows.append(
            {"request": placement_request, "hold": last, "house_name": names.get(last.house_id) if last else None}
        )
    audit.record_each(session, Action.view_needs, object_type="request", object_ids=[r.id for r in found])
    context = {"user": user, "rows": rows, "fallbacks": choices()["fallbacks"], "problem": problem}
    status_code = status_code or (status.HTTP_422_UNPROCESSABLE_CONTENT if problem else status.HTTP_200_OK)
    return render(request, "requests.html", context, status_code=status_code)


@router.post("/requests/{request_id}/fallback", name="request_fallback")
def request_fallback(
    request: Request,
    placement_request: Annotated[PlacementRequest, Depends(readable_request)],
    user: Requester,
    session: SessionDep,
    fallback: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """A request waiting in the queue is closed: where the person went instead, as unmet need."""
    if fallback not in Fallback.__members__:
        problem = f"Choose where {placement_request.reference} went instead, then Record."
        return _requests_page(request, user, session, problem=problem)
    try:
        holds.record_fallback(session=session, request=placement_request, fallback=Fallback(fallback))
    except ConflictError:
        problem = f"{placement_request.reference} is no longer waiting: it has a hold, a bed or a fallback already."
        return _requests_page(request, user, session, problem=problem, status_code=status.HTTP_409_CONFLICT)
    return redirect(request, "my_requests")
