"""The hold journey through the API: officer holds, provider decides, the address reaches that officer only."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from freezegun.api import FrozenDateTimeFactory
from sqlmodel import Session

from capacity.models import House, Organisation, User
from capacity.vocab import Role
from matching.models import PlacementRequest
from tests.factories import make_house, make_organisation, make_request, make_user
from web import accounts

CANARY = "41 Canary Hidden Row"


def as_user(client: TestClient, session: Session, user: User) -> TestClient:
    """Send the next requests as `user` (a bearer token, so switching users needs no cookies)."""
    client.cookies.clear()
    client.headers["Authorization"] = f"Bearer {accounts.start_session(session=session, user=user)}"
    return client


@pytest.fixture
def refuge(session: Session) -> Organisation:
    return make_organisation(session, name="Canary Refuge")


@pytest.fixture
def house(session: Session, refuge: Organisation) -> House:
    return make_house(session, refuge, beds=1, nrm_stages=["pre_nrm"], address=CANARY, postcode="ZZ99 7QX")


@pytest.fixture
def officer(session: Session) -> User:
    return make_user(session, Role.officer)


def officer_holds(
    client: TestClient, session: Session, officer: User, house: House, **needs: Any
) -> tuple[PlacementRequest, dict[str, Any]]:
    """The officer records a request and holds the house for it; the client stays logged in as the officer."""
    request = make_request(session, officer, **needs)
    as_user(client, session, officer)
    hold: dict[str, Any] = client.post(f"/api/requests/{request.id}/holds", json={"house_id": house.id}).json()
    return request, hold


def held_then_provider(
    client: TestClient, session: Session, officer: User, house: House, refuge: Organisation
) -> dict[str, Any]:
    """The officer holds the house for a new request; the client then acts as the house's provider."""
    _, hold = officer_holds(client, session, officer, house)
    as_user(client, session, make_user(session, Role.provider, refuge))
    return hold


def test_the_hold_journey(
    client: TestClient, session: Session, refuge: Organisation, house: House, officer: User
) -> None:
    request = make_request(session, officer, reference="MSU-4471")
    as_user(client, session, officer)
    held = client.post(f"/api/requests/{request.id}/holds", json={"house_id": house.id})
    assert held.status_code == 201, held.text
    hold = held.json()
    assert (hold["status"], hold["beds"], hold["address"]) == ("waiting", 1, None)
    assert CANARY not in held.text

    provider = make_user(session, Role.provider, refuge)
    as_user(client, session, provider)
    incoming = client.get("/api/holds", params={"status": "waiting"})
    assert [h["id"] for h in incoming.json()] == [hold["id"]]
    assert "MSU-4471" not in incoming.text, "providers see the needs, never the case reference"
    assert incoming.json()[0]["needs"]["gender"] == "female"
    accepted = client.post(f"/api/holds/{hold['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"

    colleague = make_user(session, Role.officer, session.get(Organisation, officer.organisation_id))
    as_user(client, session, colleague)
    seen_by_colleague = client.get(f"/api/holds/{hold['id']}")
    assert seen_by_colleague.status_code == 200
    assert CANARY not in seen_by_colleague.text, "the address goes to the holding officer only"

    as_user(client, session, officer)
    seen = client.get(f"/api/holds/{hold['id']}").json()
    assert (seen["address"], seen["postcode"]) == (CANARY, "ZZ99 7QX")
    assert client.get(f"/api/requests/{request.id}").json()["status"] == "placed"


def test_a_second_officer_gets_a_clear_409(client: TestClient, session: Session, house: House, officer: User) -> None:
    first, second = make_request(session, officer), make_request(session, officer)
    as_user(client, session, officer)
    assert client.post(f"/api/requests/{first.id}/holds", json={"house_id": house.id}).status_code == 201
    response = client.post(f"/api/requests/{second.id}/holds", json={"house_id": house.id})
    assert response.status_code == 409
    assert response.json()["detail"] == "this house no longer has a free bed; search again"


def test_a_house_that_cannot_take_the_person_is_422(
    client: TestClient, session: Session, house: House, officer: User
) -> None:
    request = make_request(session, officer, gender="male")
    as_user(client, session, officer)
    response = client.post(f"/api/requests/{request.id}/holds", json={"house_id": house.id})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "house_id"]
    assert "GENDER_NOT_SERVED" in response.json()["detail"][0]["msg"]


def test_declining_needs_a_coded_reason(
    client: TestClient, session: Session, refuge: Organisation, house: House, officer: User
) -> None:
    hold = held_then_provider(client, session, officer, house, refuge)
    missing = client.post(f"/api/holds/{hold['id']}/decline", json={})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "reason"]
    story = client.post(f"/api/holds/{hold['id']}/decline", json={"reason": "she seemed unreliable"})
    assert story.status_code == 422
    declined = client.post(f"/api/holds/{hold['id']}/decline", json={"reason": "cannot_meet_needs"})
    assert declined.json()["status"] == "declined"
    assert declined.json()["decline_reason"] == "cannot_meet_needs"


def test_an_unanswered_hold_lapses(
    client: TestClient, session: Session, house: House, officer: User, frozen: FrozenDateTimeFactory
) -> None:
    request, hold = officer_holds(client, session, officer, house)
    frozen.tick(timedelta(minutes=119))
    # (A log-in idles out after 30 minutes, so the officer logs in again.)
    assert as_user(client, session, officer).get(f"/api/holds/{hold['id']}").json()["status"] == "waiting"
    frozen.tick(timedelta(minutes=1))
    assert client.get(f"/api/holds/{hold['id']}").json()["status"] == "expired"
    assert client.get(f"/api/houses/{house.id}").json()["beds"]["available"] == 1


def test_decisions_move_on_and_the_address_going_away(
    client: TestClient, session: Session, refuge: Organisation, house: House, officer: User
) -> None:
    request, hold = officer_holds(client, session, officer, house)
    provider = make_user(session, Role.provider, refuge)
    as_user(client, session, provider)
    client.post(f"/api/holds/{hold['id']}/accept")
    [placement] = client.get("/api/placements").json()

    decided = client.post(f"/api/placements/{placement['id']}/decision", json={"decision": "positive_rg"})
    assert decided.status_code == 200, decided.text
    assert decided.json()["support_until"] is not None
    bad = client.post(f"/api/placements/{placement['id']}/decision", json={"decision": "maybe"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "decision"]
    again = client.post(f"/api/placements/{placement['id']}/decision", json={"decision": "negative_rg"})
    assert again.status_code == 409
    assert again.json()["detail"] == (
        "negative_rg cannot be recorded: the positive Reasonable Grounds decision has already been made"
    )
    early = client.post(
        f"/api/placements/{placement['id']}/decision",
        json={"decision": "positive_cg", "decided_at": "2009-04-02T00:00:00Z"},
    )
    assert early.status_code == 422 and early.json()["detail"][0]["loc"] == ["body", "decided_at"]

    as_user(client, session, officer)
    assert client.get(f"/api/holds/{hold['id']}").json()["address"] == CANARY
    assert client.post(f"/api/placements/{placement['id']}/move-on").status_code == 403, "the provider records it"
    as_user(client, session, provider)
    assert client.post(f"/api/placements/{placement['id']}/move-on").status_code == 200
    assert client.post(f"/api/placements/{placement['id']}/move-on").status_code == 409
    as_user(client, session, officer)
    after = client.get(f"/api/holds/{hold['id']}")
    assert CANARY not in after.text, "the address is the officer's only while the placement lasts"
    assert client.get(f"/api/houses/{house.id}").json()["beds"]["available"] == 1
    assert client.get(f"/api/requests/{request.id}").json()["status"] == "closed"


def test_a_fallback_is_recorded_as_unmet_need(client: TestClient, session: Session, officer: User) -> None:
    request = make_request(session, officer)
    as_user(client, session, officer)
    response = client.post(f"/api/requests/{request.id}/fallback", json={"fallback": "hotel"})
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["fallback"]) == ("closed", "hotel")
    again = client.post(f"/api/requests/{request.id}/fallback", json={"fallback": "sofa"})
    assert again.status_code == 409


def test_a_placed_bed_is_not_freed_by_hand(
    client: TestClient, session: Session, refuge: Organisation, house: House, officer: User
) -> None:
    hold = held_then_provider(client, session, officer, house, refuge)
    client.post(f"/api/holds/{hold['id']}/accept")
    [bed] = client.get(f"/api/houses/{house.id}/beds").json()
    response = client.patch(f"/api/beds/{bed['id']}", json={"status": "available"})
    assert response.status_code == 409
    assert "record the move-on instead" in response.json()["detail"]
    assert client.patch(f"/api/beds/{bed['id']}", json={"label": "Garden room"}).status_code == 200
    [placement] = client.get("/api/placements").json()
    client.post(f"/api/placements/{placement['id']}/move-on")
    assert client.patch(f"/api/beds/{bed['id']}", json={"status": "out_of_service"}).status_code == 200


def test_a_provider_stops_seeing_the_needs_once_a_hold_ends_unaccepted(
    client: TestClient, session: Session, refuge: Organisation, house: House, officer: User
) -> None:
    request = make_request(session, officer, languages=["ti"])
    as_user(client, session, officer)
    hold = client.post(f"/api/requests/{request.id}/holds", json={"house_id": house.id}).json()
    as_user(client, session, make_user(session, Role.provider, refuge))
    assert client.get(f"/api/holds/{hold['id']}").json()["needs"]["languages"] == ["ti"]
    client.post(f"/api/holds/{hold['id']}/decline", json={"reason": "cannot_meet_needs"})
    assert client.get(f"/api/holds/{hold['id']}").json()["needs"] is None
    as_user(client, session, officer)
    assert client.get(f"/api/holds/{hold['id']}").json()["needs"]["languages"] == ["ti"]
