"""The JSON API under /api/, documented by FastAPI's OpenAPI."""

from fastapi import APIRouter

from web.api import (
    allocation,
    auth,
    holds,
    houses,
    organisations,
    placements,
    reports,
    requests,
    users,
    vocabularies,
)

router = APIRouter(prefix="/api")
for module in (auth, vocabularies, organisations, houses, requests, holds, placements, allocation, users, reports):
    router.include_router(module.router)
