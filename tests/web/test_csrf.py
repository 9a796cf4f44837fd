"""Cross-site request forgery: a change is refused unless it came from our own pages."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from freezegun.api import FrozenDateTimeFactory
from sqlmodel import Session

from capacity.models import House, Organisation, User
from capacity.vocab import Role
from tests.factories import PASSWORD, csrf_header, log_in, make_house, make_organisation, make_user
from web import csrf

TEMPLATES = Path(__file__).parents[2] / "web" / "templates"


@pytest.fixture
def provider(session: Session) -> Organisation:
    return make_organisation(session)


@pytest.fixture
def house(session: Session, provider: Organisation) -> House:
    return make_house(session, provider)


@pytest.fixture
def staff(session: Session, provider: Organisation) -> User:
    return make_user(session, Role.provider, provider)


@pytest.fixture
def provider_client(client: TestClient, staff: User) -> TestClient:
    """A provider of `house` logged in through the log-in form, as a browser is: the cookie and no header."""
    response = client.post("/login", data={"email": staff.email, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303
    return client


def confirm(client: TestClient, house: House, **kwargs: object) -> int:
    return client.post(f"/houses/{house.id}/confirm", follow_redirects=False, **kwargs).status_code  # type: ignore[arg-type]


def confirmed_at(session: Session, house: House) -> object:
    session.refresh(house)
    return house.vacancies_confirmed_at


def test_a_change_with_the_cookie_but_without_the_token_is_refused_and_changes_nothing(
    provider_client: TestClient, session: Session, house: House, frozen: FrozenDateTimeFactory
) -> None:
    before = confirmed_at(session, house)
    frozen.tick(timedelta(minutes=5))
    assert confirm(provider_client, house) == 403
    assert confirm(provider_client, house, headers={"X-CSRF-Token": "forged"}) == 403
    assert confirm(provider_client, house, data={"csrf_token": ""}) == 403
    assert confirmed_at(session, house) == before
    assert "reload the page" in provider_client.post(f"/houses/{house.id}/confirm").json()["detail"]


def test_the_token_from_the_page_lets_a_change_through_as_a_header_or_a_form_field(
    provider_client: TestClient, session: Session, house: House, frozen: FrozenDateTimeFactory
) -> None:
    header = csrf_header(provider_client)
    before = confirmed_at(session, house)
    frozen.tick(timedelta(minutes=5))
    assert confirm(provider_client, house, headers=header) == 303
    assert confirmed_at(session, house) != before
    assert confirm(provider_client, house, data={"csrf_token": header["X-CSRF-Token"]}) == 303


def test_the_token_is_new_at_every_log_in_and_an_old_one_is_refused(
    provider_client: TestClient, staff: User, house: House
) -> None:
    old = csrf_header(provider_client)
    provider_client.post("/login", data={"email": staff.email, "password": PASSWORD})
    new = csrf_header(provider_client)
    assert old != new
    assert confirm(provider_client, house, headers=old) == 403
    assert confirm(provider_client, house, headers=new) == 303


def test_a_bearer_token_needs_no_csrf_token_as_no_browser_adds_one(
    client: TestClient, staff: User, house: House
) -> None:
    token = client.post("/api/auth/login", json={"email": staff.email, "password": PASSWORD}).json()["token"]
    client.cookies.clear()
    assert client.post(f"/api/houses/{house.id}/confirm", headers={"Authorization": f"Bearer {token}"}).is_success


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": "http://testserver"},
    ],
)
def test_a_request_another_site_started_is_refused_even_with_the_token(
    client: TestClient, staff: User, house: House, headers: dict[str, str]
) -> None:
    log_in(client, staff)
    assert confirm(client, house, headers=headers) == 403
    refused = client.post("/login", data={"email": staff.email, "password": PASSWORD}, headers=headers)
    assert refused.status_code == 403 and refused.text == csrf.REFUSED, "a forged log-in is refused too"
    assert refused.headers["x-frame-options"] == "DENY", "the refusal has the security headers"


def test_a_request_from_our_own_pages_is_let_through(client: TestClient, staff: User, house: House) -> None:
    log_in(client, staff)
    same = {"Origin": "http://testserver", "Referer": "http://testserver/houses", "Sec-Fetch-Site": "same-origin"}
    assert confirm(client, house, headers=same) == 303
    assert client.get("/", headers={"Origin": "https://evil.example"}).status_code == 200, "reading changes nothing"


def test_every_form_that_posts_carries_the_token() -> None:
    for template in TEMPLATES.rglob("*.html"):
        for form in re.findall(r"<form\b[^>]*>.{0,20}", template.read_text(), flags=re.DOTALL):
            if 'method="post"' in form and "url_for('login')" not in form:
                assert form.split(">", 1)[1].startswith("{{ csrf_field() }}"), f"{template.name}: {form}"
