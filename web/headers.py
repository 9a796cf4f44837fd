"""Security headers on every response: what the browser may load, frame, sniff, send on, and keep."""

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

# Pages load scripts, styles and images from this site only, and never inline script: an injected
# <script> or onclick="" does not run. No other site may frame a page (clickjacking).
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
HSTS = "max-age=63072000; includeSubDomains"
INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def content_security_policy(**overrides: str) -> str:
    """The policy as a header value, with some directives replaced."""
    return "; ".join(f"{name} {value}" for name, value in (POLICY | overrides).items())


POLICY_HEADER = content_security_policy()


def allowing_its_inline_scripts(response: HTMLResponse) -> HTMLResponse:
    """Let a page we do not write (Swagger UI's) run exactly its own inline scripts, by their hashes, and no other."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in INLINE_SCRIPT.findall(bytes(response.body))
    ]
    script_src = " ".join(["'self'", *hashes])
    response.headers["Content-Security-Policy"] = content_security_policy(
        **{"script-src": script_src, "style-src": "'self' 'unsafe-inline'"}
    )
    return response


async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Add the headers to every response; HSTS only on a request that came over HTTPS."""
    response = await call_next(request)
    headers = response.headers
    headers.setdefault("Content-Security-Policy", POLICY_HEADER)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    if request.url.scheme == "https":
        headers["Strict-Transport-Security"] = HSTS
    if not request.url.path.startswith("/static/"):
        # Pages and answers carry requests' needs and, for some, addresses: no copy kept anywhere.
        headers["Cache-Control"] = "no-store"
    return response
