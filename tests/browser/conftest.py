"""A real browser against a live server: Debian's Chromium, driven by Playwright, on the demo database.

The server is `safebeds demo` itself, run as a child process on a free port of 127.0.0.1 with its own
SQLite file, so the browser sees exactly what a newcomer sees. Screenshots of every step go to
`test-artefacts/browser/` (or `$SAFEBEDS_ARTEFACTS`).
"""

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Playwright,
    StorageState,
    ViewportSize,
    sync_playwright,
)

from web import totp

CHROMIUM = Path(os.environ.get("SAFEBEDS_CHROMIUM", "/usr/bin/chromium"))
# The machines have no internet; without these flags Chromium keeps trying to reach it.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = Path(os.environ.get("SAFEBEDS_ARTEFACTS", ROOT / "test-artefacts")) / "browser"
PHONE: ViewportSize = {"width": 360, "height": 780}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
DEMO_LOAD_SECONDS = 240


def _unavailable() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set SAFEBEDS_CHROMIUM)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the browser tests, saying why, when there is no browser (CI sets SAFEBEDS_REQUIRE_BROWSER: fail instead)."""
    reason = _unavailable()
    if reason is None:
        return
    if os.environ.get("SAFEBEDS_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"browser tests cannot run: {reason}")
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        assert isinstance(port, int)
        return port


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    password: str


@dataclass
class LiveServer:
    url: str
    logins: dict[str, DemoLogin] = field(default_factory=dict)

    @contextmanager
    def api(self, role: str) -> Iterator[httpx2.Client]:
        """A JSON API client logged in as the demo account of `role`."""
        with httpx2.Client(base_url=self.url, timeout=30) as client:
            login = self.logins[role]
            response = client.post("/api/auth/login", json={"email": login.email, "password": login.password})
            response.raise_for_status()
            client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
            yield client

    def new_officer(self, password: str = "quiet harbour lantern") -> DemoLogin:
        """A new officer account in the demo officer's force, made through the admin API."""
        with self.api("officer") as officer:
            force = officer.get("/api/auth/me").json()["organisation_id"]
        with self.api("admin") as admin:
            email = f"officer-{uuid.uuid4().hex[:8]}@demo.example.org"
            made = admin.post(
                "/api/users", json={"email": email, "password": password, "role": "officer", "organisation_id": force}
            )
            made.raise_for_status()
        return DemoLogin(role="officer", email=email, password=password)

    def with_second_factor(self, login: DemoLogin) -> str:
        """Turn on the account's second factor as its account page does; return the authenticator's secret."""
        with httpx2.Client(base_url=self.url, timeout=30) as client:
            answer = client.post("/api/auth/login", json={"email": login.email, "password": login.password}).json()
            secret = totp.new_secret(answer["token"])
            headers = {"X-CSRF-Token": answer["csrf_token"]}
            client.post("/account/second-factor", data={"code": totp.code_now(secret)}, headers=headers)
        return secret


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`safebeds demo` on a free port, with its year of history, as a newcomer starts it."""
    database = tmp_path_factory.mktemp("browser") / "demo.db"
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SAFEBEDS_")}
    environment["SAFEBEDS_DATABASE_URL"] = f"sqlite:///{database}"
    command = [str(Path(sys.executable).with_name("safebeds")), "demo", "--port", str(port)]
    log = database.with_name("server.log")
    with log.open("w") as output:
        server = subprocess.Popen(command, env=environment, stdout=output, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + DEMO_LOAD_SECONDS
        while True:
            if server.poll() is not None:
                pytest.fail(f"the demo server stopped:\n{log.read_text()}")
            try:
                if httpx2.get(f"{url}/login", timeout=2).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the demo server did not start in {DEMO_LOAD_SECONDS} s:\n{log.read_text()}")
            time.sleep(0.5)
        printed = re.findall(r"^\s+(\w+)\s+(\S+@\S+)\s+(\S+)\s*$", log.read_text(), flags=re.MULTILINE)
        logins = {role: DemoLogin(role, email, password) for role, email, password in printed}
        assert {"officer", "provider", "commissioner", "coordinator", "admin"} <= set(logins), log.read_text()
        yield LiveServer(url=url, logins=logins)
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)
    yield chromium
    chromium.close()


class Steps:
    """What a person does on one page, counted (taps, choices, typed fields), with a screenshot after each step."""

    def __init__(self, page: Page, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.interactions = 0
        self.shots = 0
        # What the Content-Security-Policy stopped: a script, style or frame the page tried and was refused.
        self.refused: list[str] = []
        page.on("console", lambda message: self._note(message.text))
        folder.mkdir(parents=True, exist_ok=True)

    def _note(self, text: str) -> None:
        if "Content Security Policy" in text:
            self.refused.append(text)

    def shot(self, name: str) -> Path:
        self.shots += 1
        path = self.folder / f"{self.shots:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def tap(self, target: Locator, name: str) -> None:
        self.interactions += 1
        target.click()
        self.settle()
        self.shot(name)

    def choose(self, target: Locator, values: str | list[str], name: str) -> None:
        self.interactions += 1
        target.select_option(values)
        self.settle()
        self.shot(name)

    def type(self, target: Locator, text: str, name: str) -> None:
        self.interactions += 1
        target.fill(text)
        target.dispatch_event("change")
        self.settle()
        self.shot(name)

    def settle(self) -> None:
        """Wait until htmx has nothing in flight and the page has loaded."""
        self.page.wait_for_load_state()
        self.page.wait_for_function("() => !document.querySelector('.htmx-request')")


class LogIn:
    """Opens pages as the demo account of a role, at a phone's or a desktop's width."""

    def __init__(self, browser: Browser, server: LiveServer, folder: Path, saved: dict[str, StorageState]) -> None:
        self.browser, self.server, self.folder, self.saved = browser, server, folder, saved
        self.contexts: list[BrowserContext] = []

    def __call__(self, role: str, *, viewport: ViewportSize = PHONE, name: str | None = None) -> Steps:
        """A page logged in as the demo account of `role` (or at the log-in form, for "anonymous").

        The first time for each role, through the form as a person does; after that with the same session cookie.
        """
        state = self.saved.get(role)
        context = self.browser.new_context(viewport=viewport, base_url=self.server.url, storage_state=state)
        self.contexts.append(context)
        page = context.new_page()
        page.goto("/" if state else "/login")
        if role != "anonymous" and state is None:
            login = self.server.logins[role]
            page.get_by_label("Email").fill(login.email)
            page.get_by_label("Password").fill(login.password)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(f"{self.server.url}/")
            self.saved[role] = context.storage_state()
        return Steps(page, self.folder / (name or role))

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture(scope="session")
def saved_logins() -> dict[str, StorageState]:
    return {}


@pytest.fixture
def log_in_as(
    browser: Browser, live_server: LiveServer, saved_logins: dict[str, StorageState], request: pytest.FixtureRequest
) -> Iterator[LogIn]:
    """Log in through the form, as a person does; screenshots go to a folder named after the test."""
    folder = ARTEFACTS / re.sub(r"[^\w.-]+", "-", request.node.name).strip("-")
    opener = LogIn(browser, live_server, folder, saved_logins)
    yield opener
    opener.close()


SERIOUS = {"serious", "critical"}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def accessibility_problems(page: Page) -> list[str]:
    """The serious and critical WCAG 2.2 AA violations axe-core finds on the page, in words."""
    page.evaluate(AXE_SCRIPT)
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    results = page.evaluate("options => axe.run(document, options)", options)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + "; ".join(", ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in results["violations"]
        if violation["impact"] in SERIOUS
    ]


def horizontal_overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0 when nothing sticks out)."""
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert isinstance(overflow, int)
    return overflow
