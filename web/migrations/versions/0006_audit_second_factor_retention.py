"""the append-only audit log, second factors, and the tallies purged requests leave behind

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 00:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = "the audit log is append-only"
FALLBACKS = ("hotel", "police_station", "sofa", "other_accommodation", "none")
AREAS = (
    "barking_and_dagenham", "barnet", "bexley", "brent", "bromley", "camden", "city_of_london", "croydon",
    "ealing", "enfield", "greenwich", "hackney", "hammersmith_and_fulham", "haringey", "harrow", "havering",
    "hillingdon", "hounslow", "islington", "kensington_and_chelsea", "kingston_upon_thames", "lambeth",
    "lewisham", "merton", "newham", "redbridge", "richmond_upon_thames", "southwark", "sutton",
    "tower_hamlets", "waltham_forest", "wandsworth", "westminster", "north_east", "north_west",
    "yorkshire_and_the_humber", "east_midlands", "west_midlands", "east_of_england", "south_east",
    "south_west", "wales", "scotland", "northern_ireland",
)  # fmt: skip

# The database itself refuses to change the log, whoever asks: the app's ORM checks are not the only guard.
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    for verb in ("UPDATE", "DELETE")
]
POSTGRES_TRIGGERS = [
    f"""CREATE FUNCTION audit_event_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$""",
    "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_refuse()",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse()",
]


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=32), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=True),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_event_at", "audit_event", ["at"])
    op.create_index("ix_audit_event_action", "audit_event", ["action"])
    op.create_index("ix_audit_event_actor_at", "audit_event", ["actor_id", "at"])
    op.create_index("ix_audit_event_object_action_at", "audit_event", ["object_id", "action", "at"])
    op.create_index("ix_audit_event_client_action_at", "audit_event", ["client", "action", "at"])
    for statement in POSTGRES_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)
    op.add_column("user_account", sa.Column("totp_secret", sa.String(length=64), nullable=True))
    op.add_column("user_account", sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    op.add_column(
        "login_session",
        sa.Column("second_factor_due", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "request_tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("found_area", sa.Enum(*AREAS, name="area", native_enum=False, length=32), nullable=True),
        sa.Column(
            "gender",
            sa.Enum("female", "male", "non_binary", name="gender", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "nrm_stage",
            sa.Enum("pre_nrm", "recovery", "move_on", name="nrmstage", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("with_children", sa.Boolean(), nullable=False),
        sa.Column("language_without_interpreter", sa.Boolean(), nullable=False),
        sa.Column("step_free", sa.Boolean(), nullable=False),
        sa.Column("placed", sa.Boolean(), nullable=False),
        sa.Column("placed_quickly", sa.Boolean(), nullable=False),
        sa.Column("fallback", sa.Enum(*FALLBACKS, name="fallback", native_enum=False, length=32), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_request_tally_day", "request_tally", ["day"])


def downgrade() -> None:
    # A plain ALTER TABLE (SQLite 3.35 and later): a batch copy would break the tables' foreign keys.
    op.drop_table("request_tally")
    op.drop_column("login_session", "second_factor_due")
    op.drop_column("user_account", "totp_last_step")
    op.drop_column("user_account", "totp_secret")
    op.drop_table("audit_event")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_event_refuse()")
