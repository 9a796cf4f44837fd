"""Logging in and out in a browser: the password, then (where needed) a code from an authenticator app.

After the right password an account that must give a second factor gets a half-way session, which
opens nothing but `/login/code`; the right code there ends it and starts a full session with a new
token. Failed passwords and failed codes alike are recorded and throttled.
"""

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, status
from fastapi.responses import RedirectResponse, Response

from capacity import audit
from capacity.errors import InvalidError
from capacity.models import User
from web import accounts, csrf, totp
from web.accounts import LoginSession
from web.api.auth import log_out, set_session_cookie
from web.deps import (
    CurrentUser,
    OptionalUser,
    SessionDep,
    SettingsDep,
    bearer_token,
    client_address,
    session_cookie_name,
)
from web.pages import redirect, render
from web.settings import Settings

router = APIRouter(include_in_schema=False)

# How long the half-way session lasts: time to find the phone, not to walk away from the desk.
HALF_WAY = timedelta(minutes=10)
Next = Annotated[str, Query(alias="next", max_length=2000)]
NextField = Annotated[str, Form(alias="next", max_length=2000)]
CodeField = Annotated[str, Form(max_length=20)]


def local_path(next_page: str) -> str | None:
    """A path on this site to go on to after logging in, or None: never another site (`//host`, `/\\host`)."""
    if next_page.startswith("/") and not next_page.startswith(("//", "/\\")) and next_page.isprintable():
        return next_page
    return None


def going_on(request: Request, next_page: str) -> RedirectResponse:
    """See Other, to the page asked for before logging in, or home."""
    path = local_path(next_page)
    return RedirectResponse(path, status_code=status.HTTP_303_SEE_OTHER) if path else redirect(request, "home")


@router.get("/login", name="login_page")
def login_page(request: Request, user: OptionalUser, next_page: Next = "") -> Response:
    """The log-in form; `next` is the page to go on to."""
    if user is not None:
        return redirect(request, "home")
    return render(request, "login.html", {"error": None, "email": "", "next": local_path(next_page)})


@router.post("/login", name="login")
def login(
    request: Request,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=accounts.MAX_PASSWORD_LENGTH)],
    session: SessionDep,
    settings: SettingsDep,
    next_page: NextField = "",
) -> Response:
    """Check the password; then start a session, or a half-way one that asks for a code."""
    audit.set_actor(session, user=None, client=client_address(request))
    context: dict[str, Any] = {"email": email, "next": local_path(next_page)}
    try:
        user = accounts.authenticate(session=session, email=email, password=password)
    except accounts.Throttled as throttled:
        context["error"] = throttled.message.capitalize() + "."
        page = render(request, "login.html", context, status_code=status.HTTP_429_TOO_MANY_REQUESTS)
        page.headers["Retry-After"] = str(throttled.retry_after)
        return page
    if user is None:
        context["error"] = "Wrong email or password."
        return render(request, "login.html", context, status_code=status.HTTP_401_UNAUTHORIZED)
    # Whatever session this browser had before ends: a log-in always gets a new one.
    if old := request.cookies.get(session_cookie_name(settings)):
        accounts.end_session(session=session, token=old)
    if totp.is_required(user, settings):
        token = accounts.start_session(session=session, user=user, second_factor_due=True)
        path = request.url_for("second_factor_page").path
        if going := local_path(next_page):
            path += "?" + urlencode({"next": going})
        response: Response = RedirectResponse(path, status_code=status.HTTP_303_SEE_OTHER)
    else:
        token = accounts.start_session(session=session, user=user)
        response = going_on(request, next_page)
    set_session_cookie(response, token, settings)
    return response


def pending_login(request: Request, session: SessionDep, settings: SettingsDep) -> tuple[LoginSession, User, str]:
    """The half-way log-in this browser is in (password right, code not yet given), or 401."""
    token = request.cookies.get(session_cookie_name(settings)) or ""
    found = accounts.pending_session(session=session, token=token, within=HALF_WAY)
    audit.set_actor(session, user=found[1] if found else None, client=client_address(request))
    if found is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "log in first")
    request.state.csrf_token = csrf.token_for(token)
    return found[0], found[1], token


async def checked_pending_login(
    request: Request, pending: Annotated[tuple[LoginSession, User, str], Depends(pending_login)]
) -> tuple[LoginSession, User, str]:
    """The half-way log-in, with a posted code carrying its CSRF token."""
    await csrf.check_token(request, pending[2])
    return pending


PendingLogin = Annotated[tuple[LoginSession, User, str], Depends(checked_pending_login)]


def _code_page(
    request: Request, user: User, token: str, next_page: str, *, problem: str | None = None, status_code: int = 200
) -> Response:
    context: dict[str, Any] = {"user": None, "email": user.email, "problem": problem, "next": local_path(next_page)}
    context["enrol"] = totp.provisioning(totp.new_secret(token), user.email) if user.totp_secret is None else None
    return render(request, "second_factor.html", context, status_code=status_code)


@router.get("/login/code", name="second_factor_page")
def second_factor_page(request: Request, pending: PendingLogin, next_page: Next = "") -> Response:
    """The second step: a code from the authenticator app, or setting the app up first."""
    _login, user, token = pending
    return _code_page(request, user, token, next_page)


@router.post("/login/code", name="second_factor")
def second_factor(
    request: Request,
    pending: PendingLogin,
    session: SessionDep,
    settings: SettingsDep,
    code: CodeField = "",
    next_page: NextField = "",
) -> Response:
    """Check the code; if right, end the half-way session and start a full one with a new token."""
    login, user, token = pending
    if wait := accounts.throttled_for(session=session, user=user, client=client_address(request)):
        problem = accounts.Throttled(wait).message.capitalize() + "."
        return _code_page(request, user, token, next_page, problem=problem, status_code=429)
    enrolling = totp.new_secret(token) if user.totp_secret is None else None
    if not totp.check_code(session, user, code, enrolling=enrolling):
        problem = "That code is not right: enter the 6 digits your authenticator app shows now."
        return _code_page(request, user, token, next_page, problem=problem, status_code=401)
    response = going_on(request, next_page)
    set_session_cookie(response, accounts.finish_second_factor(session=session, login=login), settings)
    return response


def _account_page(
    request: Request,
    user: User,
    settings: Settings,
    *,
    problem: str | None = None,
    password_problem: dict[str, str] | None = None,
    password_changed: bool = False,
    status_code: int = 200,
) -> Response:
    token = getattr(request.state, "cookie_token", None)
    enrol = None
    if user.totp_secret is None and token:
        enrol = totp.provisioning(totp.new_secret(token), user.email)
    context = {
        "user": user,
        "enrol": enrol,
        "required": totp.is_required(user, settings),
        "problem": problem,
        "password_problem": password_problem or {},
        "password_changed": password_changed,
    }
    return render(request, "account.html", context, status_code=status_code)


@router.get("/account", name="account")
def account_page(request: Request, user: CurrentUser, settings: SettingsDep) -> Response:
    """Your account: your password, and the second factor, set up here by any account that has none."""
    return _account_page(request, user, settings)


@router.post("/account/second-factor", name="account_second_factor")
def account_second_factor(
    request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, code: CodeField = ""
) -> Response:
    """Set up a second factor from the account page (logged in with the cookie, whose token it derives from)."""
    token = getattr(request.state, "cookie_token", None)
    if token is None or user.totp_secret is not None:
        return redirect(request, "account")
    if not totp.check_code(session, user, code, enrolling=totp.new_secret(token)):
        problem = "That code is not right: enter the 6 digits your authenticator app shows now."
        return _account_page(request, user, settings, problem=problem, status_code=422)
    session.commit()
    return redirect(request, "account")


PasswordField = Annotated[str, Form(max_length=accounts.MAX_PASSWORD_LENGTH)]
PASSWORD_WORDS = {"current_password": "Current password", "new_password": "New password"}


@router.post("/account/password", name="account_password")
def account_password(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    current_password: PasswordField = "",
    new_password: PasswordField = "",
) -> Response:
    """Change one's own password, giving the current one; every other session of the account ends."""
    keep = getattr(request.state, "cookie_token", None) or bearer_token(request)
    try:
        accounts.change_password(
            session=session, user=user, current=current_password, new=new_password, keep_token=keep
        )
    except InvalidError as error:
        problem = {error.field: f"{PASSWORD_WORDS[error.field]} {error.message}."}
        return _account_page(request, user, settings, password_problem=problem, status_code=422)
    return _account_page(request, user, settings, password_changed=True)


@router.post("/logout", name="logout")
def logout(request: Request, user: OptionalUser, session: SessionDep, settings: SettingsDep) -> Response:
    """End the session and return to the log-in form."""
    response = redirect(request, "login_page")
    log_out(request=request, response=response, session=session, settings=settings)
    return response
