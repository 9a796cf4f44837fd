"""Logging in safely: throttled guessing, guessable passwords refused, a second factor, sessions that end."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from freezegun.api import FrozenDateTimeFactory
from sqlmodel import Session, select

from capacity.models import User
from capacity.vocab import OrganisationType, Role
from tests.factories import (
    PASSWORD,
    TOTP_SECRET,
    credentials,
    csrf_header,
    log_in,
    make_organisation,
    make_user,
    second_factor_code,
)
from web import accounts, totp
from web.accounts import LoginSession
from web.app import app, create_app
from web.settings import Settings, get_settings

WRONG = {"password": "not the password at all"}
JSON = {"Content-Type": "application/json"}


def page_log_in(client: TestClient, user: User, password: str = PASSWORD) -> object:
    return client.post("/login", data={"email": user.email, "password": password}, follow_redirects=False)


# Throttling ------------------------------------------------------------------------------------------


def test_the_eleventh_failure_in_five_minutes_is_throttled_even_with_the_right_password(
    client: TestClient, session: Session, frozen: FrozenDateTimeFactory
) -> None:
    user = make_user(session, Role.officer)
    for _ in range(accounts.FAILED_LOG_IN_LIMIT):
        assert client.post("/api/auth/login", json={"email": user.email} | WRONG).status_code == 401
        frozen.tick(timedelta(seconds=10))
    throttled = client.post("/api/auth/login", json=credentials(user))
    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["retry-after"]) <= 300
    assert "try again in" in throttled.json()["detail"]
    assert page_log_in(client, user).status_code == 429  # type: ignore[attr-defined]
    frozen.tick(timedelta(seconds=int(throttled.headers["retry-after"]) + 1))
    assert client.post("/api/auth/login", json=credentials(user)).status_code == 200


def test_one_address_guessing_many_accounts_is_throttled(client: TestClient, session: Session) -> None:
    users = [make_user(session, Role.officer) for _ in range(accounts.FAILED_LOG_IN_LIMIT + 1)]
    for user in users[:-1]:
        assert client.post("/api/auth/login", json={"email": user.email} | WRONG).status_code == 401
    assert client.post("/api/auth/login", json=credentials(users[-1])).status_code == 429
    page = page_log_in(client, users[-1])
    assert page.status_code == 429  # type: ignore[attr-defined]
    assert "Too many failed log-ins" in page.text  # type: ignore[attr-defined]


def test_a_throttled_unknown_email_answers_as_a_throttled_account_does(client: TestClient, session: Session) -> None:
    for email in ("nobody@example.org", make_user(session, Role.officer).email):
        for address in range(accounts.FAILED_LOG_IN_LIMIT):
            with TestClient(app, client=(f"10.0.0.{address}", 50000)) as elsewhere:
                assert elsewhere.post("/api/auth/login", json={"email": email} | WRONG).status_code == 401
        with TestClient(app, client=("10.0.1.1", 50000)) as fresh:
            assert fresh.post("/api/auth/login", json={"email": email} | WRONG).status_code == 429, email


def test_failures_older_than_the_window_do_not_count(
    client: TestClient, session: Session, frozen: FrozenDateTimeFactory
) -> None:
    user = make_user(session, Role.officer)
    for _ in range(accounts.FAILED_LOG_IN_LIMIT - 1):
        client.post("/api/auth/login", json={"email": user.email} | WRONG)
    frozen.tick(accounts.FAILED_LOG_IN_WINDOW)
    for _ in range(accounts.FAILED_LOG_IN_LIMIT - 1):
        client.post("/api/auth/login", json={"email": user.email} | WRONG)
    assert client.post("/api/auth/login", json=credentials(user)).status_code == 200


# Passwords ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["password123", "1234567890", "qwertyuiop", "Liverpool1!", "safebeds2026"])
def test_a_common_or_guessable_password_is_refused_by_name(client: TestClient, session: Session, password: str) -> None:
    log_in(client, make_user(session, Role.admin))
    police = make_organisation(session, type=OrganisationType.police)
    new = {"email": "new.officer@example.org", "password": password, "role": "officer", "organisation_id": police.id}
    response = client.post("/api/users", json=new)
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"][-1] == "password" and "too easy to guess" in problem["msg"]


def test_a_long_phrase_is_accepted_with_no_rule_about_symbols(client: TestClient, session: Session) -> None:
    log_in(client, make_user(session, Role.admin))
    police = make_organisation(session, type=OrganisationType.police)
    new = {"email": "n@example.org", "password": "lantern orchard tuesday", "role": "officer"}
    assert client.post("/api/users", json=new | {"organisation_id": police.id}).status_code == 201


# Sessions ----------------------------------------------------------------------------------------------


def test_logging_in_ends_the_session_the_browser_had_before(client: TestClient, session: Session) -> None:
    user = make_user(session, Role.officer)
    page_log_in(client, user)
    first = client.cookies.get("safebeds_session")
    page_log_in(client, user)
    second = client.cookies.get("safebeds_session")
    assert first and second and first != second
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert client.get("/api/auth/me").status_code == 200


def test_an_admin_ends_every_session_of_an_account_which_can_log_in_again(client: TestClient, session: Session) -> None:
    officer = make_user(session, Role.officer)
    tokens = [client.post("/api/auth/login", json=credentials(officer)).json()["token"] for _ in range(2)]
    log_in(client, make_user(session, Role.admin))
    response = client.post(f"/admin/users/{officer.id}/sessions", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "2 sessions ended." in response.text
    for token in tokens:
        assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert TestClient(app).post("/api/auth/login", json=credentials(officer)).status_code == 200


def test_a_person_changes_their_password_giving_the_current_one_and_other_sessions_end(
    client: TestClient, session: Session
) -> None:
    officer = make_user(session, Role.officer)
    elsewhere = TestClient(app).post("/api/auth/login", json=credentials(officer)).json()["token"]
    page_log_in(client, officer)
    headers = csrf_header(client)
    wrong = client.post(
        "/account/password",
        data={"current_password": "guess", "new_password": "lantern orchard tuesday"},
        headers=headers,
    )
    assert wrong.status_code == 422 and 'id="current_password-problem"' in wrong.text
    weak = client.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": "password123"}, headers=headers
    )
    assert weak.status_code == 422 and "too easy to guess" in weak.text
    changed = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "lantern orchard tuesday"},
        headers=headers,
    )
    assert changed.status_code == 200 and "Password changed" in changed.text
    assert client.get("/api/auth/me").status_code == 200, "this session goes on"
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {elsewhere}"}).status_code == 401
    assert TestClient(app).post("/api/auth/login", json=credentials(officer)).status_code == 401
    new = {"email": officer.email, "password": "lantern orchard tuesday"}
    assert TestClient(app).post("/api/auth/login", json=new).status_code == 200


def test_logging_out_tells_the_browser_to_forget_the_session(client: TestClient, session: Session) -> None:
    log_in(client, make_user(session, Role.officer))
    assert client.post("/logout", follow_redirects=False).headers["clear-site-data"] == '"cache", "cookies", "storage"'


# The second factor ---------------------------------------------------------------------------------------


@pytest.fixture
def admin(session: Session) -> User:
    user = make_user(session, Role.admin)
    second_factor_code(user)  # gives it the test secret
    return user


def code_form_token(client: TestClient) -> str:
    page = BeautifulSoup(client.get("/login/code").text, "html.parser")
    (field,) = page.select("input[name=csrf_token]")
    return str(field["value"])


def test_an_admin_needs_the_code_after_the_password_and_the_half_way_session_opens_nothing(
    client: TestClient, admin: User
) -> None:
    response = page_log_in(client, admin)
    assert response.headers["location"] == "/login/code"  # type: ignore[attr-defined]
    half_way = client.cookies.get("safebeds_session")
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    assert client.get("/api/auth/me").status_code == 401
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {half_way}"}).status_code == 401
    token = code_form_token(client)
    wrong = client.post("/login/code", data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 401 and "That code is not right" in wrong.text
    assert client.post("/login/code", data={"code": second_factor_code(admin)}).status_code == 403, "needs the token"
    right = client.post(
        "/login/code", data={"code": second_factor_code(admin), "csrf_token": token}, follow_redirects=False
    )
    assert right.status_code == 303 and right.headers["location"] == "/"
    full = client.cookies.get("safebeds_session")
    assert full != half_way, "a new token once the code is given"
    assert client.get("/api/auth/me").json()["email"] == admin.email


def test_a_code_works_once(client: TestClient, session: Session, admin: User) -> None:
    code = second_factor_code(admin)
    assert client.post("/api/auth/login", json=credentials(admin) | {"code": code}).status_code == 200
    session.refresh(admin)
    again = client.post("/api/auth/login", json={"email": admin.email, "password": PASSWORD, "code": code})
    assert again.status_code == 401 and again.json()["detail"] == "wrong second-factor code"


def test_the_api_asks_for_the_code_and_refuses_an_account_that_has_not_set_one_up(
    client: TestClient, session: Session, admin: User
) -> None:
    without = client.post("/api/auth/login", json={"email": admin.email, "password": PASSWORD})
    assert without.status_code == 401 and "code" in without.json()["detail"]
    commissioner = make_user(session, Role.commissioner)
    refused = client.post("/api/auth/login", json={"email": commissioner.email, "password": PASSWORD})
    assert refused.status_code == 403 and "set up a second factor" in refused.json()["detail"]


def test_a_commissioner_without_an_app_sets_it_up_at_the_first_log_in(client: TestClient, session: Session) -> None:
    commissioner = make_user(session, Role.commissioner)
    page_log_in(client, commissioner)
    page = client.get("/login/code")
    assert "Set up your second factor" in page.text and 'src="data:image/svg+xml' in page.text
    secret = totp.new_secret(client.cookies.get("safebeds_session") or "")
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    assert grouped in page.text, "the key to type in, for a phone that cannot scan"
    data = {"code": totp.code_now(secret), "csrf_token": code_form_token(client)}
    assert client.post("/login/code", data=data, follow_redirects=False).status_code == 303
    session.refresh(commissioner)
    assert commissioner.totp_secret == secret


def test_any_account_may_turn_on_a_second_factor_from_its_page(client: TestClient, session: Session) -> None:
    officer = make_user(session, Role.officer)
    page_log_in(client, officer)
    assert "Turn on the second factor" in client.get("/account").text
    secret = totp.new_secret(client.cookies.get("safebeds_session") or "")
    headers = csrf_header(client)
    wrong = client.post("/account/second-factor", data={"code": "123456"}, headers=headers)
    assert wrong.status_code == 422 and "That code is not right" in wrong.text
    assert client.post("/account/second-factor", data={"code": totp.code_now(secret)}, headers=headers).is_success
    session.refresh(officer)
    assert officer.totp_secret == secret
    client.cookies.clear()
    assert page_log_in(client, officer).headers["location"] == "/login/code"  # type: ignore[attr-defined]


def test_with_the_setting_off_an_admin_logs_in_with_a_password_alone(
    client: TestClient, session: Session, settings: Settings
) -> None:
    app.dependency_overrides[get_settings] = lambda: settings.model_copy(update={"second_factor_required": False})
    admin = make_user(session, Role.admin)
    assert page_log_in(client, admin).headers["location"] == "/"  # type: ignore[attr-defined]


def test_wrong_codes_count_towards_the_throttle(client: TestClient, session: Session, admin: User) -> None:
    for _ in range(accounts.FAILED_LOG_IN_LIMIT):
        response = client.post("/api/auth/login", json={"email": admin.email, "password": PASSWORD, "code": "1"})
        assert response.status_code == 401
    assert client.post("/api/auth/login", json=credentials(admin)).status_code == 429


def test_the_half_way_session_lapses_after_ten_minutes(
    client: TestClient, session: Session, admin: User, frozen: FrozenDateTimeFactory
) -> None:
    page_log_in(client, admin)
    token = code_form_token(client)
    frozen.tick(timedelta(minutes=11))
    late = client.post("/login/code", data={"code": second_factor_code(admin), "csrf_token": token})
    assert late.status_code == 401
    logins = session.exec(select(LoginSession).where(LoginSession.user_id == admin.id)).all()
    assert logins and all(login.second_factor_due for login in logins), "no full session was started"


def test_the_test_secret_is_what_the_factories_give(admin: User) -> None:
    assert admin.totp_secret == TOTP_SECRET


# Size limits ---------------------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_before_any_route_reads_it(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.setenv("SAFEBEDS_MAX_UPLOAD_BYTES", "1000")
    get_settings.cache_clear()
    try:
        small = create_app()
    finally:
        get_settings.cache_clear()
    limit = Settings(max_upload_bytes=1000).max_request_bytes
    with TestClient(small) as client:
        declared = client.post("/api/auth/login", content=b"x" * (limit + 1), headers=JSON)
        assert declared.status_code == 413
        assert declared.headers["x-frame-options"] == "DENY", "the refusal has the security headers"
        streamed = client.post("/api/auth/login", content=(b"x" * 1024 for _ in range(limit // 1024 + 1)), headers=JSON)
        assert streamed.status_code == 413
        assert client.post("/api/auth/login", content=b"{}", headers=JSON).status_code == 422, "a small body is read"
