"""the fewest rules that, relaxed, would have placed each request when it was made (kept in tallies too)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("placement_request", "request_tally")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("relaxation", sa.String(length=320), nullable=True))


def downgrade() -> None:
    # A plain ALTER TABLE (SQLite 3.35 and later): a batch copy would break the tables' foreign keys.
    for table in TABLES:
        op.drop_column(table, "relaxation")
