"""What providers do to capacity: register, add and edit houses and beds, keep vacancies true."""

from collections import Counter
from collections.abc import Iterable, Sequence

from pydantic import ValidationError
from sqlalchemy import update
from sqlmodel import Session, col

from capacity import audit, clock
from capacity import service as capacity_service
from capacity.audit import Action
from capacity.errors import ConflictError, InvalidError
from capacity.models import (
    Bed,
    BedUpdate,
    House,
    HouseCreate,
    HouseUpdate,
    Organisation,
    OrganisationCreate,
    OrganisationUpdate,
)
from capacity.vocab import BedStatus

# Statuses a provider sets by hand; `held` belongs to holds made by officers.
MANUAL_STATUSES = frozenset({BedStatus.available, BedStatus.occupied, BedStatus.out_of_service})


def register_organisation(*, session: Session, data: OrganisationCreate) -> Organisation:
    """Register an organisation; its name must be new."""
    if capacity_service.get_organisation_by_name(session=session, name=data.name):
        raise ConflictError(f"an organisation called {data.name!r} already exists")
    organisation = Organisation.model_validate(data, update={"created_at": clock.now()})
    session.add(organisation)
    capacity_service.flush(session=session, conflict="an organisation with that name already exists")
    audit.record(session, Action.organisation_created, object_type="organisation", object_id=organisation.id)
    capacity_service.commit(session=session, conflict="an organisation with that name already exists")
    session.refresh(organisation)
    return organisation


def update_organisation(*, session: Session, organisation: Organisation, data: OrganisationUpdate) -> Organisation:
    """Change an organisation's details."""
    changes = data.model_dump(exclude_unset=True)
    _refuse_nulls(changes, nullable={"offers_email", "offers_phone"})
    if "name" in changes:
        existing = capacity_service.get_organisation_by_name(session=session, name=changes["name"])
        if existing is not None and existing.id != organisation.id:
            raise ConflictError(f"an organisation called {changes['name']!r} already exists")
    detail = audit.changed_fields(organisation.model_dump(), changes)
    organisation.sqlmodel_update(changes)
    session.add(organisation)
    audit.record(
        session, Action.organisation_changed, object_type="organisation", object_id=organisation.id, detail=detail
    )
    capacity_service.commit(session=session, conflict="an organisation with that name already exists")
    session.refresh(organisation)
    return organisation


def check_bed_labels(labels: Sequence[str], *, existing: Sequence[str] = ()) -> list[str]:
    """Return the labels cleaned, or raise InvalidError naming a blank or duplicate one."""
    cleaned = [" ".join(label.split()) for label in labels]
    if any(not label for label in cleaned):
        raise InvalidError("bed_labels", "bed labels must not be blank")
    if too_long := [label for label in cleaned if len(label) > 40]:
        raise InvalidError("bed_labels", f"bed label {too_long[0]!r} is longer than 40 characters")
    counts = Counter(label.casefold() for label in [*existing, *cleaned])
    if duplicates := sorted({label for label in cleaned if counts[label.casefold()] > 1}):
        raise InvalidError("bed_labels", f"duplicate bed labels: {', '.join(duplicates)}")
    return cleaned


def new_house(*, organisation: Organisation, data: HouseCreate) -> House:
    """Return an unsaved house for a provider organisation."""
    if not capacity_service.is_provider(organisation):
        raise InvalidError("organisation_id", f"{organisation.name} is not a provider organisation")
    at = clock.now()
    return House.model_validate(
        data,
        update={
            "organisation_id": organisation.id,
            "vacancies_confirmed_at": at,
            "created_at": at,
            "updated_at": at,
        },
    )


def new_beds(*, house: House, labels: Sequence[str]) -> list[Bed]:
    """Return unsaved available beds for a house, confirmed now."""
    at = clock.now()
    assert house.id is not None
    return [
        Bed(house_id=house.id, label=label, status=BedStatus.available, status_changed_at=at, status_confirmed_at=at)
        for label in labels
    ]


def create_house(
    *, session: Session, organisation: Organisation, data: HouseCreate, bed_labels: Sequence[str]
) -> House:
    """Create a house and its beds in one transaction."""
    labels = check_bed_labels(bed_labels)
    _check_name_is_new(session=session, organisation_id=organisation.id, display_name=data.display_name)
    house = new_house(organisation=organisation, data=data)
    session.add(house)
    session.flush()
    session.add_all(new_beds(house=house, labels=labels))
    audit.record(session, Action.house_created, object_type="house", object_id=house.id, detail=f"{len(labels)} beds")
    capacity_service.commit(
        session=session, conflict="this organisation already has a house of that name, or the bed labels repeat"
    )
    session.refresh(house)
    return house


def update_house(*, session: Session, house: House, data: HouseUpdate) -> House:
    """Change a house's details; the result is validated as a whole, so nothing half-changes."""
    changes = data.model_dump(exclude_unset=True)
    _refuse_nulls(changes, nullable={"max_stay_days"})
    merged = house.model_dump(include=set(HouseCreate.model_fields)) | changes
    try:
        valid = HouseCreate.model_validate(merged)
    except ValidationError as error:
        first = error.errors()[0]
        raise InvalidError(".".join(str(p) for p in first["loc"]) or "house", first["msg"]) from error
    if valid.display_name.casefold() != house.display_name.casefold():
        _check_name_is_new(session=session, organisation_id=house.organisation_id, display_name=valid.display_name)
    detail = audit.changed_fields(house.model_dump(), valid.model_dump(include=set(changes)))
    house.sqlmodel_update(valid.model_dump(include=set(changes)))
    house.updated_at = clock.now()
    session.add(house)
    audit.record(session, Action.house_changed, object_type="house", object_id=house.id, detail=detail)
    capacity_service.commit(session=session, conflict="this organisation already has a house of that name")
    session.refresh(house)
    return house


def add_beds(*, session: Session, house: House, labels: Sequence[str]) -> list[Bed]:
    """Add beds to a house; labels must be new within the house."""
    existing = [
        bed.label for bed in capacity_service.get_beds(session=session, house_ids=[house.id or 0])[house.id or 0]
    ]
    beds = new_beds(house=house, labels=check_bed_labels(labels, existing=existing))
    session.add_all(beds)
    audit.record(session, Action.beds_added, object_type="house", object_id=house.id, detail=f"{len(beds)} beds")
    capacity_service.commit(session=session, conflict="a bed with that label already exists in this house")
    for bed in beds:
        session.refresh(bed)
    return beds


def update_bed(*, session: Session, bed: Bed, data: BedUpdate) -> Bed:
    """Relabel a bed or change its status; a status change also confirms it."""
    changes = data.model_dump(exclude_unset=True)
    _refuse_nulls(changes)
    # Every check comes before any change, so a refused update leaves the bed as it was.
    if "status" in changes:
        if changes["status"] not in MANUAL_STATUSES:
            raise InvalidError("status", "a bed is held only by an officer's hold, not by hand")
        if bed.status == BedStatus.held:
            raise ConflictError("this bed is held for a placement request; accept or decline the hold first")
    if "label" in changes:
        siblings = capacity_service.get_beds(session=session, house_ids=[bed.house_id])[bed.house_id]
        check_bed_labels([changes["label"]], existing=[b.label for b in siblings if b.id != bed.id])
    if "status" in changes:
        # Only if the bed is still as this person saw it: an officer may have held it a moment ago.
        at, was = clock.now(), bed.status
        values = {"status": changes["status"], "status_confirmed_at": at}
        if changes["status"] != bed.status:
            values["status_changed_at"] = at
        changed = session.exec(update(Bed).where(col(Bed.id) == bed.id, col(Bed.status) == bed.status).values(**values))
        if changed.rowcount != 1:
            session.rollback()
            raise ConflictError("this bed changed a moment ago (it may have been held); reload and try again")
        detail = audit.bed_status_detail(bed.house_id, was, changes["status"])
        audit.record(session, Action.bed_status, object_type="bed", object_id=bed.id, detail=detail)
    if "label" in changes:
        bed.label = changes["label"]
    session.add(bed)
    capacity_service.commit(session=session, conflict="a bed with that label already exists in this house")
    session.refresh(bed)
    return bed


def confirm_house(*, session: Session, house: House) -> House:
    """Record that every bed of a house is as shown ("all still correct")."""
    at = clock.now()
    for bed in capacity_service.get_beds(session=session, house_ids=[house.id or 0])[house.id or 0]:
        bed.status_confirmed_at = at
        session.add(bed)
    house.vacancies_confirmed_at = at
    session.add(house)
    audit.record(session, Action.house_confirmed, object_type="house", object_id=house.id)
    session.commit()
    session.refresh(house)
    return house


def _refuse_nulls(changes: dict[str, object], *, nullable: Iterable[str] = ()) -> None:
    """Raise InvalidError naming the first field set to null that may not be empty."""
    if nulls := sorted(k for k, v in changes.items() if v is None and k not in nullable):
        raise InvalidError(nulls[0], "must not be empty")


def _check_name_is_new(*, session: Session, organisation_id: int | None, display_name: str) -> None:
    """Raise ConflictError when the organisation already has a house of this name (in any case)."""
    names = {
        h.display_name.casefold()
        for h in capacity_service.get_all_houses(session=session, organisation_id=organisation_id)
    }
    if display_name.casefold() in names:
        raise ConflictError(f"this organisation already has a house called {display_name!r}")
