"""The provider's pages: a board of beds kept true in a tap, the house form, and the CSV import."""

import csv
import io
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, UploadFile, status
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from sqlmodel import Session

from capacity import audit
from capacity import service as capacity_service
from capacity.audit import Action
from capacity.errors import ConflictError, DomainError, InvalidError
from capacity.models import MAX_ID, Bed, BedUpdate, House, HouseUpdate, Organisation, User
from capacity.vocab import BedStatus
from matching import holds
from providers import imports
from providers import service as providers_service
from providers.imports import ImportReport
from web import authz
from web.api import houses as houses_api
from web.authz import Permission
from web.deps import CurrentUser, SessionDep, SettingsDep, is_htmx, managed_bed, managed_house, require
from web.house_form import (
    CHECKBOX_GROUPS,
    FIELD_LABELS,
    HouseForm,
    NewHouseForm,
    bed_labels,
    choices,
    form_of,
    house_from,
    language_choices,
)
from web.pages import incoming_holds, render, templates
from web.settings import Settings

router = APIRouter(include_in_schema=False)

Manager = Annotated[User, Depends(require(Permission.manage_own_houses))]
ManagedHouse = Annotated[House, Depends(managed_house)]
ManagedBed = Annotated[Bed, Depends(managed_bed)]
OrganisationChoice = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only this organisation's houses")]

STATUS_WORDS = {
    BedStatus.available: "Free",
    BedStatus.held: "Held",
    BedStatus.occupied: "Occupied",
    BedStatus.out_of_service: "Out of use",
}
# The changes a tap may make, from each status a provider sets by hand; a held bed changes only through its hold.
CHANGES = {
    BedStatus.available: (BedStatus.occupied, BedStatus.out_of_service),
    BedStatus.occupied: (BedStatus.available, BedStatus.out_of_service),
    BedStatus.out_of_service: (BedStatus.available, BedStatus.occupied),
    BedStatus.held: (),
}
PLACED = "This bed is occupied through a SafeBeds placement; it comes free when the move-on is recorded."
GUIDE = Path(__file__).parents[1] / "docs" / "csv-import.md"


def back_to_board(request: Request, *, anchor: str = "", **query: int) -> RedirectResponse:
    """See Other, to the board (and a place on it)."""
    url = request.url_for("my_houses").include_query_params(**query) if query else request.url_for("my_houses")
    target = url.path + (f"?{url.query}" if url.query else "") + (f"#{anchor}" if anchor else "")
    return RedirectResponse(target, status_code=status.HTTP_303_SEE_OTHER)


# The board -------------------------------------------------------------------------------------------


def _tiles(session: Session, beds: list[Bed]) -> list[dict[str, Any]]:
    """Each bed as its tile shows it: its status, whether a placement holds it, and the taps it offers."""
    occupied = [bed.id for bed in beds if bed.id is not None and bed.status == BedStatus.occupied]
    placed = holds.placed_bed_ids(session=session, bed_ids=occupied)
    return [
        {
            "bed": bed,
            "placed": bed.id in placed,
            "changes": [] if bed.id in placed else [(str(s), STATUS_WORDS[s]) for s in CHANGES[bed.status]],
        }
        for bed in beds
    ]


def _board(session: Session, settings: Settings, user: User, houses: list[House]) -> list[dict[str, Any]]:
    """The houses as the board shows them: described as the user may see them, each with its bed tiles."""
    described = houses_api.describe_for(user=user, session=session, settings=settings, houses=houses)
    beds = capacity_service.get_beds(session=session, house_ids=[house.id for house in houses if house.id])
    return [{"house": house, "tiles": _tiles(session, beds[house.id])} for house in described]


def _managed_houses(session: Session, user: User, organisation_id: int | None) -> list[House]:
    """The houses a user keeps: every house (or one organisation's) for admins, their organisation's for providers."""
    if not authz.has_permission(user, Permission.manage_any_house):
        organisation_id = user.organisation_id
    return list(capacity_service.get_all_houses(session=session, organisation_id=organisation_id))


def provider_organisations(session: Session, user: User) -> list[Organisation]:
    """The organisations an admin may choose between (none for provider staff, who keep their own)."""
    if not authz.has_permission(user, Permission.manage_any_house):
        return []
    return [o for o in capacity_service.get_all_organisations(session=session) if capacity_service.is_provider(o)]


def _board_page(
    request: Request,
    session: Session,
    settings: Settings,
    user: User,
    *,
    organisation_id: int | None = None,
    saved: str | None = None,
    problems: dict[int, str] | None = None,
    add_problems: dict[int, str] | None = None,
    typed: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The board whole; `problems` by bed id, and `add_problems` and `typed` by house id (its new beds)."""
    houses = _managed_houses(session, user, organisation_id)
    context: dict[str, Any] = {
        "user": user,
        "houses": _board(session, settings, user, houses),
        "organisations": provider_organisations(session, user),
        "organisation_id": organisation_id,
        "saved": saved,
        "problems": problems or {},
        "add_problems": add_problems or {},
        "typed": typed or {},
        "status_words": STATUS_WORDS,
    }
    context |= incoming_holds(session, user, [house.id for house in houses if house.id])
    return render(request, "houses.html", context, status_code=status_code)


@router.get("/houses", name="my_houses")
def my_houses(
    request: Request,
    user: Manager,
    session: SessionDep,
    settings: SettingsDep,
    organisation_id: OrganisationChoice = None,
    saved: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """My houses: each house as a board of beds, the holds waiting for an answer at the top."""
    said = None
    if saved is not None:
        house = capacity_service.get_house(session=session, house_id=saved)
        if house is not None and authz.can_manage_house(user, house):
            said = f"Saved {house.display_name}."
    return _board_page(request, session, settings, user, organisation_id=organisation_id, saved=said)


def _house_block(
    request: Request,
    session: Session,
    settings: Settings,
    user: User,
    house: House,
    *,
    add_problems: dict[int, str] | None = None,
    typed: dict[int, str] | None = None,
) -> Response:
    """One house of the board, for htmx to swap in."""
    entry = _board(session, settings, user, [house])[0]
    context = {
        "user": user,
        "entry": entry,
        "problems": {},
        "add_problems": add_problems or {},
        "typed": typed or {},
        "status_words": STATUS_WORDS,
    }
    return render(request, "houses.html", context, block="house")


@router.post("/houses/{house_id}/confirm", name="confirm_house")
def confirm_house(
    request: Request, house: ManagedHouse, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> Response:
    """All still correct: answers htmx with the refreshed house of the board, or the home page's row."""
    confirmed = providers_service.confirm_house(session=session, house=house)
    if not is_htmx(request):
        return back_to_board(request, anchor=f"board-{confirmed.id}")
    # Both pages post here; htmx names the element it swaps, and the answer is made to fit it.
    if request.headers.get("hx-target") == f"board-{confirmed.id}":
        return _house_block(request, session, settings, user, confirmed)
    described = houses_api.describe(session, confirmed, settings, confidential=True)
    return templates.TemplateResponse(
        request, "home.html", {"house": described, "manages": {confirmed.id}, "user": user}, block_name="house_row"
    )


@router.post("/beds/{bed_id}/status", name="set_bed_status")
def set_bed_status(
    request: Request,
    bed: ManagedBed,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    new_status: Annotated[str, Form(alias="status", max_length=32)] = "",
) -> Response:
    """One tap: a bed's new status; answers htmx with the bed's tile and its house's free count."""
    problem = None
    if new_status not in BedStatus.__members__:
        problem = "Choose the bed's new status."
    elif holds.bed_is_placed(session=session, bed_id=bed.id or 0):
        problem = PLACED
    else:
        try:
            providers_service.update_bed(session=session, bed=bed, data=BedUpdate(status=BedStatus(new_status)))
        except DomainError as error:
            problem = _sentence(error.message)
    session.refresh(bed)
    house = capacity_service.get_house(session=session, house_id=bed.house_id)
    assert house is not None and bed.id is not None
    problems = {bed.id: problem} if problem else {}
    if not is_htmx(request):
        if problem is None:
            return back_to_board(request, anchor=f"bed-{bed.id}")
        refused = status.HTTP_422_UNPROCESSABLE_CONTENT if new_status not in BedStatus.__members__ else None
        code = refused or status.HTTP_409_CONFLICT
        return _board_page(request, session, settings, user, problems=problems, status_code=code)
    context = {
        "user": user,
        "tile": _tiles(session, [bed])[0],
        "entry": {"house": houses_api.describe(session, house, settings, confidential=True)},
        "problems": problems,
        "status_words": STATUS_WORDS,
        "oob": True,
    }
    return render(request, "houses.html", context, block="bed")


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


@router.post("/houses/{house_id}/beds", name="add_beds_page")
def add_beds_page(
    request: Request,
    house: ManagedHouse,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    labels: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    """Add beds to a house, by their labels; answers htmx with the house's part of the board."""
    assert house.id is not None
    wanted = bed_labels(labels)
    problem = None if wanted else "Type the new beds' labels, for example Room 4, Room 5."
    if wanted:
        try:
            providers_service.add_beds(session=session, house=house, labels=wanted)
        except DomainError as error:
            problem = _sentence(error.message)
    add_problems = {house.id: problem} if problem else {}
    typed = {house.id: labels} if problem else {}
    if not is_htmx(request):
        if problem is None:
            return back_to_board(request, anchor=f"board-{house.id}")
        return _board_page(
            request,
            session,
            settings,
            user,
            add_problems=add_problems,
            typed=typed,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    return _house_block(request, session, settings, user, house, add_problems=add_problems, typed=typed)


# The house form ----------------------------------------------------------------------------------


def _form_page(
    request: Request,
    user: User,
    form: HouseForm,
    *,
    house: House | None,
    organisations: list[Organisation],
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The house form, for a new house (`house` None) or an existing one."""
    context = {
        "user": user,
        "form": form,
        "house": house,
        "heading": f"Edit {house.display_name}" if house else "Add a house",
        "organisations": organisations,
        "problems": problems or {},
        "field_labels": FIELD_LABELS,
        "checkbox_groups": CHECKBOX_GROUPS,
        "languages": language_choices(form.languages),
        **choices(),
    }
    return render(request, "house_form.html", context, status_code=status_code)


@router.get("/houses/new", name="new_house")
def new_house(request: Request, user: Manager, session: SessionDep) -> Response:
    """The form for a new house and its beds."""
    form = NewHouseForm(organisation_id=str(user.organisation_id))
    return _form_page(request, user, form, house=None, organisations=provider_organisations(session, user))


@router.post("/houses/new", name="create_house_page")
def create_house_page(
    request: Request, user: Manager, session: SessionDep, form: Annotated[NewHouseForm, Form()]
) -> Response:
    """Add the house the form describes, with its beds: all of it, or nothing and every problem."""
    organisations = provider_organisations(session, user)
    data, problems = house_from(form)
    organisation = _chosen_organisation(session, user, form.organisation_id)
    if organisation is None:
        problems = {"organisation_id": "Choose the organisation the house belongs to."} | problems
    if data is not None and organisation is not None:
        try:
            house = providers_service.create_house(
                session=session, organisation=organisation, data=data, bed_labels=bed_labels(form.bed_labels)
            )
            return back_to_board(request, anchor=f"board-{house.id}", saved=house.id or 0)
        except InvalidError as error:
            problems = {error.field: _sentence(error.message)}
        except ConflictError as error:
            problems = {"display_name": _sentence(error.message)}
    return _form_page(
        request,
        user,
        form,
        house=None,
        organisations=organisations,
        problems=problems,
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
    )


def _chosen_organisation(session: Session, user: User, chosen: str) -> Organisation | None:
    """The organisation a new house or import goes to: an admin's choice, or the provider's own."""
    if not authz.has_permission(user, Permission.manage_any_house):
        return capacity_service.get_organisation(session=session, organisation_id=user.organisation_id)
    if not chosen.isdecimal() or not 1 <= int(chosen) <= MAX_ID:
        return None
    organisation = capacity_service.get_organisation(session=session, organisation_id=int(chosen))
    if organisation is None or not capacity_service.is_provider(organisation):
        return None  # houses belong to providers, never to a police force or a commissioner
    return organisation if authz.can_add_house_to(user, organisation) else None


@router.get("/houses/{house_id}/edit", name="edit_house")
def edit_house(request: Request, house: ManagedHouse, user: CurrentUser, session: SessionDep) -> Response:
    """Every detail of a house its provider sets, as a form."""
    audit.record(session, Action.view_address, object_type="house", object_id=house.id, detail="edit form")
    return _form_page(request, user, form_of(house), house=house, organisations=[])


@router.post("/houses/{house_id}/edit", name="update_house_page")
def update_house_page(
    request: Request, house: ManagedHouse, user: CurrentUser, session: SessionDep, form: Annotated[HouseForm, Form()]
) -> Response:
    """Save the house's details: all of them, or nothing and every problem by field."""
    data, problems = house_from(form)
    if data is not None:
        try:
            providers_service.update_house(
                session=session, house=house, data=HouseUpdate.model_validate(data.model_dump())
            )
            return back_to_board(request, anchor=f"board-{house.id}", saved=house.id or 0)
        except InvalidError as error:
            problems = {error.field: _sentence(error.message)}
        except ConflictError as error:
            problems = {"display_name": _sentence(error.message)}
        session.refresh(house)
    return _form_page(request, user, form, house=house, organisations=[], problems=problems, status_code=422)


# Importing from CSV --------------------------------------------------------------------------------


def _import_page(
    request: Request,
    user: User,
    session: Session,
    settings: Settings,
    *,
    report: ImportReport | None = None,
    organisation: Organisation | None = None,
    problem: str | None = None,
    problem_field: str = "file",
    chosen: str = "",
    status_code: int = 200,
) -> Response:
    context = {
        "user": user,
        "organisations": provider_organisations(session, user),
        "chosen": chosen,
        "report": report,
        "organisation": organisation,
        "problem": problem,
        "problem_field": problem_field,
        "required_columns": imports.REQUIRED_COLUMNS,
        "optional_columns": imports.OPTIONAL_COLUMNS,
        "separator": imports.LIST_SEPARATOR,
        "max_rows": imports.MAX_ROWS,
        "max_upload_bytes": settings.max_upload_bytes,
        "has_guide": GUIDE.is_file(),
    }
    return render(request, "import_houses.html", context, status_code=status_code)


@router.get("/houses/import", name="import_houses_page")
def import_houses_page(request: Request, user: Manager, session: SessionDep, settings: SettingsDep) -> Response:
    """Import houses from a CSV file: check it first, then import it, all or nothing."""
    return _import_page(request, user, session, settings, chosen=str(user.organisation_id))


@router.post("/houses/import", name="import_houses_upload")
def import_houses_upload(
    request: Request,
    user: Manager,
    session: SessionDep,
    settings: SettingsDep,
    file: UploadFile | None = None,
    action: Annotated[str, Form(max_length=20)] = "check",
    organisation_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Check (a dry run) or import the file; every bad row and field is reported, and nothing half-imported."""
    # A plain `def`, so FastAPI runs this blocking read and the database work in a worker thread.
    organisation = _chosen_organisation(session, user, organisation_id)

    def refused(problem: str, *, field: str = "file", code: int = status.HTTP_422_UNPROCESSABLE_CONTENT) -> Response:
        return _import_page(
            request,
            user,
            session,
            settings,
            problem=problem,
            problem_field=field,
            chosen=organisation_id,
            status_code=code,
        )

    if organisation is None:
        return refused("Choose the organisation to import the houses into.", field="organisation_id")
    if file is None or not file.filename:
        return refused("Choose a CSV file to check or import.")
    data = file.file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        too_large = f"The file is larger than {settings.max_upload_bytes:,} bytes, the most this server accepts."
        return refused(f"{too_large} Split it into smaller files.", code=status.HTTP_413_CONTENT_TOO_LARGE)
    try:
        report = imports.import_houses(
            session=session, organisation=organisation, text=imports.decode(data), dry_run=action != "import"
        )
    except DomainError as error:
        return refused(_sentence(error.message))
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if report.problems else status.HTTP_200_OK
    return _import_page(
        request,
        user,
        session,
        settings,
        report=report,
        organisation=organisation,
        chosen=organisation_id,
        status_code=code,
    )


@router.get("/houses/import/columns.csv", name="import_template")
def import_template(user: Manager) -> Response:
    """An empty import file: just the row of column names, to fill in with a spreadsheet."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(imports.COLUMNS)
    headers = {"Content-Disposition": 'attachment; filename="safebeds-houses.csv"'}
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/houses/import/guide", name="import_guide")
def import_guide(user: Manager) -> Response:
    """The full guide to the import format (docs/csv-import.md), as text."""
    if not GUIDE.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, "the guide is in the SafeBeds source, docs/csv-import.md")
    return PlainTextResponse(GUIDE.read_text(encoding="utf-8"))
