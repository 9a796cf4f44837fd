"""where a person was found, and what ruled houses out for each request when it was made

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AREAS = (
    "barking_and_dagenham",
    "barnet",
    "bexley",
    "brent",
    "bromley",
    "camden",
    "city_of_london",
    "croydon",
    "ealing",
    "enfield",
    "greenwich",
    "hackney",
    "hammersmith_and_fulham",
    "haringey",
    "harrow",
    "havering",
    "hillingdon",
    "hounslow",
    "islington",
    "kensington_and_chelsea",
    "kingston_upon_thames",
    "lambeth",
    "lewisham",
    "merton",
    "newham",
    "redbridge",
    "richmond_upon_thames",
    "southwark",
    "sutton",
    "tower_hamlets",
    "waltham_forest",
    "wandsworth",
    "westminster",
    "north_east",
    "north_west",
    "yorkshire_and_the_humber",
    "east_midlands",
    "west_midlands",
    "east_of_england",
    "south_east",
    "south_west",
    "wales",
    "scotland",
    "northern_ireland",
)
REASONS = (
    "GENDER_NOT_SERVED",
    "TRANS_NOT_INCLUDED",
    "NRM_STAGE_NOT_SERVED",
    "CHILDREN_NOT_ACCEPTED",
    "CHILD_TOO_OLD",
    "NO_SHARED_LANGUAGE",
    "NOT_STEP_FREE",
    "AREA_EXCLUDED",
    "FAITH_BASED",
    "NOT_ENOUGH_BEDS",
    "KEPT_APART",
    "KEPT_TOGETHER",
    "NOT_SOLVED",
)


def upgrade() -> None:
    op.add_column(
        "placement_request",
        sa.Column("found_area", sa.Enum(*AREAS, name="area", native_enum=False, length=32), nullable=True),
    )
    op.add_column("placement_request", sa.Column("houses_matched", sa.Integer(), nullable=True))
    op.create_table(
        "request_reason",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Enum(*REASONS, name="reason", native_enum=False, length=32), nullable=False),
        sa.Column("houses", sa.Integer(), nullable=False),
        sa.Column("houses_with_room", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["placement_request.id"]),
        sa.PrimaryKeyConstraint("request_id", "reason"),
    )


def downgrade() -> None:
    op.drop_table("request_reason")
    # A plain ALTER TABLE (SQLite 3.35 and later): a batch copy would break the tables' foreign keys.
    op.drop_column("placement_request", "houses_matched")
    op.drop_column("placement_request", "found_area")
