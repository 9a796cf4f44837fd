"""Factories for test data: valid by default, any field overridable."""

import csv
import io
import itertools
import json
import re
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import object_session
from sqlmodel import Session

from capacity import clock
from capacity.models import House, HouseCreate, Organisation, OrganisationCreate, User
from capacity.vocab import OrganisationType, Role
from matching import service as matching_service
from matching.models import PlacementRequest, RequestCreate
from providers import service as providers_service
from web import accounts, totp

# The moment tests that freeze the clock (the `frozen` fixture) start at.
START = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
PASSWORD = "correct horse battery"
# Hashing with argon2 takes a tenth of a second by design; test accounts share one hash of PASSWORD.
_PASSWORD_HASH = accounts.password_hash.hash(PASSWORD)
_numbers = itertools.count(1)


def make_organisation(session: Session, **overrides: Any) -> Organisation:
    """A provider organisation unless `type` says otherwise."""
    number = next(_numbers)
    values: dict[str, Any] = {
        "name": f"Test Organisation {number}",
        "type": OrganisationType.ngo_safe_house,
        "offers_email": f"offers{number}@example.org",
    }
    values.update(overrides)
    return providers_service.register_organisation(session=session, data=OrganisationCreate.model_validate(values))


def house_data(**overrides: Any) -> dict[str, Any]:
    """The fields of a valid house, as the API takes them."""
    number = next(_numbers)
    values: dict[str, Any] = {
        "display_name": f"Test House {number}",
        "area": "camden",
        "address": f"{number} Example Street",
        "postcode": "ZZ99 3ZZ",
        "genders": ["female"],
        "trans_inclusive": True,
        "nrm_stages": ["recovery"],
        "languages": ["en", "sq"],
    }
    values.update(overrides)
    return values


def make_house(session: Session, organisation: Organisation, *, beds: int = 3, **overrides: Any) -> House:
    """A house with `beds` available beds labelled Room 1, Room 2, ..."""
    return providers_service.create_house(
        session=session,
        organisation=organisation,
        data=HouseCreate.model_validate(house_data(**overrides)),
        bed_labels=[f"Room {i}" for i in range(1, beds + 1)],
    )


def make_user(session: Session, role: Role, organisation: Organisation | None = None, **overrides: Any) -> User:
    """An account of `role`; a provider account belongs to a provider, others to a police force."""
    if organisation is None:
        kind = OrganisationType.ngo_safe_house if role == Role.provider else OrganisationType.police
        organisation = make_organisation(session, type=kind)
    assert organisation.id is not None
    values: dict[str, Any] = {
        "email": f"{role.value}{next(_numbers)}@example.org",
        "password": PASSWORD,
        "role": role,
        "organisation_id": organisation.id,
    }
    values.update(overrides)
    data = accounts.UserCreate.model_validate(values)
    if data.password != PASSWORD:
        return accounts.create_user(session=session, data=data)
    user = User(
        email=data.email,
        password_hash=_PASSWORD_HASH,
        role=data.role,
        organisation_id=data.organisation_id,
        created_at=clock.now(),
    )
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


# The authenticator-app secret of every account that needs a second factor (admins and commissioners).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def second_factor_code(user: User) -> str:
    """A code for the account's second factor, giving it one if it has none; usable again at the same moment."""
    session = object_session(user)
    assert session is not None, "the user is still attached to the test's session"
    # A code works once per time step; a test's frozen clock would otherwise allow one log-in per account.
    user.totp_secret, user.totp_last_step = user.totp_secret or TOTP_SECRET, None
    session.add(user)
    session.commit()
    return totp.code_now(user.totp_secret)


def credentials(user: User, password: str = PASSWORD) -> dict[str, str]:
    """What the API's log-in takes for this account: email, password, and a code if its role must give one."""
    login = {"email": user.email, "password": password}
    if user.role in totp.ROLES_THAT_MUST:
        login["code"] = second_factor_code(user)
    return login


def log_in(client: TestClient, user: User) -> TestClient:
    """Log the client in as `user` through the API, so every later request carries the cookie and its CSRF token."""
    response = client.post("/api/auth/login", json=credentials(user))
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


def csrf_header(client: TestClient) -> dict[str, str]:
    """The CSRF header htmx sends for this client's log-in, read from `hx-headers` on a page's `<body>`."""
    match = re.search(r"<body hx-headers='([^']*)'", client.get("/").text)
    assert match, "a logged-in page carries the CSRF header for htmx"
    headers: dict[str, str] = json.loads(match.group(1))
    return headers


def house_csv(*houses: dict[str, Any]) -> str:
    """An import file with one row per house (fields as `house_data` gives them); lists joined with ';'."""
    columns = list(dict.fromkeys(column for house in houses for column in house))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for house in houses:
        writer.writerow([_csv_cell(house.get(column)) for column in columns])
    return buffer.getvalue()


def _csv_cell(value: Any) -> str:
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def request_data(**overrides: Any) -> dict[str, Any]:
    """The fields of a valid placement request, as the API takes them: a reference and needs, no name."""
    values: dict[str, Any] = {
        "reference": f"MSU-{1000 + next(_numbers)}",
        "urgency": "tonight",
        "nrm_stage": "pre_nrm",
        "nrm_consent": True,
        "gender": "female",
        "age_band": "25_34",
        "languages": ["en"],
    }
    values.update(overrides)
    return values


def make_request(session: Session, officer: User, **overrides: Any) -> PlacementRequest:
    """A placement request recorded by `officer`."""
    return matching_service.create(
        session=session, officer=officer, data=RequestCreate.model_validate(request_data(**overrides))
    )
