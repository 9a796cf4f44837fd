"""Every route of the app, walked by every role: who may, who may not, and nobody by accident."""

import logging
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.routing import Mount

from capacity import service as capacity_service
from capacity.models import User
from capacity.vocab import OrganisationType, Role
from matching import holds
from tests.factories import make_house, make_organisation, make_request, make_user
from web import accounts
from web.app import app

OFFICER, PROVIDER, COMMISSIONER, ADMIN = Role.officer, Role.provider, Role.commissioner, Role.admin
COORDINATOR = Role.coordinator
EVERY_ROLE = frozenset(Role)
HOUR = timedelta(hours=1)

# Routes anyone may reach without logging in (they hold nothing confidential).
PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/logout"),
    # The second step of logging in: it answers only the browser half-way through it (401 otherwise).
    ("GET", "/login/code"),
    ("POST", "/login/code"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
}

# Who may use each route; every other role gets 403 and an anonymous caller 401.
ALLOWED: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/api/auth/me"): EVERY_ROLE,
    ("GET", "/account"): EVERY_ROLE,
    ("GET", "/admin/audit"): frozenset({ADMIN}),
    ("GET", "/admin/audit.csv"): frozenset({ADMIN}),
    ("POST", "/admin/users/{user_id}/sessions"): frozenset({ADMIN}),
    ("POST", "/account/second-factor"): EVERY_ROLE,
    ("POST", "/account/password"): EVERY_ROLE,
    ("GET", "/api/vocabularies"): EVERY_ROLE,
    ("GET", "/api/organisations"): frozenset({OFFICER, PROVIDER, COORDINATOR, ADMIN}),
    ("POST", "/api/organisations"): frozenset({ADMIN}),
    ("GET", "/api/organisations/{organisation_id}"): frozenset({OFFICER, PROVIDER, COORDINATOR, ADMIN}),
    ("PATCH", "/api/organisations/{organisation_id}"): frozenset({PROVIDER, ADMIN}),
    ("POST", "/api/organisations/{organisation_id}/houses"): frozenset({PROVIDER, ADMIN}),
    ("POST", "/api/organisations/{organisation_id}/houses/import"): frozenset({PROVIDER, ADMIN}),
    ("GET", "/api/houses"): frozenset({OFFICER, PROVIDER, COORDINATOR, ADMIN}),
    ("GET", "/api/houses/{house_id}"): frozenset({OFFICER, PROVIDER, COORDINATOR, ADMIN}),
    ("PATCH", "/api/houses/{house_id}"): frozenset({PROVIDER, ADMIN}),
    ("POST", "/api/houses/{house_id}/confirm"): frozenset({PROVIDER, ADMIN}),
    ("GET", "/api/houses/{house_id}/beds"): frozenset({PROVIDER, ADMIN}),
    ("POST", "/api/houses/{house_id}/beds"): frozenset({PROVIDER, ADMIN}),
    ("PATCH", "/api/beds/{bed_id}"): frozenset({PROVIDER, ADMIN}),
    ("GET", "/api/users"): frozenset({ADMIN}),
    ("POST", "/api/users"): frozenset({ADMIN}),
    ("PATCH", "/api/users/{user_id}"): frozenset({ADMIN}),
    ("GET", "/api/reports/capacity"): frozenset({COMMISSIONER, ADMIN}),
    ("POST", "/houses/{house_id}/confirm"): frozenset({PROVIDER, ADMIN}),
    ("POST", "/api/search"): frozenset({OFFICER, ADMIN}),
    ("GET", "/find"): frozenset({OFFICER, ADMIN}),
    ("POST", "/find/queue"): frozenset({OFFICER, ADMIN}),
    ("POST", "/find/fallback"): frozenset({OFFICER, ADMIN}),
    ("POST", "/requests/{request_id}/fallback"): frozenset({OFFICER, ADMIN}),
    ("GET", "/queue"): frozenset({COORDINATOR, ADMIN}),
    ("POST", "/queue/proposal"): frozenset({COORDINATOR, ADMIN}),
    ("POST", "/queue/confirm"): frozenset({COORDINATOR, ADMIN}),
    ("POST", "/find"): frozenset({OFFICER, ADMIN}),
    ("POST", "/find/hold"): frozenset({OFFICER, ADMIN}),
    ("GET", "/requests"): frozenset({OFFICER, ADMIN}),
    ("GET", "/holds/{hold_id}/panel"): frozenset({OFFICER, PROVIDER, ADMIN}),
    ("POST", "/holds/{hold_id}/accept"): frozenset({PROVIDER, ADMIN}),
    ("POST", "/holds/{hold_id}/decline"): frozenset({PROVIDER, ADMIN}),
    ("POST", "/api/requests"): frozenset({OFFICER, ADMIN}),
    ("GET", "/api/requests"): frozenset({OFFICER, ADMIN}),
    ("GET", "/api/requests/{request_id}"): frozenset({OFFICER, ADMIN}),
    ("GET", "/api/requests/{request_id}/search"): frozenset({OFFICER, ADMIN}),
    ("POST", "/api/requests/{request_id}/holds"): frozenset({OFFICER, ADMIN}),
    ("GET", "/api/holds"): frozenset({OFFICER, PROVIDER, ADMIN}),
    ("GET", "/api/holds/{hold_id}"): frozenset({OFFICER, PROVIDER, ADMIN}),
    ("POST", "/api/holds/{hold_id}/accept"): frozenset({PROVIDER, ADMIN}),
    ("POST", "/api/holds/{hold_id}/decline"): frozenset({PROVIDER, ADMIN}),
    ("POST", "/api/holds/{hold_id}/cancel"): frozenset({OFFICER, ADMIN}),
    ("POST", "/api/requests/{request_id}/fallback"): frozenset({OFFICER, ADMIN}),
    ("GET", "/api/placements"): frozenset({OFFICER, PROVIDER, ADMIN}),
    ("GET", "/api/placements/{placement_id}"): frozenset({OFFICER, PROVIDER, ADMIN}),
    ("POST", "/api/placements/{placement_id}/decision"): frozenset({PROVIDER, ADMIN}),
    ("POST", "/api/placements/{placement_id}/move-on"): frozenset({PROVIDER, ADMIN}),
    ("GET", "/api/allocation/queue"): frozenset({COORDINATOR, ADMIN}),
    # The provider's pages: the board of beds, the house form and the CSV import.
    ("GET", "/houses"): frozenset({PROVIDER, ADMIN}),
    ("POST", "/beds/{bed_id}/status"): frozenset({PROVIDER, ADMIN}),
    ("POST", "/houses/{house_id}/beds"): frozenset({PROVIDER, ADMIN}),
    ("GET", "/houses/new"): frozenset({PROVIDER, ADMIN}),
    ("POST", "/houses/new"): frozenset({PROVIDER, ADMIN}),
    ("GET", "/houses/{house_id}/edit"): frozenset({PROVIDER, ADMIN}),
    ("POST", "/houses/{house_id}/edit"): frozenset({PROVIDER, ADMIN}),
    ("GET", "/houses/import"): frozenset({PROVIDER, ADMIN}),
    ("POST", "/houses/import"): frozenset({PROVIDER, ADMIN}),
    ("GET", "/houses/import/columns.csv"): frozenset({PROVIDER, ADMIN}),
    ("GET", "/houses/import/guide"): frozenset({PROVIDER, ADMIN}),
    ("POST", "/api/allocation/proposal"): frozenset({COORDINATOR, ADMIN}),
    ("POST", "/api/allocation/confirm"): frozenset({COORDINATOR, ADMIN}),
    ("GET", "/gaps"): frozenset({COMMISSIONER, ADMIN}),
    ("GET", "/gaps/{table}.csv"): frozenset({COMMISSIONER, ADMIN}),
    ("GET", "/gaps/report.pdf"): frozenset({COMMISSIONER, ADMIN}),
    ("GET", "/whatif"): frozenset({COMMISSIONER, ADMIN}),
    ("GET", "/whatif/{table}.csv"): frozenset({COMMISSIONER, ADMIN}),
    ("GET", "/recommend"): frozenset({COMMISSIONER, ADMIN}),
    ("GET", "/recommend/{table}.csv"): frozenset({COMMISSIONER, ADMIN}),
    ("GET", "/admin"): frozenset({ADMIN}),
    ("GET", "/admin/organisations"): frozenset({ADMIN}),
    ("GET", "/admin/organisations/new"): frozenset({ADMIN}),
    ("POST", "/admin/organisations/new"): frozenset({ADMIN}),
    ("GET", "/admin/organisations/{organisation_id}/edit"): frozenset({ADMIN}),
    ("POST", "/admin/organisations/{organisation_id}/edit"): frozenset({ADMIN}),
    ("GET", "/admin/users"): frozenset({ADMIN}),
    ("GET", "/admin/users/new"): frozenset({ADMIN}),
    ("POST", "/admin/users/new"): frozenset({ADMIN}),
    ("POST", "/admin/users/{user_id}"): frozenset({ADMIN}),
    ("GET", "/admin/vocabularies"): frozenset({ADMIN}),
}

# Routes that read or change what one provider organisation owns: another provider gets 403.
OWNED = {
    ("PATCH", "/api/organisations/{organisation_id}"),
    ("POST", "/api/organisations/{organisation_id}/houses"),
    ("POST", "/api/organisations/{organisation_id}/houses/import"),
    ("GET", "/api/houses/{house_id}"),
    ("PATCH", "/api/houses/{house_id}"),
    ("POST", "/api/houses/{house_id}/confirm"),
    ("GET", "/api/houses/{house_id}/beds"),
    ("POST", "/api/houses/{house_id}/beds"),
    ("PATCH", "/api/beds/{bed_id}"),
    ("POST", "/houses/{house_id}/confirm"),
    ("POST", "/beds/{bed_id}/status"),
    ("POST", "/houses/{house_id}/beds"),
    ("GET", "/houses/{house_id}/edit"),
    ("POST", "/houses/{house_id}/edit"),
    ("GET", "/api/holds/{hold_id}"),
    ("GET", "/holds/{hold_id}/panel"),
    ("POST", "/holds/{hold_id}/accept"),
    ("POST", "/holds/{hold_id}/decline"),
    ("POST", "/api/holds/{hold_id}/accept"),
    ("POST", "/api/holds/{hold_id}/decline"),
    ("GET", "/api/placements/{placement_id}"),
    ("POST", "/api/placements/{placement_id}/decision"),
    ("POST", "/api/placements/{placement_id}/move-on"),
}


def app_routes() -> set[tuple[str, str]]:
    """Every (method, path) the application answers, static files included."""
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            found.add(("GET", route.original_route.path))
        elif route.path is not None:
            found |= {(method, route.path) for method in route.methods or () if method != "HEAD"}
    return found


def test_every_route_is_in_the_matrix() -> None:
    routes = app_routes() - {("GET", "/static")}
    unlisted = routes - PUBLIC - set(ALLOWED)
    stale = (PUBLIC | set(ALLOWED)) - routes
    assert not unlisted, f"add these routes to the role matrix: {sorted(unlisted)}"
    assert not stale, f"these matrix entries name no route: {sorted(stale)}"


@dataclass
class World:
    users: dict[Role, User]
    other_provider: User
    ids: dict[str, int | str]


@pytest.fixture
def world(session: Session) -> World:
    """One of each role; the provider owns a house with a bed; another provider owns nothing here."""
    provider_org = make_organisation(session)
    house = make_house(session, provider_org, beds=1)
    assert house.id is not None and provider_org.id is not None
    bed = capacity_service.get_beds(session=session, house_ids=[house.id])[house.id][0]
    users = {role: make_user(session, role, provider_org if role == PROVIDER else None) for role in Role}
    other = make_user(session, PROVIDER, make_organisation(session, type=OrganisationType.refuge))
    target = make_user(session, OFFICER)
    placement = make_request(session, users[OFFICER], nrm_stage="recovery")
    hold = holds.hold(session=session, request=placement, house=house, officer=users[OFFICER], expires_after=HOUR)
    placed_request = make_request(session, users[OFFICER], nrm_stage="recovery")
    second_house = make_house(session, provider_org, beds=1)
    accepted = holds.hold(
        session=session, request=placed_request, house=second_house, officer=users[OFFICER], expires_after=HOUR
    )
    placed = holds.accept(session=session, hold=accepted, provider=users[PROVIDER])
    assert bed.id is not None and target.id is not None and placement.id is not None and hold.id is not None
    ids: dict[str, int | str] = {
        "organisation_id": provider_org.id,
        "house_id": house.id,
        "bed_id": bed.id,
        "user_id": target.id,
        "request_id": placement.id,
        "hold_id": hold.id,
        "placement_id": placed.id or 0,
        "table": "headline",
    }
    return World(users=users, other_provider=other, ids=ids)


# Each report's CSV route names tables of its own.
TABLES = {"/whatif/{table}.csv": "whatif_outcomes", "/recommend/{table}.csv": "recommended_beds"}


def filled(path: str, ids: dict[str, int | str]) -> str:
    """The route's path with the world's ids in it."""
    return path.format(**(ids | ({"table": TABLES[path]} if path in TABLES else {})))


def call(
    client: TestClient, session: Session, method: str, path: str, ids: dict[str, int | str], user: User | None
) -> int:
    """Make the request as `user` (a fresh session each time, since one route logs out) with an empty body."""
    headers = {}
    if user is not None:
        headers["Authorization"] = f"Bearer {accounts.start_session(session=session, user=user)}"
    client.cookies.clear()
    response = client.request(method, filled(path, ids), headers=headers, follow_redirects=False)
    return response.status_code


@pytest.mark.parametrize(("method", "path"), sorted(ALLOWED))
def test_role_matrix(client: TestClient, session: Session, world: World, method: str, path: str) -> None:
    assert call(client, session, method, path, world.ids, None) == 401
    for role, user in world.users.items():
        status = call(client, session, method, path, world.ids, user)
        if role in ALLOWED[(method, path)]:
            # Let through: a read succeeds; a change with the empty body sent here is refused for the body.
            # (409: an earlier role in this loop already accepted or cancelled the world's one hold;
            # 303: a page's form, posted without JavaScript, goes back to its page.)
            expected = {200} if method == "GET" else {200, 201, 204, 303, 409, 422}
            assert status in expected, f"{role} should be let through, got {status}"
        else:
            assert status == 403, f"{role} should be refused, got {status}"


@pytest.mark.parametrize(("method", "path"), sorted(OWNED))
def test_provider_cannot_touch_another_organisations_things(
    client: TestClient, session: Session, world: World, method: str, path: str
) -> None:
    assert call(client, session, method, path, world.ids, world.other_provider) == 403


@pytest.mark.parametrize(("method", "path"), sorted(PUBLIC))
def test_public_routes_need_no_log_in(
    client: TestClient, session: Session, world: World, method: str, path: str
) -> None:
    assert call(client, session, method, path, world.ids, None) < 500


@pytest.mark.parametrize("path", ["/api/requests/{request_id}", "/api/requests/{request_id}/search"])
def test_an_officer_of_another_force_cannot_read_a_request(
    client: TestClient, session: Session, world: World, path: str
) -> None:
    stranger = make_user(session, OFFICER)
    assert call(client, session, "GET", path, world.ids, stranger) == 403


# The address canary ----------------------------------------------------------------------------------

# Addresses no page could show by chance: each found anywhere it should not be fails the walk.
CANARY_WAITING = "Canary-7Q3 Waiting Hold Row"  # a house with a hold not yet accepted
CANARY_PLACED = "Canary-8K1 Accepted Placement Row"  # the house of the officer's accepted placement
CANARY_FREE = "Canary-9Z5 Free Beds Lane"  # a house with free beds that every search finds
CANARIES = (CANARY_WAITING, CANARY_PLACED, CANARY_FREE)
# Where the officer of the accepted placement is shown its address, while the placement lasts.
OFFICER_SEES_PLACED = {("GET", "/api/holds"), ("GET", "/api/holds/{hold_id}"), ("GET", "/holds/{hold_id}/panel")}


@pytest.fixture
def canaries(session: Session, world: World) -> dict[str, int | str]:
    """The world's houses given canary addresses, a third house with free beds, and the accepted hold's id."""
    placement = holds.get_placement(session=session, placement_id=int(world.ids["placement_id"]))
    assert placement is not None
    for house_id, address in ((world.ids["house_id"], CANARY_WAITING), (placement.house_id, CANARY_PLACED)):
        house = capacity_service.get_house(session=session, house_id=int(house_id))
        assert house is not None
        house.address = address
        session.add(house)
    session.commit()
    provider = world.users[PROVIDER]
    organisation = capacity_service.get_organisation(session=session, organisation_id=provider.organisation_id)
    assert organisation is not None
    make_house(session, organisation, beds=4, address=CANARY_FREE, nrm_stages=["pre_nrm", "recovery"])
    return world.ids | {"accepted_hold_id": placement.hold_id}


def walk(
    client: TestClient, session: Session, ids: dict[str, int | str], user: User | None, *, hold_id: int | str
) -> dict[tuple[str, str], str]:
    """Every route as `user`, pages whole and as htmx fragments, with what each answer says (headers included)."""
    said: dict[tuple[str, str], str] = {}
    for method, path in sorted(app_routes() - {("GET", "/static")}):
        for variant in ({}, {"HX-Request": "true"}) if method == "GET" else ({},):
            headers = dict(variant)
            if user is not None:
                headers["Authorization"] = f"Bearer {accounts.start_session(session=session, user=user)}"
            client.cookies.clear()
            url = filled(path, ids | {"hold_id": hold_id})
            response = client.request(method, url, headers=headers, follow_redirects=False)
            said[method, path] = said.get((method, path), "") + str(response.headers) + response.text
    # And the searches with needs the free house meets, as a person would send them.
    needs = {"nrm_stage": "recovery", "gender": "female"}
    for method, path, body in (("POST", "/find", {"data": needs}), ("POST", "/api/search", {"json": needs})):
        headers = {"Authorization": f"Bearer {accounts.start_session(session=session, user=user)}"} if user else {}
        response = client.request(method, path, headers=headers, follow_redirects=False, **body)  # type: ignore[arg-type]
        said[method, path] += response.text
    return said


def leaks(said: dict[tuple[str, str], str], canary: str) -> list[tuple[str, str]]:
    return sorted(route for route, text in said.items() if canary in text)


@pytest.mark.parametrize("role", [None, *Role], ids=["anonymous", *(str(r) for r in Role)])
def test_the_address_canary_appears_only_where_the_rules_allow(
    client: TestClient,
    session: Session,
    world: World,
    canaries: dict[str, int | str],
    role: Role | None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    user = world.users[role] if role is not None else None
    said = walk(client, session, canaries, user, hold_id=canaries["accepted_hold_id"])
    said |= {("the log", ""): caplog.text}
    if role in (PROVIDER, ADMIN):
        # The house's own organisation and admins see its address: on the board, the edit form, the API.
        assert leaks(said, CANARY_FREE), "the owner sees its own address somewhere"
        assert ("the log", "") not in leaks(said, CANARY_FREE)
        return
    if role == OFFICER:
        assert set(leaks(said, CANARY_PLACED)) <= OFFICER_SEES_PLACED
        assert ("GET", "/holds/{hold_id}/panel") in leaks(said, CANARY_PLACED), "the officer is told where to go"
    else:
        assert leaks(said, CANARY_PLACED) == []
    assert leaks(said, CANARY_WAITING) == [], "a hold not yet accepted gives no address"
    assert leaks(said, CANARY_FREE) == []


def test_another_provider_sees_no_address_but_its_own(
    client: TestClient, session: Session, world: World, canaries: dict[str, int | str]
) -> None:
    said = walk(client, session, canaries, world.other_provider, hold_id=canaries["accepted_hold_id"])
    assert [leaks(said, canary) for canary in CANARIES] == [[], [], []]


def test_once_the_placement_ends_its_officer_no_longer_sees_the_address(
    client: TestClient, session: Session, world: World, canaries: dict[str, int | str]
) -> None:
    placement = holds.get_placement(session=session, placement_id=int(canaries["placement_id"]))
    assert placement is not None
    holds.move_on(session=session, placement=placement)
    said = walk(client, session, canaries, world.users[OFFICER], hold_id=canaries["accepted_hold_id"])
    assert [leaks(said, canary) for canary in CANARIES] == [[], [], []]
