"""The admin's pages: organisations, accounts and their roles, and the fixed vocabularies; for admins only."""

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field, ValidationError
from sqlmodel import Session

from capacity import service as capacity_service
from capacity import vocab
from capacity.errors import ConflictError, InvalidError
from capacity.models import MAX_ID, Organisation, OrganisationCreate, OrganisationUpdate, User
from capacity.vocab import PROVIDER_TYPES, OrganisationType, Region, Role
from providers import service as providers_service
from web import accounts
from web.accounts import UserCreate
from web.api.vocabularies import vocabularies
from web.authz import Permission
from web.csrf import PageForm
from web.deps import PathId, SessionDep, is_htmx, require, valid_organisation_id
from web.pages import render, templates

router = APIRouter(prefix="/admin", include_in_schema=False)

# Only admins hold these permissions; the section's home and vocabularies sit with the accounts.
Administrator = Annotated[User, Depends(require(Permission.manage_users))]
OrganisationAdmin = Annotated[User, Depends(require(Permission.manage_organisations))]
ChosenOrganisation = Annotated[Organisation, Depends(valid_organisation_id)]

# What the browser may send is capped well above what the models accept, so that a long value
# gets a message on the page rather than a bare 422 from the form parser.
TEXT_CAP = 1000


def _see(request: Request, name: str, *, saved: int | None = None, anchor: str = "") -> Response:
    """After a change: htmx goes to the page by HX-Redirect (it would swap a 303's page in place), a browser by 303."""
    path = request.url_for(name).path + (f"?saved={saved}" if saved is not None else "") + anchor
    if is_htmx(request):
        return Response(status_code=status.HTTP_200_OK, headers={"HX-Redirect": path})
    return RedirectResponse(path, status_code=status.HTTP_303_SEE_OTHER)


def _refused(request: Request) -> int:
    """The status of a form sent back with its problems: htmx swaps only a 2xx answer, so it gets 200."""
    return status.HTTP_200_OK if is_htmx(request) else status.HTTP_422_UNPROCESSABLE_CONTENT


def _problems(error: ValidationError, plain: dict[str, str]) -> dict[str, str]:
    """The first problem with each field, in words; `plain` replaces what pydantic says about a choice or pattern."""
    problems: dict[str, str] = {}
    for found in error.errors():
        field = str(found["loc"][0]) if found["loc"] else "form"
        message = found["msg"].removeprefix("Value error, ")
        if found["type"] in {"enum", "int_parsing", "string_pattern_mismatch", "missing"} and field in plain:
            message = plain[field]
        elif found["type"] == "string_too_short" and field == "password":
            message = f"use at least {accounts.MIN_PASSWORD_LENGTH} characters"
        problems.setdefault(field, message)
    return problems


# Home ---------------------------------------------------------------------------------------------


@router.get("", name="admin_home")
def admin_home(request: Request, user: Administrator, session: SessionDep) -> Response:
    """The admin's sections, each with what it holds."""
    organisations = capacity_service.get_all_organisations(session=session)
    users = accounts.get_all_users(session=session)
    context = {
        "user": user,
        "organisations": len(organisations),
        "providers": sum(capacity_service.is_provider(o) for o in organisations),
        "houses": len(capacity_service.get_all_houses(session=session)),
        "accounts": len(users),
        "disabled": sum(not u.is_active for u in users),
        "london_areas": len(vocab.LONDON_AREAS),
        "other_areas": len(vocab.Area) - len(vocab.LONDON_AREAS),
    }
    return render(request, "admin/home.html", context)


# Organisations ------------------------------------------------------------------------------------


class OrganisationForm(PageForm):
    """The organisation form's fields as sent; the checkbox is present only when ticked."""

    name: str = Field(default="", max_length=TEXT_CAP)
    type: str = Field(default="", max_length=TEXT_CAP)
    faith_based: bool = False
    offers_email: str = Field(default="", max_length=TEXT_CAP)
    offers_phone: str = Field(default="", max_length=TEXT_CAP)


ORGANISATION_WORDS = {
    "type": "choose the organisation's type",
    "offers_phone": "give digits, spaces and brackets only, for example 020 7946 0123",
}
ORGANISATION_TYPES = [(str(t), vocab.label(t)) for t in OrganisationType]


def _organisation_values(form: OrganisationForm) -> dict[str, Any]:
    """The fields as the models take them: an empty contact is no contact."""
    return {
        "name": form.name,
        "faith_based": form.faith_based,
        "offers_email": form.offers_email.strip() or None,
        "offers_phone": form.offers_phone.strip() or None,
    }


def _organisation_form(
    request: Request,
    user: User,
    form: OrganisationForm,
    *,
    organisation: Organisation | None = None,
    problems: dict[str, str] | None = None,
) -> HTMLResponse:
    """The create or edit form, whole or (for htmx) the form alone, with its problems by field."""
    context = {
        "user": user,
        "form": form,
        "organisation": organisation,
        "problems": problems or {},
        "types": ORGANISATION_TYPES,
        "provider_types": ", ".join(vocab.label(t) for t in OrganisationType if t in PROVIDER_TYPES),
    }
    return render(
        request,
        "admin/organisation_form.html",
        context,
        block="organisation_form" if problems else "content",
        status_code=_refused(request) if problems else status.HTTP_200_OK,
    )


@router.get("/organisations", name="admin_organisations")
def admin_organisations(
    request: Request,
    user: OrganisationAdmin,
    session: SessionDep,
    saved: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """Every organisation, by name, with its type and how many houses and accounts it has."""
    houses = Counter(h.organisation_id for h in capacity_service.get_all_houses(session=session))
    users = Counter(u.organisation_id for u in accounts.get_all_users(session=session))
    rows = [
        {
            "organisation": o,
            "provider": capacity_service.is_provider(o),
            "houses": houses[o.id or 0],
            "users": users[o.id or 0],
        }
        for o in capacity_service.get_all_organisations(session=session)
    ]
    return render(request, "admin/organisations.html", {"user": user, "rows": rows, "saved": saved})


@router.get("/organisations/new", name="admin_organisation_new")
def admin_organisation_new(request: Request, user: OrganisationAdmin) -> Response:
    """The form to register an organisation."""
    return _organisation_form(request, user, OrganisationForm())


@router.post("/organisations/new", name="admin_organisation_create")
def admin_organisation_create(
    request: Request, user: OrganisationAdmin, session: SessionDep, form: Annotated[OrganisationForm, Form()]
) -> Response:
    """Register the organisation the form describes; a problem with any field saves nothing."""
    try:
        data = OrganisationCreate.model_validate(_organisation_values(form) | {"type": form.type})
        organisation = providers_service.register_organisation(session=session, data=data)
    except ValidationError as error:
        problems = _problems(error, ORGANISATION_WORDS)
        # Said now too, so that the form need not be sent a second time to learn it.
        if "name" not in problems and capacity_service.get_organisation_by_name(session=session, name=form.name):
            problems["name"] = f"an organisation called {form.name.strip()!r} already exists"
        return _organisation_form(request, user, form, problems=problems)
    except ConflictError as error:
        return _organisation_form(request, user, form, problems={"name": error.message})
    return _see(request, "admin_organisations", saved=organisation.id, anchor=f"#organisation-{organisation.id}")


@router.get("/organisations/{organisation_id}/edit", name="admin_organisation_edit")
def admin_organisation_edit(request: Request, user: OrganisationAdmin, organisation: ChosenOrganisation) -> Response:
    """The form to change an organisation's name, faith-based flag or offers contact."""
    form = OrganisationForm(
        name=organisation.name,
        type=organisation.type,
        faith_based=organisation.faith_based,
        offers_email=organisation.offers_email or "",
        offers_phone=organisation.offers_phone or "",
    )
    return _organisation_form(request, user, form, organisation=organisation)


@router.post("/organisations/{organisation_id}/edit", name="admin_organisation_update")
def admin_organisation_update(
    request: Request,
    user: OrganisationAdmin,
    organisation: ChosenOrganisation,
    session: SessionDep,
    form: Annotated[OrganisationForm, Form()],
) -> Response:
    """Change the organisation as the form says (its type stays); a problem with any field changes nothing."""
    form.type = organisation.type
    try:
        data = OrganisationUpdate.model_validate(_organisation_values(form))
        providers_service.update_organisation(session=session, organisation=organisation, data=data)
    except ValidationError as error:
        problems = _problems(error, ORGANISATION_WORDS)
        return _organisation_form(request, user, form, organisation=organisation, problems=problems)
    except ConflictError as error:
        session.refresh(organisation)
        return _organisation_form(request, user, form, organisation=organisation, problems={"name": error.message})
    return _see(request, "admin_organisations", saved=organisation.id, anchor=f"#organisation-{organisation.id}")


# Accounts and roles -------------------------------------------------------------------------------


class UserForm(PageForm):
    """The new-account form's fields as sent."""

    email: str = Field(default="", max_length=TEXT_CAP)
    organisation_id: str = Field(default="", max_length=TEXT_CAP)
    role: str = Field(default="", max_length=TEXT_CAP)
    password: str = Field(default="", max_length=TEXT_CAP)


class UserChange(PageForm):
    """A change to one account from its row: a new role, or `active` "no" to disable it and "yes" to enable it."""

    role: str = Field(default="", max_length=TEXT_CAP)
    active: str = Field(default="", max_length=TEXT_CAP)


USER_WORDS = {"organisation_id": "choose the organisation", "role": "choose one of the roles"}
ROLES = [(str(r), vocab.label(r), vocab.DESCRIPTIONS.get(r, "")) for r in Role]


def _user_rows(session: Session, users: list[User]) -> list[dict[str, Any]]:
    """The accounts grouped by organisation (organisations by name, accounts by email), with their last log-ins."""
    last = accounts.last_log_ins(session=session)
    groups = []
    for organisation in capacity_service.get_all_organisations(session=session):
        members = [u for u in users if u.organisation_id == organisation.id]
        if members:
            rows = [{"account": u, "last_log_in": last.get(u.id or 0)} for u in members]
            groups.append({"organisation": organisation, "rows": rows})
    return groups


def _users_page(
    request: Request,
    user: User,
    session: Session,
    *,
    saved: int | None = None,
    problem: tuple[int, str] | None = None,
) -> HTMLResponse:
    """The accounts page; `problem` is (user id, words) to show in that account's row."""
    context = {
        "user": user,
        "groups": _user_rows(session, list(accounts.get_all_users(session=session))),
        "roles": ROLES,
        "saved": saved,
        "problem": problem,
    }
    return render(request, "admin/users.html", context, status_code=_refused(request) if problem else 200)


def _user_row(
    request: Request, user: User, session: Session, account: User, problem: str | None, note: str | None = None
) -> HTMLResponse:
    """One account's row, for htmx to swap in after a change (or with the reason it was refused)."""
    context = {
        "user": user,
        "row": {"account": account, "last_log_in": accounts.last_log_ins(session=session).get(account.id or 0)},
        "roles": ROLES,
        "saved": None if problem else account.id,
        "problem": (account.id, problem) if problem else None,
        "note": note,
    }
    response = templates.TemplateResponse(request, "admin/users.html", context, block_name="user_row")
    assert isinstance(response, HTMLResponse)
    return response


def _user_form(
    request: Request, user: User, session: Session, form: UserForm, problems: dict[str, str] | None = None
) -> HTMLResponse:
    """The new-account form, whole or (for htmx) the form alone; the password is never sent back."""
    context = {
        "user": user,
        "form": form.model_copy(update={"password": ""}),
        "problems": problems or {},
        "organisations": capacity_service.get_all_organisations(session=session),
        "roles": ROLES,
        "min_password": accounts.MIN_PASSWORD_LENGTH,
    }
    return render(
        request,
        "admin/user_form.html",
        context,
        block="user_form" if problems else "content",
        status_code=_refused(request) if problems else status.HTTP_200_OK,
    )


@router.get("/users", name="admin_users")
def admin_users(
    request: Request,
    user: Administrator,
    session: SessionDep,
    saved: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """Every account, by organisation, with its role, whether it is active and when it last logged in."""
    return _users_page(request, user, session, saved=saved)


@router.get("/users/new", name="admin_user_new")
def admin_user_new(
    request: Request,
    user: Administrator,
    session: SessionDep,
    organisation_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """The form to create an account, for an organisation chosen beforehand if one is named."""
    form = UserForm(organisation_id=str(organisation_id or ""))
    return _user_form(request, user, session, form)


@router.post("/users/new", name="admin_user_create")
def admin_user_create(
    request: Request, user: Administrator, session: SessionDep, form: Annotated[UserForm, Form()]
) -> Response:
    """Create the account the form describes; a problem with any field creates nothing."""
    values = {"email": form.email.strip(), "password": form.password, "role": form.role}
    try:
        data = UserCreate.model_validate(values | {"organisation_id": form.organisation_id})
        created = accounts.create_user(session=session, data=data)
    except ValidationError as error:
        problems = _problems(error, USER_WORDS)
        if "email" not in problems and accounts.get_user_by_email(session=session, email=form.email):
            problems["email"] = f"an account for {form.email.strip().lower()} already exists"
        return _user_form(request, user, session, form, problems)
    except InvalidError as error:
        return _user_form(request, user, session, form, {error.field: error.message})
    except ConflictError as error:
        return _user_form(request, user, session, form, {"email": error.message})
    return _see(request, "admin_users", saved=created.id, anchor=f"#user-{created.id}")


def _change_from(form: UserChange) -> tuple[Role | None, bool | None, str | None]:
    """The role and active flag the row's form asks for, or the problem with it."""
    if form.role and form.role not in Role.__members__:
        return None, None, "Choose one of the roles."
    if form.active not in {"", "yes", "no"}:
        return None, None, "Choose to disable or to enable the account."
    if not form.role and not form.active:
        return None, None, "Choose a role, or disable or enable the account."
    return (Role(form.role) if form.role else None), {"yes": True, "no": False}.get(form.active), None


@router.post("/users/{user_id}", name="admin_user_update")
def admin_user_update(
    request: Request,
    user_id: PathId,
    user: Administrator,
    session: SessionDep,
    form: Annotated[UserChange, Form()],
) -> Response:
    """Change an account's role, or disable it (its sessions end at once) or enable it; never one's own."""
    account = accounts.get_user(session=session, user_id=user_id)
    if account is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user with id {user_id}")
    role, is_active, problem = _change_from(form)
    if problem is None:
        try:
            accounts.check_own_change(actor=user, user=account, role=role, is_active=is_active)
            accounts.update_user(session=session, user=account, role=role, is_active=is_active)
        except InvalidError as error:
            problem = error.message[0].upper() + error.message[1:] + "."
    if is_htmx(request):
        return _user_row(request, user, session, account, problem)
    if problem is not None:
        return _users_page(request, user, session, problem=(user_id, problem))
    return _see(request, "admin_users", saved=account.id, anchor=f"#user-{account.id}")


@router.post("/users/{user_id}/sessions", name="admin_user_end_sessions")
def admin_user_end_sessions(request: Request, user_id: PathId, user: Administrator, session: SessionDep) -> Response:
    """End every session of an account (a lost phone, a shared computer), without disabling it."""
    account = accounts.get_user(session=session, user_id=user_id)
    if account is None or account.id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user with id {user_id}")
    ended = accounts.end_all_sessions(session=session, user_id=account.id)
    note = f"{ended} session{'s' if ended != 1 else ''} ended."
    if is_htmx(request):
        return _user_row(request, user, session, account, None, note=note)
    return _see(request, "admin_users", saved=account.id, anchor=f"#user-{account.id}")


# Vocabularies -------------------------------------------------------------------------------------


@router.get("/vocabularies", name="admin_vocabularies")
def admin_vocabularies(request: Request, user: Administrator) -> Response:
    """The fixed vocabularies as people read them: areas by sub-region, then each list with its codes."""
    known = vocabularies()
    areas = [(vocab.label(region), [a for a in known.areas if a.region == region.value]) for region in Region]
    lists = [
        ("genders", "Genders", known.genders),
        ("nrm-stages", "NRM stages", known.nrm_stages),
        ("exploitation-types", "Exploitation types", known.exploitation_types),
        ("support-needs", "Support needs", known.support_needs),
        ("organisation-types", "Organisation types", known.organisation_types),
        ("bed-statuses", "Bed statuses", known.bed_statuses),
        ("roles", "Roles", known.roles),
        ("languages", "Common staff languages", known.common_languages),
    ]
    context = {
        "user": user,
        "areas": areas,
        "london_areas": len(vocab.LONDON_AREAS),
        "lists": lists,
        "provider_types": {str(t) for t in PROVIDER_TYPES},
    }
    return render(request, "admin/vocabularies.html", context)
