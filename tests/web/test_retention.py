"""Retention: request details go a set time after the request closes; every report keeps its numbers."""

import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from freezegun import freeze_time
from sqlmodel import Session, col, func, select

from capacity.audit import Action, AuditEvent
from capacity.vocab import Role
from matching import holds, reporting, retention
from matching import service as matching_service
from matching.models import Fallback, Hold, Placement, PlacementRequest, RequestLink, RequestReason, RequestTally
from tests.factories import START, make_house, make_organisation, make_request, make_user
from tests.web.conftest import DEMO_NOW
from tests.web.test_cli import run
from web import retention as scheduled
from web.app import create_app
from web.db import make_engine

RETENTION = timedelta(days=90)
# Periods a commissioner might ask for: the year, single months, a week, single days, and days that
# straddle the retention boundary.
PERIODS = [
    (date(2025, 3, 3), date(2026, 3, 2)),
    (date(2025, 6, 1), date(2025, 6, 30)),
    (date(2025, 11, 1), date(2025, 11, 30)),
    (date(2025, 9, 8), date(2025, 9, 14)),
    (date(2025, 7, 15), date(2025, 7, 15)),
    (date(2025, 12, 1), date(2025, 12, 1)),
    (date(2025, 11, 28), date(2025, 12, 6)),
    (date(2026, 2, 1), date(2026, 3, 2)),
]


def every_report(session: Session) -> list[object]:
    """The figures and the tables, suppressed as shown, of every period."""
    found: list[object] = []
    for start, end in PERIODS:
        figures = reporting.figures(session=session, start=start, end=end, stale_after=timedelta(hours=24))
        found += [figures, reporting.tables(figures)]
    return found


def count(session: Session, model: type, *where: object) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()  # type: ignore[arg-type]


def test_a_purge_of_the_demo_year_changes_no_report_and_a_second_purge_changes_nothing(demo_session: Session) -> None:
    with freeze_time(DEMO_NOW):
        before = every_report(demo_session)
        due = retention.due(session=demo_session, retention=RETENTION)
        assert len(due) > 300, "most of the demo's year is old enough"
        purged = retention.purge(session=demo_session, retention=RETENTION)
        assert purged.requests == len(due) and 0 < purged.tallies <= purged.requests
        assert every_report(demo_session) == before
        tallies = count(demo_session, RequestTally)

        again = retention.purge(session=demo_session, retention=RETENTION)
        assert (again.requests, again.tallies) == (0, 0)
        assert count(demo_session, RequestTally) == tallies
        assert every_report(demo_session) == before
    assert "Nothing to purge" in again.summary(RETENTION)


def test_a_purge_leaves_nothing_of_a_purged_request_but_its_tally(demo_session: Session) -> None:
    with freeze_time(DEMO_NOW):
        due = retention.due(session=demo_session, retention=RETENTION)
        kept = count(demo_session, PlacementRequest) - len(due)
        retention.purge(session=demo_session, retention=RETENTION)
    assert count(demo_session, PlacementRequest, col(PlacementRequest.id).in_(due)) == 0
    assert count(demo_session, PlacementRequest) == kept
    for model, column in (
        (Hold, Hold.request_id),
        (Placement, Placement.request_id),
        (RequestReason, RequestReason.request_id),
    ):
        assert count(demo_session, model, col(column).in_(due)) == 0, model.__name__
    assert count(demo_session, RequestLink, col(RequestLink.other_id).in_(due)) == 0
    assert sum(demo_session.exec(select(RequestTally.requests)).all()) == len(due)
    events = demo_session.exec(select(AuditEvent).where(AuditEvent.action == Action.purge)).all()
    assert sum(int(e.detail.split()[0]) for e in events) == len(due)


def test_only_requests_closed_long_enough_ago_are_purged(session: Session) -> None:
    officer, staff = make_user(session, Role.officer), make_user(session, Role.provider)
    house = make_house(session, make_organisation(session), nrm_stages=["pre_nrm"])
    with freeze_time(START) as frozen:
        old, recent, placed = (make_request(session, officer) for _ in range(3))
        holds.record_fallback(session=session, request=old, fallback=Fallback.hotel)
        frozen.tick(RETENTION)
        holds.record_fallback(session=session, request=recent, fallback=Fallback.sofa)
        frozen.tick(timedelta(seconds=1))
        assert retention.due(session=session, retention=RETENTION) == [old.id], "closed exactly 90 days ago"
        held = holds.hold(session=session, request=placed, house=house, officer=officer, expires_after=RETENTION)
        placement = holds.accept(session=session, hold=held, provider=staff)
        frozen.tick(RETENTION * 3)
        assert retention.due(session=session, retention=RETENTION) == [old.id, recent.id], "a placement goes on"
        holds.move_on(session=session, placement=placement)
        assert retention.due(session=session, retention=RETENTION) == [old.id, recent.id], "just closed"


def test_a_purged_request_hold_or_placement_never_lends_its_number_to_a_new_one(session: Session) -> None:
    """The audit log names them by number: a number given twice would mix two people's events."""
    officer, staff = make_user(session, Role.officer), make_user(session, Role.provider)
    house = make_house(session, make_organisation(session), nrm_stages=["pre_nrm"])

    def placed_and_moved_on() -> Placement:
        request = make_request(session, officer)
        held = holds.hold(session=session, request=request, house=house, officer=officer, expires_after=RETENTION)
        return holds.move_on(session=session, placement=holds.accept(session=session, hold=held, provider=staff))

    with freeze_time(START) as frozen:
        newest = placed_and_moved_on()  # the newest request, hold and placement of all
        frozen.tick(RETENTION * 2)
        assert retention.purge(session=session, retention=RETENTION).requests == 1
        assert session.get(PlacementRequest, newest.request_id) is None
        again = placed_and_moved_on()
    assert again.request_id > newest.request_id
    assert again.hold_id > newest.hold_id
    assert (again.id or 0) > (newest.id or 0)


def test_a_closed_request_linked_to_a_live_one_waits_so_that_a_family_stays_together(session: Session) -> None:
    officer = make_user(session, Role.officer)
    with freeze_time(START) as frozen:
        closed = make_request(session, officer)
        first = make_request(session, officer, place_together=[closed.id])
        second = make_request(session, officer, place_together=[closed.id])
        holds.record_fallback(session=session, request=closed, fallback=Fallback.hotel)
        frozen.tick(RETENTION * 2)
        assert retention.due(session=session, retention=RETENTION) == []
        assert {first.id, second.id} <= matching_service.family(session=session, request_ids=[first.id or 0])
        for live in (first, second):
            holds.record_fallback(session=session, request=live, fallback=Fallback.sofa)
        frozen.tick(RETENTION * 2)
        assert retention.due(session=session, retention=RETENTION) == [closed.id, first.id, second.id]


def test_safebeds_purge_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'purge.db'}"
    monkeypatch.setenv("SAFEBEDS_DATABASE_URL", url)
    monkeypatch.delenv("SAFEBEDS_SECOND_FACTOR_REQUIRED", raising=False)
    assert run("demo", "--no-serve", "--history-days", "120").exit_code == 0
    first = run("purge")
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("Purged ") and "closed more than 90 days ago" in first.stdout
    again = run("purge")
    assert again.stdout.startswith("Nothing to purge")
    monkeypatch.setenv("SAFEBEDS_RETENTION_DAYS", "0")
    refused = run("purge")
    assert refused.exit_code == 1 and "retention_days" in refused.output
    engine = make_engine(url)
    with Session(engine) as session:
        assert count(session, RequestTally) > 0
    engine.dispose()


def test_the_app_purges_on_its_own_while_served_and_never_in_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[str] = []

    def counted() -> retention.Purged:
        runs.append("purged")
        return retention.Purged(requests=0, tallies=0)

    monkeypatch.setattr(scheduled, "purge_now", counted)
    with TestClient(create_app()):
        time.sleep(0.2)
    assert runs == [], "an app nobody asked to purge does not"
    served = create_app()
    served.state.purge_on_schedule = True  # as `safebeds serve` sets it
    with TestClient(served):
        deadline = time.monotonic() + 5
        while not runs and time.monotonic() < deadline:
            time.sleep(0.05)
    assert runs == ["purged"], "once at start; the next after SAFEBEDS_PURGE_EVERY_HOURS"
