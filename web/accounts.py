"""Accounts and log-in sessions: argon2 password hashes and revocable server-side sessions."""

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pwdlib import PasswordHash
from pydantic import EmailStr
from sqlmodel import Field, Session, SQLModel, col, func, select, update
from zxcvbn import zxcvbn

from capacity import audit, clock
from capacity import service as capacity_service
from capacity.audit import Action, AuditEvent
from capacity.errors import ConflictError, DomainError, InvalidError
from capacity.models import MAX_ID, StrictInput, User, UTCDateTime
from capacity.vocab import Role

password_hash = PasswordHash.recommended()
# Hashed once so that a log-in for an unknown email costs as much as one for a known email.
_DUMMY_HASH = password_hash.hash("not a real password")

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
# How hard a password must be to guess, on zxcvbn's scale of 0 to 4: 3 is "safely unguessable" online.
MIN_PASSWORD_SCORE = 3
# No more than this many failed log-ins per account, and per network address, in each window.
FAILED_LOG_IN_LIMIT = 10
FAILED_LOG_IN_WINDOW = timedelta(minutes=5)


class LoginSession(SQLModel, table=True):
    """A log-in: the browser holds a random token, the database holds only its hash."""

    __tablename__ = "login_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Password right, second factor not yet given: such a session opens nothing but the second-factor page.
    second_factor_due: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class UserCreate(StrictInput):
    email: EmailStr = Field(max_length=254)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
    role: Role
    organisation_id: int = Field(ge=1, le=MAX_ID)


class LoginForm(StrictInput):
    email: str = Field(max_length=254)
    password: str = Field(max_length=MAX_PASSWORD_LENGTH)
    code: str | None = Field(
        default=None, max_length=20, description="The 6-digit code from an authenticator app, for accounts with one"
    )


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_rules(password: str, *, email: str) -> None:
    """Raise InvalidError for a password that is easy to guess (its length is checked by UserCreate).

    As the NCSC advises: long, not common, no rules about symbols, never expiring. A password is
    refused if it is the email address, or if zxcvbn (which knows 30,000 common passwords, words,
    names, dates, keyboard patterns and the email's own parts) rates it guessable.
    """
    if password.strip().casefold() == email.strip().casefold():
        raise InvalidError("password", "must not be the email address")
    local, _, domain = email.partition("@")
    rating = zxcvbn(password[:100], user_inputs=[email, local, *domain.split("."), "safebeds", "safe", "beds"])
    if rating["score"] < MIN_PASSWORD_SCORE:
        warning = rating["feedback"]["warning"] or "It would be easy to guess."
        raise InvalidError("password", f"is too easy to guess. {warning} Try three or four unrelated words.")


def get_user_by_email(*, session: Session, email: str) -> User | None:
    """Return the user with this email, compared without case."""
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def get_user(*, session: Session, user_id: int) -> User | None:
    """Return one account by id."""
    return session.get(User, user_id)


def get_all_users(*, session: Session) -> Sequence[User]:
    """Return every account, by email."""
    return session.exec(select(User).order_by(col(User.email))).all()


def create_user(*, session: Session, data: UserCreate) -> User:
    """Create an account in an organisation; a provider account must belong to a provider."""
    email = data.email.strip().lower()
    check_password_rules(data.password, email=email)
    organisation = capacity_service.get_organisation(session=session, organisation_id=data.organisation_id)
    if organisation is None:
        raise InvalidError("organisation_id", f"no organisation with id {data.organisation_id}")
    if data.role == Role.provider and not capacity_service.is_provider(organisation):
        raise InvalidError("organisation_id", f"{organisation.name} is not a provider, so it has no provider staff")
    if get_user_by_email(session=session, email=email):
        raise ConflictError(f"an account for {email} already exists")
    user = User(
        email=email,
        password_hash=password_hash.hash(data.password),
        role=data.role,
        organisation_id=data.organisation_id,
        created_at=clock.now(),
    )
    session.add(user)
    capacity_service.flush(session=session, conflict=f"an account for {email} already exists")
    audit.record(session, Action.account_created, object_type="account", object_id=user.id, detail=f"role {user.role}")
    capacity_service.commit(session=session, conflict=f"an account for {email} already exists")
    session.refresh(user)
    return user


class Throttled(DomainError):
    """Too many failed log-ins for this account or from this address: wait `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__(f"too many failed log-ins: try again in {minutes} minute{'s' if minutes > 1 else ''}")
        self.retry_after = retry_after


def _wait_for(session: Session, *conditions: Any) -> int:
    """Seconds until fewer than the limit of failed log-ins matching `conditions` fall in the window; 0 if already."""
    since = clock.now() - FAILED_LOG_IN_WINDOW
    recent = session.exec(
        select(AuditEvent.at)
        .where(col(AuditEvent.action) == Action.login_failed, col(AuditEvent.at) > since, *conditions)
        .order_by(col(AuditEvent.at).desc())
        .limit(FAILED_LOG_IN_LIMIT)
    ).all()
    if len(recent) < FAILED_LOG_IN_LIMIT:
        return 0
    return max(1, int((recent[-1] - since).total_seconds()))


def unknown_account(email: str) -> str:
    """How a failed log-in for an email with no account is recorded: counted like an account's (so a 429
    never tells an account that exists from one that does not), without writing the email down."""
    return "no such account " + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def throttled_for(*, session: Session, user: User | None, client: str | None, email: str = "") -> int:
    """Seconds this account (or this unknown email), or this address, must wait before another try; 0 if none."""
    waits = [0]
    if user is not None:
        waits.append(_wait_for(session, col(AuditEvent.object_id) == user.id, col(AuditEvent.object_type) == "account"))
    elif email:
        waits.append(_wait_for(session, col(AuditEvent.detail) == unknown_account(email)))
    if client is not None:
        waits.append(_wait_for(session, col(AuditEvent.client) == client))
    return max(waits)


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """Return the active user these credentials belong to, or None; every failure is recorded, and throttled.

    Raises Throttled, without checking the password, while the account or the address (the session's
    audit actor) has had too many failures in the window.
    """
    user = get_user_by_email(session=session, email=email)
    account = "account" if user else None
    target = user.id if user else None
    if wait := throttled_for(session=session, user=user, client=audit.actor_of(session).client, email=email):
        audit.record(session, Action.login_throttled, object_type=account, object_id=target)
        session.commit()
        raise Throttled(wait)
    if user is None:
        password_hash.verify(password, _DUMMY_HASH)
        audit.record(session, Action.login_failed, detail=unknown_account(email))
        session.commit()
        return None
    valid, new_hash = password_hash.verify_and_update(password, user.password_hash)
    if not valid or not user.is_active:
        detail = "wrong password" if not valid else "account disabled"
        audit.record(session, Action.login_failed, object_type=account, object_id=target, detail=detail)
        session.commit()
        return None
    if new_hash is not None:
        user.password_hash = new_hash
        session.add(user)
        session.commit()
    return user


def start_session(*, session: Session, user: User, second_factor_due: bool = False) -> str:
    """Start a new log-in session for a user and return its token (a fresh one every time)."""
    token = secrets.token_urlsafe(32)
    at = clock.now()
    assert user.id is not None
    login = LoginSession(
        token_hash=_hash_token(token),
        user_id=user.id,
        created_at=at,
        last_seen_at=at,
        second_factor_due=second_factor_due,
    )
    session.add(login)
    if not second_factor_due:
        audit.record(session, Action.login, object_type="account", object_id=user.id, user=user)
    session.commit()
    return token


def resume_session(*, session: Session, token: str, idle: timedelta, absolute: timedelta) -> User | None:
    """Return the user of a live session and mark it used; None if it ended, idled or aged out."""
    login = session.get(LoginSession, _hash_token(token))
    if login is None or login.ended_at is not None or login.second_factor_due:
        return None
    at = clock.now()
    if at - login.last_seen_at > idle or at - login.created_at > absolute:
        login.ended_at = at
        session.add(login)
        session.commit()
        return None
    user = session.get(User, login.user_id)
    if user is None or not user.is_active:
        return None
    # Writing on every request would serialise readers on SQLite; a minute's precision is plenty.
    if at - login.last_seen_at > timedelta(minutes=1):
        login.last_seen_at = at
        session.add(login)
        session.commit()
    return user


def pending_session(*, session: Session, token: str, within: timedelta) -> tuple[LoginSession, User] | None:
    """The half-way log-in of this token (password right, second factor due) and its user, if still live."""
    login = session.get(LoginSession, _hash_token(token)) if token else None
    if login is None or login.ended_at is not None or not login.second_factor_due:
        return None
    if clock.now() - login.created_at > within:
        return None
    user = session.get(User, login.user_id)
    if user is None or not user.is_active:
        return None
    return login, user


def finish_second_factor(*, session: Session, login: LoginSession) -> str:
    """End a half-way log-in whose code was right and start a full session: a new token, as at every log-in."""
    user = session.get(User, login.user_id)
    assert user is not None
    login.ended_at = clock.now()
    session.add(login)
    return start_session(session=session, user=user)


def end_session(*, session: Session, token: str) -> None:
    """End one log-in session (log-out)."""
    login = session.get(LoginSession, _hash_token(token))
    if login is not None and login.ended_at is None:
        login.ended_at = clock.now()
        session.add(login)
        audit.record(session, Action.logout, object_type="account", object_id=login.user_id)
        session.commit()


def end_all_sessions(*, session: Session, user_id: int) -> int:
    """End every live session of a user (account disabled, or an admin's "end all sessions"); return how many."""
    ended = session.exec(
        update(LoginSession)
        .where(col(LoginSession.user_id) == user_id, col(LoginSession.ended_at).is_(None))
        .values(ended_at=clock.now())
    )
    count = int(ended.rowcount)
    detail = f"{count} session{'s' if count != 1 else ''} ended"
    audit.record(session, Action.sessions_ended, object_type="account", object_id=user_id, detail=detail)
    session.commit()
    return count


def last_log_ins(*, session: Session) -> dict[int, datetime]:
    """Return when each account last logged in, by user id; an account that never has is absent."""
    query = (
        select(LoginSession.user_id, func.max(LoginSession.created_at))
        .where(col(LoginSession.second_factor_due).is_(False))
        .group_by(col(LoginSession.user_id))
    )
    return {user_id: at for user_id, at in session.exec(query) if at is not None}


def check_own_change(*, actor: User, user: User, role: Role | None, is_active: bool | None) -> None:
    """Raise InvalidError when an admin would disable or demote their own account: nobody would be left to undo it."""
    if actor.id != user.id:
        return
    if is_active is False:
        raise InvalidError("is_active", "you cannot disable your own account; another admin can")
    if role is not None and role != user.role:
        raise InvalidError("role", "you cannot change your own role; another admin can")


def change_password(*, session: Session, user: User, current: str, new: str, keep_token: str | None) -> None:
    """Change an account's own password: the current one first, the new one by the same rules; every other
    session of the account ends (the one in use, `keep_token`, stays)."""
    if not password_hash.verify(current, user.password_hash):
        raise InvalidError("current_password", "is not your current password")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise InvalidError("new_password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(new) > MAX_PASSWORD_LENGTH:
        raise InvalidError("new_password", f"must be at most {MAX_PASSWORD_LENGTH} characters")
    try:
        check_password_rules(new, email=user.email)
    except InvalidError as error:
        raise InvalidError("new_password", error.message) from error
    user.password_hash = password_hash.hash(new)
    session.add(user)
    others = update(LoginSession).where(col(LoginSession.user_id) == user.id, col(LoginSession.ended_at).is_(None))
    if keep_token is not None:
        others = others.where(col(LoginSession.token_hash) != _hash_token(keep_token))
    session.exec(others.values(ended_at=clock.now()))
    audit.record(
        session, Action.password_changed, object_type="account", object_id=user.id, detail="other sessions ended"
    )
    session.commit()


def update_user(*, session: Session, user: User, role: Role | None, is_active: bool | None) -> User:
    """Change an account's role or active flag; disabling it, or changing its role, ends its sessions."""
    changes = []
    role_changed = role is not None and role != user.role
    if role_changed:
        changes.append(f"role {user.role} to {role}")
    if is_active is not None and is_active != user.is_active:
        changes.append("enabled" if is_active else "disabled")
    if role is not None:
        organisation = capacity_service.get_organisation(session=session, organisation_id=user.organisation_id)
        if role == Role.provider and (organisation is None or not capacity_service.is_provider(organisation)):
            raise InvalidError("role", "provider accounts must belong to a provider organisation")
        user.role = role
    if is_active is not None:
        user.is_active = is_active
    session.add(user)
    detail = ", ".join(changes) or "no change"
    audit.record(session, Action.account_changed, object_type="account", object_id=user.id, detail=detail)
    session.commit()
    # A disabled account, or one whose role changed, starts again: its sessions were for what it was.
    if (not user.is_active or role_changed) and user.id is not None:
        end_all_sessions(session=session, user_id=user.id)
    session.refresh(user)
    return user
