"""Organisations: admins register them; provider staff keep their own details and add houses."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, UploadFile, status
from fastapi.responses import JSONResponse

from capacity import service as capacity_service
from capacity.models import (
    HouseConfidential,
    HousePublic,
    Organisation,
    OrganisationCreate,
    OrganisationPublic,
    OrganisationUpdate,
    User,
)
from providers import imports
from providers import service as providers_service
from providers.imports import ImportReport
from web.api.houses import HouseRegistration, describe
from web.authz import Permission
from web.deps import SessionDep, SettingsDep, editable_organisation, house_owner, require, valid_organisation_id

router = APIRouter(prefix="/organisations", tags=["organisations"])


@router.get("", response_model=list[OrganisationPublic])
def list_organisations(
    session: SessionDep, user: Annotated[User, Depends(require(Permission.read_organisations))]
) -> list[OrganisationPublic]:
    """Every organisation, by name."""
    return [capacity_service.organisation_public(o) for o in capacity_service.get_all_organisations(session=session)]


@router.post("", response_model=OrganisationPublic, status_code=status.HTTP_201_CREATED)
def register_organisation(
    data: OrganisationCreate,
    session: SessionDep,
    user: Annotated[User, Depends(require(Permission.manage_organisations))],
) -> OrganisationPublic:
    """Register an organisation (a provider, a police force, a commissioning body)."""
    organisation = providers_service.register_organisation(session=session, data=data)
    return capacity_service.organisation_public(organisation)


@router.get("/{organisation_id}", response_model=OrganisationPublic)
def get_organisation(
    organisation: Annotated[Organisation, Depends(valid_organisation_id)],
    user: Annotated[User, Depends(require(Permission.read_organisations))],
) -> OrganisationPublic:
    """One organisation."""
    return capacity_service.organisation_public(organisation)


@router.patch("/{organisation_id}", response_model=OrganisationPublic)
def update_organisation(
    data: OrganisationUpdate,
    organisation: Annotated[Organisation, Depends(editable_organisation)],
    session: SessionDep,
) -> OrganisationPublic:
    """Change an organisation's name, faith-based flag or offers contact."""
    updated = providers_service.update_organisation(session=session, organisation=organisation, data=data)
    return capacity_service.organisation_public(updated)


@router.post("/{organisation_id}/houses", response_model=HouseConfidential, status_code=status.HTTP_201_CREATED)
def create_house(
    data: HouseRegistration,
    organisation: Annotated[Organisation, Depends(house_owner)],
    session: SessionDep,
    settings: SettingsDep,
) -> HousePublic:
    """Add a house and its beds to a provider organisation."""
    house = providers_service.create_house(
        session=session, organisation=organisation, data=data, bed_labels=data.bed_labels
    )
    return describe(session, house, settings, confidential=True)


@router.post(
    "/{organisation_id}/houses/import",
    response_model=ImportReport,
    status_code=status.HTTP_201_CREATED,
    responses={422: {"model": ImportReport, "description": "Nothing written: every bad row and field"}},
)
def import_houses(
    file: UploadFile,
    organisation: Annotated[Organisation, Depends(house_owner)],
    session: SessionDep,
    settings: SettingsDep,
    dry_run: Annotated[bool, Query(description="Check the file and report, writing nothing")] = False,
) -> ImportReport | JSONResponse:
    """Import houses and beds from CSV (one row per house): all rows are written, or none."""
    # A plain `def`, so FastAPI runs this blocking read and the database work in a worker thread.
    data = file.file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"the file is over {settings.max_upload_bytes} bytes")
    report = imports.import_houses(
        session=session, organisation=organisation, text=imports.decode(data), dry_run=dry_run
    )
    if report.problems:
        return JSONResponse(report.model_dump(), status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    return report if report.written else JSONResponse(report.model_dump(), status_code=status.HTTP_200_OK)
