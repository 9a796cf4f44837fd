"""Security headers on every response: what the browser may load, frame, sniff, send on, and keep."""

import base64
import hashlib
import re

from fastapi.responses import HTMLResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class SecurityHeaders:
    """ASGI middleware adding the headers to every response, even those the framework itself sends (413, 500).

    HSTS only on a request that came over HTTPS (behind a proxy: as a trusted proxy says).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", POLICY_HEADER)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "same-origin"
                if scope.get("scheme") == "https":
                    headers["Strict-Transport-Security"] = HSTS
                if not scope["path"].startswith("/static/"):
                    # Pages and answers carry requests' needs and, for some, addresses: no copy kept anywhere.
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)
