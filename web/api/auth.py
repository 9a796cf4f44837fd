"""Log in and out."""

from fastapi import APIRouter, HTTPException, Request, Response, status
from sqlmodel import Field, Session, SQLModel

from capacity import audit
from capacity.models import UserPublic
from web import accounts, csrf, totp
from web.accounts import LoginForm
from web.deps import (
    CurrentUser,
    OptionalUser,
    SessionDep,
    SettingsDep,
    client_address,
    session_cookie_name,
    session_token,
)
from web.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])


class LoginResult(SQLModel):
    user: UserPublic
    token: str = Field(description="Send as `Authorization: Bearer <token>`; or keep the cookie set with it")
    csrf_token: str = Field(description="With the cookie, send this in an `X-CSRF-Token` header on every change")


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    """Put the log-in token in a cookie only this site's pages can send."""
    response.set_cookie(
        session_cookie_name(settings),
        token,
        max_age=int(settings.session_absolute.total_seconds()),
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )


def log_out(*, request: Request, response: Response, session: Session, settings: Settings) -> None:
    """End the request's log-in session, if it is still live, and clear the cookie either way."""
    token = session_token(request, settings)
    if token:
        accounts.end_session(session=session, token=token)
    response.delete_cookie(session_cookie_name(settings), path="/")
    # The browser drops what it kept of the session's pages too (ASVS 14.3.1).
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'


@router.post(
    "/login",
    response_model=LoginResult,
    name="api_login",
    responses={429: {"description": "Too many failed log-ins for this account or address; see Retry-After"}},
)
def login(
    request: Request, form: LoginForm, response: Response, session: SessionDep, settings: SettingsDep
) -> LoginResult:
    """Log in with email, password and (for an account with a second factor) the code; the token comes back
    as a cookie and in the body. An account that must have a second factor sets it up in a browser first."""
    audit.set_actor(session, user=None, client=client_address(request))
    user = accounts.authenticate(session=session, email=form.email, password=form.password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password")
    if totp.is_required(user, settings):
        if user.totp_secret is None:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, "this account must set up a second factor: log in once in a browser"
            )
        if not form.code:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "this account needs its second-factor code: send code")
        if not totp.check_code(session, user, form.code):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong second-factor code")
    token = accounts.start_session(session=session, user=user)
    set_session_cookie(response, token, settings)
    return LoginResult(user=UserPublic.model_validate(user), token=token, csrf_token=csrf.token_for(token))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, name="api_logout")
def logout(
    request: Request, response: Response, user: OptionalUser, session: SessionDep, settings: SettingsDep
) -> None:
    """End this log-in session, if it is still live, and clear the cookie either way."""
    log_out(request=request, response=response, session=session, settings=settings)


@router.get("/me", response_model=UserPublic)
def me(user: CurrentUser) -> UserPublic:
    """Return the logged-in account."""
    return UserPublic.model_validate(user)
