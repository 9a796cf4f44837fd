"""on SQLite, request, hold and placement numbers are never used twice, even after a purge

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 05:00:00.000000

Without AUTOINCREMENT, SQLite numbers a new row one past the largest number in its table, so a
purge that removed the newest requests would let the next request take a purged number, and the
audit log would then mix two people's events under it. The three tables are rebuilt with
AUTOINCREMENT, keeping their rows, indexes and constraints, and each counter starts past every
number the table or the audit log has used. PostgreSQL's sequences never reuse a number: nothing
changes there. (`env.py` runs SQLite migrations with foreign keys off, and checks them after.)
"""

import re
from collections.abc import Callable, Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each table, and what the audit log calls its rows.
TABLES = {"placement_request": "request", "hold": "hold", "placement": "placement"}
PLAIN_ID = re.compile(r"^(\s*)id INTEGER NOT NULL,", re.M)
COUNTED_ID = re.compile(r"^(\s*)id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,", re.M)
KEY_CLAUSE = re.compile(r"^(\s*)PRIMARY KEY \(id\),\s*\n", re.M)
FIRST_CONSTRAINT = re.compile(r"^(\s*)FOREIGN KEY", re.M)


def _counted(created: str) -> str:
    """The table's definition with its id counted by AUTOINCREMENT (which must be the column's own key)."""
    return KEY_CLAUSE.sub("", PLAIN_ID.sub(r"\1id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,", created, count=1))


def _plain(created: str) -> str:
    """The table's definition as SQLAlchemy writes it, without AUTOINCREMENT."""
    plain = COUNTED_ID.sub(r"\1id INTEGER NOT NULL,", created, count=1)
    return FIRST_CONSTRAINT.sub(lambda m: f"{m[1]}PRIMARY KEY (id), \n{m[1]}FOREIGN KEY", plain, count=1)


def _rebuild(table: str, rewrite: Callable[[str], str]) -> None:
    """Rebuild a table from a rewritten definition: rows, indexes and unique constraints kept."""
    bind = op.get_bind()
    created = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    indexes = [
        sql
        for (sql,) in bind.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,)
        )
    ]
    rebuilt = f"{table}_rebuilt"
    definition = rewrite(created)
    bind.exec_driver_sql(re.sub(rf'^CREATE TABLE "?{table}"?', f'CREATE TABLE "{rebuilt}"', definition, count=1))
    bind.exec_driver_sql(f'INSERT INTO "{rebuilt}" SELECT * FROM "{table}"')
    bind.exec_driver_sql(f'DROP TABLE "{table}"')
    bind.exec_driver_sql(f'ALTER TABLE "{rebuilt}" RENAME TO "{table}"')
    for sql in indexes:
        bind.exec_driver_sql(sql)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for table, kind in TABLES.items():
        _rebuild(table, _counted)
        # Past every number used: the table's, and any the audit log names (a purged row's included).
        used = bind.exec_driver_sql(
            f'SELECT max(coalesce((SELECT max(id) FROM "{table}"), 0), '
            "coalesce((SELECT max(object_id) FROM audit_event WHERE object_type = ?), 0))",
            (kind,),
        ).scalar_one()
        bind.exec_driver_sql("DELETE FROM sqlite_sequence WHERE name = ?", (table,))
        bind.exec_driver_sql("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, used))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        _rebuild(table, _plain)
