"""The scheduled purge: `safebeds serve` runs it now and then, as `safebeds purge` does by hand."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from matching import retention
from web.db import get_engine
from web.settings import get_settings

log = logging.getLogger("safebeds.retention")


def purge_now() -> retention.Purged:
    """One purge of the configured database, with the configured retention."""
    settings = get_settings()
    with Session(get_engine()) as session:
        return retention.purge(session=session, retention=settings.retention)


async def purge_on_schedule(every_hours: float) -> None:
    """Purge at start, then every `every_hours`, until cancelled; a failed run is logged and the next one tried."""
    while True:
        try:
            purged = await run_in_threadpool(purge_now)
            log.info(purged.summary(get_settings().retention))
        except Exception:
            log.exception("the scheduled purge failed; it will be tried again")
        await asyncio.sleep(every_hours * 3600)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the scheduled purge while the app serves, if `safebeds serve` asked for it (tests never do)."""
    every = get_settings().purge_every_hours
    task = (
        asyncio.create_task(purge_on_schedule(every))
        if getattr(app.state, "purge_on_schedule", False) and every
        else None
    )
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
