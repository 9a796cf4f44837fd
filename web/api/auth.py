"""Log in and out."""

from fastapi import APIRouter, HTTPException, Request, Response, status
from sqlmodel import Field, Session, SQLModel

from capacity.models import UserPublic
from web import accounts, csrf
from web.accounts import LoginForm
from web.deps import CurrentUser, OptionalUser, SessionDep, SettingsDep, session_cookie_name, session_token
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


@router.post("/login", response_model=LoginResult, name="api_login")
def login(form: LoginForm, response: Response, session: SessionDep, settings: SettingsDep) -> LoginResult:
    """Log in with email and password; the session token comes back as a cookie and in the body."""
    user = accounts.authenticate(session=session, email=form.email, password=form.password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password")
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
