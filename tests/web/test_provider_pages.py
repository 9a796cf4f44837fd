"""The provider's pages: the board of beds, the house form and the CSV import, whole and as htmx partials."""

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi.testclient import TestClient
from freezegun.api import FrozenDateTimeFactory
from sqlmodel import Session

from capacity import service as capacity_service
from capacity.models import Bed, House, Organisation, User
from capacity.vocab import BedStatus, OrganisationType, Role
from matching import holds
from providers import imports
from tests.factories import house_csv, house_data, log_in, make_house, make_organisation, make_request, make_user
from web.settings import Settings

HTMX = {"HX-Request": "true"}
HOUR = timedelta(hours=1)
SECRET_ADDRESS = "17 Canary Secret Mews"


@pytest.fixture
def provider(session: Session) -> Organisation:
    return make_organisation(session, name="Juniper Trust")


@pytest.fixture
def staff(session: Session, provider: Organisation) -> User:
    return make_user(session, Role.provider, provider)


@pytest.fixture
def house(session: Session, provider: Organisation) -> House:
    return make_house(session, provider, display_name="Harbour House", address=SECRET_ADDRESS, beds=3)


@pytest.fixture
def other_house(session: Session) -> House:
    return make_house(session, make_organisation(session, name="Rowan Refuge"), display_name="Rowan Lodge", beds=2)


@pytest.fixture
def provider_client(client: TestClient, staff: User) -> TestClient:
    return log_in(client, staff)


def parse(response: Any, *, htmx: bool, status: int = 200) -> BeautifulSoup:
    """Parse an HTML response and check it is a whole page, or only the content block when htmx asked."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = BeautifulSoup(response.text, "html.parser")
    if htmx:
        assert page.find(["html", "head", "body", "header", "main"]) is None
    else:
        main = page.find("main", id="main")
        assert isinstance(main, Tag) and main.find("h1") is not None
    return page


def text_of(tag: Tag | None) -> str:
    assert tag is not None
    return " ".join(tag.get_text(" ").split())


def one(page: BeautifulSoup | Tag, selector: str) -> Tag:
    found = page.select(selector)
    assert len(found) == 1, f"{selector}: {found}"
    return found[0]


def beds_of(session: Session, house: House) -> list[Bed]:
    assert house.id is not None
    beds = capacity_service.get_beds(session=session, house_ids=[house.id])[house.id]
    for bed in beds:
        session.refresh(bed)
    return beds


def buttons(tile: Tag) -> list[str]:
    return [text_of(button) for button in tile.find_all("button")]


def assert_labelled(page: BeautifulSoup) -> None:
    for field in page.find_all(["input", "select", "textarea"]):
        if field.get("type") in ("hidden", "submit"):
            continue
        assert field.get("id"), f"{field} has no id"
        assert page.find("label", attrs={"for": field["id"]}) is not None, f"{field} has no label"


# The board ----------------------------------------------------------------------------------------


def test_the_board_shows_each_house_with_its_beds_as_tiles(
    provider_client: TestClient, session: Session, house: House, other_house: House, htmx: bool
) -> None:
    page = parse(provider_client.get("/houses", headers=HTMX if htmx else {}), htmx=htmx)
    assert text_of(page.find("h1")) == "My houses"
    section = one(page, f"#board-{house.id}")
    assert text_of(section.find("h2")) == "Harbour House"
    assert SECRET_ADDRESS in text_of(section), "the house's own organisation sees its address"
    assert text_of(one(section, f"#free-{house.id}")) == "3 of 3 beds free"
    tiles = section.select("li.bed")
    assert [text_of(tile.find("strong")) for tile in tiles] == ["Room 1", "Room 2", "Room 3"]
    assert buttons(tiles[0]) == ["Occupied", "Out of use"]
    assert "Rowan Lodge" not in page.text, "another organisation's houses are not on the board"
    assert_labelled(page)


def test_the_home_page_leads_providers_to_the_board(provider_client: TestClient, house: House) -> None:
    home = BeautifulSoup(provider_client.get("/").text, "html.parser")
    assert home.find("a", href="/houses") is not None


def test_officers_have_no_board(client: TestClient, session: Session, house: House) -> None:
    log_in(client, make_user(session, Role.officer))
    assert client.get("/houses").status_code == 403
    assert BeautifulSoup(client.get("/").text, "html.parser").find("a", href="/houses") is None


def test_a_tap_changes_the_bed_and_answers_with_its_tile_and_the_free_count(
    provider_client: TestClient, session: Session, house: House
) -> None:
    bed = beds_of(session, house)[0]
    response = provider_client.post(f"/beds/{bed.id}/status", data={"status": "occupied"}, headers=HTMX)
    fragment = parse(response, htmx=True)
    tile = one(fragment, f"li#bed-{bed.id}")
    assert text_of(one(tile, ".bed-status")) == "Occupied"
    assert buttons(tile) == ["Free", "Out of use"]
    count = one(fragment, f"#free-{house.id}")
    assert count.get("hx-swap-oob") == "true" and text_of(count) == "2 of 3 beds free"
    session.refresh(bed)
    assert bed.status == BedStatus.occupied


def test_without_javascript_a_tap_goes_back_to_the_board(
    provider_client: TestClient, session: Session, house: House
) -> None:
    bed = beds_of(session, house)[1]
    response = provider_client.post(f"/beds/{bed.id}/status", data={"status": "out_of_service"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/houses#bed-{bed.id}"
    session.refresh(bed)
    assert bed.status == BedStatus.out_of_service


def test_a_held_bed_offers_no_change_and_a_tap_on_it_is_refused_in_words(
    provider_client: TestClient, session: Session, house: House
) -> None:
    officer = make_user(session, Role.officer)
    holds.hold(
        session=session,
        request=make_request(session, officer, nrm_stage="recovery"),
        house=house,
        officer=officer,
        expires_after=HOUR,
    )
    held = next(bed for bed in beds_of(session, house) if bed.status == BedStatus.held)
    board = BeautifulSoup(provider_client.get("/houses").text, "html.parser")
    tile = one(board, f"li#bed-{held.id}")
    assert buttons(tile) == [] and "accept or decline the hold" in text_of(tile)

    for headers, status in ((HTMX, 200), ({}, 409)):
        response = provider_client.post(f"/beds/{held.id}/status", data={"status": "available"}, headers=headers)
        page = parse(response, htmx=bool(headers), status=status)
        problem = one(page, f"li#bed-{held.id} .error")
        assert "held for a placement request" in text_of(problem)
        assert "Traceback" not in response.text
        session.refresh(held)
        assert held.status == BedStatus.held


def test_a_bed_in_a_live_placement_cannot_be_freed_by_hand(
    provider_client: TestClient, session: Session, house: House, staff: User
) -> None:
    officer = make_user(session, Role.officer)
    request = make_request(session, officer, nrm_stage="recovery")
    hold = holds.hold(session=session, request=request, house=house, officer=officer, expires_after=HOUR)
    holds.accept(session=session, hold=hold, provider=staff)
    placed = next(bed for bed in beds_of(session, house) if bed.status == BedStatus.occupied)
    tile = one(BeautifulSoup(provider_client.get("/houses").text, "html.parser"), f"li#bed-{placed.id}")
    assert buttons(tile) == [] and "move-on" in text_of(tile)
    response = provider_client.post(f"/beds/{placed.id}/status", data={"status": "available"}, headers=HTMX)
    assert "SafeBeds placement" in text_of(one(parse(response, htmx=True), ".error"))
    session.refresh(placed)
    assert placed.status == BedStatus.occupied


def test_stale_houses_say_how_long_since_they_were_confirmed_until_confirmed_again(
    client: TestClient, session: Session, staff: User, provider: Organisation, frozen: FrozenDateTimeFactory
) -> None:
    house = make_house(session, provider, beds=1)
    log_in(client, staff)
    fresh = one(BeautifulSoup(client.get("/houses").text, "html.parser"), f"#board-{house.id}")
    assert "stale" not in (fresh.get("class") or []) and text_of(one(fresh, ".confirmed")) == "Confirmed just now"

    frozen.tick(timedelta(days=3))
    log_in(client, staff)
    stale = one(BeautifulSoup(client.get("/houses").text, "html.parser"), f"#board-{house.id}")
    assert "stale" in (stale.get("class") or [])
    assert text_of(one(stale, ".confirmed .stale-flag")) == "Stale: confirmed 3 days ago"

    response = client.post(
        f"/houses/{house.id}/confirm", headers=HTMX | {"HX-Target": f"board-{house.id}"}, follow_redirects=False
    )
    section = one(parse(response, htmx=True), f"section#board-{house.id}")
    assert "stale" not in (section.get("class") or []) and text_of(one(section, ".confirmed")) == "Confirmed just now"
    without_javascript = client.post(f"/houses/{house.id}/confirm", follow_redirects=False)
    assert without_javascript.status_code == 303
    assert without_javascript.headers["location"] == f"/houses#board-{house.id}"


def test_a_tap_confirms_the_bed_but_not_the_house(
    client: TestClient, session: Session, staff: User, provider: Organisation, frozen: FrozenDateTimeFactory
) -> None:
    house = make_house(session, provider, beds=2)
    frozen.tick(timedelta(days=2))
    log_in(client, staff)
    bed = beds_of(session, house)[0]
    client.post(f"/beds/{bed.id}/status", data={"status": "occupied"}, headers=HTMX)
    session.refresh(bed)
    session.refresh(house)
    assert bed.status_confirmed_at > house.vacancies_confirmed_at
    section = one(BeautifulSoup(client.get("/houses").text, "html.parser"), f"#board-{house.id}")
    assert text_of(one(section, ".stale-flag")) == "Stale: confirmed 2 days ago"


def test_holds_waiting_for_an_answer_are_at_the_top_with_a_countdown_and_no_reference(
    provider_client: TestClient, session: Session, house: House
) -> None:
    officer = make_user(session, Role.officer)
    request = make_request(session, officer, reference="MSU-7731", languages=["sq"], nrm_stage="recovery")
    hold = holds.hold(session=session, request=request, house=house, officer=officer, expires_after=HOUR)
    page = BeautifulSoup(provider_client.get("/houses").text, "html.parser")
    incoming = one(page, f"li#incoming-{hold.id}")
    assert page.select("main section")[0] is incoming.find_parent("section"), "the holds come first"
    countdown = one(incoming, "time.countdown")
    assert countdown.get("datetime") == hold.expires_at.isoformat()
    assert text_of(countdown).startswith("until ")
    assert "Albanian" in text_of(incoming) and "MSU-7731" not in page.text
    assert [text_of(b) for b in incoming.find_all("button")] == ["Accept", "Decline"]
    assert one(incoming, "select[name=reason]").get("required") is not None


def test_beds_are_added_by_label_and_a_repeated_label_is_refused_keeping_what_was_typed(
    provider_client: TestClient, session: Session, house: House
) -> None:
    response = provider_client.post(f"/houses/{house.id}/beds", data={"labels": "Room 4, Garden room"}, headers=HTMX)
    section = one(parse(response, htmx=True), f"section#board-{house.id}")
    assert text_of(one(section, f"#free-{house.id}")) == "5 of 5 beds free"
    assert "Garden room" in [text_of(tile.find("strong")) for tile in section.select("li.bed")]

    response = provider_client.post(f"/houses/{house.id}/beds", data={"labels": "Room 1, Room 9"}, headers=HTMX)
    section = one(parse(response, htmx=True), f"section#board-{house.id}")
    assert "Duplicate bed labels: Room 1" in text_of(one(section, ".error"))
    assert one(section, f"#labels-{house.id}").get("value") == "Room 1, Room 9"
    assert len(beds_of(session, house)) == 5, "nothing half-added"


def test_admins_see_every_house_and_may_choose_one_organisation(
    client: TestClient, session: Session, house: House, other_house: House, htmx: bool
) -> None:
    log_in(client, make_user(session, Role.admin))
    page = parse(client.get("/houses", headers=HTMX if htmx else {}), htmx=htmx)
    assert {text_of(h) for h in page.select("section.board-house h2")} >= {"Harbour House", "Rowan Lodge"}
    assert "Rowan Refuge" in text_of(one(page, f"#board-{other_house.id}"))
    only = BeautifulSoup(client.get(f"/houses?organisation_id={house.organisation_id}").text, "html.parser")
    assert [text_of(h) for h in only.select("section.board-house h2")] == ["Harbour House"]


def test_a_provider_cannot_choose_another_organisations_board(
    client: TestClient, session: Session, house: House, other_house: House
) -> None:
    log_in(client, make_user(session, Role.provider, session.get(Organisation, house.organisation_id)))
    asked = BeautifulSoup(client.get(f"/houses?organisation_id={other_house.organisation_id}").text, "html.parser")
    assert [text_of(h) for h in asked.select("section.board-house h2")] == ["Harbour House"]


# Another organisation's things -----------------------------------------------------------------------


def test_another_organisations_provider_can_touch_none_of_it(
    client: TestClient, session: Session, house: House, other_house: House
) -> None:
    log_in(client, make_user(session, Role.provider, make_organisation(session, type=OrganisationType.refuge)))
    bed = beds_of(session, house)[0]
    before = house.model_dump()
    attempts = [
        ("POST", f"/beds/{bed.id}/status", {"status": "occupied"}),
        ("POST", f"/houses/{house.id}/beds", {"labels": "Room 9"}),
        ("POST", f"/houses/{house.id}/confirm", {}),
        ("GET", f"/houses/{house.id}/edit", None),
        ("POST", f"/houses/{house.id}/edit", house_data(display_name="Taken Over")),
    ]
    for method, path, data in attempts:
        for headers in ({}, HTMX):
            response = client.request(method, path, data=data, headers=headers, follow_redirects=False)
            assert response.status_code in (403, 404), f"{method} {path}: {response.status_code}"
            assert SECRET_ADDRESS not in response.text
    assert "Harbour House" not in client.get("/houses").text
    session.refresh(house)
    session.refresh(bed)
    assert house.model_dump() == before and bed.status == BedStatus.available
    assert len(beds_of(session, house)) == 3


# The house form ----------------------------------------------------------------------------------------


def test_the_edit_form_shows_every_detail_as_it_stands(provider_client: TestClient, house: House, htmx: bool) -> None:
    page = parse(provider_client.get(f"/houses/{house.id}/edit", headers=HTMX if htmx else {}), htmx=htmx)
    assert text_of(page.find("h1")) == "Edit Harbour House"
    assert one(page, "#display_name").get("value") == "Harbour House"
    assert one(page, "#address").get("value") == SECRET_ADDRESS
    assert one(page, "#area option[selected]").get("value") == "camden"
    assert one(page, "#genders").get("value") == "female" and one(page, "#genders").get("checked") is not None
    assert one(page, "#trans_inclusive").get("checked") is not None
    assert {box["value"] for box in page.select("input[name=languages][checked]")} == {"en", "sq"}
    assert [text_of(legend) for legend in page.select("form > fieldset > legend")] == [
        "The house",
        "Who it takes",
        "Support",
        "Where it is",
    ]
    assert_labelled(page)


def test_a_bad_edit_names_every_problem_keeps_what_was_typed_and_changes_nothing(
    provider_client: TestClient, session: Session, house: House
) -> None:
    before = house.model_dump()
    typed = house_data(display_name="", max_children="two", genders=[], postcode="nowhere", address="9 New Road")
    response = provider_client.post(f"/houses/{house.id}/edit", data=typed)
    page = parse(response, htmx=False, status=422)
    summary = one(page, ".error-summary")
    links = {str(link["href"]).lstrip("#"): text_of(link.parent) for link in summary.find_all("a")}
    assert list(links) == ["display_name", "genders", "max_children", "postcode"]
    assert "Enter a whole number" in links["max_children"] and "at least one" in links["genders"]
    for field in links:
        element = one(page, f"#{field}")
        assert element.name == "input", "each problem links to its field"
    assert one(page, "#max_children").get("value") == "two"
    assert one(page, "#postcode").get("aria-invalid") == "true"
    assert one(page, "#address").get("value") == "9 New Road"
    session.refresh(house)
    assert house.model_dump() == before


def test_a_name_giving_the_address_away_is_refused(provider_client: TestClient, session: Session, house: House) -> None:
    typed = house_data(display_name="Canary House", address=SECRET_ADDRESS)
    page = parse(provider_client.post(f"/houses/{house.id}/edit", data=typed), htmx=False, status=422)
    assert "Must not reveal the address" in text_of(one(page, "#display_name-error"))
    session.refresh(house)
    assert house.display_name == "Harbour House"


def test_a_good_edit_saves_all_of_it_and_goes_back_to_the_board(
    provider_client: TestClient, session: Session, house: House
) -> None:
    typed = house_data(
        display_name="Harbour Rooms",
        area="hackney",
        genders=["female", "non_binary"],
        nrm_stages=["pre_nrm", "recovery"],
        max_children="2",
        max_child_age="11",
        languages=["en", "ro"],
        step_free="on",
        specialisms=["labour"],
        max_stay_days="90",
        address="2 Other Road",
        postcode="e16an",
    )
    typed.pop("trans_inclusive")
    response = provider_client.post(f"/houses/{house.id}/edit", data=typed, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/houses?saved={house.id}#board-{house.id}"
    session.refresh(house)
    assert (house.display_name, house.area, house.postcode, house.max_stay_days) == (
        "Harbour Rooms",
        "hackney",
        "E1 6AN",
        90,
    )
    assert house.genders == ["female", "non_binary"] and not house.trans_inclusive and house.step_free
    board = BeautifulSoup(provider_client.get(response.headers["location"]).text, "html.parser")
    assert text_of(one(board, ".notice")) == "Saved Harbour Rooms."


def test_a_new_house_uses_the_same_form_and_is_added_with_its_beds(
    provider_client: TestClient, session: Session, provider: Organisation, htmx: bool
) -> None:
    page = parse(provider_client.get("/houses/new", headers=HTMX if htmx else {}), htmx=htmx)
    assert text_of(page.find("h1")) == "Add a house"
    assert page.find(id="organisation_id") is None, "provider staff add houses to their own organisation"
    assert page.find(id="bed_labels") is not None
    assert_labelled(page)
    typed = house_data(display_name="Willow House") | {"bed_labels": "Room A\nRoom B, Room C"}
    response = provider_client.post("/houses/new", data=typed, follow_redirects=False)
    assert response.status_code == 303
    created = capacity_service.get_all_houses(session=session, organisation_id=provider.id)
    willow = next(h for h in created if h.display_name == "Willow House")
    assert [bed.label for bed in beds_of(session, willow)] == ["Room A", "Room B", "Room C"]


def test_a_new_house_with_problems_adds_nothing(
    provider_client: TestClient, session: Session, provider: Organisation
) -> None:
    typed = house_data(display_name="Willow House", area="") | {"bed_labels": "Room A, room a"}
    page = parse(provider_client.post("/houses/new", data=typed), htmx=False, status=422)
    assert "area" in [str(link["href"]).lstrip("#") for link in page.select(".error-summary a")]
    assert one(page, "#bed_labels").text == "Room A, room a"
    assert capacity_service.get_all_houses(session=session, organisation_id=provider.id) == []


def test_an_admin_chooses_the_organisation_of_a_new_house(
    client: TestClient, session: Session, provider: Organisation
) -> None:
    log_in(client, make_user(session, Role.admin))
    page = BeautifulSoup(client.get("/houses/new").text, "html.parser")
    assert "Juniper Trust" in [text_of(option) for option in page.select("#organisation_id option")]
    missing = parse(client.post("/houses/new", data=house_data()), htmx=False, status=422)
    assert [link["href"] for link in missing.select(".error-summary a")] == ["#organisation_id"]
    typed = house_data(display_name="Aspen House") | {"organisation_id": str(provider.id)}
    assert client.post("/houses/new", data=typed, follow_redirects=False).status_code == 303
    names = [h.display_name for h in capacity_service.get_all_houses(session=session, organisation_id=provider.id)]
    assert names == ["Aspen House"]
    police = make_organisation(session, type=OrganisationType.police)
    refused = house_data(display_name="Birch House") | {"organisation_id": str(police.id)}
    assert client.post("/houses/new", data=refused).status_code == 422
    assert capacity_service.get_all_houses(session=session, organisation_id=police.id) == []


# Importing from CSV ---------------------------------------------------------------------------------


def upload(client: TestClient, text: str | bytes, *, action: str, headers: dict[str, str] | None = None) -> Any:
    content = text.encode() if isinstance(text, str) else text
    return client.post(
        "/houses/import",
        files={"file": ("houses.csv", content, "text/csv")},
        data={"action": action},
        headers=headers or {},
    )


def test_the_import_page_explains_the_format_from_the_importers_own_columns(
    provider_client: TestClient, htmx: bool
) -> None:
    page = parse(provider_client.get("/houses/import", headers=HTMX if htmx else {}), htmx=htmx)
    columns = [text_of(cell) for cell in page.select("table.columns tbody th")]
    assert columns == list(imports.COLUMNS)
    assert [text_of(b) for b in page.select(".import-form button")] == ["Check only", "Import"]
    assert one(page, ".import-form").get("enctype") == "multipart/form-data"
    assert page.find("a", href="/houses/import/guide") is not None
    assert_labelled(page)
    template = provider_client.get("/houses/import/columns.csv")
    assert template.text.strip() == ",".join(imports.COLUMNS)
    assert "# Importing houses and beds from CSV" in provider_client.get("/houses/import/guide").text


def test_a_dry_run_says_what_would_be_imported_and_creates_nothing(
    provider_client: TestClient, session: Session, provider: Organisation, htmx: bool
) -> None:
    text = house_csv(house_data(beds=2), house_data(bed_labels=["A", "B", "C"]))
    page = parse(upload(provider_client, text, action="check", headers=HTMX if htmx else {}), htmx=htmx)
    assert "2 houses with 5 beds would be imported into Juniper Trust" in text_of(one(page, ".notice"))
    assert capacity_service.get_all_houses(session=session, organisation_id=provider.id) == []


def test_an_import_creates_the_houses_and_says_how_many(
    provider_client: TestClient, session: Session, provider: Organisation
) -> None:
    text = house_csv(house_data(beds=2), house_data(bed_labels=["A", "B", "C"]))
    page = parse(upload(provider_client, text, action="import"), htmx=False)
    assert "Imported 2 houses with 5 beds into Juniper Trust." in text_of(one(page, ".notice"))
    assert len(capacity_service.get_all_houses(session=session, organisation_id=provider.id)) == 2


def test_a_bad_file_lists_every_row_error_and_imports_nothing(
    provider_client: TestClient, session: Session, provider: Organisation, htmx: bool
) -> None:
    text = house_csv(house_data(), house_data(area="narnia"), house_data(postcode="nope", genders=["alien"]))
    page = parse(upload(provider_client, text, action="import", headers=HTMX if htmx else {}), htmx=htmx, status=422)
    table = one(page, "table.problems")
    assert table.find("caption") is not None
    rows = [[text_of(cell) for cell in row.find_all(["th", "td"])][:2] for row in table.select("tbody tr")]
    assert sorted(rows) == [["3", "area"], ["4", "genders"], ["4", "postcode"]]
    assert "Value error" not in text_of(table)
    assert "Nothing was imported" in text_of(one(page, ".error-summary h2"))
    assert capacity_service.get_all_houses(session=session, organisation_id=provider.id) == []


def test_an_oversized_file_is_refused_with_a_readable_page(
    provider_client: TestClient, session: Session, settings: Settings, provider: Organisation
) -> None:
    settings.max_upload_bytes = 100
    response = upload(provider_client, house_csv(house_data(), house_data()), action="import")
    page = parse(response, htmx=False, status=413)
    assert "larger than 100 bytes" in text_of(one(page, ".error-summary"))
    assert capacity_service.get_all_houses(session=session, organisation_id=provider.id) == []


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"display_name,area\n\xff\xfe oops", "not UTF-8"), (None, "Choose a CSV file")],
)
def test_a_file_that_cannot_be_read_is_named_in_words(
    provider_client: TestClient, content: bytes | None, words: str
) -> None:
    if content is None:
        response = provider_client.post("/houses/import", data={"action": "check"})
    else:
        response = upload(provider_client, content, action="check")
    assert words in text_of(one(parse(response, htmx=False, status=422), ".error-summary"))


def test_provider_staff_import_into_their_own_organisation_whatever_is_sent(
    provider_client: TestClient, session: Session, provider: Organisation, other_house: House
) -> None:
    response = provider_client.post(
        "/houses/import",
        files={"file": ("houses.csv", house_csv(house_data()).encode(), "text/csv")},
        data={"action": "import", "organisation_id": str(other_house.organisation_id)},
    )
    assert response.status_code == 200
    assert len(capacity_service.get_all_houses(session=session, organisation_id=provider.id)) == 1
    assert len(capacity_service.get_all_houses(session=session, organisation_id=other_house.organisation_id)) == 1


def test_the_confirmation_line_names_only_a_house_the_user_keeps(
    provider_client: TestClient, other_house: House
) -> None:
    board = BeautifulSoup(provider_client.get(f"/houses?saved={other_house.id}").text, "html.parser")
    assert board.select(".notice") == [] and "Rowan Lodge" not in board.text


def test_the_board_links_every_page(provider_client: TestClient, house: House) -> None:
    board = BeautifulSoup(provider_client.get("/houses").text, "html.parser")
    paths = {urlsplit(str(a["href"])).path for a in board.find_all("a", href=True)}
    assert {"/houses/new", "/houses/import", f"/houses/{house.id}/edit"} <= paths
