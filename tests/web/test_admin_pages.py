"""The admin's pages: organisations, accounts and roles, and the vocabularies; each whole and as an htmx partial."""

from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import Session

from capacity import service as capacity_service
from capacity.models import Organisation, User
from capacity.vocab import LONDON_AREAS, OrganisationType, Role
from tests.factories import PASSWORD, log_in, make_house, make_organisation, make_user
from tests.web.test_authz_matrix import ALLOWED
from tests.web.test_pages import HTMX, assert_inputs_are_labelled, get_page, one, parse, path_of, text_of
from web import accounts
from web.app import app


@pytest.fixture
def admin(session: Session) -> User:
    return make_user(session, Role.admin)


@pytest.fixture
def admin_client(client: TestClient, admin: User) -> TestClient:
    return log_in(client, admin)


def post(client: TestClient, url: str, data: dict[str, Any], *, htmx: bool) -> Any:
    return client.post(url, data=data, headers=HTMX if htmx else {}, follow_redirects=False)


def problems_of(page: BeautifulSoup) -> dict[str, str]:
    """The summary's problems, by the id of the field each links to."""
    summary = page.select_one(".error-summary[role=alert]")
    assert summary is not None, "the page names its problems"
    found = {}
    for link in summary.select("li a"):
        item = link.parent
        assert isinstance(item, Tag)
        found[str(link["href"]).removeprefix("#")] = text_of(item)
    return found


def assert_tables_are_described(page: BeautifulSoup) -> None:
    """Every table has a caption, column headers with scope, and sits in a labelled scrollable region."""
    tables = page.find_all("table")
    assert tables
    for table in tables:
        caption = table.find("caption")
        assert caption is not None and text_of(caption)
        assert all(th.get("scope") in {"col", "row", "rowgroup"} for th in table.find_all("th"))
        region = table.find_parent("div", class_="table-scroll")
        assert region is not None and region.get("role") == "region" and region.get("tabindex") == "0"
        assert region.get("aria-labelledby") == caption.get("id")


def captioned(page: BeautifulSoup, caption_id: str) -> Tag:
    table = one(page, "caption", id=caption_id).find_parent("table")
    assert isinstance(table, Tag)
    return table


# Who may -------------------------------------------------------------------------------------------


def test_every_admin_route_is_for_admins_alone_in_the_matrix() -> None:
    routes = {
        (method, str(context.path))
        for context in iter_route_contexts(app.routes)
        if str(context.path).startswith("/admin")
        for method in context.methods or ()
        if method != "HEAD"
    }
    assert len(routes) == 14
    assert {route: ALLOWED.get(route) for route in routes} == dict.fromkeys(routes, frozenset({Role.admin}))


@pytest.mark.parametrize("role", [Role.officer, Role.provider, Role.commissioner, Role.coordinator])
def test_only_the_admin_home_page_leads_to_the_admin_pages(client: TestClient, session: Session, role: Role) -> None:
    log_in(client, make_user(session, role))
    assert 'href="/admin"' not in client.get("/").text
    assert client.get("/admin").status_code == 403


def test_the_admin_home_page_leads_to_the_admin_pages(admin_client: TestClient) -> None:
    home = BeautifulSoup(admin_client.get("/").text, "html.parser")
    main = home.find("main")
    assert isinstance(main, Tag) and text_of(one(main, "a", href="/admin")) == "Administration"
    nav = home.find("nav")
    assert isinstance(nav, Tag) and text_of(one(nav, "a", href="/admin")) == "Administration"


# Admin home ----------------------------------------------------------------------------------------


def test_admin_home_links_each_section_with_its_counts(
    admin_client: TestClient, session: Session, admin: User, htmx: bool
) -> None:
    provider = make_organisation(session)
    make_house(session, provider)
    gone = make_user(session, Role.provider, provider)
    accounts.update_user(session=session, user=gone, role=None, is_active=False)
    page = get_page(admin_client, "/admin", htmx=htmx)
    assert text_of(one(page, "h1")) == "Administration"
    items = page.select("ul.admin-sections > li")
    sections = {text_of(one(item, "h2")): text_of(item) for item in items}
    assert list(sections) == ["Organisations", "Accounts and roles", "Audit log", "Areas and vocabularies"]
    links = [path_of(one(one(item, "h2"), "a")["href"]) for item in items]
    assert links == ["/admin/organisations", "/admin/users", "/admin/audit", "/admin/vocabularies"]
    organisations = len(capacity_service.get_all_organisations(session=session))
    assert f"{organisations} organisations" in sections["Organisations"]
    assert "running 1 house" in sections["Organisations"]
    assert f"{len(accounts.get_all_users(session=session))} accounts, 1 disabled" in sections["Accounts and roles"]
    assert "The 33 London local authorities and 11 areas outside London" in sections["Areas and vocabularies"]


# Organisations -------------------------------------------------------------------------------------


def test_organisations_are_listed_with_type_houses_and_accounts(
    admin_client: TestClient, session: Session, admin: User, htmx: bool
) -> None:
    provider = make_organisation(session, name="Aaa Harbour Trust", faith_based=True)
    for _ in range(2):
        make_house(session, provider)
    make_user(session, Role.provider, provider)
    page = get_page(admin_client, "/admin/organisations", htmx=htmx)
    assert text_of(one(page, "h1")) == "Organisations"
    assert_tables_are_described(page)
    row = one(page, "tr", id=f"organisation-{provider.id}")
    assert text_of(one(row, "th")) == "Edit Aaa Harbour Trust (faith-based)"
    assert path_of(one(row, "a", href=f"/admin/organisations/{provider.id}/edit")["href"]).endswith("/edit")
    assert [text_of(td) for td in row.find_all("td")][:3] == ["NGO safe house", "2", "1 account of Aaa Harbour Trust"]
    police = one(page, "tr", id=f"organisation-{admin.organisation_id}")
    assert [text_of(td) for td in police.find_all("td")][1] == "not a provider"


def test_the_new_organisation_form_is_labelled(admin_client: TestClient, htmx: bool) -> None:
    page = get_page(admin_client, "/admin/organisations/new", htmx=htmx)
    assert text_of(one(page, "h1")) == "Register an organisation"
    form = one(page, "form", id="organisation-form")
    assert (form["method"], form["action"], form["hx-post"]) == ("post", "/admin/organisations/new", form["action"])
    assert_inputs_are_labelled(page)
    assert [o["value"] for o in one(page, "select", id="type").find_all("option")][1:] == list(OrganisationType)


VALID_ORGANISATION = {"name": "Lantern Refuge", "type": "refuge", "offers_email": "offers@lantern.example.org"}


def test_registering_an_organisation_saves_it_and_shows_it_in_the_list(
    admin_client: TestClient, session: Session, htmx: bool
) -> None:
    data = VALID_ORGANISATION | {"faith_based": "on", "offers_phone": "020 7946 0001"}
    response = post(admin_client, "/admin/organisations/new", data, htmx=htmx)
    organisation = capacity_service.get_organisation_by_name(session=session, name="Lantern Refuge")
    assert organisation is not None
    assert (organisation.type, organisation.faith_based, organisation.offers_phone) == ("refuge", True, "020 7946 0001")
    where = f"/admin/organisations?saved={organisation.id}#organisation-{organisation.id}"
    if htmx:
        assert (response.status_code, response.headers["hx-redirect"]) == (200, where)
    else:
        assert (response.status_code, response.headers["location"]) == (303, where)
    listed = BeautifulSoup(admin_client.get(where.split("#")[0]).text, "html.parser")
    row = one(listed, "tr", id=f"organisation-{organisation.id}")
    assert "Saved." in text_of(row)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"name": "  "}, "name", "must not be blank"),
        ({"type": "charity"}, "type", "choose the organisation's type"),
        ({"type": ""}, "type", "choose the organisation's type"),
        ({"offers_email": "not an email"}, "offers_email", "not a valid email"),
        ({"offers_phone": "ring me"}, "offers_phone", "digits, spaces and brackets"),
        ({"name": "x" * 121}, "name", "at most 120 characters"),
    ],
)
def test_a_bad_organisation_field_is_named_and_nothing_is_saved(
    admin_client: TestClient, session: Session, htmx: bool, change: dict[str, str], field: str, words: str
) -> None:
    before = len(capacity_service.get_all_organisations(session=session))
    response = post(admin_client, "/admin/organisations/new", VALID_ORGANISATION | change, htmx=htmx)
    assert response.status_code == (200 if htmx else 422)
    page = BeautifulSoup(response.text, "html.parser")
    if htmx:
        assert page.find("h1") is None and page.find("form", id="organisation-form") is not None
    else:
        parse(response, htmx=False, status=422)
    problems = problems_of(page)
    assert words in problems[field]
    problem = one(page, "p", id=f"{field}-problem")
    described_by = str(one(page, "input" if field != "type" else "select", id=field)["aria-describedby"])
    assert described_by.endswith(str(problem["id"]))
    assert len(capacity_service.get_all_organisations(session=session)) == before


def test_a_duplicate_organisation_name_is_refused(admin_client: TestClient, session: Session, htmx: bool) -> None:
    existing = make_organisation(session, name="Beacon Trust")
    before = len(capacity_service.get_all_organisations(session=session))
    response = post(admin_client, "/admin/organisations/new", VALID_ORGANISATION | {"name": "beacon trust"}, htmx=htmx)
    problems = problems_of(BeautifulSoup(response.text, "html.parser"))
    assert list(problems) == ["name"] and "already exists" in problems["name"]
    assert len(capacity_service.get_all_organisations(session=session)) == before
    assert existing.name == "Beacon Trust"


def test_a_duplicate_name_is_named_with_the_other_problems(admin_client: TestClient, session: Session) -> None:
    make_organisation(session, name="Beacon Trust")
    data = VALID_ORGANISATION | {"name": "Beacon Trust", "type": ""}
    response = post(admin_client, "/admin/organisations/new", data, htmx=False)
    assert list(problems_of(BeautifulSoup(response.text, "html.parser"))) == ["name", "type"]


def test_a_field_the_form_does_not_have_is_refused(admin_client: TestClient) -> None:
    response = admin_client.post("/admin/organisations/new", data=VALID_ORGANISATION | {"address": "1 Secret Lane"})
    assert response.status_code == 422


def test_the_edit_form_shows_the_organisation(admin_client: TestClient, session: Session, htmx: bool) -> None:
    organisation = make_organisation(session, name="Kestrel Trust", offers_phone="020 7946 0002")
    page = get_page(admin_client, f"/admin/organisations/{organisation.id}/edit", htmx=htmx)
    assert text_of(one(page, "h1")) == "Edit Kestrel Trust"
    assert_inputs_are_labelled(page)
    assert one(page, "input", id="name")["value"] == "Kestrel Trust"
    assert one(page, "input", id="offers_phone")["value"] == "020 7946 0002"
    assert page.find("select", id="type") is None, "the type is fixed once registered"
    assert "NGO safe house" in text_of(one(page, "form", id="organisation-form"))


def test_editing_an_organisation_changes_it(admin_client: TestClient, session: Session, htmx: bool) -> None:
    organisation = make_organisation(session, name="Kestrel Trust", faith_based=True)
    data = {"name": "Kestrel Housing Trust", "offers_email": "", "offers_phone": "020 7946 0003"}
    response = post(admin_client, f"/admin/organisations/{organisation.id}/edit", data, htmx=htmx)
    assert response.status_code == (200 if htmx else 303)
    session.refresh(organisation)
    assert organisation.name == "Kestrel Housing Trust"
    assert (organisation.faith_based, organisation.offers_email, organisation.offers_phone) == (
        False,
        None,
        "020 7946 0003",
    )
    assert organisation.type == OrganisationType.ngo_safe_house


@pytest.mark.parametrize(
    ("change", "field"), [({"name": "Beacon Trust"}, "name"), ({"offers_email": "x"}, "offers_email")]
)
def test_a_bad_edit_changes_nothing(
    admin_client: TestClient, session: Session, htmx: bool, change: dict[str, str], field: str
) -> None:
    make_organisation(session, name="Beacon Trust")
    organisation = make_organisation(session, name="Kestrel Trust", offers_email="offers@kestrel.example.org")
    data = {"name": "Kestrel Housing Trust", "offers_email": "new@kestrel.example.org"} | change
    response = post(admin_client, f"/admin/organisations/{organisation.id}/edit", data, htmx=htmx)
    assert response.status_code == (200 if htmx else 422)
    assert list(problems_of(BeautifulSoup(response.text, "html.parser"))) == [field]
    session.refresh(organisation)
    assert (organisation.name, organisation.offers_email) == ("Kestrel Trust", "offers@kestrel.example.org")


def test_editing_an_organisation_that_does_not_exist_is_404(admin_client: TestClient) -> None:
    assert admin_client.get("/admin/organisations/999999/edit").status_code == 404
    assert admin_client.post("/admin/organisations/999999/edit", data={"name": "X"}).status_code == 404


# Accounts and roles --------------------------------------------------------------------------------


def test_accounts_are_listed_by_organisation_with_role_state_and_last_log_in(
    admin_client: TestClient, session: Session, admin: User, htmx: bool
) -> None:
    provider = make_organisation(session, name="Aaa Beacon Trust")
    staff = make_user(session, Role.provider, provider, email="staff@beacon.example.org")
    away = make_user(session, Role.provider, provider, email="away@beacon.example.org")
    accounts.update_user(session=session, user=away, role=None, is_active=False)
    page = get_page(admin_client, "/admin/users", htmx=htmx)
    assert text_of(one(page, "h1")) == "Accounts and roles"
    assert_tables_are_described(page)
    assert_inputs_are_labelled(page)
    group = one(page, "tbody", id=f"organisation-accounts-{provider.id}")
    assert text_of(one(group, "th", scope="rowgroup")) == "Aaa Beacon Trust · NGO safe house"
    assert [text_of(th) for th in group.find_all("th", scope="row")] == [away.email, staff.email]
    row = one(group, "tr", id=f"user-{staff.id}")
    assert one(row, "option", selected=True)["value"] == "provider"
    assert "never" in text_of(one(row, "td", **{"data-label": "Last log-in"}))
    assert "Disabled" in text_of(one(group, "tr", id=f"user-{away.id}"))
    own = one(page, "tr", id=f"user-{admin.id}")
    assert own.find("form") is None and "(you)" in text_of(own), "no way to disable or demote oneself"
    assert one(own, "time")["datetime"], "the admin has logged in, and when is shown"
    roles = text_of(one(page, "details", **{"class": "roles-explained"}))
    assert "Allocates the queue" in roles


def test_the_new_account_form_explains_each_role(admin_client: TestClient, session: Session, htmx: bool) -> None:
    organisation = make_organisation(session)
    page = get_page(admin_client, f"/admin/users/new?organisation_id={organisation.id}", htmx=htmx)
    assert text_of(one(page, "h1")) == "Create an account"
    assert_inputs_are_labelled(page)
    assert one(page, "option", selected=True)["value"] == str(organisation.id)
    roles = one(page, "fieldset", id="role")
    assert text_of(one(roles, "legend")) == "Role"
    for radio in roles.find_all("input", type="radio"):
        hint = one(page, "p", id=radio["aria-describedby"])
        assert len(text_of(hint)) > 20, f"{radio['value']} is explained"
    password = one(page, "input", id="password")
    assert (password["type"], password["autocomplete"], password.get("value")) == ("password", "new-password", None)


def account_data(organisation: Organisation, **overrides: str) -> dict[str, str]:
    values = {
        "email": "New.Person@Example.org",
        "organisation_id": str(organisation.id),
        "role": "officer",
        "password": "a long enough secret",
    }
    return values | overrides


def test_creating_an_account_saves_it_and_the_person_can_log_in(
    admin_client: TestClient, session: Session, htmx: bool
) -> None:
    police = make_organisation(session, type=OrganisationType.police)
    response = post(admin_client, "/admin/users/new", account_data(police), htmx=htmx)
    created = accounts.get_user_by_email(session=session, email="new.person@example.org")
    assert created is not None and (created.role, created.organisation_id) == ("officer", police.id)
    where = f"/admin/users?saved={created.id}#user-{created.id}"
    assert response.headers["hx-redirect" if htmx else "location"] == where
    assert accounts.authenticate(session=session, email=created.email, password="a long enough secret") is not None
    row = one(BeautifulSoup(admin_client.get(where.split("#")[0]).text, "html.parser"), "tr", id=f"user-{created.id}")
    assert "Saved." in text_of(row)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"password": "too short"}, "password", "at least 10 characters"),
        ({"password": "new.person@example.org"}, "password", "must not be the email address"),
        ({"email": "not an email"}, "email", "not a valid email"),
        ({"role": "superuser"}, "role", "choose one of the roles"),
        ({"role": ""}, "role", "choose one of the roles"),
        ({"organisation_id": "999999"}, "organisation_id", "no organisation with id 999999"),
        ({"organisation_id": "police"}, "organisation_id", "choose the organisation"),
        ({"role": "provider"}, "organisation_id", "is not a provider"),
    ],
)
def test_a_bad_account_field_is_named_and_nothing_is_created(
    admin_client: TestClient, session: Session, htmx: bool, change: dict[str, str], field: str, words: str
) -> None:
    police = make_organisation(session, type=OrganisationType.police)
    before = len(accounts.get_all_users(session=session))
    data = account_data(police) | change
    response = post(admin_client, "/admin/users/new", data, htmx=htmx)
    assert response.status_code == (200 if htmx else 422)
    assert data["password"] not in response.text, "the password is never sent back"
    page = BeautifulSoup(response.text, "html.parser")
    assert (page.find("h1") is None) == htmx and page.find("form", id="user-form") is not None
    problems = problems_of(page)
    target = "role-officer" if field == "role" else field
    assert words in problems[target], problems
    assert one(page, "p", id=f"{field}-problem")
    assert len(accounts.get_all_users(session=session)) == before
    assert one(page, "input", id="email")["value"] == data["email"], "what was typed is kept, except the password"


def test_a_duplicate_email_is_refused(admin_client: TestClient, session: Session, htmx: bool) -> None:
    police = make_organisation(session, type=OrganisationType.police)
    make_user(session, Role.officer, police, email="new.person@example.org")
    before = len(accounts.get_all_users(session=session))
    response = post(admin_client, "/admin/users/new", account_data(police), htmx=htmx)
    problems = problems_of(BeautifulSoup(response.text, "html.parser"))
    assert list(problems) == ["email"] and "already exists" in problems["email"]
    assert len(accounts.get_all_users(session=session)) == before


def test_a_duplicate_email_is_named_with_the_other_problems(admin_client: TestClient, session: Session) -> None:
    police = make_organisation(session, type=OrganisationType.police)
    make_user(session, Role.officer, police, email="new.person@example.org")
    response = post(admin_client, "/admin/users/new", account_data(police, password="short"), htmx=False)
    assert list(problems_of(BeautifulSoup(response.text, "html.parser"))) == ["email", "password"]


def change(client: TestClient, user: User, data: dict[str, str], *, htmx: bool) -> Any:
    return post(client, f"/admin/users/{user.id}", data, htmx=htmx)


def test_changing_a_role_answers_htmx_with_the_row(admin_client: TestClient, session: Session) -> None:
    officer = make_user(session, Role.officer)
    response = change(admin_client, officer, {"role": "coordinator"}, htmx=True)
    assert response.status_code == 200
    fragment = BeautifulSoup(response.text, "html.parser")
    row = one(fragment, "tr", id=f"user-{officer.id}")
    assert fragment.find("table") is None and fragment.find("h1") is None
    assert one(row, "option", selected=True)["value"] == "coordinator"
    assert "Saved." in text_of(row)
    session.refresh(officer)
    assert officer.role == Role.coordinator


def test_changing_a_role_without_javascript_goes_back_to_the_list(admin_client: TestClient, session: Session) -> None:
    officer = make_user(session, Role.officer)
    response = change(admin_client, officer, {"role": "commissioner"}, htmx=False)
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/admin/users?saved={officer.id}#user-{officer.id}",
    )
    session.refresh(officer)
    assert officer.role == Role.commissioner


def test_disabling_an_account_ends_its_sessions_at_once_and_enabling_restores_it(
    admin_client: TestClient, session: Session, htmx: bool
) -> None:
    officer = make_user(session, Role.officer)
    token = accounts.start_session(session=session, user=officer)
    as_officer = {"Authorization": f"Bearer {token}"}
    assert admin_client.get("/api/auth/me", headers=as_officer).status_code == 200
    response = change(admin_client, officer, {"active": "no"}, htmx=htmx)
    assert response.status_code == (200 if htmx else 303)
    session.refresh(officer)
    assert officer.is_active is False
    assert admin_client.get("/api/auth/me", headers=as_officer).status_code == 401
    if htmx:
        row = one(BeautifulSoup(response.text, "html.parser"), "tr", id=f"user-{officer.id}")
        assert "Disabled" in text_of(row) and row.select("input[name=active]")[0]["value"] == "yes"
    change(admin_client, officer, {"active": "yes"}, htmx=htmx)
    session.refresh(officer)
    assert officer.is_active is True
    assert accounts.authenticate(session=session, email=officer.email, password=PASSWORD) is not None


@pytest.mark.parametrize(
    ("data", "words"),
    [({"active": "no"}, "cannot disable your own account"), ({"role": "officer"}, "cannot change your own role")],
)
def test_an_admin_cannot_disable_or_demote_themselves(
    admin_client: TestClient, session: Session, admin: User, htmx: bool, data: dict[str, str], words: str
) -> None:
    response = change(admin_client, admin, data, htmx=htmx)
    assert response.status_code == (200 if htmx else 422)
    page = BeautifulSoup(response.text, "html.parser")
    problem = one(one(page, "tr", id=f"user-{admin.id}"), "p", role="alert")
    assert words in text_of(problem)
    session.refresh(admin)
    assert (admin.role, admin.is_active) == (Role.admin, True)
    assert admin_client.get("/api/auth/me").status_code == 200


def test_the_api_refuses_the_same(admin_client: TestClient, admin: User) -> None:
    response = admin_client.patch(f"/api/users/{admin.id}", json={"is_active": False})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "is_active"]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"role": "superuser"}, "Choose one of the roles"),
        ({"active": "maybe"}, "disable or to enable"),
        ({}, "Choose a role, or disable or enable"),
        ({"role": "provider"}, "Provider accounts must belong to a provider organisation"),
    ],
)
def test_a_bad_change_is_named_in_the_row_and_changes_nothing(
    admin_client: TestClient, session: Session, htmx: bool, data: dict[str, str], words: str
) -> None:
    officer = make_user(session, Role.officer)
    response = change(admin_client, officer, data, htmx=htmx)
    assert response.status_code == (200 if htmx else 422)
    page = BeautifulSoup(response.text, "html.parser")
    assert words in text_of(one(one(page, "tr", id=f"user-{officer.id}"), "p", role="alert"))
    session.refresh(officer)
    assert (officer.role, officer.is_active) == (Role.officer, True)


def test_changing_an_account_that_does_not_exist_is_404(admin_client: TestClient) -> None:
    assert admin_client.post("/admin/users/999999", data={"active": "no"}).status_code == 404


# Areas and vocabularies ----------------------------------------------------------------------------


def test_the_vocabularies_read_as_people_read_them(admin_client: TestClient, htmx: bool) -> None:
    page = get_page(admin_client, "/admin/vocabularies", htmx=htmx)
    assert text_of(one(page, "h1")) == "Areas and vocabularies"
    assert_tables_are_described(page)
    assert "code change with a database migration" in text_of(page)
    areas = captioned(page, "areas-caption")
    groups = {
        text_of(one(body, "th", scope="rowgroup")): [text_of(th) for th in body.find_all("th", scope="row")]
        for body in areas.find_all("tbody")
    }
    assert list(groups) == [
        "Central London (7)",
        "East London (10)",
        "North London (3)",
        "South London (7)",
        "West London (6)",
        "Outside London (11)",
    ]
    assert sum(len(names) for group, names in groups.items() if "Outside" not in group) == len(LONDON_AREAS) == 33
    assert "City of London" in groups["Central London (7)"] and "Scotland" in groups["Outside London (11)"]
    captions = [text_of(caption) for caption in page.find_all("caption")]
    assert captions[1:] == [
        "Genders (3)",
        "NRM stages (3)",
        "Exploitation types (4)",
        "Support needs (3)",
        "Organisation types (8)",
        "Bed statuses (4)",
        "Roles (5)",
        f"Common staff languages ({len(captioned(page, 'languages-caption').select('tbody tr'))})",
    ]
    assert "Found, no Reasonable Grounds decision yet" in text_of(captioned(page, "nrm-stages-caption"))
    assert "Edo" in text_of(captioned(page, "languages-caption"))
    assert "Allocates the queue" in text_of(captioned(page, "roles-caption"))
