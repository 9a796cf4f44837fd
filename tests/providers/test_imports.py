import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from capacity import service as capacity_service
from capacity.errors import InvalidError
from capacity.models import Bed, House, Organisation
from capacity.vocab import Area, ExploitationType, Gender, NrmStage, OrganisationType, SupportNeed
from providers.imports import COLUMNS, MAX_BEDS, REQUIRED_COLUMNS, ImportReport, decode, import_houses, read_rows
from tests.factories import make_house, make_organisation

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "houses.csv"

HEADER = ("display_name", "area", "address", "postcode", "genders", "nrm_stages", "languages", "beds", "bed_labels")


def row(**cells: str) -> dict[str, str]:
    """The cells of one good house, as a provider's spreadsheet would hold them."""
    number = cells.pop("n", "1")
    return {
        "display_name": f"Fictional House {number}",
        "area": "camden",
        "address": f"{number} Imaginary Road",
        "postcode": "ZZ99 1AA",
        "genders": "female",
        "nrm_stages": "recovery",
        "languages": "en;sq",
        "beds": "2",
        "bed_labels": "",
    } | cells


def csv_text(*rows: dict[str, str], columns: tuple[str, ...] = HEADER) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for cells in rows:
        writer.writerow([cells.get(column, "") for column in columns])
    return buffer.getvalue()


def totals(session: Session) -> tuple[int, int]:
    """How many houses and beds the database holds."""
    houses = session.exec(select(func.count()).select_from(House)).one()
    beds = session.exec(select(func.count()).select_from(Bed)).one()
    return houses, beds


def problems_of(report: ImportReport) -> list[tuple[int, str]]:
    return [(problem.row, problem.field) for problem in report.problems]


@pytest.fixture
def provider(session: Session) -> Organisation:
    """A provider that already has one house, so 'nothing written' is checked against a non-empty database."""
    organisation = make_organisation(session)
    make_house(session, organisation, display_name="Existing House", beds=2)
    return organisation


# A good file ----------------------------------------------------------------------------------------


def test_a_good_file_imports_every_house_and_bed(session: Session, provider: Organisation) -> None:
    before = totals(session)
    text = csv_text(
        row(n="1", beds="3", bed_labels="Room A;Room B;Attic"),
        row(n="2", beds="2", area="scotland", genders="male;female", nrm_stages="pre_nrm;move_on", languages="ALB;ti"),
        row(n="3", beds="", bed_labels="Flat 1"),
        row(n="4", beds="0"),
    )

    report = import_houses(session=session, organisation=provider, text=text)

    assert report == ImportReport(written=True, houses=4, beds=6, problems=[])
    assert totals(session) == (before[0] + 4, before[1] + 6)
    houses = {h.display_name: h for h in capacity_service.get_all_houses(session=session, organisation_id=provider.id)}
    assert set(houses) == {"Existing House", *(f"Fictional House {n}" for n in "1234")}
    second = houses["Fictional House 2"]
    assert second.area == Area.scotland
    assert second.genders == [Gender.female, Gender.male]
    assert second.nrm_stages == [NrmStage.move_on, NrmStage.pre_nrm]
    assert second.languages == ["sq", "ti"]
    assert second.address == "2 Imaginary Road"
    assert second.postcode == "ZZ99 1AA"
    beds = capacity_service.get_beds(session=session, house_ids=[h.id or 0 for h in houses.values()])
    assert [b.label for b in beds[houses["Fictional House 1"].id or 0]] == ["Attic", "Room A", "Room B"]
    assert [b.label for b in beds[second.id or 0]] == ["Bed 1", "Bed 2"]
    assert [b.label for b in beds[houses["Fictional House 3"].id or 0]] == ["Flat 1"]
    assert beds[houses["Fictional House 4"].id or 0] == []


def test_every_column_is_read(session: Session, provider: Organisation) -> None:
    cells = row(
        trans_inclusive="Yes",
        max_children="2",
        max_child_age="11",
        step_free="TRUE",
        specialisms="labour;sexual",
        extra_support="lgbt_plus",
        max_stay_days="90",
    )
    report = import_houses(session=session, organisation=provider, text=csv_text(cells, columns=COLUMNS))
    assert report.written
    [house] = [h for h in capacity_service.get_all_houses(session=session) if h.display_name == "Fictional House 1"]
    assert house.trans_inclusive is True
    assert (house.max_children, house.max_child_age) == (2, 11)
    assert house.step_free is True
    assert house.specialisms == [ExploitationType.labour, ExploitationType.sexual]
    assert house.extra_support == [SupportNeed.lgbt_plus]
    assert house.max_stay_days == 90


def test_optional_columns_left_empty_take_their_defaults(session: Session, provider: Organisation) -> None:
    cells = dict.fromkeys(COLUMNS, "") | {column: row()[column] for column in REQUIRED_COLUMNS}
    report = import_houses(session=session, organisation=provider, text=csv_text(cells, columns=COLUMNS))
    assert (report.written, report.houses, report.beds) == (True, 1, 0)
    [house] = [h for h in capacity_service.get_all_houses(session=session) if h.display_name == "Fictional House 1"]
    assert (house.trans_inclusive, house.step_free, house.max_children, house.max_child_age) == (False, False, 0, 0)
    assert (house.languages, house.specialisms, house.extra_support, house.max_stay_days) == ([], [], [], None)


def test_columns_may_come_in_any_order_and_cells_are_trimmed(session: Session, provider: Organisation) -> None:
    text = "  nrm_stages , genders,postcode,address,area,display_name\n"
    text += " recovery , female ; male , zz991aa ,1 Road,camden, Fir \n"
    report = import_houses(session=session, organisation=provider, text=text)
    assert report.written
    [house] = [h for h in capacity_service.get_all_houses(session=session) if h.display_name == "Fir"]
    assert house.genders == [Gender.female, Gender.male]
    assert house.postcode == "ZZ99 1AA"


def test_empty_columns_a_spreadsheet_adds_on_the_right_are_ignored(session: Session, provider: Organisation) -> None:
    text = "".join(line + ",,\r\n" for line in csv_text(row(n="1"), row(n="2")).splitlines())
    report = import_houses(session=session, organisation=provider, text=text)
    assert report.problems == [] and report.houses == 2


def test_a_cell_beyond_the_last_column_is_refused(session: Session, provider: Organisation) -> None:
    lines = csv_text(row(n="1"), row(n="2")).splitlines()
    text = "\r\n".join([lines[0], lines[1], lines[2] + ",surprise"]) + "\r\n"
    report = import_houses(session=session, organisation=provider, text=text)
    assert problems_of(report) == [(3, "row")]
    assert totals(session) == (1, 2)


def test_blank_rows_are_skipped(session: Session, provider: Organisation) -> None:
    text = csv_text(row(n="1"), {}, row(n="2"))
    assert import_houses(session=session, organisation=provider, text=text).houses == 2


def test_the_example_in_the_guide_imports(session: Session) -> None:
    organisation = make_organisation(session)
    report = import_houses(session=session, organisation=organisation, text=decode(EXAMPLE.read_bytes()))
    assert report.problems == []
    assert (report.written, report.houses, report.beds) == (True, 5, 16)
    houses = capacity_service.get_all_houses(session=session, organisation_id=organisation.id)
    assert len(houses) == 5
    assert all("(fictional)" in house.address and house.postcode.startswith("ZZ99 ") for house in houses)


# Bad files: the right row and field, and nothing written --------------------------------------------

BAD_FILES: dict[str, tuple[str, list[tuple[int, str]]]] = {
    "unknown area": (csv_text(row(n="1"), row(n="2", area="narnia")), [(3, "area")]),
    "area in words": (csv_text(row(n="1", area="Tower Hamlets")), [(2, "area")]),
    "unknown gender": (csv_text(row(n="1", genders="female;woman")), [(2, "genders")]),
    "unknown NRM stage": (csv_text(row(n="1", nrm_stages="after_cg")), [(2, "nrm_stages")]),
    "no gender": (csv_text(row(n="1", genders="")), [(2, "genders")]),
    "negative children": (
        csv_text(row(n="1", max_children="-1"), columns=(*HEADER, "max_children")),
        [(2, "max_children")],
    ),
    "negative stay": (
        csv_text(row(n="1", max_stay_days="-5"), columns=(*HEADER, "max_stay_days")),
        [(2, "max_stay_days")],
    ),
    "negative beds": (csv_text(row(n="1"), row(n="2", beds="-2")), [(3, "beds")]),
    "beds in words": (csv_text(row(n="1", beds="two")), [(2, "beds")]),
    "too many beds": (csv_text(row(n="1", beds=str(MAX_BEDS + 1))), [(2, "beds")]),
    "beds not a plain number": (csv_text(row(n="1", beds="²")), [(2, "beds")]),
    "unknown language": (csv_text(row(n="1"), row(n="2"), row(n="3", languages="en;zz")), [(4, "languages")]),
    "language in words": (csv_text(row(n="1", languages="english")), [(2, "languages")]),
    "children without an age": (
        csv_text(row(n="1", max_children="2", max_child_age="0"), columns=(*HEADER, "max_children", "max_child_age")),
        [(2, "max_child_age")],
    ),
    "children accepted, age left empty": (
        csv_text(row(n="1", max_children="2"), columns=(*HEADER, "max_children", "max_child_age")),
        [(2, "max_child_age")],
    ),
    "bad yes/no": (
        csv_text(row(n="1", trans_inclusive="sometimes"), columns=(*HEADER, "trans_inclusive")),
        [(2, "trans_inclusive")],
    ),
    "bad postcode": (csv_text(row(n="1", postcode="E16")), [(2, "postcode")]),
    "name gives the address away": (
        csv_text(row(n="1", display_name="1 Imaginary Road house")),
        [(2, "display_name")],
    ),
    "duplicate bed labels": (csv_text(row(n="1", beds="", bed_labels="Room 1;room 1")), [(2, "bed_labels")]),
    "beds disagrees with bed_labels": (csv_text(row(n="1", beds="3", bed_labels="Room 1;Room 2")), [(2, "beds")]),
    "duplicate house names in the file": (
        csv_text(row(n="1"), row(n="2"), row(n="1", address="9 Other Road")),
        [(4, "display_name")],
    ),
    "duplicate house name, other case": (
        csv_text(row(n="1"), row(n="2", display_name="fictional  HOUSE 1")),
        [(3, "display_name")],
    ),
    "house name the organisation already has": (
        csv_text(row(n="1"), row(n="2", display_name="existing house")),
        [(3, "display_name")],
    ),
    "unknown column": (csv_text(row(n="1"), columns=(*HEADER, "colour")), [(1, "header")]),
    "missing column": (csv_text(row(n="1"), columns=tuple(c for c in HEADER if c != "postcode")), [(1, "header")]),
    "unknown and missing columns": (
        csv_text(row(n="1"), columns=tuple("borough" if c == "area" else c for c in HEADER)),
        [(1, "header"), (1, "header")],
    ),
    "column named twice": (csv_text(row(n="1"), columns=(*HEADER, "beds")), [(1, "header")]),
    "more cells than columns": (
        csv_text(row(n="1")) + "A,camden,1 Road,ZZ99 1AA,female,recovery,en,1,,extra\r\n",
        [(3, "row")],
    ),
    "empty file": ("", [(1, "header")]),
    "header only": (csv_text(), [(2, "row")]),
    "header only, blank rows": (csv_text({}, {}), [(2, "row")]),
    "unclosed quote": (csv_text(row(n="1")) + '"Fir,camden\r\n', [(3, "row")]),
    "unclosed quote in the header": ('"display_name,area\r\n', [(1, "row")]),
}


@pytest.mark.parametrize(("text", "expected"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_names_the_row_and_field_and_writes_nothing(
    session: Session, provider: Organisation, text: str, expected: list[tuple[int, str]]
) -> None:
    before = totals(session)
    report = import_houses(session=session, organisation=provider, text=text)
    assert problems_of(report) == expected
    assert not report.written
    assert all(problem.message for problem in report.problems)
    assert totals(session) == before


def test_a_problem_shows_the_bad_value(session: Session, provider: Organisation) -> None:
    report = import_houses(session=session, organisation=provider, text=csv_text(row(n="1", area="narnia")))
    [problem] = report.problems
    assert problem.value == "narnia"
    assert "camden" in problem.message


def test_duplicate_house_names_say_where_the_first_is(session: Session, provider: Organisation) -> None:
    text = csv_text(row(n="1"), row(n="1", address="9 Other Road"), row(n="3", display_name="Existing House"))
    messages = [
        problem.message for problem in import_houses(session=session, organisation=provider, text=text).problems
    ]
    assert messages == [
        "duplicate house name (row 2)",
        "duplicate house name (this organisation already has one)",
    ]


def test_another_organisations_house_names_are_free(session: Session, provider: Organisation) -> None:
    other = make_organisation(session)
    report = import_houses(
        session=session, organisation=other, text=csv_text(row(n="1", display_name="Existing House"))
    )
    assert report.written


def test_every_bad_row_and_field_is_reported(session: Session, provider: Organisation) -> None:
    before = totals(session)
    columns = (*HEADER, "max_children", "max_child_age")
    text = csv_text(
        row(n="1"),
        row(n="2", area="narnia", languages="zz"),
        row(n="3"),
        row(n="4", max_children="1", max_child_age="0", beds="", bed_labels="A;a"),
        row(n="5", postcode="nowhere"),
        row(n="1", address="6 Road"),
        columns=columns,
    )
    report = import_houses(session=session, organisation=provider, text=text)
    assert problems_of(report) == [
        (3, "area"),
        (3, "languages"),
        (5, "bed_labels"),
        (5, "max_child_age"),
        (6, "postcode"),
        (7, "display_name"),
    ]
    assert (report.written, report.houses) == (False, 2)
    assert totals(session) == before


def test_row_numbers_count_records_as_a_spreadsheet_does(session: Session, provider: Organisation) -> None:
    # An address cell with a line break is one spreadsheet row spanning two lines of the file.
    text = csv_text(
        row(n="1", address="1 Imaginary Road\nLondon"),
        row(n="2", address="2 Imaginary Road\r\nLondon", area="narnia"),
        row(n="3", area="atlantis"),
    )
    assert problems_of(import_houses(session=session, organisation=provider, text=text)) == [(3, "area"), (4, "area")]


def test_a_blank_line_is_a_row(session: Session, provider: Organisation) -> None:
    header, first, second, end = csv_text(row(n="1"), row(n="2", area="narnia")).split("\r\n")
    text = "\r\n".join([header, first, "", second, end])
    assert problems_of(import_houses(session=session, organisation=provider, text=text)) == [(4, "area")]


def test_too_many_rows(session: Session, provider: Organisation, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("providers.imports.MAX_ROWS", 3)
    text = csv_text(*(row(n=str(n)) for n in range(1, 5)))
    assert problems_of(import_houses(session=session, organisation=provider, text=text)) == [(5, "row")]
    text = csv_text(*(row(n=str(n)) for n in range(1, 4)))
    assert import_houses(session=session, organisation=provider, text=text).written


def test_the_row_limit_counts_rows_not_problems(
    session: Session, provider: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("providers.imports.MAX_ROWS", 3)
    text = csv_text(*(row(n=str(n), area="narnia", languages="zz") for n in range(1, 4)))
    report = import_houses(session=session, organisation=provider, text=text)
    assert problems_of(report) == [(n, field) for n in (2, 3, 4) for field in ("area", "languages")]


def test_only_providers_import_houses_even_in_a_dry_run(session: Session) -> None:
    police = make_organisation(session, type=OrganisationType.police)
    before = totals(session)
    for dry_run in (True, False):
        with pytest.raises(InvalidError) as caught:
            import_houses(session=session, organisation=police, text=csv_text(row(n="1")), dry_run=dry_run)
        assert caught.value.field == "organisation_id"
    assert totals(session) == before


# Dry runs -------------------------------------------------------------------------------------------


def test_a_dry_run_counts_and_writes_nothing(session: Session, provider: Organisation) -> None:
    before = totals(session)
    text = csv_text(row(n="1", beds="3"), row(n="2", beds="", bed_labels="A;B"))
    report = import_houses(session=session, organisation=provider, text=text, dry_run=True)
    assert report == ImportReport(written=False, houses=2, beds=5, problems=[])
    assert totals(session) == before


def test_a_dry_run_reports_problems(session: Session, provider: Organisation) -> None:
    before = totals(session)
    report = import_houses(
        session=session, organisation=provider, text=csv_text(row(n="1"), row(n="2", area="x")), dry_run=True
    )
    assert problems_of(report) == [(3, "area")]
    assert totals(session) == before


# Reading the file -----------------------------------------------------------------------------------


def test_a_file_with_a_byte_order_mark_imports(session: Session, provider: Organisation) -> None:
    data = b"\xef\xbb\xbf" + csv_text(row(n="1", display_name="Café Lodge")).encode()
    text = decode(data)
    assert text.startswith("display_name,")
    report = import_houses(session=session, organisation=provider, text=text)
    assert (report.written, report.houses) == (True, 1)
    assert "Café Lodge" in [h.display_name for h in capacity_service.get_all_houses(session=session)]


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_a_file_that_is_not_utf8_is_refused(encoding: str) -> None:
    with pytest.raises(InvalidError) as caught:
        decode(csv_text(row(n="1", display_name="Café Lodge")).encode(encoding))
    assert caught.value.field == "file"
    assert "UTF-8" in caught.value.message


def test_read_rows_returns_the_rows_with_their_numbers() -> None:
    rows, problems = read_rows(csv_text(row(n="1"), {}, row(n="3")), existing_names=["Other"])
    assert problems == []
    assert [(r.number, r.house.display_name, r.bed_labels) for r in rows] == [
        (2, "Fictional House 1", ["Bed 1", "Bed 2"]),
        (4, "Fictional House 3", ["Bed 1", "Bed 2"]),
    ]


def test_read_rows_checks_names_against_existing_ones() -> None:
    rows, problems = read_rows(csv_text(row(n="1")), existing_names=["FICTIONAL HOUSE 1"])
    assert rows == []
    assert [(p.row, p.field) for p in problems] == [(2, "display_name")]
