"""The FastAPI application: the JSON API, the pages and the static files."""

from pathlib import Path

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError

from capacity.errors import ConflictError, DomainError, InvalidError, NotFoundError
from web import api, pages

STATIC_DIR = Path(__file__).parent / "static"


def _domain_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    if isinstance(error, InvalidError):
        detail = [{"loc": ["body", error.field], "msg": error.message, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    code = {NotFoundError: status.HTTP_404_NOT_FOUND, ConflictError: status.HTTP_409_CONFLICT}.get(
        type(error), status.HTTP_400_BAD_REQUEST
    )
    return JSONResponse({"detail": error.message}, status_code=code)


def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ValidationError)
    detail = [
        {"loc": ["body", *detail["loc"]], "msg": detail["msg"], "type": detail["type"]} for detail in error.errors()
    ]
    return JSONResponse({"detail": detail}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


def create_app() -> FastAPI:
    """Build the application."""
    application = FastAPI(
        title="SafeBeds",
        summary="Safe-house and support beds for people found in trafficking and modern slavery.",
        version="0.1.0",
    )
    application.add_exception_handler(DomainError, _domain_error)
    application.add_exception_handler(ValidationError, _validation_error)
    application.include_router(api.router)
    application.include_router(pages.router)
    application.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return application


app = create_app()
