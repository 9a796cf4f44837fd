"""The database engine and sessions; SQLite by default, PostgreSQL by URL."""

from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlmodel import Session, create_engine

from web.settings import get_settings


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and transactions that queue for the write lock."""
    # Errors never carry the statement's values: they may be safe-house addresses.
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, issue BEGIN, so that transactions and savepoints nest.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@lru_cache
def get_engine() -> Engine:
    """Return the engine for the configured database, made once."""
    return make_engine(get_settings().database_url)


def get_session() -> Iterator[Session]:
    """Yield a session for one request; what is left pending when the route returns (the audit of a view) is
    committed then, before the answer is sent (`web.deps.SessionDep` asks for the "function" scope)."""
    with Session(get_engine()) as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.commit()


def _sqlite_begin(connection: Connection) -> None:
    # A deferred BEGIN that reads and then writes fails at once ("database is locked") when another
    # writer committed in between; IMMEDIATE takes the write lock first, so writers wait their turn.
    connection.exec_driver_sql("BEGIN IMMEDIATE")
