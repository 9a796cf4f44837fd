"""The commissioner's gaps dashboard, its CSVs, and where a person was found, through the API and the find form."""

import csv
import io
from collections import Counter
from datetime import timedelta
from typing import TypeVar

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi.testclient import TestClient
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory
from sqlmodel import Session, select

from capacity.models import User
from capacity.reporting import SUPPRESSED
from capacity.vocab import Area, Region, Role, region_of
from matching import holds, reporting
from matching.disclosure import NOT_SHOWN
from matching.eligibility import Reason
from matching.models import Fallback, PlacementRequest, RequestReason
from matching.reporting import Group
from tests.factories import log_in, make_house, make_organisation, make_request, make_user, request_data
from tests.matching.test_disclosure import assert_nothing_small_pinned_down, keeping
from tests.web.conftest import DEMO_NOW, LoadedDemo

T = TypeVar("T")
HTMX = {"HX-Request": "true"}
HOUR = timedelta(hours=1)
PERIOD = {"from": "2025-03-01", "to": "2025-03-31"}


def soup(text: str) -> BeautifulSoup:
    return BeautifulSoup(text, "html.parser")


def one(html: Tag, selector: str) -> Tag:
    """The one element the selector finds; failing the test when there is none."""
    found = html.select_one(selector)
    assert found is not None, f"nothing matches {selector}"
    return found


def cells(html: Tag, caption: str, heading: str) -> list[str]:
    """The cells of one row, named by its heading, of the table with this caption."""
    for table in html.select("table"):
        if table.caption is not None and table.caption.text == caption:
            for row in table.select("tbody tr"):
                if row.th is not None and row.th.text == heading:
                    return [cell.text for cell in row.find_all("td")]
    raise AssertionError(f"no row {heading!r} in a table {caption!r}")


def tiles_of(html: Tag) -> dict[str, Tag]:
    return {one(tile, ".tile-name").text: tile for tile in html.select(".tile-map g.tile")}


@pytest.fixture
def commissioner_client(client: TestClient, session: Session) -> TestClient:
    return log_in(client, make_user(session, Role.commissioner))


@pytest.fixture
def history(session: Session, frozen: FrozenDateTimeFactory) -> list[PlacementRequest]:
    """Seven people found in Camden, six placed within the hour; one man in Wales who went to a hotel."""
    provider_org = make_organisation(session)
    house = make_house(
        session, provider_org, beds=7, genders=["female"], nrm_stages=["pre_nrm"], address="9 Hidden Road"
    )
    officer, provider = make_user(session, Role.officer), make_user(session, Role.provider, provider_org)
    made = []
    for _ in range(6):
        request = make_request(session, officer, found_area="camden")
        hold = holds.hold(session=session, request=request, house=house, officer=officer, expires_after=2 * HOUR)
        frozen.tick(HOUR)
        holds.accept(session=session, hold=hold, provider=provider)
        made.append(request)
    man = make_request(session, officer, gender="male", found_area="wales", reference="MSU-7777")
    made.append(holds.record_fallback(session=session, request=man, fallback=Fallback.hotel))
    return made


def test_the_dashboard_shows_every_table_for_the_period_with_small_counts_suppressed(
    commissioner_client: TestClient, history: list[PlacementRequest]
) -> None:
    page = commissioner_client.get("/gaps", params=PERIOD)
    assert page.status_code == 200
    html = soup(page.text)
    assert html.find("html") is not None and html.select_one("form.period-form") is not None
    heading = html.find("h1")
    assert heading is not None and "1 March 2025 to 31 March 2025" in heading.text
    captions = [caption.text for caption in html.find_all("caption")]
    assert len(captions) == len(reporting.TABLE_NAMES)
    for table in html.select("table.figures"):
        rows = table.select("th[scope=row]") or table.select("td[colspan]")  # or "None in this period."
        assert table.find("caption") is not None and table.select("th[scope=col]") and rows
    headline = "Requests and what became of them"
    # 7 requests, 6 placed: both shown, they would tell the one not placed.
    assert cells(html, headline, "Requests made") == ["7", ""]
    placed, unplaced = (cells(html, headline, row)[0] for row in ("Placed in a SafeBeds house", "Not placed"))
    assert "not shown" in (placed, unplaced)
    for count in ("1", "2", "3", "4"):
        assert not html.find("td", string=count), f"a count of {count} shows unsuppressed"
    assert "MSU-7777" not in page.text and "Hidden Road" not in page.text, "aggregates only"
    # The man was not placed: a house had a free bed but took women only.
    relaxed = "Requests not placed within 24 hours: what would have placed them when they were made"
    assert set(cells(html, relaxed, "A house with a free bed that took their gender")) <= {"<5", "not shown"}


def test_the_map_shades_each_tile_by_unmet_need_and_suppresses_its_count(
    commissioner_client: TestClient, history: list[PlacementRequest]
) -> None:
    html = soup(commissioner_client.get("/gaps", params=PERIOD).text)
    svg = one(html, ".tile-map svg")
    assert svg["role"] == "img" and svg.find("title") and svg.find("desc")
    tiles = tiles_of(html)
    assert len(tiles) == 33
    assert "shade-0" in tiles["Cam"]["class"] and one(tiles["Cam"], ".tile-count").text == "0"
    assert "shade-0" in tiles["Wst"]["class"]
    camden = cells(html, "Where people were found in London, by local authority", "Camden")
    assert camden[0] == "not shown" and camden[2] == "0", "Camden's 6 and all 7 would tell Wales's 1"
    wales = cells(html, "Found outside London, or where not given", "Wales")
    assert wales[1] == "0" and set(wales[::2]) <= {"<5", "not shown"}
    hidden = [tile for tile in tiles.values() if "shade-6" in tile["class"]]
    assert all(one(tile, ".tile-count").text == "–" for tile in hidden), "a tile has no room for the words"


def test_a_suppressed_count_shades_and_draws_the_same_whatever_it_is(
    commissioner_client: TestClient, session: Session, frozen: FrozenDateTimeFactory
) -> None:
    officer = make_user(session, Role.officer)
    make_request(session, officer, found_area="hackney")
    for _ in range(3):
        make_request(session, officer, found_area="newham")
    html = soup(commissioner_client.get("/gaps", params=PERIOD).text)
    tiles = tiles_of(html)
    for short in ("Hck", "New"):
        assert "shade-1" in tiles[short]["class"] and one(tiles[short], ".tile-count").text == "<5"
    (bar,) = html.select(".month-chart g.bar")
    assert one(bar, ".bar-count").text == "<5"
    assert one(bar, "title").text == "Mar 2025: requests <5, placed 0, not placed <5"
    assert one(bar, ".bar-placed")["width"] == "0.0"


def test_the_period_is_refreshed_as_an_htmx_fragment(
    commissioner_client: TestClient, history: list[PlacementRequest]
) -> None:
    fragment = commissioner_client.get("/gaps", params={"from": "2025-04-01", "to": "2025-04-30"}, headers=HTMX)
    assert fragment.status_code == 200
    html = soup(fragment.text)
    assert html.find("html") is None and html.find("form") is None
    report = html.find(id="report")
    assert report is not None
    period = html.find(id="gaps-period")
    assert period is not None and period["hx-swap-oob"] == "true" and "1 April 2025 to 30 April 2025" in period.text
    assert cells(report, "Requests and what became of them", "Requests made") == ["0", ""]
    assert report.select_one('a[href="/gaps/headline.csv?from=2025-04-01&to=2025-04-30"]') is not None


def test_without_dates_the_period_is_the_last_twelve_months(
    commissioner_client: TestClient, history: list[PlacementRequest]
) -> None:
    html = soup(commissioner_client.get("/gaps").text)
    assert one(html, "#from")["value"] == "2024-03-04" and one(html, "#to")["value"] == "2025-03-03"
    assert one(html, "h1").text.endswith("4 March 2024 to 3 March 2025")


@pytest.mark.parametrize(
    ("period", "field", "words"),
    [
        ({"from": "yesterday"}, "from", "year-month-day"),
        ({"to": "2025-13-01"}, "to", "year-month-day"),
        ({"from": "2025-03-02", "to": "2025-03-01"}, "to", "must not be before"),
        ({"from": "2001-01-01", "to": "2025-03-01"}, "to", "at most ten years"),
    ],
)
@pytest.mark.parametrize("headers", [{}, HTMX])
def test_a_bad_period_is_named_and_explained(
    commissioner_client: TestClient, period: dict[str, str], field: str, words: str, headers: dict[str, str]
) -> None:
    response = commissioner_client.get("/gaps", params=period, headers=headers)
    assert response.status_code == 200
    html = soup(response.text)
    assert words in one(html, f"li#{field}-problem").text
    assert one(html, f"li#{field}-problem a")["href"] == f"#{field}"
    if not headers:
        assert one(html, f"#{field}")["aria-describedby"] == f"{field}-problem"
    assert html.select("table") == []
    csv_response = commissioner_client.get("/gaps/headline.csv", params=period)
    assert csv_response.status_code == 422 and csv_response.json()["detail"][0]["loc"] == ["query", field]


@pytest.mark.parametrize("table", reporting.TABLE_NAMES)
def test_every_table_downloads_as_csv_with_small_counts_suppressed(
    commissioner_client: TestClient, history: list[PlacementRequest], table: str
) -> None:
    response = commissioner_client.get(f"/gaps/{table}.csv", params=PERIOD)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="safebeds-{table}-2025-03-01-to-2025-03-31.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] and all(len(row) == len(rows[0]) for row in rows)
    cells = [cell for row in rows[1:] for cell in row[1:]]
    assert not set(cells) & {"1", "2", "3", "4"}
    assert "MSU-7777" not in response.text


def test_the_csv_holds_the_same_figures_as_the_page(
    commissioner_client: TestClient, history: list[PlacementRequest]
) -> None:
    rows = list(csv.reader(io.StringIO(commissioner_client.get("/gaps/groups.csv", params=PERIOD).text)))
    assert rows[0] == ["Group", "Requests", "Placed", "Placed in 24 h", "Not placed", "Share placed"]
    by_group = {row[0]: row[1:] for row in rows[1:]}
    page = soup(commissioner_client.get("/gaps", params=PERIOD).text)
    for group in ("Women", "Men"):
        assert by_group[group] == cells(page, "By group (a request may be in several)", group)
    assert by_group["Women"][3] == "0" and "not shown" in by_group["Women"][:2]


def test_an_unknown_table_is_404(commissioner_client: TestClient) -> None:
    assert commissioner_client.get("/gaps/people.csv").status_code == 404


@pytest.mark.parametrize("role", [Role.officer, Role.provider, Role.coordinator])
def test_only_commissioners_and_admins_see_the_gaps(client: TestClient, session: Session, role: Role) -> None:
    log_in(client, make_user(session, role))
    assert client.get("/gaps").status_code == 403
    assert client.get("/gaps/headline.csv").status_code == 403
    assert 'href="/gaps"' not in client.get("/").text


@pytest.mark.parametrize("role", [Role.commissioner, Role.admin])
def test_the_home_page_leads_commissioners_and_admins_to_the_gaps(
    client: TestClient, session: Session, role: Role
) -> None:
    log_in(client, make_user(session, role))
    link = soup(client.get("/").text).select_one('a.button[href="/gaps"]')
    assert link is not None and "The gaps" in link.text
    assert client.get("/gaps").status_code == 200


# Where the person is now -------------------------------------------------------------------------


@pytest.fixture
def officer(session: Session) -> User:
    return make_user(session, Role.officer)


def test_the_api_records_and_returns_where_the_person_was_found(
    client: TestClient, session: Session, officer: User
) -> None:
    log_in(client, officer)
    made = client.post("/api/requests", json=request_data(found_area="tower_hamlets"))
    assert made.status_code == 201 and made.json()["found_area"] == "tower_hamlets"
    unsaid = client.post("/api/requests", json=request_data())
    assert unsaid.status_code == 201 and unsaid.json()["found_area"] is None
    bad = client.post("/api/requests", json=request_data(found_area="atlantis"))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "found_area"]


def test_the_find_form_asks_where_the_person_is_now_without_requiring_it(
    client: TestClient, session: Session, officer: User
) -> None:
    log_in(client, officer)
    html = soup(client.get("/find").text)
    field = html.select_one("select#found_area")
    assert field is not None and not field.has_attr("required")
    label = html.find("label", attrs={"for": "found_area"})
    assert label is not None and label.text == "Where is the person now?"
    groups = [group["label"] for group in field.find_all("optgroup")]
    assert groups == ["Central London", "East London", "North London", "South London", "West London", "Outside London"]
    assert one(field, "option")["value"] == ""


def test_where_the_person_is_changes_no_result_and_is_recorded_with_the_hold(
    client: TestClient, session: Session, officer: User
) -> None:
    log_in(client, officer)
    house = make_house(session, make_organisation(session), beds=2)
    needs = {"gender": "female", "nrm_stage": "recovery", "reference": "MSU-2231"}
    without = soup(client.post("/find", data=needs, headers=HTMX).text).find(id="results")
    within = soup(client.post("/find", data=needs | {"found_area": "newham"}, headers=HTMX).text).find(id="results")
    assert str(without) == str(within)
    held = client.post("/find/hold", data=needs | {"found_area": "newham", "house_id": str(house.id)}, headers=HTMX)
    assert held.status_code == 200 and "Held:" in held.text
    (recorded,) = client.get("/api/requests").json()
    assert recorded["found_area"] == "newham"


def test_a_place_that_is_not_an_area_is_named_on_the_form(client: TestClient, session: Session, officer: User) -> None:
    log_in(client, officer)
    house = make_house(session, make_organisation(session))
    data = {"gender": "female", "nrm_stage": "recovery", "reference": "MSU-2231", "found_area": "atlantis"}
    response = client.post("/find/hold", data=data | {"house_id": str(house.id)}, headers=HTMX)
    assert soup(response.text).select_one('.error a[href="#found_area"]') is not None
    assert client.get("/api/requests").json() == []


# On the demo's year ------------------------------------------------------------------------------


def test_the_demo_finds_people_mostly_in_central_and_east_london_and_a_few_outside(demo_session: Session) -> None:
    found = demo_session.exec(select(PlacementRequest.found_area)).all()
    assert found and None not in found, "every demo request says where the person was found"
    regions = Counter(region_of(Area(area)) for area in found if area is not None)
    assert regions[Region.central_london] + regions[Region.east_london] > 0.6 * len(found)
    assert 0 < regions[Region.outside_london] < 0.05 * len(found)
    assert demo_session.exec(select(RequestReason.request_id)).first() is not None, "reasons were kept"


def test_on_the_demo_the_gap_for_men_and_pre_nrm_stands_out(demo_session: Session, loaded_demo: LoadedDemo) -> None:
    with freeze_time(DEMO_NOW):
        start, end = reporting.default_period()
        figures = reporting.figures(
            session=demo_session, start=start, end=end, stale_after=loaded_demo.settings.stale_after
        )
    groups = figures.groups

    def unmet(group: Group) -> float:
        return groups[group].unmet / groups[group].requests

    assert unmet(Group.men) > 1.5 * unmet(Group.women)
    assert unmet(Group.pre_nrm) > 3 * unmet(Group.recovery)
    not_housed = [reason for reason in figures.reasons if reason != reporting.MainReason.HOUSE_FITTED]
    assert max(not_housed, key=lambda r: figures.reasons[r][1]) == Reason.GENDER_NOT_SERVED


def test_on_the_demo_no_small_count_can_be_worked_out_and_the_big_ones_still_show(
    demo_session: Session, loaded_demo: LoadedDemo, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = keeping(monkeypatch, reporting)
    with freeze_time(DEMO_NOW):
        start, end = reporting.default_period()
        figures = reporting.figures(
            session=demo_session, start=start, end=end, stale_after=loaded_demo.settings.stale_after
        )
    tables = reporting.tables(figures)
    (cells,) = kept
    assert cells.exposed == []
    assert_nothing_small_pinned_down(cells)
    headline = {row.key: row.cells[1] for row in tables["headline"].rows}
    assert all(isinstance(headline[key], int) for key in ("requests", "placed", "placed_quickly", "unplaced")), headline
    assert isinstance(tables["reasons"].rows[0].cells[1], int), "the commonest reason, counted"
    groups = {row.key: row.cells[1:5] for row in tables["groups"].rows}
    assert all(isinstance(cell, int) for group in reporting.GAPS for cell in groups[group]), "what it is read for"
    every_cell = [cell for table in tables.values() for row in table.rows for cell in row.cells[1:]]
    assert sum(cell == SUPPRESSED for cell in every_cell) > 0
    withheld = sum(cell == NOT_SHOWN for cell in every_cell)
    assert withheld < 0.2 * len(every_cell), "hiding more to protect the small counts costs a little of the report"
