from fastapi.testclient import TestClient
from sqlmodel import Session

from capacity.vocab import Role
from tests.factories import log_in, make_house, make_organisation, make_user


def test_officer_sees_houses_without_address(client: TestClient, session: Session) -> None:
    provider = make_organisation(session)
    make_house(session, provider, address="77 Canary Road")
    log_in(client, make_user(session, Role.officer))
    response = client.get("/api/houses")
    assert response.status_code == 200
    assert len(response.json()) == 1
    assert "Canary" not in response.text


def test_rolled_back(client: TestClient, session: Session) -> None:
    log_in(client, make_user(session, Role.admin))
    assert client.get("/api/houses").json() == []
