"""Bulk import of houses and beds from CSV: every bad row and field reported, and all or nothing written."""

import csv
import io
from collections.abc import Sequence
from itertools import zip_longest

from pydantic import ValidationError
from sqlmodel import Session, SQLModel

from capacity import audit
from capacity import service as capacity_service
from capacity.audit import Action
from capacity.errors import InvalidError
from capacity.models import HouseCreate, Organisation
from providers import service as providers_service

LIST_SEPARATOR = ";"
MAX_ROWS = 2000
# Far above any real house; a bed count is expanded into labels, so a slip of the keyboard must not be.
MAX_BEDS = 500
REQUIRED_COLUMNS = ("display_name", "area", "address", "postcode", "genders", "nrm_stages")
OPTIONAL_COLUMNS = (
    "trans_inclusive",
    "max_children",
    "max_child_age",
    "languages",
    "step_free",
    "specialisms",
    "extra_support",
    "max_stay_days",
    "beds",
    "bed_labels",
)
LIST_COLUMNS = frozenset({"genders", "nrm_stages", "languages", "specialisms", "extra_support"})
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


class ImportProblem(SQLModel):
    """One bad field: `row` is the line number a spreadsheet shows (the header is row 1)."""

    row: int
    field: str
    message: str
    value: str = ""


class ImportReport(SQLModel):
    written: bool
    houses: int
    beds: int
    problems: list[ImportProblem]


class _Row(SQLModel):
    number: int
    house: HouseCreate
    bed_labels: list[str]


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(LIST_SEPARATOR) if part.strip()]


def _bed_labels(cells: dict[str, str], number: int, problems: list[ImportProblem]) -> list[str]:
    labels_cell, count_cell = cells.get("bed_labels", ""), cells.get("beds", "")
    labels = _split(labels_cell)
    if count_cell:
        if not count_cell.isdecimal() or int(count_cell) > MAX_BEDS:
            problems.append(
                ImportProblem(
                    row=number, field="beds", message=f"must be a whole number from 0 to {MAX_BEDS}", value=count_cell
                )
            )
            return []
        count = int(count_cell)
        if labels and len(labels) != count:
            problems.append(
                ImportProblem(
                    row=number,
                    field="beds",
                    message=f"says {count} beds but bed_labels lists {len(labels)}",
                    value=count_cell,
                )
            )
            return []
        labels = labels or [f"Bed {i}" for i in range(1, count + 1)]
    try:
        return providers_service.check_bed_labels(labels)
    except InvalidError as error:
        problems.append(ImportProblem(row=number, field="bed_labels", message=error.message, value=labels_cell))
        return []


def _parse_row(cells: dict[str, str], number: int, problems: list[ImportProblem]) -> _Row | None:
    values: dict[str, object] = {}
    for column in COLUMNS:
        if column in ("beds", "bed_labels"):
            continue
        cell = cells.get(column, "")
        if column in LIST_COLUMNS:
            values[column] = _split(cell)
        elif cell or column in REQUIRED_COLUMNS:
            values[column] = cell
    found = len(problems)
    labels = _bed_labels(cells, number, problems)
    try:
        house = HouseCreate.model_validate(values)
    except ValidationError as error:
        for detail in error.errors():
            field = str(detail["loc"][0]) if detail["loc"] else "row"
            problems.append(ImportProblem(row=number, field=field, message=detail["msg"], value=cells.get(field, "")))
        return None
    return _Row(number=number, house=house, bed_labels=labels) if len(problems) == found else None


def _header_problems(header: list[str]) -> list[ImportProblem]:
    problems: list[ImportProblem] = []
    if unknown := [name for name in header if name not in COLUMNS]:
        problems.append(
            ImportProblem(
                row=1, field="header", message=f"unknown columns: {', '.join(unknown)}; expected {', '.join(COLUMNS)}"
            )
        )
    if missing := [name for name in REQUIRED_COLUMNS if name not in header]:
        problems.append(ImportProblem(row=1, field="header", message=f"missing columns: {', '.join(missing)}"))
    if len(set(header)) != len(header):
        problems.append(ImportProblem(row=1, field="header", message="a column is named twice"))
    return problems


def read_rows(text: str, *, existing_names: Sequence[str] = ()) -> tuple[list[_Row], list[ImportProblem]]:
    """Parse and validate a whole CSV; return the good rows and every problem found."""
    problems: list[ImportProblem] = []
    rows: list[_Row] = []
    seen_names = {name.casefold(): 0 for name in existing_names}
    # Rows are numbered as a spreadsheet numbers them: one per record (a quoted cell may span lines), blank ones too.
    reader = csv.reader(io.StringIO(text), strict=True)
    number = 0
    try:
        header = [name.strip() for name in next(reader, [])]
        # Spreadsheets often save empty columns to the right of the data.
        while header and not header[-1]:
            header.pop()
        number = 1
        if not header:
            return [], [
                ImportProblem(row=1, field="header", message="the file is empty; the first row must name the columns")
            ]
        if problems := _header_problems(header):
            return [], problems
        for number, record in enumerate(reader, start=2):
            if number > MAX_ROWS + 1:
                problems.append(
                    ImportProblem(row=number, field="row", message=f"more than {MAX_ROWS} rows; split the file")
                )
                break
            if any(cell.strip() for cell in record[len(header) :]):
                problems.append(ImportProblem(row=number, field="row", message="more cells than columns"))
                continue
            record = record[: len(header)]
            cells = {column: value.strip() for column, value in zip_longest(header, record, fillvalue="")}
            if not any(cells.values()):
                continue
            row = _parse_row(cells, number, problems)
            if row is None:
                continue
            name = row.house.display_name.casefold()
            if name in seen_names:
                where = f"row {seen_names[name]}" if seen_names[name] else "this organisation already has one"
                problems.append(
                    ImportProblem(
                        row=number,
                        field="display_name",
                        message=f"duplicate house name ({where})",
                        value=row.house.display_name,
                    )
                )
                continue
            seen_names[name] = number
            rows.append(row)
    except csv.Error as error:
        problems.append(ImportProblem(row=number + 1, field="row", message=f"not valid CSV: {error}"))
    if not rows and not problems:
        problems.append(ImportProblem(row=2, field="row", message="the file has a header but no houses"))
    return rows, problems


def decode(data: bytes) -> str:
    """Decode an uploaded file as UTF-8 (with or without the byte-order mark spreadsheets add)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidError(
            "file", f"the file is not UTF-8 text (byte {error.start}); save it as 'CSV UTF-8'"
        ) from error


def import_houses(*, session: Session, organisation: Organisation, text: str, dry_run: bool = False) -> ImportReport:
    """Import houses and beds into an organisation: every row valid, or nothing written."""
    # Checked before reading, so that a dry run cannot pass a file the real import would refuse.
    if not capacity_service.is_provider(organisation):
        raise InvalidError("organisation_id", f"{organisation.name} is not a provider organisation")
    existing = [
        house.display_name
        for house in capacity_service.get_all_houses(session=session, organisation_id=organisation.id)
    ]
    rows, problems = read_rows(text, existing_names=existing)
    beds = sum(len(row.bed_labels) for row in rows)
    if problems or dry_run:
        return ImportReport(written=False, houses=len(rows), beds=beds, problems=problems)
    try:
        for row in rows:
            house = providers_service.new_house(organisation=organisation, data=row.house)
            session.add(house)
            session.flush()
            session.add_all(providers_service.new_beds(house=house, labels=row.bed_labels))
            audit.record(session, Action.house_created, object_type="house", object_id=house.id, detail="imported")
        detail = f"{len(rows)} houses, {beds} beds"
        audit.record(
            session, Action.houses_imported, object_type="organisation", object_id=organisation.id, detail=detail
        )
        capacity_service.commit(session=session, conflict="another import or edit added a house of the same name")
    except BaseException:
        session.rollback()
        raise
    return ImportReport(written=True, houses=len(rows), beds=beds, problems=[])
