"""The application as a whole: its API docs, how it answers bad input, and how its routes run."""

import inspect
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session

from capacity.models import HouseCreate
from capacity.vocab import Role
from providers import service as providers_service
from tests.factories import credentials, house_data, log_in, make_house, make_organisation, make_user
from web.app import app

CANARY_PASSWORD = "canary-password-9f3b"
CANARY_ADDRESS = "17 Canary Secret Mews"


# The API docs ------------------------------------------------------------------------------------


def test_api_docs_load_nothing_from_another_origin(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    # No absolute URL anywhere, the inline script included: everything comes from this origin.
    assert re.search(r"(https?:)?//\w", response.text) is None
    page = BeautifulSoup(response.text, "html.parser")
    urls = [str(tag["src"]) for tag in page.find_all("script", src=True)]
    urls += [str(tag["href"]) for tag in page.find_all("link", href=True)]
    assert {"/static/swagger/swagger-ui-bundle.js", "/static/swagger/swagger-ui.css"} <= set(urls)
    for url in urls:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", ""), url
        assert url.startswith("/"), url
        assert client.get(url).status_code == 200, url
    script = client.get("/static/swagger/swagger-ui-bundle.js")
    assert "javascript" in script.headers["content-type"]
    assert "SwaggerUIBundle" in script.text
    assert client.get("/static/swagger/swagger-ui.css").headers["content-type"].startswith("text/css")


def test_api_docs_do_not_send_the_api_description_to_the_swagger_validator(client: TestClient) -> None:
    page = BeautifulSoup(client.get("/docs").text, "html.parser")
    inline = " ".join(script.get_text() for script in page.find_all("script") if not script.get("src"))
    assert "url: '/openapi.json'" in inline
    assert '"validatorUrl": null' in inline


@pytest.mark.parametrize("path", ["/redoc", "/docs/oauth2-redirect"])
def test_no_other_docs_page(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


# Bad input: a 422 names the field and never repeats what was sent ---------------------------------


def assert_problems_without_input(response: Any, canary: str, fields: list[str]) -> None:
    assert response.status_code == 422, response.text
    assert canary not in response.text
    problems = response.json()["detail"]
    assert [set(problem) for problem in problems] == [{"loc", "msg", "type"}] * len(problems)
    assert [problem["loc"][-1] for problem in problems] == fields
    assert all(problem["msg"] and problem["type"] for problem in problems)


def test_bad_new_account_does_not_repeat_the_password(client: TestClient, session: Session) -> None:
    log_in(client, make_user(session, Role.admin))
    response = client.post("/api/users", json={"email": "new@example.org", "password": CANARY_PASSWORD})
    assert_problems_without_input(response, CANARY_PASSWORD, ["role", "organisation_id"])


def test_over_long_password_at_log_in_is_not_repeated(client: TestClient) -> None:
    password = (CANARY_PASSWORD * 20)[:300]
    response = client.post("/api/auth/login", json={"email": "someone@example.org", "password": password})
    assert_problems_without_input(response, CANARY_PASSWORD, ["password"])
    assert response.json()["detail"][0]["loc"] == ["body", "password"]


def test_over_long_password_in_the_log_in_form_is_not_repeated(client: TestClient) -> None:
    password = (CANARY_PASSWORD * 20)[:300]
    response = client.post("/login", data={"email": "someone@example.org", "password": password})
    assert_problems_without_input(response, CANARY_PASSWORD, ["password"])


def test_house_without_a_name_does_not_repeat_the_address(client: TestClient, session: Session) -> None:
    provider = make_organisation(session)
    log_in(client, make_user(session, Role.provider, provider))
    data = house_data(address=CANARY_ADDRESS, bed_labels=["Room 1"])
    del data["display_name"]
    response = client.post(f"/api/organisations/{provider.id}/houses", json=data)
    assert_problems_without_input(response, "Canary", ["display_name"])
    assert response.json()["detail"][0]["loc"] == ["body", "display_name"]


def test_an_internal_validation_failure_is_a_server_error_not_the_callers(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    house = make_house(session, make_organisation(session))
    admin = make_user(session, Role.admin)
    token = client.post("/api/auth/login", json=credentials(admin)).json()["token"]

    def broken(**_: Any) -> None:
        HouseCreate.model_validate({})

    monkeypatch.setattr(providers_service, "confirm_house", broken)
    with TestClient(app, raise_server_exceptions=False) as unguarded:
        response = unguarded.post(f"/api/houses/{house.id}/confirm", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 500
    with pytest.raises(ValidationError):
        client.post(f"/api/houses/{house.id}/confirm", headers={"Authorization": f"Bearer {token}"})


# How routes run -----------------------------------------------------------------------------------


def test_our_routes_run_off_the_event_loop() -> None:
    # The database session is synchronous: an `async def` route doing database work would stall every request.
    endpoints = [getattr(route.original_route, "endpoint", None) for route in iter_route_contexts(app.routes)]
    ours = [endpoint for endpoint in endpoints if endpoint is not None and endpoint.__module__.startswith("web.")]
    assert len(ours) > 20
    assert [endpoint.__qualname__ for endpoint in ours if inspect.iscoroutinefunction(endpoint)] == []
