"""Every page, as each role sees it, on a 360 px phone and a desktop: no serious accessibility problem, nothing
sticking out sideways, and a screenshot of each (into docs/screenshots/ when SAFEBEDS_SCREENSHOTS names it)."""

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts
from playwright.sync_api import FloatRect, Page

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    DemoLogin,
    LiveServer,
    LogIn,
    accessibility_problems,
    horizontal_overflow,
)
from web.app import app

SCREENSHOTS = os.environ.get("SAFEBEDS_SCREENSHOTS")
DOCS_MOST_HEIGHT = 2400


def _show_results(page: Page) -> None:
    """The find page with results: a woman in the recovery period."""
    page.get_by_label("NRM stage").select_option("recovery")
    page.locator("#results .matches").wait_for()


@dataclass(frozen=True)
class Visit:
    role: str
    name: str
    path: str | Callable[[LiveServer], str]
    # The route this visit covers, when its path has parameters.
    route: str | None = None
    then: Callable[[Page], None] | None = field(default=None)

    def url(self, server: LiveServer) -> str:
        return self.path if isinstance(self.path, str) else self.path(server)


def _a_hold_panel(server: LiveServer) -> str:
    """The panel of a hold the officer has just made on the first house that fits."""
    with server.api("officer") as officer:
        needs = {"urgency": "tonight", "nrm_stage": "recovery", "nrm_consent": True, "gender": "female"}
        needs |= {"age_band": "25_34", "languages": ["ro"]}
        made = officer.post("/api/requests", json=needs | {"reference": "MSU-5001"})
        made.raise_for_status()
        found = officer.get(f"/api/requests/{made.json()['id']}/search").json()
        house_id = found["matches"][0]["house_id"]
        held = officer.post(f"/api/requests/{made.json()['id']}/holds", json={"house_id": house_id})
        held.raise_for_status()
        return f"/holds/{held.json()['id']}/panel"


def _propose(page: Page) -> None:
    """The queue with the solver's proposal."""
    page.get_by_role("button", name="Propose an allocation").click()
    page.locator("#allocation h2").wait_for()


def _an_organisation(server: LiveServer) -> str:
    """The edit form of the first organisation by name."""
    with server.api("admin") as admin:
        first = admin.get("/api/organisations").json()[0]
        return f"/admin/organisations/{first['id']}/edit"


def _a_house_form(server: LiveServer) -> str:
    """The form of the provider's first house."""
    with server.api("provider") as provider:
        houses = provider.get("/api/houses").json()
        return f"/houses/{houses[0]['id']}/edit"


class HalfWayLogIn:
    """The code page: an account with a second factor, its password given and its code not yet."""

    def __init__(self) -> None:
        self.login: DemoLogin | None = None

    def path(self, server: LiveServer) -> str:
        self.login = server.new_officer()
        server.with_second_factor(self.login)
        return "/login"

    def then(self, page: Page) -> None:
        assert self.login is not None
        page.get_by_label("Email").fill(self.login.email)
        page.get_by_label("Password").fill(self.login.password)
        page.get_by_role("button", name="Log in").click()
        page.get_by_label("Code").wait_for()


def _the_audit_log(page: Page) -> None:
    """The log narrowed to log-ins, as an admin looking into one would."""
    page.get_by_label("What").select_option("auth")
    page.locator("#events table").wait_for()


HALF_WAY = HalfWayLogIn()

VISITS = [
    Visit("anonymous", "login", "/login"),
    Visit("officer", "home", "/"),
    Visit("officer", "find", "/find", then=_show_results),
    Visit("officer", "requests", "/requests"),
    Visit("officer", "hold", _a_hold_panel, route="/holds/{hold_id}/panel"),
    Visit("provider", "home", "/"),
    Visit("coordinator", "home", "/"),
    Visit("coordinator", "queue", "/queue", then=_propose),
    Visit("commissioner", "home", "/"),
    Visit("commissioner", "gaps", "/gaps"),
    Visit("commissioner", "whatif", "/whatif?change=%2B4+male+pre-NRM+beds+in+Croydon", route="/whatif"),
    Visit("commissioner", "recommend", "/recommend?beds=8&feature=family&feature=step_free", route="/recommend"),
    Visit("admin", "home", "/"),
    Visit("admin", "admin", "/admin"),
    Visit("admin", "organisations", "/admin/organisations"),
    Visit("admin", "organisation-new", "/admin/organisations/new"),
    Visit("admin", "organisation-edit", _an_organisation, route="/admin/organisations/{organisation_id}/edit"),
    Visit("admin", "users", "/admin/users"),
    Visit("admin", "user-new", "/admin/users/new"),
    Visit("admin", "vocabularies", "/admin/vocabularies"),
    Visit("admin", "audit", "/admin/audit", then=_the_audit_log),
    Visit("officer", "account", "/account"),
    Visit("anonymous", "login-code", HALF_WAY.path, route="/login/code", then=HALF_WAY.then),
    Visit("provider", "houses", "/houses"),
    Visit("provider", "new-house", "/houses/new"),
    Visit("provider", "edit-house", _a_house_form, route="/houses/{house_id}/edit"),
    Visit("provider", "import", "/houses/import"),
    Visit("admin", "houses", "/houses"),
]

# Not pages of their own: the API's documentation is Swagger UI's; the CSV downloads and the import guide are files.
NOT_WALKED = {
    "/docs",
    "/gaps/{table}.csv",
    "/gaps/report.pdf",
    "/whatif/{table}.csv",
    "/recommend/{table}.csv",
    "/houses/import/columns.csv",
    "/houses/import/guide",
    "/admin/audit.csv",
}


def test_every_page_of_the_app_is_walked() -> None:
    pages = {
        str(context.path)
        for context in iter_route_contexts(app.routes)
        if "GET" in (context.methods or ()) and not str(context.path).startswith(("/api/", "/static"))
    }
    walked = {visit.route or str(visit.path) for visit in VISITS}
    assert pages - NOT_WALKED - {"/openapi.json"} <= walked


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("visit", VISITS, ids=[f"{v.role}-{v.name}" for v in VISITS])
def test_each_page_reads_well_and_passes_axe(
    log_in_as: LogIn, live_server: LiveServer, visit: Visit, size: str
) -> None:
    viewport = PHONE if size == "phone" else DESKTOP
    steps = log_in_as(visit.role, viewport=viewport, name=f"{visit.role}-{visit.name}-{size}")
    steps.page.goto(visit.url(live_server))
    steps.settle()
    if visit.then is not None:
        visit.then(steps.page)
        steps.settle()
    steps.shot("page")
    if SCREENSHOTS:
        # For the README: the top of a long page is enough, and keeps the files small.
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        height = min(steps.page.evaluate("() => document.documentElement.scrollHeight"), DOCS_MOST_HEIGHT)
        clip: FloatRect = {"x": 0, "y": 0, "width": viewport["width"], "height": height}
        steps.page.screenshot(
            path=Path(SCREENSHOTS) / f"{visit.role}-{visit.name}-{size}.png", full_page=True, clip=clip
        )
    assert steps.refused == [], "the page tried something its Content-Security-Policy refuses"
    assert accessibility_problems(steps.page) == []
    assert horizontal_overflow(steps.page) == 0, f"{visit.path} is wider than a {viewport['width']} px window"
