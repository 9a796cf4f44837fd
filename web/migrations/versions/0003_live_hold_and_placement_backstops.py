"""database backstops: one live hold or placement per request and per bed

A hold's beds are released when it ends without a placement (declined, cancelled, expired) or when
its placement moves on; the database then refuses a second unreleased reservation of one bed, a
second waiting or accepted hold of one request, and a second unended placement of one request.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:22:56.993534
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE_HOLD = sa.text("status IN ('waiting', 'accepted')")
BED_NOT_RELEASED = sa.text("released_at IS NULL")
PLACEMENT_NOT_ENDED = sa.text("ended_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("hold", schema=None) as batch_op:
        batch_op.create_index(
            "ux_hold_request_live", ["request_id"], unique=True, sqlite_where=LIVE_HOLD, postgresql_where=LIVE_HOLD
        )

    with op.batch_alter_table("hold_bed", schema=None) as batch_op:
        batch_op.add_column(sa.Column("released_at", sa.DateTime(), nullable=True))

    # Beds of holds that already ended were released when the hold was decided (or lapsed), and beds
    # of placements that already moved on when they did.
    op.execute(
        "UPDATE hold_bed SET released_at = "
        "(SELECT COALESCE(hold.decided_at, hold.expires_at) FROM hold WHERE hold.id = hold_bed.hold_id) "
        "WHERE hold_id IN (SELECT id FROM hold WHERE status IN ('declined', 'expired', 'cancelled'))"
    )
    op.execute(
        "UPDATE hold_bed SET released_at = "
        "(SELECT placement.ended_at FROM placement WHERE placement.hold_id = hold_bed.hold_id) "
        "WHERE hold_id IN (SELECT hold_id FROM placement WHERE ended_at IS NOT NULL)"
    )

    with op.batch_alter_table("hold_bed", schema=None) as batch_op:
        batch_op.create_index(
            "ux_hold_bed_bed_live",
            ["bed_id"],
            unique=True,
            sqlite_where=BED_NOT_RELEASED,
            postgresql_where=BED_NOT_RELEASED,
        )

    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.create_index(
            "ux_placement_request_live",
            ["request_id"],
            unique=True,
            sqlite_where=PLACEMENT_NOT_ENDED,
            postgresql_where=PLACEMENT_NOT_ENDED,
        )


def downgrade() -> None:
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.drop_index("ux_placement_request_live")

    with op.batch_alter_table("hold_bed", schema=None) as batch_op:
        batch_op.drop_index("ux_hold_bed_bed_live")
        batch_op.drop_column("released_at")

    with op.batch_alter_table("hold", schema=None) as batch_op:
        batch_op.drop_index("ux_hold_request_live")
