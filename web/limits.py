"""The largest request body accepted: anything larger is refused with 413 before any route reads it.

A declared `Content-Length` over the limit is refused at once; a body sent without one (chunked) is
counted as it arrives and refused as soon as it passes the limit. The limit is the CSV upload limit
(`SAFEBEDS_MAX_UPLOAD_BYTES`) plus room for a form's other fields: nothing else is near that size.
"""

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.settings import Settings, get_settings

FORM_ROOM = 64 * 1024


class TooLarge(Exception):
    pass


def body_limit(settings: Settings) -> int:
    return settings.max_upload_bytes + FORM_ROOM


class BodyLimit:
    """ASGI middleware: 413 for a request body over the limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The settings the app's routes see (tests replace them through the app's dependency overrides).
        settings = scope["app"].dependency_overrides.get(get_settings, get_settings)()
        limit = body_limit(settings)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        refusal = PlainTextResponse(f"the request is too large: at most {limit:,} bytes are accepted", status_code=413)
        if declared.isdigit() and int(declared) > limit:
            await refusal(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except TooLarge:
            if not started:
                await refusal(scope, receive, send)
