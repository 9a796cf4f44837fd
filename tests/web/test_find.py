"""The officer's "find a bed" page: the form whole, and the results as the htmx fragment that replaces them."""

from datetime import timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session

from capacity.vocab import Role
from matching import holds
from tests.factories import log_in, make_house, make_organisation, make_request, make_user

HTMX = {"HX-Request": "true"}


@pytest.fixture
def officer_client(client: TestClient, session: Session) -> TestClient:
    return log_in(client, make_user(session, Role.officer))


def test_the_page_is_a_form_of_needs_with_a_label_on_every_field(officer_client: TestClient) -> None:
    page = officer_client.get("/find")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.find("html") is not None and soup.find("form", attrs={"hx-post": "/find"}) is not None
    fields = soup.select("form input:not([type=checkbox]):not([type=hidden]), form select")
    assert fields, "the form has fields"
    for field in fields:
        assert soup.find("label", attrs={"for": field["id"]}) is not None, f"{field['name']} has no label"
    for box in soup.select("form input[type=checkbox]"):
        assert box.find_parent("label") is not None, f"{box['name']} has no label"
    assert "Enter the person's needs" in page.text
    assert 'href="/find"' in officer_client.get("/").text, "the officer's home leads here"


def test_results_come_as_a_fragment_for_htmx_and_as_the_whole_page_without_it(
    officer_client: TestClient, session: Session
) -> None:
    provider = make_organisation(session)
    make_house(session, provider, display_name="Harbour House", address="1 Secret Lane", genders=["female"])
    needs = {"gender": "female", "nrm_stage": "recovery", "languages": ["sq"], "trans": "on"}
    fragment = officer_client.post("/find", data=needs, headers=HTMX)
    assert fragment.status_code == 200
    soup = BeautifulSoup(fragment.text, "html.parser")
    assert soup.find("html") is None and soup.find("form") is None
    assert soup.find(id="results") is not None
    assert "Harbour House" in fragment.text and "1 can take this person now" not in fragment.text
    assert "1 house can take this person now" in fragment.text
    assert "Secret Lane" not in fragment.text and "ZZ99" not in fragment.text
    whole = officer_client.post("/find", data=needs)
    assert BeautifulSoup(whole.text, "html.parser").find("form") is not None
    assert "Harbour House" in whole.text


def test_when_nothing_fits_the_page_says_so_and_why(officer_client: TestClient, session: Session) -> None:
    provider = make_organisation(session)
    for _ in range(2):
        make_house(session, provider, genders=["female"], nrm_stages=["recovery"])
    response = officer_client.post("/find", data={"gender": "male", "nrm_stage": "pre_nrm"}, headers=HTMX)
    assert "No house can take this person now" in response.text
    assert "2 do not take this gender" in response.text
    assert "No house with a free bed takes men before a Reasonable Grounds decision (pre-NRM)." in response.text


def test_the_gap_is_named_only_when_provision_alone_is_missing(officer_client: TestClient, session: Session) -> None:
    provider = make_organisation(session)
    make_house(session, provider, genders=["male"], nrm_stages=["pre_nrm"], step_free=False)
    response = officer_client.post(
        "/find", data={"gender": "male", "nrm_stage": "pre_nrm", "needs_step_free": "on"}, headers=HTMX
    )
    assert "No house can take this person now" in response.text
    assert "1 not step-free" in response.text
    assert "No house with a free bed takes" not in response.text


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"children": "four"}, "children", "whole years"),
        ({"age_band": "under_18"}, "age_band", "children's services"),
        ({"gender": "unknown"}, "gender", "female"),
    ],
)
def test_a_bad_need_is_named_and_explained(
    officer_client: TestClient, data: dict[str, str], field: str, words: str
) -> None:
    response = officer_client.post("/find", data=data, headers=HTMX)
    assert response.status_code == 200
    problem = BeautifulSoup(response.text, "html.parser").select_one(f'.error a[href="#{field}"]')
    assert problem is not None and problem.parent is not None, response.text
    assert words in problem.parent.text


def test_a_field_the_form_does_not_have_is_refused(officer_client: TestClient) -> None:
    assert officer_client.post("/find", data={"name": "Someone"}, headers=HTMX).status_code == 422


def test_only_those_who_make_requests_can_find_a_bed(client: TestClient, session: Session) -> None:
    log_in(client, make_user(session, Role.commissioner))
    assert client.get("/find").status_code == 403
    home = client.get("/")
    assert "Find a bed" not in home.text


def test_one_tap_records_the_request_and_holds_the_house(officer_client: TestClient, session: Session) -> None:
    provider = make_organisation(session)
    house = make_house(
        session,
        provider,
        display_name="Harbour House",
        address="1 Secret Lane",
        beds=2,
        max_children=2,
        max_child_age=17,
    )
    needs = {"gender": "female", "nrm_stage": "recovery", "children": "6", "reference": "MSU-2231"}
    listed = officer_client.post("/find", data=needs, headers=HTMX)
    assert f'name="house_id" value="{house.id}"' in listed.text and 'formaction="/find/hold"' in listed.text
    held = officer_client.post("/find/hold", data=needs | {"house_id": str(house.id)}, headers=HTMX)
    assert held.status_code == 200
    assert "Held: Harbour House" in held.text and "(2 beds)" in held.text
    assert "Secret Lane" not in held.text
    (recorded,) = officer_client.get("/api/requests").json()
    assert (recorded["reference"], recorded["children"]) == ("MSU-2231", [6])
    (hold,) = officer_client.get("/api/holds").json()
    assert (hold["house_id"], hold["status"]) == (house.id, "waiting")


def test_a_hold_needs_a_case_reference_and_never_a_name(officer_client: TestClient, session: Session) -> None:
    house = make_house(session, make_organisation(session))
    needs = {"gender": "female", "nrm_stage": "recovery", "house_id": str(house.id)}
    missing = officer_client.post("/find/hold", data=needs, headers=HTMX)
    assert "Give the case reference" in missing.text
    named = officer_client.post("/find/hold", data=needs | {"reference": "Maria Popescu"}, headers=HTMX)
    assert BeautifulSoup(named.text, "html.parser").select_one('.error a[href="#reference"]') is not None
    assert officer_client.get("/api/requests").json() == [] and officer_client.get("/api/holds").json() == []


def test_a_bed_taken_a_moment_ago_is_said_plainly_and_the_request_waits(
    officer_client: TestClient, session: Session
) -> None:
    house = make_house(session, make_organisation(session), beds=1)
    first = {"gender": "female", "nrm_stage": "recovery", "reference": "MSU-1001", "house_id": str(house.id)}
    officer_client.post("/find/hold", data=first, headers=HTMX)
    second = officer_client.post("/find/hold", data=first | {"reference": "MSU-1002"}, headers=HTMX)
    assert "is recorded and waits in the queue" in second.text
    assert "Held:" not in second.text
    assert sorted(r["status"] for r in officer_client.get("/api/requests").json()) == ["held", "open"]


def test_the_hold_panel_follows_the_hold_and_shows_the_address_only_once_accepted(
    client: TestClient, session: Session
) -> None:
    provider_org = make_organisation(session)
    house = make_house(session, provider_org, display_name="Harbour House", address="1 Secret Lane", beds=1)
    officer, provider = make_user(session, Role.officer), make_user(session, Role.provider, provider_org)
    request = make_request(session, officer, nrm_stage="recovery")
    hold = holds.hold(session=session, request=request, house=house, officer=officer, expires_after=timedelta(hours=2))
    log_in(client, officer)
    waiting = client.get(f"/holds/{hold.id}/panel", headers=HTMX)
    soup = BeautifulSoup(waiting.text, "html.parser")
    assert soup.find("html") is None and "Waiting for the provider" in waiting.text
    assert soup.select_one(f"#hold-{hold.id}")["hx-trigger"] == "every 30s"  # type: ignore[index]
    assert "Secret Lane" not in waiting.text
    holds.accept(session=session, hold=hold, provider=provider)
    accepted = client.get(f"/holds/{hold.id}/panel", headers=HTMX)
    assert "The provider accepted" in accepted.text and "1 Secret Lane" in accepted.text
    assert "hx-trigger" not in accepted.text, "a decided hold stops asking"
    whole = client.get(f"/holds/{hold.id}/panel")
    assert BeautifulSoup(whole.text, "html.parser").find("h1") is not None
    log_in(client, make_user(session, Role.officer))
    assert client.get(f"/holds/{hold.id}/panel").status_code == 403


def test_a_lapsed_hold_says_its_beds_are_free_again(client: TestClient, session: Session, frozen: Any) -> None:
    house = make_house(session, make_organisation(session), beds=1)
    officer = make_user(session, Role.officer)
    hold = holds.hold(
        session=session,
        request=make_request(session, officer, nrm_stage="recovery"),
        house=house,
        officer=officer,
        expires_after=timedelta(hours=2),
    )
    log_in(client, officer)
    frozen.tick(timedelta(hours=2, minutes=1))
    log_in(client, officer)
    assert "the hold lapsed and its beds are free again" in client.get(f"/holds/{hold.id}/panel", headers=HTMX).text


def test_holding_a_house_that_does_not_exist_records_nothing(officer_client: TestClient) -> None:
    needs = {"gender": "female", "nrm_stage": "recovery", "reference": "MSU-3003", "house_id": "999999"}
    response = officer_client.post("/find/hold", data=needs, headers=HTMX)
    assert "There is no house 999999" in response.text
    assert officer_client.get("/api/requests").json() == []


def test_a_provider_sees_held_needs_at_the_top_and_accepts_or_declines_with_a_reason(
    client: TestClient, session: Session
) -> None:
    provider_org = make_organisation(session)
    house = make_house(session, provider_org, display_name="Harbour House", beds=2)
    officer, provider = make_user(session, Role.officer), make_user(session, Role.provider, provider_org)
    first = make_request(session, officer, nrm_stage="recovery", reference="MSU-7001", languages=["sq"])
    second = make_request(session, officer, nrm_stage="recovery", reference="MSU-7002")
    kept = holds.hold(session=session, request=first, house=house, officer=officer, expires_after=timedelta(hours=2))
    refused = holds.hold(
        session=session, request=second, house=house, officer=officer, expires_after=timedelta(hours=2)
    )
    log_in(client, provider)
    home = client.get("/")
    assert "Holds waiting for you" in home.text and "Albanian" in home.text
    assert "MSU-7001" not in home.text, "the provider sees needs, never the case reference"
    no_reason = client.post(f"/holds/{refused.id}/decline", data={"reason": ""}, headers=HTMX)
    assert "Choose a reason to decline" in no_reason.text
    declined = client.post(f"/holds/{refused.id}/decline", data={"reason": "cannot_meet_needs"}, headers=HTMX)
    assert "declined" in declined.text and "Accept" not in declined.text
    accepted = client.post(f"/holds/{kept.id}/accept", headers=HTMX)
    assert "accepted" in accepted.text
    assert [p["request_id"] for p in client.get("/api/placements").json()] == [first.id]
    assert "Holds waiting for you" not in client.get("/").text


def test_my_requests_lists_the_organisations_requests_with_their_latest_hold(
    client: TestClient, session: Session
) -> None:
    house = make_house(session, make_organisation(session), display_name="Harbour House", beds=1)
    officer = make_user(session, Role.officer)
    mine = make_request(session, officer, nrm_stage="recovery", reference="MSU-8001")
    make_request(session, officer, reference="MSU-8002")
    make_request(session, make_user(session, Role.officer), reference="MSU-9009")
    hold = holds.hold(session=session, request=mine, house=house, officer=officer, expires_after=timedelta(hours=2))
    log_in(client, officer)
    page = client.get("/requests")
    assert page.status_code == 200
    assert "MSU-8001" in page.text and "MSU-8002" in page.text and "MSU-9009" not in page.text
    link = BeautifulSoup(page.text, "html.parser").find("a", href=f"/holds/{hold.id}/panel")
    assert link is not None and link.text == "Harbour House: waiting"
    fragment = client.get("/requests", headers=HTMX)
    assert BeautifulSoup(fragment.text, "html.parser").find("html") is None and "MSU-8001" in fragment.text


def test_when_nothing_fits_the_request_can_wait_in_the_queue(officer_client: TestClient, session: Session) -> None:
    make_house(session, make_organisation(session), genders=["female"])
    needs = {"gender": "male", "nrm_stage": "pre_nrm", "reference": "MSU-3001"}
    page = BeautifulSoup(officer_client.post("/find", data=needs, headers=HTMX).text, "html.parser")
    queue = page.select_one('button[formaction="/find/queue"]')
    assert queue is not None and queue.get("form") == "needs"
    queued = officer_client.post("/find/queue", data=needs, headers=HTMX)
    assert "MSU-3001 is in the queue" in queued.text
    (recorded,) = officer_client.get("/api/requests").json()
    assert (recorded["reference"], recorded["status"], recorded["fallback"]) == ("MSU-3001", "open", None)


@pytest.mark.parametrize("htmx", [True, False], ids=["partial", "full"])
def test_where_the_person_went_instead_is_recorded_as_unmet_need(
    officer_client: TestClient, session: Session, htmx: bool
) -> None:
    needs = {"gender": "male", "nrm_stage": "pre_nrm", "reference": "MSU-3002", "fallback": "police_station"}
    page = BeautifulSoup(officer_client.post("/find", data=needs, headers=HTMX).text, "html.parser")
    choices = [o.get("value") for o in page.select("select#fallback option")]
    assert choices == ["", "hotel", "police_station", "sofa", "other_accommodation", "none"]
    assert page.select_one('label[for="fallback"]') is not None
    recorded = officer_client.post("/find/fallback", data=needs, headers=HTMX if htmx else {})
    assert "MSU-3002, who went to a police station" in recorded.text
    assert (BeautifulSoup(recorded.text, "html.parser").find("html") is None) is htmx
    (closed,) = officer_client.get("/api/requests").json()
    assert (closed["status"], closed["fallback"]) == ("closed", "police_station")


def test_a_fallback_needs_a_choice_and_a_reference_and_records_nothing_without(officer_client: TestClient) -> None:
    needs = {"gender": "male", "nrm_stage": "pre_nrm", "reference": "MSU-3003"}
    unchosen = BeautifulSoup(officer_client.post("/find/fallback", data=needs, headers=HTMX).text, "html.parser")
    problem = unchosen.select_one("#fallback-problem")
    assert problem is not None and "Choose where the person went instead" in problem.text
    chooser = unchosen.select_one("select#fallback")
    assert chooser is not None and chooser.get("aria-describedby") == "fallback-problem"
    unreferenced = officer_client.post("/find/fallback", data=needs | {"reference": "", "fallback": "hotel"})
    assert BeautifulSoup(unreferenced.text, "html.parser").select_one('.error a[href="#reference"]') is not None
    assert officer_client.post("/find/queue", data=needs | {"reference": ""}).status_code == 200
    assert officer_client.get("/api/requests").json() == []


def test_a_request_waiting_in_the_queue_is_closed_with_where_the_person_went(
    client: TestClient, session: Session
) -> None:
    officer = make_user(session, Role.officer)
    waiting = make_request(session, officer, reference="MSU-8101")
    others = make_request(session, make_user(session, Role.officer), reference="MSU-8102")
    log_in(client, officer)
    page = BeautifulSoup(client.get("/requests").text, "html.parser")
    form = page.select_one(f'form[action="/requests/{waiting.id}/fallback"]')
    assert form is not None and form.select_one(f'label[for="fallback-{waiting.id}"]') is not None
    unchosen = client.post(f"/requests/{waiting.id}/fallback", data={"fallback": ""}, follow_redirects=False)
    assert unchosen.status_code == 422 and "Choose where MSU-8101 went instead" in unchosen.text
    assert client.get("/api/requests").json()[0]["status"] == "open"
    closed = client.post(f"/requests/{waiting.id}/fallback", data={"fallback": "hotel"}, follow_redirects=False)
    assert (closed.status_code, closed.headers["location"]) == (303, "/requests")
    again = client.post(f"/requests/{waiting.id}/fallback", data={"fallback": "sofa"}, follow_redirects=False)
    assert again.status_code == 409 and "is no longer waiting" in again.text
    assert [(r["status"], r["fallback"]) for r in client.get("/api/requests").json()] == [("closed", "hotel")]
    assert "A hotel" in client.get("/requests").text
    assert client.post(f"/requests/{others.id}/fallback", data={"fallback": "hotel"}).status_code == 403


def test_a_provider_accepts_without_javascript_and_returns_to_the_board(client: TestClient, session: Session) -> None:
    provider_org = make_organisation(session)
    house = make_house(session, provider_org, beds=1)
    officer, provider = make_user(session, Role.officer), make_user(session, Role.provider, provider_org)
    waiting = make_request(session, officer, nrm_stage="recovery")
    hold = holds.hold(session=session, request=waiting, house=house, officer=officer, expires_after=timedelta(hours=2))
    log_in(client, provider)
    page = BeautifulSoup(client.get("/houses").text, "html.parser")
    accept = page.select_one(f'form[method="post"][action="/holds/{hold.id}/accept"] button[type="submit"]')
    assert accept is not None and accept.text == "Accept"
    answered = client.post(f"/holds/{hold.id}/accept", follow_redirects=False)
    assert (answered.status_code, answered.headers["location"]) == (303, "/houses")
    assert client.get(f"/api/holds/{hold.id}").json()["status"] == "accepted"


def test_one_person_is_one_request_however_often_the_officer_records_them(
    officer_client: TestClient, session: Session
) -> None:
    needs = {"gender": "male", "nrm_stage": "pre_nrm", "reference": "MSU-3004"}
    officer_client.post("/find/queue", data=needs, headers=HTMX)
    officer_client.post("/find/queue", data=needs, headers=HTMX)
    recorded = officer_client.post("/find/fallback", data=needs | {"fallback": "hotel"}, headers=HTMX)
    assert "MSU-3004, who went to a hotel" in recorded.text
    assert [(r["reference"], r["status"]) for r in officer_client.get("/api/requests").json()] == [
        ("MSU-3004", "closed")
    ]
    # A co-victim shares the case reference but not the needs: a request of their own.
    officer_client.post("/find/queue", data=needs | {"gender": "female"}, headers=HTMX)
    officer_client.post("/find/queue", data=needs, headers=HTMX)
    assert len(officer_client.get("/api/requests").json()) == 3
