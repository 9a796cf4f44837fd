"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 16:24:26.821241
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "ngo_safe_house",
                "refuge",
                "local_authority",
                "emergency_accommodation",
                "statutory",
                "police",
                "first_responder",
                "commissioning",
                name="organisationtype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("faith_based", sa.Boolean(), nullable=False),
        sa.Column("offers_email", sa.String(length=254), nullable=True),
        sa.Column("offers_phone", sa.String(length=40), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "house",
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=False),
        sa.Column(
            "area",
            sa.Enum(
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
                name="area",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("genders", sa.JSON(), nullable=False),
        sa.Column("trans_inclusive", sa.Boolean(), nullable=False),
        sa.Column("nrm_stages", sa.JSON(), nullable=False),
        sa.Column("max_children", sa.Integer(), nullable=False),
        sa.Column("max_child_age", sa.Integer(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("step_free", sa.Boolean(), nullable=False),
        sa.Column("specialisms", sa.JSON(), nullable=False),
        sa.Column("extra_support", sa.JSON(), nullable=False),
        sa.Column("max_stay_days", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("vacancies_confirmed_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id", "display_name"),
    )
    with op.batch_alter_table("house", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_house_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "role",
            sa.Enum("officer", "provider", "commissioner", "admin", name="role", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_account_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "bed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("house_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column(
            "status",
            sa.Enum("available", "held", "occupied", "out_of_service", name="bedstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("status_changed_at", sa.DateTime(), nullable=False),
        sa.Column("status_confirmed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["house_id"],
            ["house.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("house_id", "label"),
    )
    with op.batch_alter_table("bed", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bed_house_id"), ["house_id"], unique=False)

    op.create_table(
        "login_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
        ),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_session_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_session_user_id"))

    op.drop_table("login_session")
    with op.batch_alter_table("bed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bed_house_id"))

    op.drop_table("bed")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_account_organisation_id"))

    op.drop_table("user_account")
    with op.batch_alter_table("house", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_house_organisation_id"))

    op.drop_table("house")
    op.drop_table("organisation")
