"""The pages, each rendered whole and as an htmx partial, read with an HTML parser."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from freezegun import freeze_time
from sqlmodel import Session

from capacity.models import House, Organisation, User
from capacity.vocab import Role
from tests.factories import PASSWORD, csrf_header, log_in, make_house, make_organisation, make_user, second_factor_code
from web.app import app
from web.pages import in_words
from web.settings import Settings, get_settings

HTMX = {"HX-Request": "true"}
CANARY_ADDRESS = "17 Canary Secret Mews"
CANARY_POSTCODE = "ZZ99 7QX"


def get_page(client: TestClient, url: str, *, htmx: bool, status: int = 200) -> BeautifulSoup:
    response = client.get(url, headers=HTMX if htmx else {})
    return parse(response, htmx=htmx, status=status)


def parse(response: Any, *, htmx: bool, status: int = 200) -> BeautifulSoup:
    """Parse an HTML response and check it is a whole page, or only the content block when htmx asked."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = BeautifulSoup(response.text, "html.parser")
    if htmx:
        assert page.find(["html", "head", "body", "title", "header"]) is None
        assert page.find("main") is None
        assert page.find("h1") is not None
    else:
        assert page.find("html") is not None
        assert page.find("head") is not None
        main = page.find("main", id="main")
        assert isinstance(main, Tag)
        assert main.find("h1") is not None
    return page


def one(page: BeautifulSoup | Tag, name: str, **attributes: Any) -> Tag:
    found = page.find_all(name, attrs=attributes)
    assert len(found) == 1, found
    tag = found[0]
    assert isinstance(tag, Tag)
    return tag


def path_of(url: Any) -> str:
    assert isinstance(url, str)
    return urlsplit(url).path


def text_of(tag: Tag) -> str:
    return " ".join(tag.get_text(" ").split())


def row_id(house: House) -> str:
    return f"house-{house.id}"


def house_rows(page: BeautifulSoup) -> dict[str, Tag]:
    """The rows of the houses table, by element id ("house-<id>")."""
    rows: dict[str, Tag] = {}
    for row in page.select("table.houses tbody tr"):
        element_id = row.get("id")
        assert isinstance(element_id, str)
        rows[element_id] = row
    return rows


def confirm_button(row: Tag) -> Tag | None:
    buttons = [button for button in row.find_all("button") if text_of(button) == "All still correct"]
    assert len(buttons) <= 1
    return buttons[0] if buttons else None


def assert_inputs_are_labelled(page: BeautifulSoup) -> None:
    for field in page.find_all(["input", "select", "textarea"]):
        if field.get("type") in ("hidden", "submit"):
            continue
        field_id = field.get("id")
        assert field_id, f"{field} has no id for a label"
        labels = page.find_all("label", attrs={"for": field_id})
        assert len(labels) == 1 and text_of(labels[0]), f"{field} has no label"


# Logging in and out ------------------------------------------------------------------------------


def test_login_page(client: TestClient, htmx: bool) -> None:
    page = get_page(client, "/login", htmx=htmx)
    assert text_of(one(page, "h1")) == "Log in"
    form = one(page, "form")
    assert form.get("method") == "post"
    assert path_of(form.get("action")) == "/login"
    email, password = one(form, "input", id="email"), one(form, "input", id="password")
    assert (email.get("name"), email.get("type"), email.get("value")) == ("email", "email", "")
    assert (password.get("name"), password.get("type"), password.get("value")) == ("password", "password", None)
    assert text_of(one(form, "button")) == "Log in"
    assert page.select_one("[role=alert]") is None
    assert_inputs_are_labelled(page)


BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_a_browser_without_a_session_is_sent_to_log_in_and_then_on(client: TestClient, session: Session) -> None:
    user = make_user(session, Role.officer)
    response = client.get("/requests", headers=BROWSER, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Frequests"
    page = BeautifulSoup(client.get(response.headers["location"]).text, "html.parser")
    assert one(page, "input", type="hidden").get("value") == "/requests"
    data = {"email": user.email, "password": PASSWORD, "next": "/requests"}
    assert_redirects_to_path(client.post("/login", data=data, follow_redirects=False), "/requests")


def test_the_api_and_other_callers_still_get_401(client: TestClient) -> None:
    assert client.get("/api/auth/me", headers=BROWSER, follow_redirects=False).status_code == 401
    assert client.get("/requests", follow_redirects=False).status_code == 401
    assert client.get("/requests", headers=BROWSER | HTMX, follow_redirects=False).status_code == 401


@pytest.mark.parametrize("elsewhere", ["https://evil.example", "//evil.example/x", "/\\evil.example", "requests"])
def test_logging_in_never_goes_on_to_another_site(client: TestClient, session: Session, elsewhere: str) -> None:
    user = make_user(session, Role.officer)
    page = BeautifulSoup(client.get("/login", params={"next": elsewhere}).text, "html.parser")
    assert page.find("input", type="hidden") is None
    data = {"email": user.email, "password": PASSWORD, "next": elsewhere}
    assert_redirects_to_path(client.post("/login", data=data, follow_redirects=False), "/")


def test_login_page_sends_a_logged_in_user_home(client: TestClient, session: Session) -> None:
    log_in(client, make_user(session, Role.officer))
    response = client.get("/login", follow_redirects=False)
    assert response.status_code == 303
    assert path_of(response.headers["location"]) == "/"


def test_good_login_goes_home_with_a_cookie(client: TestClient, session: Session) -> None:
    user = make_user(session, Role.officer)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303
    assert path_of(response.headers["location"]) == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("safebeds_session=")
    assert "HttpOnly" in cookie
    home = BeautifulSoup(client.get("/").text, "html.parser")
    assert user.email in text_of(one(home, "form", **{"class": "signed-in"}))


@pytest.mark.parametrize("wrong", ["password", "email"])
def test_bad_login_shows_the_form_again(client: TestClient, session: Session, htmx: bool, wrong: str) -> None:
    user = make_user(session, Role.officer)
    email = "nobody@example.org" if wrong == "email" else user.email
    password = "not the password" if wrong == "password" else PASSWORD
    response = client.post(
        "/login", data={"email": email, "password": password}, headers=HTMX if htmx else {}, follow_redirects=False
    )
    assert "set-cookie" not in response.headers
    page = parse(response, htmx=htmx, status=401)
    assert text_of(one(page, "p", role="alert")) == "Wrong email or password."
    assert one(page, "input", id="email").get("value") == email
    assert one(page, "input", id="password").get("value") is None
    assert client.get("/api/auth/me").status_code == 401


def test_logout_ends_the_session(client: TestClient, session: Session) -> None:
    response = client.post(
        "/api/auth/login", json={"email": make_user(session, Role.officer).email, "password": PASSWORD}
    )
    token = response.json()["token"]
    home = BeautifulSoup(client.get("/").text, "html.parser")
    logout_form = one(home, "form", **{"class": "signed-in"})
    assert logout_form.get("method") == "post"
    assert path_of(logout_form.get("action")) == "/logout"
    (token_field,) = logout_form.select("input[type=hidden][name=csrf_token]")

    assert client.post("/logout", follow_redirects=False).status_code == 403, "not without the form's token"
    response = client.post("/logout", data={"csrf_token": token_field["value"]}, follow_redirects=False)
    assert response.status_code == 303
    assert path_of(response.headers["location"]) == "/login"
    assert "Max-Age=0" in response.headers["set-cookie"]
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert path_of(client.get("/", follow_redirects=False).headers["location"]) == "/login"


# Each role's home page ---------------------------------------------------------------------------


@pytest.fixture
def provider(session: Session) -> Organisation:
    return make_organisation(session)


@pytest.fixture
def own_house(session: Session, provider: Organisation) -> House:
    return make_house(session, provider, beds=3, address=CANARY_ADDRESS, postcode=CANARY_POSTCODE)


@pytest.fixture
def other_house(session: Session) -> House:
    return make_house(session, make_organisation(session), beds=6, genders=["male"], area="hackney")


def test_home_needs_a_log_in(client: TestClient, htmx: bool) -> None:
    response = client.get("/", headers=HTMX if htmx else {}, follow_redirects=False)
    assert response.status_code == 303
    assert path_of(response.headers["location"]) == "/login"


@pytest.mark.parametrize("role", [Role.officer, Role.coordinator])
def test_officer_home_lists_houses_without_addresses(
    client: TestClient, session: Session, htmx: bool, own_house: House, other_house: House, role: Role
) -> None:
    user = make_user(session, role)
    log_in(client, user)
    response = client.get("/", headers=HTMX if htmx else {})
    assert "Canary" not in response.text
    assert CANARY_POSTCODE not in response.text
    page = parse(response, htmx=htmx)
    assert text_of(one(page, "h2", id="houses-heading")) == "Houses"
    rows = house_rows(page)
    assert list(rows) == [row_id(own_house), row_id(other_house)]
    row = rows[row_id(own_house)]
    assert text_of(one(row, "th")) == own_house.display_name
    assert row.find("small") is None
    assert [text_of(cell) for cell in row.find_all("td")][:4] == [
        "Camden",
        "Female; Recovery",
        "English, Albanian",
        "3 of 3",
    ]
    assert all(confirm_button(row) is None for row in rows.values())
    assert page.find("table", class_="houses") is not None
    assert page.find(id="capacity-heading") is None


def test_provider_home_lists_own_houses_with_address_and_confirm(
    client: TestClient, session: Session, htmx: bool, provider: Organisation, own_house: House, other_house: House
) -> None:
    log_in(client, make_user(session, Role.provider, provider))
    page = get_page(client, "/", htmx=htmx)
    assert text_of(one(page, "h1")) == provider.name
    assert text_of(one(page, "h2", id="houses-heading")) == "Houses you manage"
    rows = house_rows(page)
    assert list(rows) == [row_id(own_house)]
    row = rows[row_id(own_house)]
    assert text_of(one(row, "small")) == f"{CANARY_ADDRESS}, {CANARY_POSTCODE}"
    button = confirm_button(row)
    assert button is not None and button.get("type") == "submit"
    form = button.find_parent("form")
    assert form is not None, "it works without JavaScript too"
    assert (form.get("method"), path_of(form.get("action"))) == ("post", f"/houses/{own_house.id}/confirm")
    assert path_of(form.get("hx-post")) == f"/houses/{own_house.id}/confirm"
    assert form.get("hx-target") == f"#house-{own_house.id}"
    assert form.get("hx-swap") == "outerHTML"
    assert other_house.display_name not in page.get_text()


def test_commissioner_home_shows_capacity_tables(
    client: TestClient, session: Session, htmx: bool, own_house: House, other_house: House
) -> None:
    log_in(client, make_user(session, Role.commissioner))
    response = client.get("/", headers=HTMX if htmx else {})
    assert "Canary" not in response.text
    page = parse(response, htmx=htmx)
    assert page.find("table", class_="houses") is None
    tables = {text_of(one(table, "caption")): table for table in page.find_all("table")}
    assert list(tables) == ["By gender served", "By NRM stage", "By region"]
    by_gender = {
        text_of(one(row, "th")): [text_of(cell) for cell in row.find_all("td")]
        for row in tables["By gender served"].select("tbody tr")
    }
    assert by_gender == {"Female": ["<5", "<5", "0"], "Male": ["6", "6", "0"], "Non-binary": ["0", "0", "0"]}
    assert "<5 houses" in text_of(one(page, "section", **{"aria-labelledby": "capacity-heading"}))


def test_admin_home_shows_capacity_and_every_house(
    client: TestClient, session: Session, htmx: bool, own_house: House, other_house: House
) -> None:
    log_in(client, make_user(session, Role.admin))
    page = get_page(client, "/", htmx=htmx)
    assert page.find(id="capacity-heading") is not None
    rows = house_rows(page)
    assert list(rows) == [row_id(own_house), row_id(other_house)]
    assert text_of(one(rows[row_id(own_house)], "small")) == f"{CANARY_ADDRESS}, {CANARY_POSTCODE}"
    assert all(confirm_button(row) is not None for row in rows.values())


def test_home_with_no_houses_says_so(client: TestClient, session: Session, htmx: bool) -> None:
    log_in(client, make_user(session, Role.provider))
    page = get_page(client, "/", htmx=htmx)
    assert page.find("table") is None
    assert "No houses yet." in [text_of(p) for p in page.find_all("p")]


# All still correct -------------------------------------------------------------------------------


def test_confirm_returns_the_refreshed_row(client: TestClient, session: Session, provider: Organisation) -> None:
    with freeze_time("2025-02-10 08:00:00") as frozen:
        house = make_house(session, provider, beds=2)
        frozen.tick(timedelta(hours=30))
        log_in(client, make_user(session, Role.provider, provider))
        stale_row = house_rows(BeautifulSoup(client.get("/").text, "html.parser"))[row_id(house)]
        assert stale_row.get("class") == ["stale"]
        assert text_of(stale_row.find_all("td")[4]) == "Stale: 30 h ago"

        response = client.post(f"/houses/{house.id}/confirm", headers=HTMX)
    assert response.status_code == 200, response.text
    fragment = BeautifulSoup(response.text, "html.parser")
    assert fragment.find(["html", "head", "body", "table"]) is None
    row = one(fragment, "tr")
    assert row.get("id") == f"house-{house.id}"
    assert row.get("class") in ([], None, [""])
    cells = [text_of(cell) for cell in row.find_all("td")]
    assert cells[3:5] == ["2 of 2", "just now"]
    assert confirm_button(row) is not None
    session.refresh(house)
    assert house.vacancies_confirmed_at.isoformat() == "2025-02-11T14:00:00+00:00"


def test_confirm_of_another_organisations_house_is_403(
    client: TestClient, session: Session, provider: Organisation, other_house: House
) -> None:
    confirmed_at = other_house.vacancies_confirmed_at
    log_in(client, make_user(session, Role.provider, provider))
    response = client.post(f"/houses/{other_house.id}/confirm", headers=HTMX)
    assert response.status_code == 403
    assert "Canary" not in response.text
    session.refresh(other_house)
    assert other_house.vacancies_confirmed_at == confirmed_at


def test_confirm_needs_a_log_in(client: TestClient, own_house: House) -> None:
    assert client.post(f"/houses/{own_house.id}/confirm", headers=HTMX).status_code == 401


# Forms, links and static files -------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_form_input_has_a_label(client: TestClient, session: Session, role: Role, own_house: House) -> None:
    assert_inputs_are_labelled(BeautifulSoup(client.get("/login").text, "html.parser"))
    user: User = make_user(session, role)
    log_in(client, user)
    home = BeautifulSoup(client.get("/").text, "html.parser")
    assert_inputs_are_labelled(home)
    for button in home.find_all("button"):
        assert text_of(button), f"{button} has no words"


def test_static_files_are_served_and_linked(client: TestClient) -> None:
    page = BeautifulSoup(client.get("/login").text, "html.parser")
    stylesheet = one(page, "link", rel="stylesheet")
    scripts = [path_of(script.get("src")) for script in page.find_all("script")]
    assert path_of(stylesheet.get("href")) == "/static/safebeds.css"
    assert scripts == ["/static/htmx.min.js", "/static/countdown.js"]
    assert all(script.string is None for script in page.find_all("script")), "no inline script"
    assert path_of(one(page, "link", rel="icon").get("href")) == "/static/favicon.svg"
    for path in scripts[1:] + ["/static/favicon.svg"]:
        assert client.get(path).status_code == 200
    css = client.get("/static/safebeds.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    js = client.get("/static/htmx.min.js")
    assert js.status_code == 200
    assert "javascript" in js.headers["content-type"]
    assert "htmx" in js.text


def test_route_names_are_unique(client: TestClient) -> None:
    # Templates link with url_for(name); a page and an API route sharing a name would send forms to the API.
    names = [route.name for route in iter_route_contexts(app.routes) if route.name]
    assert {"home", "login_page", "login", "logout", "confirm_house", "api_login"} <= set(names)
    assert len(names) == len(set(names)), sorted(name for name in names if names.count(name) > 1)


# A session that has ended, under htmx --------------------------------------------------------------


def test_htmx_click_after_the_session_timed_out_goes_to_the_log_in_page(
    client: TestClient, session: Session, provider: Organisation, own_house: House
) -> None:
    with freeze_time("2025-02-10 08:00:00") as frozen:
        log_in(client, make_user(session, Role.provider, provider))
        assert client.post(f"/houses/{own_house.id}/confirm", headers=HTMX).status_code == 200
        frozen.tick(timedelta(hours=1))
        response = client.post(f"/houses/{own_house.id}/confirm", headers=HTMX)
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/login"
    assert client.get(response.headers["hx-redirect"]).status_code == 200


def test_api_caller_without_a_session_gets_no_htmx_redirect(client: TestClient, own_house: House) -> None:
    for path in (f"/houses/{own_house.id}/confirm", f"/api/houses/{own_house.id}/confirm"):
        response = client.post(path)
        assert response.status_code == 401
        assert response.json() == {"detail": "log in first"}
        assert response.headers["www-authenticate"] == "Bearer"
        assert "hx-redirect" not in response.headers


# Behind an HTTPS proxy ---------------------------------------------------------------------------

# What a TLS-terminating proxy sends on; the app itself is reached over plain http.
PROXIED = {"X-Forwarded-Proto": "https", "Host": "safebeds.example.org"}
URL_ATTRIBUTES = ("href", "src", "action", "hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete")


def assert_every_url_is_a_path(response: Any) -> None:
    """No scheme or host anywhere: the browser keeps whatever scheme and host it used."""
    assert "http://" not in response.text
    page = BeautifulSoup(response.text, "html.parser")
    urls = [str(tag[name]) for tag in page.find_all(True) for name in URL_ATTRIBUTES if tag.has_attr(name)]
    assert urls
    for url in urls:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", ""), url
        assert url.startswith("/"), url


def assert_redirects_to_path(response: Any, path: str) -> None:
    assert response.status_code == 303
    assert response.headers["location"] == path


def test_behind_an_https_proxy_every_url_is_a_path(
    client: TestClient, session: Session, htmx: bool, own_house: House, other_house: House
) -> None:
    headers = PROXIED | (HTMX if htmx else {})
    assert_redirects_to_path(client.get("/", headers=headers, follow_redirects=False), "/login")
    login_page = client.get("/login", headers=headers)
    assert_every_url_is_a_path(login_page)
    parse(login_page, htmx=htmx)

    user = make_user(session, Role.admin)
    code = second_factor_code(user)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD}, headers=headers, follow_redirects=False
    )
    assert_redirects_to_path(response, "/login/code")
    code_page = client.get("/login/code", headers=headers)
    assert_every_url_is_a_path(code_page)
    (token,) = BeautifulSoup(code_page.text, "html.parser").select("input[name=csrf_token]")
    response = client.post(
        "/login/code", data={"code": code, "csrf_token": token["value"]}, headers=headers, follow_redirects=False
    )
    assert_redirects_to_path(response, "/")
    assert_redirects_to_path(client.get("/login", headers=headers, follow_redirects=False), "/")
    home = client.get("/", headers=headers)
    page = parse(home, htmx=htmx)
    assert house_rows(page) and page.find(id="capacity-heading") is not None
    assert_every_url_is_a_path(home)
    client.headers.update(csrf_header(client))
    assert_every_url_is_a_path(client.post(f"/houses/{own_house.id}/confirm", headers=PROXIED | HTMX))

    assert_redirects_to_path(client.post("/logout", headers=headers, follow_redirects=False), "/login")
    response = client.post(f"/houses/{own_house.id}/confirm", headers=PROXIED | HTMX)
    assert (response.status_code, response.headers["hx-redirect"]) == (401, "/login")


# What the home page says -------------------------------------------------------------------------


@pytest.fixture
def stale_after_hours(request: pytest.FixtureRequest, settings: Settings) -> Iterator[float]:
    hours = request.param
    assert isinstance(hours, float)
    app.dependency_overrides[get_settings] = lambda: settings.model_copy(update={"stale_after_hours": hours})
    yield hours
    del app.dependency_overrides[get_settings]


@pytest.mark.parametrize(
    ("stale_after_hours", "words"),
    [(24.0, "24 hours"), (48.0, "48 hours"), (1.0, "1 hour"), (1.5, "90 minutes"), (0.05, "3 minutes")],
    indirect=["stale_after_hours"],
)
def test_capacity_says_how_old_stale_vacancies_are_from_the_setting(
    client: TestClient, session: Session, htmx: bool, own_house: House, stale_after_hours: float, words: str
) -> None:
    log_in(client, make_user(session, Role.commissioner))
    page = get_page(client, "/", htmx=htmx)
    summary = text_of(one(page, "section", **{"aria-labelledby": "capacity-heading"}))
    assert f"<5 houses, 0 with vacancies not confirmed in the last {words}." in summary


@pytest.mark.parametrize(("hours", "words"), [(0.01, "0.01 hours"), (2.0, "2 hours"), (1 / 60, "1 minute")])
def test_durations_in_words(hours: float, words: str) -> None:
    assert in_words(timedelta(hours=hours)) == words


# The same houses on the page as in the API -------------------------------------------------------


@pytest.mark.parametrize("role", [Role.officer, Role.provider, Role.coordinator, Role.admin])
def test_home_lists_the_houses_the_api_lists(
    client: TestClient, session: Session, provider: Organisation, own_house: House, other_house: House, role: Role
) -> None:
    log_in(client, make_user(session, role, provider if role == Role.provider else None))
    listed = client.get("/api/houses").json()
    page = BeautifulSoup(client.get("/").text, "html.parser")
    rows = house_rows(page)
    assert list(rows) == [f"house-{house['id']}" for house in listed]
    for house in listed:
        address = rows[f"house-{house['id']}"].find("small")
        if "address" in house:
            assert address is not None and text_of(address) == f"{house['address']}, {house['postcode']}"
        else:
            assert address is None


def test_the_stylesheet_has_no_rule_left_open(client: TestClient) -> None:
    """A brace left open silently swallows every rule after it (the browser drops them as one bad block)."""
    css = client.get("/static/safebeds.css").text
    depth = 0
    for position, character in enumerate(css):
        depth += {"{": 1, "}": -1}.get(character, 0)
        assert 0 <= depth <= 2, f"unbalanced brace near: {css[max(0, position - 80) : position]!r}"
    assert depth == 0
