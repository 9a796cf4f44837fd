"""Security headers on every response: no inline script, no framing, no sniffing, no copies kept."""

import base64
import hashlib
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from capacity.vocab import Role
from tests.factories import log_in, make_user
from web.app import app


@pytest.mark.parametrize("path", ["/login", "/", "/find", "/api/auth/me", "/api/vocabularies", "/no-such-page"])
def test_every_answer_forbids_inline_script_framing_sniffing_and_caching(
    client: TestClient, session: Session, path: str
) -> None:
    log_in(client, make_user(session, Role.officer))
    response = client.get(path)
    policy = dict(part.split(" ", 1) for part in response.headers["content-security-policy"].split("; "))
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "unsafe" not in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in response.headers, "HSTS only over HTTPS"


def test_static_files_may_be_cached_and_https_gets_hsts(client: TestClient) -> None:
    assert "no-store" not in client.get("/static/safebeds.css").headers.get("cache-control", "")
    with TestClient(app, base_url="https://testserver") as secure:
        assert secure.get("/login").headers["strict-transport-security"].startswith("max-age=")


def test_the_api_docs_run_only_their_own_inline_script(client: TestClient) -> None:
    response = client.get("/docs")
    (script,) = re.findall(r"<script>(.*?)</script>", response.text, flags=re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    policy = dict(part.split(" ", 1) for part in response.headers["content-security-policy"].split("; "))
    assert policy["script-src"] == f"'self' 'sha256-{digest}'"
    assert policy["frame-ancestors"] == "'none'"


def test_pages_hold_no_inline_script_or_style(client: TestClient, session: Session) -> None:
    log_in(client, make_user(session, Role.admin))
    for path in (
        "/",
        "/find",
        "/requests",
        "/queue",
        "/gaps",
        "/whatif",
        "/recommend",
        "/houses",
        "/admin",
        "/admin/users",
    ):
        text = client.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert not re.search(r"\sstyle=|<style|\son[a-z]+=", text), path
