"""The JSON API end to end: houses, beds, organisations, reports and imports, as each role sees them."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from freezegun import freeze_time
from sqlmodel import Session, func, select

from capacity.models import Bed, House, Organisation
from capacity.vocab import OrganisationType, Role
from providers.imports import MAX_BEDS
from tests.factories import house_csv, house_data, log_in, make_house, make_organisation, make_user
from web.app import app
from web.settings import Settings, get_settings

# A string that must never reach anyone who may not see where a safe house is.
CANARY_ADDRESS = "17 Canary Secret Mews"
CANARY_POSTCODE = "ZZ99 7QX"


def problem_fields(response: Any) -> list[str]:
    """The field each 422 problem names: the last text part of its `loc`."""
    return [
        next(str(part) for part in reversed(problem["loc"]) if isinstance(part, str))
        for problem in response.json()["detail"]
    ]


def house_count(session: Session, organisation: Organisation) -> int:
    return session.exec(select(func.count()).select_from(House).where(House.organisation_id == organisation.id)).one()


@pytest.fixture
def provider(session: Session) -> Organisation:
    return make_organisation(session)


@pytest.fixture
def admin_client(client: TestClient, session: Session) -> TestClient:
    return log_in(client, make_user(session, Role.admin))


@pytest.fixture
def provider_client(client: TestClient, session: Session, provider: Organisation) -> TestClient:
    return log_in(client, make_user(session, Role.provider, provider))


# Organisations -------------------------------------------------------------------------------------


def test_admin_registers_an_organisation(admin_client: TestClient) -> None:
    response = admin_client.post("/api/organisations", json={"name": "  Kestrel   Trust ", "type": "refuge"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "Kestrel Trust"
    assert body["type"] == "refuge"
    assert body["is_provider"] is True
    assert admin_client.get(f"/api/organisations/{body['id']}").json() == body


def test_duplicate_organisation_name_is_409(admin_client: TestClient, provider: Organisation) -> None:
    response = admin_client.post("/api/organisations", json={"name": provider.name, "type": "refuge"})
    assert response.status_code == 409
    assert response.json()["detail"] == f"an organisation called {provider.name!r} already exists"


def test_unknown_organisation_type_is_rejected(admin_client: TestClient, session: Session) -> None:
    response = admin_client.post("/api/organisations", json={"name": "Castle Keep", "type": "castle"})
    assert response.status_code == 422
    assert problem_fields(response) == ["type"]
    assert session.exec(select(Organisation).where(Organisation.name == "Castle Keep")).first() is None


def test_provider_edits_only_its_own_organisation(
    provider_client: TestClient, session: Session, provider: Organisation
) -> None:
    other = make_organisation(session)
    response = provider_client.patch(f"/api/organisations/{other.id}", json={"faith_based": True})
    assert response.status_code == 403
    session.refresh(other)
    assert other.faith_based is False
    response = provider_client.patch(f"/api/organisations/{provider.id}", json={"faith_based": True})
    assert response.status_code == 200
    assert response.json()["faith_based"] is True


# Creating houses ----------------------------------------------------------------------------------


def test_admin_creates_a_house_with_beds(admin_client: TestClient, provider: Organisation) -> None:
    data = house_data(display_name="Juniper House", bed_labels=["Room 1", " Room   2 ", "Attic"])
    response = admin_client.post(f"/api/organisations/{provider.id}/houses", json=data)
    assert response.status_code == 201, response.text
    house = response.json()
    assert house["display_name"] == "Juniper House"
    assert house["organisation_id"] == provider.id
    assert house["address"] == data["address"]
    assert house["postcode"] == data["postcode"]
    assert house["stale"] is False
    assert house["beds"] == {"total": 3, "available": 3, "held": 0, "occupied": 0, "out_of_service": 0}
    beds = admin_client.get(f"/api/houses/{house['id']}/beds").json()
    assert [bed["label"] for bed in beds] == ["Attic", "Room 1", "Room 2"]
    assert {bed["status"] for bed in beds} == {"available"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"area": "atlantis"}, "area"),
        ({"genders": ["female", "alien"]}, "genders"),
        ({"nrm_stages": ["PRE_NRM"]}, "nrm_stages"),
        ({"specialisms": ["sexual", "piracy"]}, "specialisms"),
        ({"extra_support": ["therapy_dogs"]}, "extra_support"),
        ({"genders": []}, "genders"),
        ({"postcode": "NOT A POSTCODE"}, "postcode"),
        ({"languages": ["klingon"]}, "languages"),
        ({"display_name": "   "}, "display_name"),
        ({"display_name": "ZZ99 3ZZ"}, "display_name"),
        ({"max_children": 2, "max_child_age": 0}, "max_child_age"),
        ({"max_children": 2}, "max_child_age"),
        ({"max_children": 0, "max_child_age": 9}, "max_child_age"),
        ({"max_stay_days": 0}, "max_stay_days"),
    ],
)
def test_bad_house_is_422_naming_the_field(
    admin_client: TestClient, session: Session, provider: Organisation, overrides: dict[str, Any], field: str
) -> None:
    response = admin_client.post(
        f"/api/organisations/{provider.id}/houses", json=house_data(bed_labels=["Room 1"], **overrides)
    )
    assert response.status_code == 422, response.text
    assert problem_fields(response) == [field]
    assert house_count(session, provider) == 0


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/organisations/{provider}/houses", {"stage": "pre_nrm"}),
        ("/api/organisations", {"faith": True}),
        ("/api/users", {"organisation": "Lantern Trust"}),
    ],
)
def test_a_misspelt_field_is_422_not_ignored(
    admin_client: TestClient, provider: Organisation, path: str, body: dict[str, Any]
) -> None:
    response = admin_client.post(path.format(provider=provider.id), json=body)
    assert response.status_code == 422
    assert list(body)[0] in problem_fields(response)


def test_display_name_must_not_reveal_the_address(admin_client: TestClient, provider: Organisation) -> None:
    data = house_data(address="12 Larch Road, Hackney", display_name="12 Larch Road")
    response = admin_client.post(f"/api/organisations/{provider.id}/houses", json=data)
    assert response.status_code == 422
    assert problem_fields(response) == ["display_name"]
    assert response.json()["detail"][0]["msg"].startswith("Value error, must not reveal the address or postcode")


def test_duplicate_bed_labels_are_422(admin_client: TestClient, session: Session, provider: Organisation) -> None:
    data = house_data(bed_labels=["Room 1", "room 1 ", "Room 2"])
    response = admin_client.post(f"/api/organisations/{provider.id}/houses", json=data)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"loc": ["body", "bed_labels"], "msg": "duplicate bed labels: Room 1, room 1", "type": "value_error"}
    ]
    assert house_count(session, provider) == 0


def test_houses_only_for_provider_organisations(admin_client: TestClient, session: Session) -> None:
    police = make_organisation(session, type=OrganisationType.police)
    response = admin_client.post(f"/api/organisations/{police.id}/houses", json=house_data(bed_labels=["Room 1"]))
    assert response.status_code == 422
    assert problem_fields(response) == ["organisation_id"]
    assert house_count(session, police) == 0


def test_house_for_unknown_organisation_is_404(admin_client: TestClient) -> None:
    response = admin_client.post("/api/organisations/999999/houses", json=house_data())
    assert response.status_code == 404
    assert response.json()["detail"] == "no organisation with id 999999"


# Changing houses ----------------------------------------------------------------------------------


def test_patch_house_changes_only_what_is_sent(
    provider_client: TestClient, session: Session, provider: Organisation
) -> None:
    house = make_house(session, provider, display_name="Rowan Lodge")
    response = provider_client.patch(f"/api/houses/{house.id}", json={"max_children": 2, "max_child_age": 11})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["max_children"], body["max_child_age"]) == (2, 11)
    assert body["display_name"] == "Rowan Lodge"
    assert body["address"] == house.address


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"display_name": "Fine Name", "max_children": 2}, "max_child_age", "at least 1 when children are accepted"),
        ({"max_child_age": 5}, "max_child_age", "must be 0 when no children are accepted"),
        ({"display_name": None}, "display_name", "must not be empty"),
        ({"genders": []}, "genders", "at least 1 item"),
        ({"postcode": "E1"}, "postcode", "not a UK postcode"),
        ({"display_name": "Near 5 Secret Row"}, "display_name", "must not reveal the address or postcode"),
        ({"area": "atlantis"}, "area", "Input should be"),
        ({"genders": ["martian"]}, "genders", "Input should be"),
        ({"gendres": ["male"]}, "gendres", "Extra inputs are not permitted"),
    ],
)
def test_patch_house_validates_the_merged_house(
    provider_client: TestClient,
    session: Session,
    provider: Organisation,
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    house = make_house(session, provider, display_name="Hazel Court", address="5 Secret Row")
    before = provider_client.get(f"/api/houses/{house.id}").json()
    response = provider_client.patch(f"/api/houses/{house.id}", json=change)
    assert response.status_code == 422, response.text
    assert problem_fields(response) == [field]
    assert message in response.json()["detail"][0]["msg"]
    assert provider_client.get(f"/api/houses/{house.id}").json() == before


# Beds and confirming ------------------------------------------------------------------------------


def test_provider_changes_a_bed_status(provider_client: TestClient, session: Session, provider: Organisation) -> None:
    house = make_house(session, provider, beds=2)
    bed = provider_client.get(f"/api/houses/{house.id}/beds").json()[0]
    response = provider_client.patch(f"/api/beds/{bed['id']}", json={"status": "occupied"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "occupied"
    counts = provider_client.get(f"/api/houses/{house.id}").json()["beds"]
    assert (counts["available"], counts["occupied"]) == (1, 1)


def test_bed_cannot_be_held_by_hand(provider_client: TestClient, session: Session, provider: Organisation) -> None:
    house = make_house(session, provider, beds=1)
    bed = provider_client.get(f"/api/houses/{house.id}/beds").json()[0]
    response = provider_client.patch(f"/api/beds/{bed['id']}", json={"status": "held"})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "status"],
            "msg": "a bed is held only by an officer's hold, not by hand",
            "type": "value_error",
        }
    ]
    assert provider_client.get(f"/api/houses/{house.id}/beds").json()[0]["status"] == "available"


def test_unknown_bed_status_is_rejected(provider_client: TestClient, session: Session, provider: Organisation) -> None:
    house = make_house(session, provider, beds=1)
    bed = provider_client.get(f"/api/houses/{house.id}/beds").json()[0]
    response = provider_client.patch(f"/api/beds/{bed['id']}", json={"status": "Occupied"})
    assert response.status_code == 422
    assert problem_fields(response) == ["status"]


def test_unknown_bed_is_404(provider_client: TestClient) -> None:
    response = provider_client.patch("/api/beds/999999", json={"status": "occupied"})
    assert response.status_code == 404
    assert response.json()["detail"] == "no bed with id 999999"


def test_confirm_house_makes_stale_vacancies_fresh(
    client: TestClient, session: Session, provider: Organisation
) -> None:
    with freeze_time("2025-03-01 09:00:00") as frozen:
        house = make_house(session, provider, beds=2)
        frozen.tick(timedelta(hours=30))
        log_in(client, make_user(session, Role.provider, provider))
        assert client.get(f"/api/houses/{house.id}").json()["stale"] is True
        response = client.post(f"/api/houses/{house.id}/confirm")
        beds = client.get(f"/api/houses/{house.id}/beds").json()
    assert response.status_code == 200, response.text
    assert response.json()["stale"] is False
    assert response.json()["vacancies_confirmed_at"] == "2025-03-02T15:00:00Z"
    assert [bed["status_confirmed_at"] for bed in beds] == ["2025-03-02T15:00:00Z"] * 2


# Provider staff: their own organisation only ----------------------------------------------------


@pytest.fixture
def other_house(session: Session) -> House:
    return make_house(session, make_organisation(session), beds=1)


def test_provider_cannot_change_another_organisations_house(
    provider_client: TestClient, session: Session, other_house: House
) -> None:
    name = other_house.display_name
    assert provider_client.patch(f"/api/houses/{other_house.id}", json={"display_name": "Mine"}).status_code == 403
    assert provider_client.post(f"/api/houses/{other_house.id}/confirm").status_code == 403
    assert provider_client.get(f"/api/houses/{other_house.id}").status_code == 403
    assert provider_client.get(f"/api/houses/{other_house.id}/beds").status_code == 403
    response = provider_client.post(f"/api/houses/{other_house.id}/beds", json=[{"label": "Extra"}])
    assert response.status_code == 403
    assert response.json()["detail"] == "only the house's own organisation may change it"
    session.refresh(other_house)
    assert other_house.display_name == name
    assert session.exec(select(func.count()).where(Bed.house_id == other_house.id)).one() == 1


def test_provider_cannot_change_another_organisations_bed(
    provider_client: TestClient, session: Session, other_house: House
) -> None:
    bed = session.exec(select(Bed).where(Bed.house_id == other_house.id)).one()
    response = provider_client.patch(f"/api/beds/{bed.id}", json={"status": "out_of_service"})
    assert response.status_code == 403
    assert response.json()["detail"] == "only the house's own organisation may change its beds"
    session.refresh(bed)
    assert bed.status == "available"


def test_provider_cannot_add_houses_to_another_organisation(provider_client: TestClient, session: Session) -> None:
    other = make_organisation(session)
    response = provider_client.post(f"/api/organisations/{other.id}/houses", json=house_data(bed_labels=["Room 1"]))
    assert response.status_code == 403
    response = provider_client.post(
        f"/api/organisations/{other.id}/houses/import",
        files={"file": ("houses.csv", house_csv(house_data()).encode(), "text/csv")},
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "only the organisation itself or an admin may add houses to it"
    assert house_count(session, other) == 0


def test_provider_lists_only_its_own_houses(
    provider_client: TestClient, session: Session, provider: Organisation, other_house: House
) -> None:
    own = [make_house(session, provider), make_house(session, provider)]
    listed = provider_client.get("/api/houses").json()
    assert [house["id"] for house in listed] == [house.id for house in own]
    assert provider_client.get(f"/api/houses?organisation_id={other_house.organisation_id}").json() == []


# Who sees the address ---------------------------------------------------------------------------


@pytest.fixture
def canary_house(session: Session, provider: Organisation) -> House:
    return make_house(session, provider, address=CANARY_ADDRESS, postcode=CANARY_POSTCODE)


def test_officer_never_sees_the_address(client: TestClient, session: Session, canary_house: House) -> None:
    log_in(client, make_user(session, Role.officer))
    listed = client.get("/api/houses")
    one = client.get(f"/api/houses/{canary_house.id}")
    for response in (listed, one):
        assert response.status_code == 200
        assert "Canary" not in response.text
        assert CANARY_POSTCODE not in response.text
    assert [house["display_name"] for house in listed.json()] == [canary_house.display_name]
    assert "address" not in one.json()
    assert "postcode" not in one.json()
    assert "address" not in listed.json()[0]


@pytest.mark.parametrize("role", [Role.provider, Role.admin])
def test_owner_and_admin_see_the_address(
    client: TestClient, session: Session, provider: Organisation, canary_house: House, role: Role
) -> None:
    log_in(client, make_user(session, role, provider if role == Role.provider else None))
    one = client.get(f"/api/houses/{canary_house.id}").json()
    listed = client.get("/api/houses").json()
    assert (one["address"], one["postcode"]) == (CANARY_ADDRESS, CANARY_POSTCODE)
    assert [(house["address"], house["postcode"]) for house in listed] == [(CANARY_ADDRESS, CANARY_POSTCODE)]


def test_public_house_schema_has_no_address(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert not {"address", "postcode"} & set(schemas["HousePublic"]["properties"])
    assert {"address", "postcode"} <= set(schemas["HouseConfidential"]["properties"])


# Commissioners ----------------------------------------------------------------------------------


def test_commissioner_sees_no_houses(client: TestClient, session: Session, canary_house: House) -> None:
    log_in(client, make_user(session, Role.commissioner))
    listed = client.get("/api/houses")
    assert listed.status_code == 403
    assert listed.json()["detail"] == "the commissioner role sees aggregate reports only"
    one = client.get(f"/api/houses/{canary_house.id}")
    assert one.status_code == 403
    assert "Canary" not in one.text


def test_commissioner_capacity_report_suppresses_small_numbers(
    client: TestClient, session: Session, provider: Organisation
) -> None:
    make_house(session, provider, beds=3, genders=["female"], nrm_stages=["recovery"], area="camden")
    make_house(session, provider, beds=6, genders=["male"], nrm_stages=["pre_nrm"], area="hackney")
    log_in(client, make_user(session, Role.commissioner))
    response = client.get("/api/reports/capacity")
    assert response.status_code == 200
    report = response.json()
    assert report["houses"] == "<5"
    by_gender = {row["group"]: (row["beds"], row["available"]) for row in report["by_gender_served"]}
    assert by_gender == {"female": ("<5", "<5"), "male": (6, 6), "non_binary": (0, 0)}
    by_region = {row["group"]: row["beds"] for row in report["by_region"]}
    assert (by_region["central_london"], by_region["east_london"], by_region["north_london"]) == ("<5", 6, 0)


# Importing houses from CSV ----------------------------------------------------------------------


def upload(client: TestClient, organisation: Organisation, text: str, *, dry_run: bool = False) -> Any:
    query = "?dry_run=true" if dry_run else ""
    return client.post(
        f"/api/organisations/{organisation.id}/houses/import{query}",
        files={"file": ("houses.csv", text.encode(), "text/csv")},
    )


def good_csv() -> str:
    return house_csv(
        house_data(display_name="Aspen House", bed_labels=["Room 1", "Room 2"]),
        house_data(display_name="Linden Lodge", bed_labels=["A", "B", "C"]),
    )


def test_import_writes_every_row(provider_client: TestClient, session: Session, provider: Organisation) -> None:
    response = upload(provider_client, provider, good_csv())
    assert response.status_code == 201, response.text
    assert response.json() == {"written": True, "houses": 2, "beds": 5, "problems": []}
    listed = provider_client.get("/api/houses").json()
    assert [(house["display_name"], house["beds"]["total"]) for house in listed] == [
        ("Aspen House", 2),
        ("Linden Lodge", 3),
    ]


def test_bad_import_lists_every_problem_and_writes_nothing(
    provider_client: TestClient, session: Session, provider: Organisation
) -> None:
    text = house_csv(
        house_data(display_name="Aspen House", bed_labels=["Room 1"]),
        house_data(display_name="Elder Place", area="atlantis", bed_labels=["Room 1"]),
        house_data(display_name="Fern Rooms", bed_labels=["Room 1", "room 1"]),
    )
    response = upload(provider_client, provider, text)
    assert response.status_code == 422
    body = response.json()
    assert body["written"] is False
    assert [(problem["row"], problem["field"], problem["value"]) for problem in body["problems"]] == [
        (3, "area", "atlantis"),
        (4, "bed_labels", "Room 1;room 1"),
    ]
    assert house_count(session, provider) == 0


def test_import_of_a_file_that_is_not_utf8_is_422(provider_client: TestClient, provider: Organisation) -> None:
    response = provider_client.post(
        f"/api/organisations/{provider.id}/houses/import",
        files={"file": ("houses.csv", "display_name\nCaf\xe9".encode("latin-1"), "text/csv")},
    )
    assert response.status_code == 422
    assert problem_fields(response) == ["file"]
    assert "save it as 'CSV UTF-8'" in response.json()["detail"][0]["msg"]


def test_import_dry_run_writes_nothing(provider_client: TestClient, session: Session, provider: Organisation) -> None:
    response = upload(provider_client, provider, good_csv(), dry_run=True)
    assert response.status_code == 200, response.text
    assert response.json() == {"written": False, "houses": 2, "beds": 5, "problems": []}
    assert house_count(session, provider) == 0


@pytest.mark.parametrize("dry_run", [False, True])
def test_import_only_into_a_provider(admin_client: TestClient, session: Session, dry_run: bool) -> None:
    police = make_organisation(session, type=OrganisationType.police)
    response = upload(admin_client, police, good_csv(), dry_run=dry_run)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "loc": ["body", "organisation_id"],
            "msg": f"{police.name} is not a provider organisation",
            "type": "value_error",
        }
    ]
    assert house_count(session, police) == 0


@pytest.fixture
def small_uploads(settings: Settings) -> Iterator[int]:
    limit = 200
    app.dependency_overrides[get_settings] = lambda: settings.model_copy(update={"max_upload_bytes": limit})
    yield limit
    del app.dependency_overrides[get_settings]


def test_import_over_the_size_limit_is_413(
    provider_client: TestClient, session: Session, provider: Organisation, small_uploads: int
) -> None:
    text = good_csv()
    assert len(text.encode()) > small_uploads
    response = upload(provider_client, provider, text)
    assert response.status_code == 413
    assert response.json()["detail"] == f"the file is over {small_uploads} bytes"
    assert house_count(session, provider) == 0


def test_import_at_the_size_limit_is_accepted(
    provider_client: TestClient, provider: Organisation, small_uploads: int
) -> None:
    text = house_csv(house_data(bed_labels=["Room 1"]))
    text += "\n" * (small_uploads - len(text.encode()))
    response = upload(provider_client, provider, text, dry_run=True)
    assert response.status_code == 200, response.text


# The API description ----------------------------------------------------------------------------


def test_openapi_lists_the_api_and_no_pages(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert set(response.json()["paths"]) == {
        "/api/auth/login",
        "/api/auth/logout",
        "/api/auth/me",
        "/api/vocabularies",
        "/api/organisations",
        "/api/organisations/{organisation_id}",
        "/api/organisations/{organisation_id}/houses",
        "/api/organisations/{organisation_id}/houses/import",
        "/api/houses",
        "/api/houses/{house_id}",
        "/api/houses/{house_id}/confirm",
        "/api/houses/{house_id}/beds",
        "/api/beds/{bed_id}",
        "/api/users",
        "/api/users/{user_id}",
        "/api/reports/capacity",
        "/api/search",
        "/api/requests",
        "/api/requests/{request_id}",
        "/api/requests/{request_id}/search",
        "/api/requests/{request_id}/holds",
        "/api/holds",
        "/api/holds/{hold_id}",
        "/api/holds/{hold_id}/accept",
        "/api/holds/{hold_id}/decline",
        "/api/holds/{hold_id}/cancel",
        "/api/requests/{request_id}/fallback",
        "/api/placements",
        "/api/placements/{placement_id}",
        "/api/placements/{placement_id}/decision",
        "/api/placements/{placement_id}/move-on",
        "/api/allocation/queue",
        "/api/allocation/proposal",
        "/api/allocation/confirm",
    }


def test_every_api_route_needs_a_log_in(client: TestClient) -> None:
    for path in ("/api/houses", "/api/organisations", "/api/reports/capacity", "/api/users", "/api/auth/me"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json()["detail"] == "log in first"
    assert client.get("/api/houses").headers["www-authenticate"] == "Bearer"


# Ids out of range ---------------------------------------------------------------------------------

# Every id the API takes, with a body the route would accept, so the id is the only problem.
ID_ROUTES = [
    ("GET", "/api/organisations/{id}", "organisation_id", {}),
    ("PATCH", "/api/organisations/{id}", "organisation_id", {"json": {"faith_based": True}}),
    ("POST", "/api/organisations/{id}/houses", "organisation_id", {"json": house_data(bed_labels=["Room 1"])}),
    (
        "POST",
        "/api/organisations/{id}/houses/import",
        "organisation_id",
        {"files": {"file": ("houses.csv", house_csv(house_data()).encode(), "text/csv")}},
    ),
    ("GET", "/api/houses?organisation_id={id}", "organisation_id", {}),
    ("GET", "/api/houses/{id}", "house_id", {}),
    ("PATCH", "/api/houses/{id}", "house_id", {"json": {"step_free": True}}),
    ("POST", "/api/houses/{id}/confirm", "house_id", {}),
    ("GET", "/api/houses/{id}/beds", "house_id", {}),
    ("POST", "/api/houses/{id}/beds", "house_id", {"json": [{"label": "Extra"}]}),
    ("PATCH", "/api/beds/{id}", "bed_id", {"json": {"status": "occupied"}}),
    ("POST", "/houses/{id}/confirm", "house_id", {}),
    ("PATCH", "/api/users/{id}", "user_id", {"json": {"is_active": True}}),
]
ID_PARAMS = [pytest.param(*route, id=f"{route[0]} {route[1]}") for route in ID_ROUTES]


@pytest.mark.parametrize("bad_id", [2**31, 10**20, 0, -1])
@pytest.mark.parametrize(("method", "path", "name", "request_kwargs"), ID_PARAMS)
def test_id_out_of_range_is_422_naming_it(
    admin_client: TestClient, method: str, path: str, name: str, request_kwargs: dict[str, Any], bad_id: int
) -> None:
    response = admin_client.request(method, path.format(id=bad_id), **request_kwargs)
    assert response.status_code == 422, response.text
    where = "query" if "?" in path else "path"
    assert [problem["loc"] for problem in response.json()["detail"]] == [[where, name]]


@pytest.mark.parametrize("bad_id", [2**31, 0])
def test_an_organisation_id_out_of_range_in_a_body_is_422(admin_client: TestClient, bad_id: int) -> None:
    body = {"email": "new.person@example.org", "password": "a long pass phrase", "role": "officer"}
    response = admin_client.post("/api/users", json=body | {"organisation_id": bad_id})
    assert response.status_code == 422, response.text
    assert problem_fields(response) == ["organisation_id"]


@pytest.mark.parametrize(("method", "path", "name", "request_kwargs"), ID_PARAMS)
def test_largest_id_is_looked_up(
    admin_client: TestClient, method: str, path: str, name: str, request_kwargs: dict[str, Any]
) -> None:
    response = admin_client.request(method, path.format(id=2**31 - 1), **request_kwargs)
    assert response.status_code == (200 if "?" in path else 404), response.text


# How many beds at once ----------------------------------------------------------------------------


def test_a_new_house_has_at_most_max_beds(admin_client: TestClient, session: Session, provider: Organisation) -> None:
    labels = [f"Room {number}" for number in range(1, MAX_BEDS + 2)]
    response = admin_client.post(f"/api/organisations/{provider.id}/houses", json=house_data(bed_labels=labels))
    assert response.status_code == 422, response.text
    assert problem_fields(response) == ["bed_labels"]
    assert house_count(session, provider) == 0
    response = admin_client.post(
        f"/api/organisations/{provider.id}/houses", json=house_data(bed_labels=labels[:MAX_BEDS])
    )
    assert response.status_code == 201, response.text
    assert response.json()["beds"]["total"] == MAX_BEDS


def bed_count(session: Session, house: House) -> int:
    return session.exec(select(func.count()).where(Bed.house_id == house.id)).one()


@pytest.mark.parametrize("count", [0, MAX_BEDS + 1])
def test_adding_no_beds_or_too_many_is_422(
    provider_client: TestClient, session: Session, provider: Organisation, count: int
) -> None:
    house = make_house(session, provider, beds=1)
    beds = [{"label": f"Extra {number}"} for number in range(count)]
    response = provider_client.post(f"/api/houses/{house.id}/beds", json=beds)
    assert response.status_code == 422, response.text
    assert problem_fields(response) == ["body"]
    assert bed_count(session, house) == 1


def test_adding_beds_up_to_the_limit(provider_client: TestClient, session: Session, provider: Organisation) -> None:
    house = make_house(session, provider, beds=0)
    for count in (1, MAX_BEDS - 1):
        beds = [{"label": f"Extra {count}-{number}"} for number in range(count)]
        response = provider_client.post(f"/api/houses/{house.id}/beds", json=beds)
        assert response.status_code == 201, response.text
        assert len(response.json()) == count
    assert bed_count(session, house) == MAX_BEDS
