"""Accounts and log-in sessions through the API: cookies, tokens, time-outs, passwords and account rules."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from freezegun import freeze_time
from sqlmodel import Session, func, select

from capacity.models import Organisation, User
from capacity.vocab import OrganisationType, Role
from tests.factories import PASSWORD, log_in, make_organisation, make_user
from web import accounts, csrf
from web.app import app
from web.settings import Settings, get_settings

COOKIE = "safebeds_session"
NEW_PASSWORD = "a long enough pass phrase"


def cookie_attributes(response: Any) -> dict[str, str]:
    """The one Set-Cookie header of a response: name=value first, then its attributes, names lower-cased."""
    (header,) = response.headers.get_list("set-cookie")
    first, *rest = (part.strip() for part in header.split(";"))
    name, _, value = first.partition("=")
    attributes = {"name": name, "value": value}
    for part in rest:
        key, _, setting = part.partition("=")
        attributes[key.lower()] = setting
    return attributes


def log_in_for_token(client: TestClient, user: User, password: str = PASSWORD) -> str:
    response = client.post("/api/auth/login", json={"email": user.email, "password": password})
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    assert isinstance(token, str)
    return token


def as_bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def as_cookie(token: str, name: str = COOKIE) -> dict[str, str]:
    return {"Cookie": f"{name}={token}"}


def user_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(User)).one()


# Logging in --------------------------------------------------------------------------------------


def test_login_sets_an_http_only_same_site_cookie(client: TestClient, session: Session) -> None:
    user = make_user(session, Role.officer)
    response = client.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["user"] == {
        "id": user.id,
        "email": user.email,
        "role": "officer",
        "organisation_id": user.organisation_id,
        "is_active": True,
    }
    cookie = cookie_attributes(response)
    assert (cookie["name"], cookie["value"]) == (COOKIE, body["token"])
    assert "httponly" in cookie
    assert cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/"
    assert cookie["max-age"] == str(12 * 60 * 60)
    assert "secure" not in cookie
    assert client.get("/api/auth/me").json()["email"] == user.email


@pytest.fixture
def secure_settings(settings: Settings) -> Iterator[Settings]:
    secure = settings.model_copy(update={"secure_cookies": True})
    app.dependency_overrides[get_settings] = lambda: secure
    yield secure
    del app.dependency_overrides[get_settings]


def test_secure_cookie_is_host_only(client: TestClient, session: Session, secure_settings: Settings) -> None:
    user = make_user(session, Role.officer)
    response = client.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
    cookie = cookie_attributes(response)
    assert cookie["name"] == "__Host-safebeds"
    assert "secure" in cookie
    assert "domain" not in cookie
    token = response.json()["token"]
    client.cookies.clear()
    assert client.get("/api/auth/me", headers=as_cookie(token, "__Host-safebeds")).status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_answer(client: TestClient, session: Session) -> None:
    user = make_user(session, Role.officer)
    wrong_password = client.post("/api/auth/login", json={"email": user.email, "password": "not the password"})
    unknown_email = client.post("/api/auth/login", json={"email": "nobody@example.org", "password": PASSWORD})
    for response in (wrong_password, unknown_email):
        assert response.status_code == 401
        assert response.json() == {"detail": "wrong email or password"}
        assert "set-cookie" not in response.headers
    assert client.get("/api/auth/me").status_code == 401


def test_email_is_matched_without_case(client: TestClient, session: Session) -> None:
    user = make_user(session, Role.officer)
    response = client.post("/api/auth/login", json={"email": f"  {user.email.upper()} ", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["user"]["id"] == user.id


def test_disabled_account_cannot_log_in(client: TestClient, session: Session) -> None:
    user = make_user(session, Role.officer)
    user.is_active = False
    session.add(user)
    session.commit()
    response = client.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 401
    assert response.json() == {"detail": "wrong email or password"}


def test_every_log_in_gets_a_new_token(client: TestClient, session: Session) -> None:
    user = make_user(session, Role.officer)
    first, second = log_in_for_token(client, user), log_in_for_token(client, user)
    assert first != second
    client.cookies.clear()
    for token in (first, second):
        assert client.get("/api/auth/me", headers=as_bearer(token)).json()["id"] == user.id


def test_only_a_hash_of_the_token_is_stored(client: TestClient, session: Session) -> None:
    token = log_in_for_token(client, make_user(session, Role.officer))
    stored = session.exec(select(accounts.LoginSession)).all()
    assert len(stored) == 1
    assert token not in stored[0].token_hash


# Using the session -------------------------------------------------------------------------------


def test_bearer_token_from_the_login_body_works(client: TestClient, session: Session) -> None:
    user = make_user(session, Role.provider)
    token = log_in_for_token(client, user)
    client.cookies.clear()
    assert client.get("/api/auth/me").status_code == 401
    response = client.get("/api/auth/me", headers=as_bearer(token))
    assert response.status_code == 200
    assert response.json() == {
        "id": user.id,
        "email": user.email,
        "role": "provider",
        "organisation_id": user.organisation_id,
        "is_active": True,
    }


def test_made_up_token_is_401(client: TestClient) -> None:
    response = client.get("/api/auth/me", headers=as_bearer("not-a-token"))
    assert response.status_code == 401
    assert response.json() == {"detail": "log in first"}


def test_logout_ends_the_session(client: TestClient, session: Session) -> None:
    user = make_user(session, Role.officer)
    token = log_in_for_token(client, user)
    other_token = log_in_for_token(client, user)
    client.cookies.clear()
    assert client.post("/api/auth/logout", headers=as_cookie(token)).status_code == 403, "not without the CSRF token"
    response = client.post("/api/auth/logout", headers=as_cookie(token) | {"X-CSRF-Token": csrf.token_for(token)})
    assert response.status_code == 204
    assert cookie_attributes(response)["max-age"] == "0"
    assert client.get("/api/auth/me", headers=as_cookie(token)).status_code == 401
    assert client.get("/api/auth/me", headers=as_bearer(token)).status_code == 401
    assert client.get("/api/auth/me", headers=as_bearer(other_token)).status_code == 200


def test_logout_by_bearer_token(client: TestClient, session: Session) -> None:
    token = log_in_for_token(client, make_user(session, Role.officer))
    client.cookies.clear()
    assert client.post("/api/auth/logout", headers=as_bearer(token)).status_code == 204
    assert client.get("/api/auth/me", headers=as_bearer(token)).status_code == 401


def test_disabling_an_account_ends_its_sessions_at_once(client: TestClient, session: Session) -> None:
    user = make_user(session, Role.officer)
    tokens = [log_in_for_token(client, user), log_in_for_token(client, user)]
    client.cookies.clear()
    log_in(client, make_user(session, Role.admin))
    assert client.get("/api/auth/me", headers=as_bearer(tokens[0])).status_code == 200

    response = client.patch(f"/api/users/{user.id}", json={"is_active": False})
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    for token in tokens:
        assert client.get("/api/auth/me", headers=as_bearer(token)).status_code == 401

    # Enabling the account again does not bring the old sessions back.
    assert client.patch(f"/api/users/{user.id}", json={"is_active": True}).status_code == 200
    for token in tokens:
        assert client.get("/api/auth/me", headers=as_bearer(token)).status_code == 401
    assert client.get("/api/auth/me", headers=as_bearer(log_in_for_token(client, user))).status_code == 200


def test_disabled_account_token_stops_working(client: TestClient, session: Session) -> None:
    # However the account was disabled, a live session of it must not let anyone in.
    user = make_user(session, Role.officer)
    token = log_in_for_token(client, user)
    user.is_active = False
    session.add(user)
    session.commit()
    assert client.get("/api/auth/me", headers=as_bearer(token)).status_code == 401


def test_patching_an_unknown_user_is_404(client: TestClient, session: Session) -> None:
    log_in(client, make_user(session, Role.admin))
    response = client.patch("/api/users/999999", json={"is_active": False})
    assert response.status_code == 404
    assert response.json() == {"detail": "no user with id 999999"}


# Time-outs ---------------------------------------------------------------------------------------


def test_session_ends_after_30_idle_minutes(client: TestClient, session: Session) -> None:
    with freeze_time("2025-06-01 22:00:00") as frozen:
        token = log_in_for_token(client, make_user(session, Role.officer))
        client.cookies.clear()
        for _ in range(3):
            frozen.tick(timedelta(minutes=29, seconds=59))
            assert client.get("/api/auth/me", headers=as_bearer(token)).status_code == 200
        frozen.tick(timedelta(minutes=30, seconds=1))
        assert client.get("/api/auth/me", headers=as_bearer(token)).status_code == 401
        # Timed out is ended: going back within the idle time does not revive it.
        frozen.move_to("2025-06-01 22:00:00")
        assert client.get("/api/auth/me", headers=as_bearer(token)).status_code == 401


def test_session_ends_12_hours_after_log_in_however_busy(client: TestClient, session: Session) -> None:
    # A bearer token, not the cookie: the cookie's own Max-Age would end it in the client at 12 hours too.
    with freeze_time("2025-06-01 08:00:00") as frozen:
        token = log_in_for_token(client, make_user(session, Role.officer))
        client.cookies.clear()
        for _ in range(35):
            frozen.tick(timedelta(minutes=20))
            assert client.get("/api/auth/me", headers=as_bearer(token)).status_code == 200
        frozen.move_to("2025-06-01 19:59:59")
        assert client.get("/api/auth/me", headers=as_bearer(token)).status_code == 200
        frozen.move_to("2025-06-01 20:00:01")
        assert client.get("/api/auth/me", headers=as_bearer(token)).status_code == 401


# Passwords ---------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client: TestClient, session: Session) -> TestClient:
    return log_in(client, make_user(session, Role.admin))


@pytest.fixture
def police(session: Session) -> Organisation:
    return make_organisation(session, type=OrganisationType.police)


def new_user(organisation: Organisation, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "email": "new.officer@example.org",
        "password": NEW_PASSWORD,
        "role": "officer",
        "organisation_id": organisation.id,
    }
    return values | overrides


def test_passwords_are_stored_as_argon2_hashes(
    admin_client: TestClient, session: Session, police: Organisation
) -> None:
    response = admin_client.post("/api/users", json=new_user(police))
    assert response.status_code == 201, response.text
    assert set(response.json()) == {"id", "email", "role", "organisation_id", "is_active"}
    stored = session.exec(select(User).where(User.email == "new.officer@example.org")).one()
    assert stored.password_hash.startswith("$argon2")
    assert NEW_PASSWORD not in stored.password_hash
    assert NEW_PASSWORD not in response.text
    assert accounts.authenticate(session=session, email="new.officer@example.org", password=NEW_PASSWORD) == stored


def test_new_email_is_stored_lower_case(admin_client: TestClient, police: Organisation) -> None:
    response = admin_client.post("/api/users", json=new_user(police, email="New.Officer@Example.org"))
    assert response.status_code == 201
    assert response.json()["email"] == "new.officer@example.org"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short pw!", "String should have at least 10 characters"),
        ("x" * 257, "String should have at most 256 characters"),
        ("new.officer@example.org", "must not be the email address"),
        (" NEW.Officer@example.ORG ", "must not be the email address"),
    ],
)
def test_password_rules(
    admin_client: TestClient, session: Session, police: Organisation, password: str, message: str
) -> None:
    before = user_count(session)
    response = admin_client.post("/api/users", json=new_user(police, password=password))
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"][-1] == "password"
    assert problem["msg"] == message
    assert user_count(session) == before


def test_bad_email_is_422(admin_client: TestClient, police: Organisation) -> None:
    response = admin_client.post("/api/users", json=new_user(police, email="not-an-email"))
    assert response.status_code == 422
    assert [problem["loc"][-1] for problem in response.json()["detail"]] == ["email"]


def test_unknown_role_is_422(admin_client: TestClient, police: Organisation) -> None:
    response = admin_client.post("/api/users", json=new_user(police, role="superuser"))
    assert response.status_code == 422
    assert [problem["loc"][-1] for problem in response.json()["detail"]] == ["role"]


# Account rules -----------------------------------------------------------------------------------


def test_provider_accounts_only_in_provider_organisations(
    admin_client: TestClient, session: Session, police: Organisation
) -> None:
    before = user_count(session)
    response = admin_client.post("/api/users", json=new_user(police, role="provider"))
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "organisation_id"],
            "msg": f"{police.name} is not a provider, so it has no provider staff",
            "type": "value_error",
        }
    ]
    assert user_count(session) == before
    provider = make_organisation(session, type=OrganisationType.refuge)
    assert admin_client.post("/api/users", json=new_user(provider, role="provider")).status_code == 201


def test_officer_cannot_become_provider_outside_a_provider(
    admin_client: TestClient, session: Session, police: Organisation
) -> None:
    officer = make_user(session, Role.officer, police)
    response = admin_client.patch(f"/api/users/{officer.id}", json={"role": "provider"})
    assert response.status_code == 422
    assert [problem["loc"][-1] for problem in response.json()["detail"]] == ["role"]
    session.refresh(officer)
    assert officer.role == Role.officer


def test_account_in_unknown_organisation_is_422(admin_client: TestClient, session: Session) -> None:
    response = admin_client.post(
        "/api/users",
        json={"email": "x@example.org", "password": NEW_PASSWORD, "role": "officer", "organisation_id": 999999},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "organisation_id"]
    assert response.json()["detail"][0]["msg"] == "no organisation with id 999999"


def test_duplicate_email_is_409(admin_client: TestClient, session: Session, police: Organisation) -> None:
    assert admin_client.post("/api/users", json=new_user(police)).status_code == 201
    before = user_count(session)
    response = admin_client.post("/api/users", json=new_user(police, email="NEW.officer@example.org"))
    assert response.status_code == 409
    assert response.json() == {"detail": "an account for new.officer@example.org already exists"}
    assert user_count(session) == before
