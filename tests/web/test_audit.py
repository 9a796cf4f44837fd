"""The audit log: every sensitive thing recorded with who, what, when and where; written with it; never changed."""

import csv
import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from freezegun.api import FrozenDateTimeFactory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, func, select

from capacity import audit, clock
from capacity import service as capacity_service
from capacity.audit import Action, AuditEvent, AuditIsAppendOnly
from capacity.errors import ConflictError
from capacity.models import House, Organisation, User
from capacity.vocab import Role
from tests.factories import PASSWORD, log_in, make_house, make_organisation, make_request, make_user, request_data
from web import accounts
from web.app import app

Events = Callable[..., list[AuditEvent]]


@pytest.fixture
def events(session: Session) -> Events:
    """The events recorded since the test began, of one action or all (tests that commit outside their
    transaction, such as the concurrency tests, leave theirs behind for good: the log is append-only)."""
    first = session.exec(select(func.max(AuditEvent.id))).one() or 0

    def recorded(action: Action | None = None) -> list[AuditEvent]:
        query = select(AuditEvent).where(col(AuditEvent.id) > first).order_by(col(AuditEvent.id))
        if action is not None:
            query = query.where(col(AuditEvent.action) == action)
        return list(session.exec(query))

    return recorded


@pytest.fixture
def provider(session: Session) -> Organisation:
    return make_organisation(session)


@pytest.fixture
def house(session: Session, provider: Organisation) -> House:
    return make_house(session, provider, beds=1, genders=["female"], nrm_stages=["pre_nrm", "recovery"])


@pytest.fixture
def officer(session: Session) -> User:
    return make_user(session, Role.officer)


@pytest.fixture
def staff(session: Session, provider: Organisation) -> User:
    return make_user(session, Role.provider, provider)


def as_user(user: User) -> TestClient:
    """A second client, so that two people can act in one test."""
    return log_in(TestClient(app, client=("192.0.2.20", 50000)), user)


def test_each_step_of_a_placement_is_recorded_with_who_what_when_and_where(
    client: TestClient,
    session: Session,
    house: House,
    officer: User,
    staff: User,
    frozen: FrozenDateTimeFactory,
    events: Events,
) -> None:
    log_in(client, officer)
    made = client.post("/api/requests", json=request_data())
    assert made.status_code == 201
    request_id = made.json()["id"]
    held = client.post(f"/api/requests/{request_id}/holds", json={"house_id": house.id}).json()
    provider_client = as_user(staff)
    assert provider_client.get(f"/api/holds/{held['id']}").status_code == 200
    frozen.tick(timedelta(minutes=3))
    assert provider_client.post(f"/api/holds/{held['id']}/accept").status_code == 200
    (placement,) = provider_client.get("/api/placements").json()
    assert client.get(f"/api/holds/{held['id']}").json()["address"] == house.address
    decided = {"decision": "positive_rg", "decided_at": clock.now().isoformat()}
    response = provider_client.post(f"/api/placements/{placement['id']}/decision", json=decided)
    assert response.status_code == 200, response.text
    assert provider_client.post(f"/api/placements/{placement['id']}/move-on").status_code == 200

    recorded = [(e.action, e.actor_id, e.object_type, e.object_id) for e in events() if e.action != "auth.login"]
    assert (Action.request_created, officer.id, "request", request_id) in recorded
    assert (Action.hold_created, officer.id, "hold", held["id"]) in recorded
    assert (Action.view_needs, staff.id, "request", request_id) in recorded, "the provider saw the needs"
    assert (Action.hold_accepted, staff.id, "hold", held["id"]) in recorded
    assert (Action.placement_started, staff.id, "request", request_id) in recorded
    assert (Action.view_address, officer.id, "house", house.id) in recorded, "the officer saw the address"
    assert (Action.placement_decision, staff.id, "placement", placement["id"]) in recorded
    assert (Action.placement_moved_on, staff.id, "placement", placement["id"]) in recorded
    accepted = events(Action.hold_accepted)[0]
    assert accepted.client == "192.0.2.20" and accepted.actor_role == "provider", "from where the provider was"
    assert accepted.at == events(Action.hold_created)[0].at + timedelta(minutes=3)


def test_a_hold_that_lapses_was_lapsed_by_safebeds_not_by_whoever_looked_next(
    client: TestClient, session: Session, house: House, officer: User, frozen: FrozenDateTimeFactory, events: Events
) -> None:
    log_in(client, officer)
    request = make_request(session, officer)
    held = client.post(f"/api/requests/{request.id}/holds", json={"house_id": house.id}).json()
    frozen.tick(timedelta(days=1))
    log_in(client, officer)  # the next morning
    assert client.get(f"/api/holds/{held['id']}").json()["status"] == "expired"
    (lapsed,) = events(Action.hold_expired)
    assert (lapsed.object_id, lapsed.actor_id, lapsed.client) == (held["id"], None, None)


def test_a_failed_action_leaves_no_event_as_it_left_no_change(
    client: TestClient,
    session: Session,
    house: House,
    officer: User,
    staff: User,
    monkeypatch: pytest.MonkeyPatch,
    events: Events,
) -> None:
    log_in(client, officer)
    request = make_request(session, officer)
    held = client.post(f"/api/requests/{request.id}/holds", json={"house_id": house.id}).json()

    def lost_race(*, session: Session, conflict: str) -> None:
        # The acceptance and its events are written, then the commit loses a race, as a real one can.
        session.flush()
        session.rollback()
        raise ConflictError(conflict)

    monkeypatch.setattr(capacity_service, "commit", lost_race)
    assert as_user(staff).post(f"/api/holds/{held['id']}/accept").status_code == 409
    assert events(Action.hold_accepted) == [] and events(Action.placement_started) == []
    assert [e.object_id for e in events(Action.hold_created)] == [held["id"]], "the hold itself stands"


def test_bed_changes_house_edits_exports_and_admin_changes_are_recorded(
    client: TestClient, session: Session, house: House, staff: User, events: Events
) -> None:
    log_in(client, staff)
    bed_id = client.get(f"/api/houses/{house.id}/beds").json()[0]["id"]
    assert client.patch(f"/api/beds/{bed_id}", json={"status": "out_of_service"}).status_code == 200
    assert client.patch(f"/api/houses/{house.id}", json={"address": "2 Other Road"}).status_code == 200
    admin = as_user(make_user(session, Role.admin))
    assert admin.patch(f"/api/users/{staff.id}", json={"role": "provider", "is_active": False}).status_code == 200
    commissioner = as_user(make_user(session, Role.commissioner))
    assert commissioner.get("/gaps/headline.csv?from=2026-01-01&to=2026-01-31").status_code == 200

    (bed,) = events(Action.bed_status)
    assert (bed.object_id, bed.detail) == (bed_id, f"house {house.id}: available to out_of_service")
    (edit,) = events(Action.house_changed)
    assert edit.detail == "changed: address" and "Other Road" not in edit.detail, "the field, never its value"
    (changed,) = events(Action.account_changed)
    assert (changed.object_id, changed.detail, changed.actor_role) == (staff.id, "disabled", "admin")
    assert events(Action.sessions_ended)[0].object_id == staff.id
    (export,) = events(Action.export)
    assert export.actor_role == "commissioner" and export.detail.startswith("gaps table headline")


def test_log_ins_failures_and_refusals_are_recorded(
    client: TestClient, session: Session, officer: User, events: Events
) -> None:
    assert client.post("/api/auth/login", json={"email": officer.email, "password": "wrong"}).status_code == 401
    assert client.post("/api/auth/login", json={"email": "nobody@example.org", "password": "x"}).status_code == 401
    log_in(client, officer)
    assert client.get("/admin").status_code == 403
    assert client.post("/api/auth/logout").status_code == 204

    failed = events(Action.login_failed)
    assert [(e.object_id, e.detail) for e in failed] == [
        (officer.id, "wrong password"),
        (None, accounts.unknown_account("nobody@example.org")),
    ]
    assert "nobody" not in failed[1].detail, "the email is not written down"
    assert all(e.actor_id is None and e.client == "192.0.2.10" for e in failed)
    assert events(Action.login)[0].actor_id == officer.id
    (denied,) = events(Action.denied)
    assert denied.actor_id == officer.id and denied.detail.startswith("GET /admin: ")
    assert events(Action.logout)[0].object_id == officer.id


def test_nothing_in_the_app_can_change_or_delete_an_event(session: Session) -> None:
    entry = audit.record(session, Action.export, detail="a table")
    session.commit()
    entry.detail = "something else"
    with pytest.raises(AuditIsAppendOnly):
        session.commit()
    session.rollback()
    session.delete(entry)
    with pytest.raises(AuditIsAppendOnly):
        session.commit()
    session.rollback()
    assert session.get(AuditEvent, entry.id) is not None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET detail = 'rewritten' WHERE id = :id",
        "DELETE FROM audit_event WHERE id = :id",
    ],
)
def test_the_database_itself_refuses_to_change_or_delete_an_event(session: Session, statement: str) -> None:
    entry = audit.record(session, Action.export, detail="a table")
    session.commit()
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        session.connection().execute(text(statement), {"id": entry.id})
    savepoint.rollback()
    assert session.exec(select(AuditEvent.detail).where(AuditEvent.id == entry.id)).one() == "a table"


# The admin's audit page ----------------------------------------------------------------------------


@pytest.fixture
def admin_client(client: TestClient, session: Session) -> TestClient:
    return log_in(client, make_user(session, Role.admin))


def test_the_admin_searches_the_log_by_kind_account_and_thing(
    admin_client: TestClient, session: Session, officer: User, house: House
) -> None:
    other = TestClient(app)
    assert other.post("/api/auth/login", json={"email": officer.email, "password": "wrong"}).status_code == 401
    log_in(other, officer)
    made = other.post("/api/requests", json=request_data()).json()

    admin_client.headers["HX-Request"] = "true"  # the events alone, without the search form's choices
    page = admin_client.get("/admin/audit", params={"action": "auth"}).text
    assert "Log-in failed" in page and "Request made" not in page
    page = admin_client.get("/admin/audit", params={"account": officer.email}).text
    assert "Request made" in page and "Log-in failed" not in page, "a failure has no actor: nobody logged in"
    page = admin_client.get("/admin/audit", params={"object_type": "request", "object_id": str(made["id"])}).text
    assert f"Request {made['id']}" in page
    assert "No event matches" in admin_client.get("/admin/audit", params={"from": "2030-01-01"}).text


def test_bad_search_fields_are_named(admin_client: TestClient) -> None:
    response = admin_client.get("/admin/audit", params={"from": "March", "object_id": "x", "account": "who@x.org"})
    assert response.status_code == 422
    for field in ("from-problem", "object_id-problem", "account-problem"):
        assert f'id="{field}"' in response.text
    refused = admin_client.get("/admin/audit.csv", params={"to": "soon"})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "to"]


def test_the_log_downloads_as_csv_and_the_download_is_recorded(
    admin_client: TestClient, session: Session, house: House, staff: User, events: Events
) -> None:
    editor = log_in(TestClient(app), staff)
    assert editor.patch(f"/api/houses/{house.id}", json={"display_name": "=HYPERLINK(1)"}).status_code == 200
    audit.record(session, Action.export, detail="=cmd|' /C calc'!A0")
    session.commit()
    response = admin_client.get("/admin/audit.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {"house.changed", "auth.login"} <= {row["action"] for row in rows}
    assert "'=cmd|' /C calc'!A0" in {row["detail"] for row in rows}, "a formula is defused"
    ids = [int(row["id"]) for row in rows]
    assert ids == sorted(ids, reverse=True), "newest first"
    (export,) = events(Action.export)[-1:]
    assert export.detail.startswith("audit log:") and export.actor_role == "admin"


def test_only_admins_read_the_log(client: TestClient, session: Session) -> None:
    for role in (Role.officer, Role.provider, Role.commissioner, Role.coordinator):
        log_in(client, make_user(session, role))
        assert client.get("/admin/audit").status_code == 403
        assert client.get("/admin/audit.csv").status_code == 403


def test_the_password_is_never_recorded(client: TestClient, session: Session, officer: User, events: Events) -> None:
    client.post("/api/auth/login", json={"email": officer.email, "password": "my secret guess"})
    log_in(client, officer)
    assert all(PASSWORD not in e.detail and "my secret guess" not in e.detail for e in events())
