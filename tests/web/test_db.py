"""The database layer: concurrent writers queue rather than fail, and errors never carry values."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from capacity import service as capacity_service
from capacity.models import BedUpdate
from capacity.vocab import BedStatus
from providers import service as providers_service
from tests.factories import make_house, make_organisation
from web import migrate
from web.db import make_engine


@pytest.fixture
def file_engine(tmp_path: Path) -> Iterator[Engine]:
    """A SQLite file shared by several connections, as under a multi-threaded server."""
    url = f"sqlite:///{tmp_path / 'concurrent.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_concurrent_read_then_write_transactions_all_succeed_on_sqlite(file_engine: Engine) -> None:
    with Session(file_engine) as session:
        house = make_house(session, make_organisation(session), beds=8)
        bed_ids = [
            bed.id for bed in capacity_service.get_beds(session=session, house_ids=[house.id or 0])[house.id or 0]
        ]

    def flip(bed_id: int | None) -> int:
        for round_ in range(15):
            with Session(file_engine) as session:
                bed = capacity_service.get_bed(session=session, bed_id=bed_id or 0)
                assert bed is not None
                status = BedStatus.occupied if round_ % 2 else BedStatus.available
                providers_service.update_bed(session=session, bed=bed, data=BedUpdate(status=status))
        return 15

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sum(pool.map(flip, bed_ids)) == 8 * 15


def test_database_errors_do_not_carry_the_values_written(file_engine: Engine) -> None:
    with Session(file_engine) as session:
        make_organisation(session, name="Canary Organisation")
    with pytest.raises(IntegrityError) as caught, file_engine.begin() as connection:
        connection.execute(
            text("INSERT INTO organisation (name, type, faith_based, created_at) VALUES (:n, 'refuge', 0, :t)"),
            {"n": "Canary Organisation", "t": "2026-01-01 00:00:00"},
        )
    assert "Canary" not in str(caught.value)
