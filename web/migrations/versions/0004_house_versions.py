"""house and organisation versions, so that a search can tell when its index is out of date

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 18:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("organisation", "house")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("version", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    # A plain ALTER TABLE (SQLite 3.35 and later): a batch copy would break the tables' foreign keys.
    for table in TABLES:
        op.drop_column(table, "version")
