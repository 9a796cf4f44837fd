"""The coordinator's queue page: the waiting requests, the solver's proposal, and the holds confirmed."""

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session

from capacity.vocab import Role
from tests.factories import log_in, make_house, make_organisation, make_request, make_user

HTMX = {"HX-Request": "true"}


@pytest.fixture
def coordinator(client: TestClient, session: Session) -> TestClient:
    return log_in(client, make_user(session, Role.coordinator))


@pytest.mark.parametrize("htmx", [False, True], ids=["full", "partial"])
def test_the_queue_lists_waiting_requests_by_number_never_by_reference(
    coordinator: TestClient, session: Session, htmx: bool
) -> None:
    officer = make_user(session, Role.officer)
    waiting = make_request(session, officer, reference="MSU-7001", gender="male", languages=["sq"])
    response = coordinator.get("/queue", headers=HTMX if htmx else {})
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    assert (page.find("html") is None) is htmx and page.find("h1") is not None
    row = page.select_one("tbody tr")
    assert row is not None and row.th is not None and row.th.text == f"#{waiting.id}"
    assert "Male; Pre-NRM" in row.text and "Albanian" in row.text
    assert "MSU-7001" not in response.text
    assert page.select_one('form[action="/queue/proposal"] button') is not None


def test_an_empty_queue_says_so(coordinator: TestClient) -> None:
    page = BeautifulSoup(coordinator.get("/queue").text, "html.parser")
    assert "Nobody is waiting" in page.text and page.select_one('form[action="/queue/proposal"]') is None


def test_the_proposal_is_held_only_when_confirmed_and_only_as_ticked(coordinator: TestClient, session: Session) -> None:
    provider = make_organisation(session)
    harbour = make_house(session, provider, display_name="Harbour House", beds=1, genders=["female"])
    officer = make_user(session, Role.officer)
    first = make_request(session, officer, reference="MSU-7101", gender="female", nrm_stage="recovery")
    second = make_request(session, officer, reference="MSU-7102", gender="male", nrm_stage="recovery")
    proposed = coordinator.post("/queue/proposal", headers=HTMX)
    page = BeautifulSoup(proposed.text, "html.parser")
    assert page.find("html") is None
    ticks = page.select('input[name="assignment"]')
    assert [t.get("value") for t in ticks] == [f"{first.id}:{harbour.id}"] and ticks[0].has_attr("checked")
    assert "proven the best possible" in page.text
    assert f"#{second.id}: do not take this gender" in page.text
    queued = sorted(q["id"] for q in coordinator.get("/api/allocation/queue").json())
    assert queued == sorted([first.id or 0, second.id or 0]), "nothing is held by a proposal"
    twice = [f"{first.id}:{harbour.id}"] * 2
    repeated = BeautifulSoup(
        coordinator.post("/queue/confirm", data={"assignment": twice}, headers=HTMX).text, "html.parser"
    )
    assert "0 of 2 held" in repeated.text and "assigned more than once" in repeated.text
    none_ticked = BeautifulSoup(coordinator.post("/queue/confirm", headers=HTMX).text, "html.parser")
    assert "0 of 0 held" in none_ticked.text
    confirmed = coordinator.post("/queue/confirm", data={"assignment": [f"{first.id}:{harbour.id}", "x:y"]})
    assert confirmed.status_code == 200 and BeautifulSoup(confirmed.text, "html.parser").find("html") is not None
    assert "1 of 1 held" in confirmed.text and "Harbour House" in confirmed.text
    assert [q["id"] for q in coordinator.get("/api/allocation/queue").json()] == [second.id]
    again = coordinator.post("/queue/confirm", data={"assignment": [f"{second.id}:{harbour.id}"]}, headers=HTMX)
    assert "0 of 1 held" in again.text and "Not held" in again.text


def test_officers_and_providers_cannot_allocate(client: TestClient, session: Session) -> None:
    for role in (Role.officer, Role.provider, Role.commissioner):
        log_in(client, make_user(session, role))
        assert client.get("/queue").status_code == 403
        assert client.post("/queue/proposal").status_code == 403
