"""placement requests, holds and placements

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:39:24.995124
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "placement_request",
        sa.Column(
            "urgency",
            sa.Enum("tonight", "within_72h", "planned", name="urgency", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "nrm_stage",
            sa.Enum("pre_nrm", "recovery", "move_on", name="nrmstage", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("nrm_consent", sa.Boolean(), nullable=False),
        sa.Column(
            "gender",
            sa.Enum("female", "male", "non_binary", name="gender", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("trans", sa.Boolean(), nullable=False),
        sa.Column(
            "age_band",
            sa.Enum(
                "under_18", "18_24", "25_34", "35_49", "50_64", "65_plus", name="ageband", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("children", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("interpreter_ok", sa.Boolean(), nullable=False),
        sa.Column("needs_step_free", sa.Boolean(), nullable=False),
        sa.Column(
            "exploitation_type",
            sa.Enum(
                "sexual",
                "labour",
                "domestic_servitude",
                "criminal",
                name="exploitationtype",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("support_needs", sa.JSON(), nullable=False),
        sa.Column("excluded_areas", sa.JSON(), nullable=False),
        sa.Column("preferred_areas", sa.JSON(), nullable=False),
        sa.Column("avoid_faith_based", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "held", "placed", "closed", name="requeststatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column(
            "fallback",
            sa.Enum(
                "hotel",
                "police_station",
                "sofa",
                "other_accommodation",
                "none",
                name="fallback",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["user_account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("placement_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_placement_request_officer_id"), ["officer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_placement_request_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_placement_request_reference"), ["reference"], unique=False)

    op.create_table(
        "hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("house_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "waiting",
                "accepted",
                "declined",
                "expired",
                "cancelled",
                name="holdstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column(
            "decline_reason",
            sa.Enum(
                "no_longer_available",
                "cannot_meet_needs",
                "risk_to_residents",
                "referral_incomplete",
                "other",
                name="declinereason",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["user_account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["house_id"],
            ["house.id"],
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"],
            ["user_account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["placement_request.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("hold", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hold_house_id"), ["house_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hold_request_id"), ["request_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hold_status"), ["status"], unique=False)

    op.create_table(
        "request_link",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("keep_apart", "place_together", name="linkkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["other_id"],
            ["placement_request.id"],
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["placement_request.id"],
        ),
        sa.PrimaryKeyConstraint("request_id", "other_id"),
    )
    with op.batch_alter_table("request_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_request_link_other_id"), ["other_id"], unique=False)

    op.create_table(
        "hold_bed",
        sa.Column("hold_id", sa.Integer(), nullable=False),
        sa.Column("bed_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bed_id"],
            ["bed.id"],
        ),
        sa.ForeignKeyConstraint(
            ["hold_id"],
            ["hold.id"],
        ),
        sa.PrimaryKeyConstraint("hold_id", "bed_id"),
    )
    with op.batch_alter_table("hold_bed", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hold_bed_bed_id"), ["bed_id"], unique=False)

    op.create_table(
        "placement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("hold_id", sa.Integer(), nullable=False),
        sa.Column("house_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column(
            "decision",
            sa.Enum(
                "positive_rg",
                "negative_rg",
                "positive_cg",
                "negative_cg",
                name="nrmdecision",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("support_until", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["hold_id"],
            ["hold.id"],
        ),
        sa.ForeignKeyConstraint(
            ["house_id"],
            ["house.id"],
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["placement_request.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hold_id"),
    )
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_placement_house_id"), ["house_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_placement_request_id"), ["request_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("placement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_placement_request_id"))
        batch_op.drop_index(batch_op.f("ix_placement_house_id"))

    op.drop_table("placement")
    with op.batch_alter_table("hold_bed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hold_bed_bed_id"))

    op.drop_table("hold_bed")
    with op.batch_alter_table("request_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_link_other_id"))

    op.drop_table("request_link")
    with op.batch_alter_table("hold", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hold_status"))
        batch_op.drop_index(batch_op.f("ix_hold_request_id"))
        batch_op.drop_index(batch_op.f("ix_hold_house_id"))

    op.drop_table("hold")
    with op.batch_alter_table("placement_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_placement_request_reference"))
        batch_op.drop_index(batch_op.f("ix_placement_request_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_placement_request_officer_id"))

    op.drop_table("placement_request")
