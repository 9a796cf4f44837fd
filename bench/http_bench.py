"""Instant search end to end: HTTP request, log-in check, database read and ranking, on a live server.

Usage: python -m bench.http_bench [--houses 5000] [--searches 200]
Loads that many houses (about four beds each) into a fresh SQLite database, serves the app with
uvicorn on 127.0.0.1 and times `POST /api/search` over one kept-alive connection, as a browser
would. A tenth of the houses is measured first, in the same process, as a baseline.
"""

import argparse
import http.client
import os
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from sqlmodel import Session

from bench.instances import make_instance
from bench.search_bench import needs
from capacity import clock
from capacity.models import Bed, House, Organisation, OrganisationCreate
from capacity.vocab import BedStatus, OrganisationType, Role
from web import accounts, migrate
from web.db import make_engine

PASSWORD = "bench search password"


def load(database_url: str, houses: int) -> str:
    """Fill a fresh database with `houses` synthetic houses; return an officer's session token."""
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    at = clock.now()
    with Session(engine) as session:
        providers = [
            Organisation.model_validate(
                OrganisationCreate(name=f"Provider {i}", type=OrganisationType.ngo_safe_house),
                update={"created_at": at},
            )
            for i in range(40)
        ]
        police = Organisation.model_validate(
            OrganisationCreate(name="Police", type=OrganisationType.police), update={"created_at": at}
        )
        session.add_all([*providers, police])
        session.flush()
        rows = []
        for i, snapshot in enumerate(make_instance("stress" if houses > 5_000 else "national", seed=7).houses[:houses]):
            fields = snapshot.model_dump(include=set(House.model_fields))
            fields |= {"display_name": f"House {i}", "address": f"{i} Bench Street", "postcode": "ZZ99 3ZZ"}
            fields |= {"organisation_id": providers[i % 40].id}
            fields |= {"vacancies_confirmed_at": at, "created_at": at, "updated_at": at}
            rows.append((House.model_validate(fields), snapshot.free_beds))
        session.add_all([house for house, _ in rows])
        session.flush()
        for house, free in rows:
            statuses = [BedStatus.available] * free + [BedStatus.occupied] * max(0, 4 - free)
            session.add_all(
                Bed(house_id=house.id or 0, label=f"Bed {n}", status=s, status_changed_at=at, status_confirmed_at=at)
                for n, s in enumerate(statuses)
            )
        session.commit()
        officer = accounts.create_user(
            session=session,
            data=accounts.UserCreate(
                email="officer@bench.example.org", password=PASSWORD, role=Role.officer, organisation_id=police.id or 0
            ),
        )
        token = accounts.start_session(session=session, user=officer)
    engine.dispose()
    return token


@contextmanager
def serving(port: int) -> Iterator[http.client.HTTPConnection]:
    """The app on 127.0.0.1:`port` with the configured database, and one kept-alive connection to it."""
    from web.app import create_app
    from web.db import get_engine
    from web.settings import get_settings

    get_settings.cache_clear()
    get_engine.cache_clear()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    connection = http.client.HTTPConnection("127.0.0.1", port)
    try:
        yield connection
    finally:
        connection.close()
        server.should_exit = True
        thread.join()
        get_engine().dispose()


def timings(houses: int, searches: int, port: int) -> tuple[float, float, float]:
    """p50 and p95 milliseconds per search, and the time of the first search (which builds the index)."""
    with tempfile.TemporaryDirectory() as directory:
        database_url = f"sqlite:///{Path(directory) / 'bench.db'}"
        os.environ["SAFEBEDS_DATABASE_URL"] = database_url
        token = load(database_url, houses)
        with serving(port) as connection:
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            rng = random.Random(3)

            def one() -> float:
                started = time.perf_counter()
                connection.request("POST", "/api/search?limit=20", body=needs(rng).model_dump_json(), headers=headers)
                response = connection.getresponse()
                body = response.read()
                assert response.status == 200, body
                return (time.perf_counter() - started) * 1000

            first = one()
            samples = sorted(one() for _ in range(searches))
        return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))], first


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--houses", type=int, default=5_000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    print("| houses | p50 ms | p95 ms | first search ms |")
    print("| --- | --- | --- | --- |")
    for count in (args.houses // 10, args.houses):
        p50, p95, first = timings(count, args.searches, args.port)
        print(f"| {count} | {p50:.1f} | {p95:.1f} | {first:.0f} |")


if __name__ == "__main__":
    main()
