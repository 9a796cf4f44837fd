"""Cross-site request forgery: a browser's cookie goes with any site's form, so a change needs proof it came from ours.

Two checks, each enough on its own against today's browsers:

- the Origin check (a middleware): a state-changing request that a browser says came from another site,
  by `Sec-Fetch-Site`, `Origin` or `Referer`, is refused before it reaches any route;
- the token check (in `web.deps`): a state-changing request carrying a log-in cookie must also carry the
  session's token, in the `X-CSRF-Token` header (htmx sends it from `hx-headers` on `<body>`) or in a
  `csrf_token` form field (every `<form method="post">` has one). The token is derived from the log-in
  token, so it changes at every log-in and another site can neither read nor guess it.

A request that authenticates with `Authorization: Bearer` needs no token: browsers never add that header.
"""

import base64
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import HTTPException, Request, Response, status
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

HEADER = "x-csrf-token"
FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
REFUSED = "refused: this request came from another site"
EXPIRED = "this form has expired or came from another site: reload the page and try again"


def token_for(session_token: str) -> str:
    """The CSRF token of a log-in session: an HMAC of a fixed label keyed by the session's own secret token."""
    digest = hmac.new(session_token.encode(), b"safebeds csrf", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def changes_state(request: Request) -> bool:
    return request.method not in SAFE_METHODS


def _same_host(url: str, request: Request) -> bool:
    """Whether a URL a browser sent (Origin or Referer) names the host this request was sent to."""
    netloc = urlsplit(url).netloc
    return bool(netloc) and netloc == request.headers.get("host")


def from_another_site(request: Request) -> bool:
    """Whether the browser says this request was started by another site (absent headers say nothing)."""
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return True
    origin = request.headers.get("origin")
    if origin is not None:
        return not _same_host(origin, request)
    referer = request.headers.get("referer")
    return referer is not None and not _same_host(referer, request)


async def refuse_cross_site(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """The Origin check, for every state-changing request, logged in or not (a forged log-in is an attack too)."""
    if changes_state(request) and from_another_site(request):
        return PlainTextResponse(REFUSED, status_code=status.HTTP_403_FORBIDDEN)
    return await call_next(request)


async def sent_token(request: Request) -> str:
    """The token the request carries, from its header or its form; empty if none."""
    token = request.headers.get(HEADER)
    if token:
        return token
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        value = (await request.form()).get(FIELD)
        if isinstance(value, str):
            return value
    return ""


async def check_token(request: Request, session_token: str) -> None:
    """Answer 403 unless a state-changing request carries this session's token."""
    if not changes_state(request):
        return
    if not hmac.compare_digest((await sent_token(request)).encode(), token_for(session_token).encode()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, EXPIRED)


class PageForm(BaseModel):
    """A page's form as sent: no field it does not name, except the CSRF token, which is checked before it is read."""

    model_config = ConfigDict(extra="forbid")

    csrf_token: str = Field(default="", max_length=100, exclude=True)
