"""A real database per test, rolled back after it: SQLite always, PostgreSQL when configured."""

import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory
from sqlalchemy import Engine, text
from sqlmodel import Session

from matching.service import HouseIndex
from tests.factories import START
from web import migrate
from web.app import app
from web.db import get_session, make_engine
from web.settings import Settings, get_settings

POSTGRES_URL = os.environ.get("SAFEBEDS_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


def pytest_report_header() -> str:
    if POSTGRES_URL:
        return "databases: SQLite and PostgreSQL"
    return "databases: SQLite only (set SAFEBEDS_TEST_POSTGRES_URL to run every test on PostgreSQL too)"


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated to the newest schema, once per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'safebeds.db'}"
    else:
        assert POSTGRES_URL is not None
        url = POSTGRES_URL
        _reset_postgres(url)
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose commits are savepoints inside one transaction, rolled back after the test."""
    connection = engine.connect()
    transaction = connection.begin()
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        yield session
    transaction.rollback()
    connection.close()


@pytest.fixture
def frozen() -> Iterator[FrozenDateTimeFactory]:
    """The clock stopped at START; move it with `frozen.tick(...)`."""
    with freeze_time(START) as frozen_time:
        assert isinstance(frozen_time, FrozenDateTimeFactory)
        yield frozen_time


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The default settings, whatever this machine's environment or .env file says."""
    for name in list(os.environ):
        if name.startswith("SAFEBEDS_") and name != "SAFEBEDS_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    return Settings(_env_file=None)


@pytest.fixture
def client(session: Session, settings: Settings) -> Iterator[TestClient]:
    """An HTTP client for the app, talking to the test's database session, with default settings."""
    # Each test has its own houses: an index kept from another test's would be out of date.
    app.state.house_index = HouseIndex()
    app.dependency_overrides[get_session] = lambda: session
    app.dependency_overrides[get_settings] = lambda: settings
    with TestClient(app, client=("192.0.2.10", 50000)) as test_client:
        yield test_client
    app.dependency_overrides.clear()
