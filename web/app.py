"""The FastAPI application: the JSON API, its docs, the pages and the static files."""

from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlmodel import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

from capacity import audit
from capacity.audit import Action
from capacity.errors import ConflictError, DomainError, InvalidError, NotFoundError
from matching.service import HouseIndex
from web import (
    accounts,
    admin_pages,
    api,
    audit_pages,
    coordinator_pages,
    csrf,
    gaps,
    headers,
    login_pages,
    pages,
    plan,
    provider_pages,
    retention,
)
from web.deps import is_htmx
from web.settings import get_settings

STATIC_DIR = Path(__file__).parent / "static"


def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    if isinstance(error, accounts.Throttled):
        headers = {"Retry-After": str(error.retry_after)}
        return JSONResponse({"detail": error.message}, status_code=status.HTTP_429_TOO_MANY_REQUESTS, headers=headers)
    if isinstance(error, InvalidError):
        detail = [{"loc": ["body", error.field], "msg": error.message, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    code = {NotFoundError: status.HTTP_404_NOT_FOUND, ConflictError: status.HTTP_409_CONFLICT}.get(
        type(error), status.HTTP_400_BAD_REQUEST
    )
    return JSONResponse({"detail": error.message}, status_code=code)


def _request_validation_error(request: Request, error: Exception) -> JSONResponse:
    """Name each bad field without echoing what was sent: FastAPI's default would repeat passwords and addresses."""
    assert isinstance(error, RequestValidationError)
    detail = [
        {"loc": list(problem["loc"]), "msg": problem["msg"], "type": problem["type"]} for problem in error.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def _record_refusal(request: Request, error: StarletteHTTPException) -> None:
    """A refusal goes in the audit log in a transaction of its own: whatever else was under way is not kept."""
    session = getattr(request.state, "db", None)
    if not isinstance(session, Session):
        return
    session.rollback()
    detail = f"{request.method} {request.url.path}: {error.detail}"
    audit.record(session, Action.denied, detail=detail)
    session.commit()


async def _http_error(request: Request, error: Exception) -> Response:
    """As FastAPI answers, except that a browser opening a page without a session is sent to log in first."""
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == status.HTTP_403_FORBIDDEN:
        await run_in_threadpool(_record_refusal, request, error)
    wants_page = request.method == "GET" and "text/html" in request.headers.get("accept", "")
    wants_page = wants_page and not is_htmx(request)  # htmx is sent there by HX-Redirect
    if error.status_code == status.HTTP_401_UNAUTHORIZED and wants_page and not request.url.path.startswith("/api/"):
        login = request.url_for("login_page").path
        return RedirectResponse(f"{login}?{urlencode({'next': request.url.path})}", status.HTTP_303_SEE_OTHER)
    return await http_exception_handler(request, error)


def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI from our own static files: a script from a CDN could read a logged-in user's session here."""
    root_path = request.scope.get("root_path", "").rstrip("/")
    openapi_url = request.app.openapi_url

    def static(name: str) -> str:
        return request.url_for("static", path=f"swagger/{name}").path

    return headers.allowing_its_inline_scripts(
        get_swagger_ui_html(
            openapi_url=f"{root_path}{openapi_url}",
            title=f"{request.app.title} API",
            swagger_js_url=static("swagger-ui-bundle.js"),
            swagger_css_url=static("swagger-ui.css"),
            swagger_favicon_url=static("favicon-32x32.png"),
            # Otherwise Swagger UI sends the API description's address to validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )
    )


class SafeBeds(FastAPI):
    """The application, with its security headers outside everything, so that no response goes without them."""

    def build_middleware_stack(self) -> ASGIApp:
        return headers.SecurityHeaders(super().build_middleware_stack())


def create_app() -> FastAPI:
    """Build the application."""
    application = SafeBeds(
        title="SafeBeds",
        summary="Safe-house and support beds for people found in trafficking and modern slavery.",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        # Anything larger is refused with 413 before a route reads it (a declared length at once, a stream as it grows).
        max_body_size=get_settings().max_request_bytes,
        lifespan=retention.lifespan,
    )
    application.state.house_index = HouseIndex()
    application.middleware("http")(csrf.refuse_cross_site)
    application.add_exception_handler(DomainError, _domain_error)
    application.add_exception_handler(RequestValidationError, _request_validation_error)
    application.add_exception_handler(StarletteHTTPException, _http_error)
    application.include_router(api.router)
    application.include_router(pages.router)
    application.include_router(login_pages.router)
    application.include_router(coordinator_pages.router)
    application.include_router(gaps.router)
    application.include_router(plan.router)
    application.include_router(admin_pages.router)
    application.include_router(audit_pages.router)
    application.include_router(provider_pages.router)
    application.add_api_route("/docs", api_docs, methods=["GET"], include_in_schema=False, name="api_docs")
    application.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return application


app = create_app()
