"""The migrations build exactly the schema the models describe, and can be undone."""

from datetime import timedelta
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import Session, SQLModel, select

from capacity.vocab import Role
from matching import holds
from matching.models import DeclineReason, Hold, HoldBed
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
