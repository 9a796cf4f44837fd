"""The migrations build exactly the schema the models describe, and can be undone."""

from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from capacity import audit
from capacity.audit import Action
from capacity.models import User
from capacity.vocab import Role
from matching import holds
from matching.models import DeclineReason, Hold, HoldBed, Placement
from tests.factories import make_house, make_organisation, make_request, make_user
from web import migrate
from web.db import make_engine

HOUR = timedelta(hours=1)


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == [], "run `safebeds db revision -m '...'` to write the missing migration"


def test_migrations_go_down_and_up_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()
    migrate.upgrade(url)
    engine = make_engine(url)
    assert set(SQLModel.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_the_backstops_migration_releases_the_beds_of_holds_that_ended(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'backfill.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        organisation = make_organisation(session)
        house = make_house(session, organisation, beds=2, nrm_stages=["pre_nrm"])
        officer, provider = make_user(session, Role.officer), make_user(session, Role.provider, organisation)

        def hold() -> Hold:
            request = make_request(session, officer)
            return holds.hold(session=session, request=request, house=house, officer=officer, expires_after=HOUR)

        waiting = hold()
        declined = holds.decline(session=session, hold=hold(), provider=provider, reason=DeclineReason.other)
        moved_on = holds.move_on(
            session=session, placement=holds.accept(session=session, hold=hold(), provider=provider)
        )
        placed = holds.accept(session=session, hold=hold(), provider=provider)
        expected = {waiting.id: None, declined.id: declined.decided_at, moved_on.hold_id: moved_on.ended_at}
        expected[placed.hold_id] = None
    engine.dispose()
    migrate.downgrade(url, "0002")
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        assert {row.hold_id: row.released_at for row in session.exec(select(HoldBed))} == expected
    engine.dispose()


def test_on_sqlite_numbers_are_counted_from_past_every_number_the_tables_or_the_audit_log_used(tmp_path: Path) -> None:
    """Migration 0008 rebuilds three tables with AUTOINCREMENT: every row, link and index kept."""
    url = f"sqlite:///{tmp_path / 'counted.db'}"
    migrate.upgrade(url, "0007")
    engine = make_engine(url)
    with Session(engine) as session:
        organisation = make_organisation(session)
        house = make_house(session, organisation, beds=3, nrm_stages=["pre_nrm"])
        officer, provider = make_user(session, Role.officer), make_user(session, Role.provider, organisation)
        first = make_request(session, officer)
        second = make_request(session, officer, keep_apart=[first.id])
        held = holds.hold(session=session, request=first, house=house, officer=officer, expires_after=HOUR)
        placement = holds.accept(session=session, hold=held, provider=provider)
        other = make_house(session, organisation, beds=1, nrm_stages=["pre_nrm"])
        holds.hold(session=session, request=second, house=other, officer=officer, expires_after=HOUR)
        # A request purged long ago, whose number the audit log still names.
        audit.record(session, Action.request_created, object_type="request", object_id=500)
        session.commit()
        before = {table: rows(session, table) for table in REBUILT}
        placement_id, second_id, other_id = placement.id or 0, second.id or 0, other.id or 0
        created, expires = held.created_at, held.expires_at
    engine.dispose()

    migrate.upgrade(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        indexes = {
            name for (name,) in connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
        assert {"ux_hold_request_live", "ux_placement_request_live", "ix_placement_request_reference"} <= indexes
    with Session(engine) as session:
        assert {table: rows(session, table) for table in REBUILT} == before
        assert session.get(Placement, placement_id) is not None
        officer = session.exec(select(User).where(User.role == Role.officer)).one()
        assert make_request(session, officer).id == 501, "past the audit log's request 500"
        with pytest.raises(IntegrityError):  # the live-hold backstop survived the rebuild
            session.add(
                Hold(
                    request_id=second_id,
                    house_id=other_id,
                    officer_id=officer.id or 0,
                    created_at=created,
                    expires_at=expires,
                )
            )
            session.flush()
    engine.dispose()
    migrate.downgrade(url, "0007")
    migrate.upgrade(url)


REBUILT = ("placement_request", "hold", "placement", "hold_bed", "request_link")


def rows(session: Session, table: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in session.connection().exec_driver_sql(f"SELECT * FROM {table} ORDER BY 1, 2")]
