"""One full demo, with its year of history, shared by every test that reads it."""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import Engine
from sqlmodel import Session

from web import demo
from web.db import make_engine
from web.settings import Settings

# The moment the shared demo is loaded at: a Monday night, so its last hours are a weekend's.
DEMO_NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@dataclass(frozen=True)
class LoadedDemo:
    engine: Engine
    loaded: demo.Demo
    settings: Settings


@pytest.fixture(scope="session")
def loaded_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedDemo]:
    """The whole demo as `safebeds demo` loads it, into its own SQLite file, once per test session.

    Loading takes tens of seconds (a year of requests through the real matching), so it is shared;
    it is SQLite only, as loading it on the shared PostgreSQL test database would wipe that.
    """
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    with pytest.MonkeyPatch.context() as environment:
        for name in list(os.environ):
            if name.startswith("SAFEBEDS_"):
                environment.delenv(name)
        settings = Settings(_env_file=None)
    with freeze_time(DEMO_NOW):
        loaded = demo.create(database_url=url, settings=settings)
    engine = make_engine(url)
    yield LoadedDemo(engine=engine, loaded=loaded, settings=settings)
    engine.dispose()


@pytest.fixture
def demo_session(loaded_demo: LoadedDemo) -> Iterator[Session]:
    """A session on the shared demo; whatever a test changes is rolled back after it."""
    connection = loaded_demo.engine.connect()
    transaction = connection.begin()
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        yield session
    transaction.rollback()
    connection.close()


@pytest.fixture(params=[False, True], ids=["full", "partial"])
def htmx(request: pytest.FixtureRequest) -> bool:
    """Each page test runs twice: as a browser loads the page, and as htmx asks for its content block."""
    value = request.param
    assert isinstance(value, bool)
    return value
