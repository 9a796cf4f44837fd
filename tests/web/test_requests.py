"""Placement requests and instant search through the API."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from capacity.vocab import Role
from matching.models import CHILD_VICTIM_MESSAGE
from tests.factories import log_in, make_house, make_organisation, make_request, make_user, request_data


def problem_fields(response: Any) -> list[str]:
    return [str(problem["loc"][-1]) for problem in response.json()["detail"]]


@pytest.fixture
def officer_client(client: TestClient, session: Session) -> TestClient:
    return log_in(client, make_user(session, Role.officer))


def test_an_officer_records_a_request(officer_client: TestClient) -> None:
    response = officer_client.post("/api/requests", json=request_data(reference="msu-2231", languages=["alb"]))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["reference"] == "MSU-2231"
    assert body["languages"] == ["sq"]
    assert body["status"] == "open"
    assert officer_client.get(f"/api/requests/{body['id']}").json() == body


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"reference": "Jane Doe"}, "reference", "never a name"),
        ({"reference": "Jane-Doe-1990"}, "reference", "never a name"),
        ({"reference": "MSU-1"}, "reference", "never a name"),
        ({"keep_apart": [2**40]}, "0", "less than or equal to"),
        ({"name": "Jane Doe"}, "name", "Extra inputs are not permitted"),
        ({"story": "found in a car wash"}, "story", "Extra inputs are not permitted"),
        ({"age_band": "under_18"}, "age_band", CHILD_VICTIM_MESSAGE),
        ({"children": [4, 18]}, "1", "less than or equal to 17"),
        ({"languages": ["klingon"]}, "languages", "unknown language code"),
        ({"urgency": "whenever"}, "urgency", "Input should be"),
        ({"excluded_areas": ["atlantis"]}, "0", "Input should be"),
    ],
)
def test_a_bad_request_is_422_naming_the_field(
    officer_client: TestClient, change: dict[str, Any], field: str, message: str
) -> None:
    response = officer_client.post("/api/requests", json=request_data(**change))
    assert response.status_code == 422, response.text
    assert problem_fields(response) == [field]
    assert message in response.json()["detail"][0]["msg"]
    assert officer_client.get("/api/requests").json() == []


def test_officers_see_their_own_organisations_requests_and_admins_see_all(client: TestClient, session: Session) -> None:
    force = make_organisation(session, name="Force A")
    mine = make_request(session, make_user(session, Role.officer, force))
    colleague = make_user(session, Role.officer, force)
    other = make_request(session, make_user(session, Role.officer))
    log_in(client, colleague)
    assert [r["id"] for r in client.get("/api/requests").json()] == [mine.id]
    client.cookies.clear()
    log_in(client, make_user(session, Role.admin))
    assert {r["id"] for r in client.get("/api/requests").json()} == {mine.id, other.id}


def test_search_by_needs_ranks_houses_and_never_shows_an_address(officer_client: TestClient, session: Session) -> None:
    provider = make_organisation(session)
    make_house(session, provider, genders=["female"], nrm_stages=["pre_nrm"], address="12 Canary Secret Row")
    make_house(session, provider, genders=["female"], nrm_stages=["recovery"])
    response = officer_client.post(
        "/api/search",
        json=request_data() | {"reference": None}
        and {key: value for key, value in request_data().items() if key != "reference"},
    )
    assert response.status_code == 200, response.text
    assert "Canary" not in response.text
    body = response.json()
    assert len(body["matches"]) == 1
    assert body["summary"] == "1 ruled out: 1 not for this NRM stage"


def test_search_for_a_recorded_request(officer_client: TestClient, session: Session) -> None:
    officer = make_user(session, Role.officer)
    make_house(session, make_organisation(session), genders=["male"], nrm_stages=["pre_nrm"])
    recorded = make_request(session, officer, gender="male")
    officer_client.cookies.clear()
    log_in(officer_client, officer)
    response = officer_client.get(f"/api/requests/{recorded.id}/search")
    assert response.status_code == 200, response.text
    assert [m["area"] for m in response.json()["matches"]] == ["camden"]


def test_requests_of_one_case_are_linked_both_ways(client: TestClient, session: Session) -> None:
    officer = make_user(session, Role.officer)
    sister = make_request(session, officer)
    trafficker_victim = make_request(session, officer)
    log_in(client, officer)
    response = client.post(
        "/api/requests",
        json=request_data(place_together=[sister.id], keep_apart=[trafficker_victim.id]),
    )
    assert response.status_code == 201, response.text
    brother = response.json()
    assert (brother["place_together"], brother["keep_apart"]) == ([sister.id], [trafficker_victim.id])
    assert client.get(f"/api/requests/{sister.id}").json()["place_together"] == [brother["id"]]
    assert client.get(f"/api/requests/{trafficker_victim.id}").json()["keep_apart"] == [brother["id"]]


@pytest.mark.parametrize("kind", ["keep_apart", "place_together"])
def test_a_link_to_another_organisations_request_is_refused(client: TestClient, session: Session, kind: str) -> None:
    elsewhere = make_request(session, make_user(session, Role.officer))
    log_in(client, make_user(session, Role.officer))
    response = client.post("/api/requests", json=request_data(**{kind: [elsewhere.id]}))
    assert response.status_code == 422
    assert problem_fields(response) == [kind]
    assert client.get("/api/requests").json() == []


def test_a_request_cannot_be_both_kept_apart_and_placed_together(client: TestClient, session: Session) -> None:
    officer = make_user(session, Role.officer)
    other = make_request(session, officer)
    log_in(client, officer)
    response = client.post("/api/requests", json=request_data(keep_apart=[other.id], place_together=[other.id]))
    assert response.status_code == 422
    assert problem_fields(response) == ["place_together"]


def test_a_family_can_never_hold_two_people_kept_apart(client: TestClient, session: Session) -> None:
    officer = make_user(session, Role.officer)
    a = make_request(session, officer)
    c = make_request(session, officer, keep_apart=[a.id])
    b = make_request(session, officer, place_together=[a.id])
    log_in(client, officer)
    # Joining b's family (with a) to c would put a and c, kept apart, in one house.
    joined = client.post("/api/requests", json=request_data(place_together=[b.id, c.id]))
    assert joined.status_code == 422
    assert problem_fields(joined) == ["place_together"]
    assert "must be kept apart" in joined.text
    # Kept apart from someone in the family it joins: refused too.
    inside = client.post("/api/requests", json=request_data(place_together=[b.id], keep_apart=[a.id]))
    assert inside.status_code == 422
    assert problem_fields(inside) == ["place_together"]
    assert f"request {a.id} is in the family" in inside.text
