"""CSV downloads: every export goes through here, is recorded in the audit log, and cannot run a formula."""

import csv
import io
from collections.abc import Iterable, Sequence
from typing import TextIO

from fastapi.responses import Response
from sqlmodel import Session

from capacity import audit
from capacity.audit import Action

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(
    session: Session,
    out: TextIO,
    *,
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    what: str,
    filename: str = "standard output",
) -> int:
    """Write the rows as CSV, recording the export (`what` says of what) and committing it; return the rows written."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([_cell(value) for value in row])
        count += 1
    audit.record(session, Action.export, detail=f"{what}: {count} rows, {filename}")
    session.commit()
    return count


def csv_download(
    session: Session, *, filename: str, columns: Sequence[str], rows: Iterable[Sequence[object]], what: str
) -> Response:
    """The rows as a CSV attachment; the export (`what` says of what) is recorded and committed first."""
    buffer = io.StringIO()
    write_csv(session, buffer, columns=columns, rows=rows, what=what, filename=filename)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
