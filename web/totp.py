"""A TOTP second factor: any account may set one up; admins and commissioners must, unless a setting says not.

The secret being set up is derived from the half-way log-in session's own token, so nothing is stored
until the person proves, with a code, that their authenticator app has it. A code works once: the
time step it was for is remembered, and only a later one is accepted.
"""

import base64
import hashlib
import hmac

import pyotp
import segno
from sqlmodel import Session, col, update

from capacity import audit, clock
from capacity.audit import Action
from capacity.models import User
from capacity.vocab import Role
from web.settings import Settings

ISSUER = "SafeBeds"
ROLES_THAT_MUST = frozenset({Role.admin, Role.commissioner})
# A code from the step before or after the server's is accepted too: phones' clocks drift.
DRIFT_STEPS = 1


def is_required(user: User, settings: Settings) -> bool:
    """Whether this account must give a second factor at log-in (it has one, or its role must)."""
    return user.totp_secret is not None or (settings.second_factor_required and Role(user.role) in ROLES_THAT_MUST)


def new_secret(session_token: str) -> str:
    """The secret offered for setting up, derived from the log-in session that sets it up (160 bits, base32)."""
    digest = hmac.new(session_token.encode(), b"safebeds totp enrolment", hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode()


def provisioning(secret: str, email: str) -> dict[str, str]:
    """What an authenticator app needs: a QR code of the otpauth URI, and the secret to type in instead."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"qr": segno.make(uri, error="m").svg_data_uri(scale=4, border=2), "secret": grouped}


def code_now(secret: str) -> str:
    """The code an authenticator app shows now (for tests and the demo's own checks)."""
    return pyotp.TOTP(secret).at(clock.now())


def matching_step(secret: str, code: str, *, after: int | None) -> int | None:
    """The time step a code is right for (within the drift allowed, and later than `after`); None if none."""
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(clock.now())
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if (after is None or step > after) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_code(session: Session, user: User, code: str, *, enrolling: str | None = None) -> bool:
    """Check a code against the account's secret, or the secret `enrolling` (kept if right); record a failure.

    A success is left for the caller to commit with the log-in it completes.
    """
    secret = enrolling or user.totp_secret
    step = None
    if secret is not None:
        step = matching_step(secret, code, after=None if enrolling else user.totp_last_step)
    # One conditional update: of two requests with the same code at once (a relayed code), only one wins.
    unused = col(User.totp_last_step).is_(None) | (col(User.totp_last_step) < (step or 0))
    if (
        step is None
        or session.exec(
            update(User).where(col(User.id) == user.id, unused).values(totp_secret=secret, totp_last_step=step)
        ).rowcount
        != 1
    ):
        detail = "wrong second-factor code"
        audit.record(session, Action.login_failed, object_type="account", object_id=user.id, detail=detail)
        session.commit()
        return False
    if enrolling:
        audit.record(session, Action.second_factor_enrolled, object_type="account", object_id=user.id)
    return True
