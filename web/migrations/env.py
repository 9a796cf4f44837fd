"""Alembic environment: the models' metadata, and the engine SafeBeds itself would use."""

from typing import Any, Literal

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import capacity.audit  # noqa: F401  (registers the tables)
import capacity.models  # noqa: F401
import matching.models  # noqa: F401
import web.accounts  # noqa: F401
from capacity.models import EnumList, UTCDateTime
from web.db import make_engine

target_metadata = SQLModel.metadata


def render_item(type_: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write our column types as the plain SQLAlchemy types they store, so migrations import no app code."""
    if type_ == "type" and isinstance(item, AutoString):
        return repr(sa.String(length=item.length)).replace("String", "sa.String")
    if type_ == "type" and isinstance(item, EnumList):
        return "sa.JSON()"
    if type_ == "type" and isinstance(item, UTCDateTime):
        return "sa.DateTime()"
    return False


def run_migrations() -> None:
    engine = make_engine(context.config.attributes["database_url"])
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A table rebuilt on SQLite is dropped and renamed; with foreign keys on, dropping it would
            # break every row that refers to it. Off outside the transaction (SQLite ignores it inside),
            # then checked before the migrations commit.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()):
                raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
    engine.dispose()


run_migrations()
