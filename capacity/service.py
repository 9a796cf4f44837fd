"""Reading capacity: organisations, houses, beds, their freshness and what each person may see."""

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from capacity import audit, clock
from capacity.audit import Action
from capacity.errors import ConflictError
from capacity.models import (
    Bed,
    BedCounts,
    CapacityRow,
    CapacitySummary,
    House,
    HouseConfidential,
    HousePublic,
    Organisation,
    OrganisationPublic,
)
from capacity.reporting import suppress
from capacity.vocab import PROVIDER_TYPES, BedStatus, Gender, NrmStage, Region, label, language_name, region_of


def commit(*, session: Session, conflict: str) -> None:
    """Commit; a uniqueness race lost to another writer becomes a ConflictError saying `conflict`."""
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise ConflictError(conflict) from error


def flush(*, session: Session, conflict: str) -> None:
    """Flush (to learn new ids before the commit); a uniqueness race lost becomes a ConflictError, as in `commit`."""
    try:
        session.flush()
    except IntegrityError as error:
        session.rollback()
        raise ConflictError(conflict) from error


def is_stale(confirmed_at: datetime, *, stale_after: timedelta, at: datetime | None = None) -> bool:
    """True when vacancies confirmed at `confirmed_at` are older than `stale_after`."""
    return (at or clock.now()) - confirmed_at > stale_after


def is_provider(organisation: Organisation) -> bool:
    """True for organisations that run houses."""
    return organisation.type in PROVIDER_TYPES


def get_organisation(*, session: Session, organisation_id: int) -> Organisation | None:
    """Return one organisation by id."""
    return session.get(Organisation, organisation_id)


def get_organisation_by_name(*, session: Session, name: str) -> Organisation | None:
    """Return one organisation by its name, ignoring case."""
    return session.exec(select(Organisation).where(func.lower(Organisation.name) == name.strip().lower())).first()


def get_all_organisations(*, session: Session) -> Sequence[Organisation]:
    """Return every organisation, by name."""
    return session.exec(select(Organisation).order_by(col(Organisation.name))).all()


def organisation_public(organisation: Organisation) -> OrganisationPublic:
    """Return what may be shown of an organisation."""
    return OrganisationPublic.model_validate(organisation, update={"is_provider": is_provider(organisation)})


def get_house(*, session: Session, house_id: int) -> House | None:
    """Return one house by id."""
    return session.get(House, house_id)


def get_all_houses(*, session: Session, organisation_id: int | None = None) -> Sequence[House]:
    """Return every house, or one organisation's, by id."""
    query = select(House).order_by(col(House.id))
    if organisation_id is not None:
        query = query.where(House.organisation_id == organisation_id)
    return session.exec(query).all()


def get_bed(*, session: Session, bed_id: int) -> Bed | None:
    """Return one bed by id."""
    return session.get(Bed, bed_id)


def get_beds(*, session: Session, house_ids: Iterable[int]) -> dict[int, list[Bed]]:
    """Return the beds of the given houses, by house id, each list ordered by label."""
    beds: dict[int, list[Bed]] = defaultdict(list)
    ids = list(house_ids)
    if ids:
        query = select(Bed).where(col(Bed.house_id).in_(ids)).order_by(col(Bed.house_id), col(Bed.label))
        for bed in session.exec(query):
            beds[bed.house_id].append(bed)
    return beds


def count_beds(*, session: Session, house_ids: Iterable[int]) -> dict[int, BedCounts]:
    """Count the beds of the given houses by status, by house id (a house without beds counts zero)."""
    ids = list(house_ids)
    counts: dict[int, Counter[BedStatus]] = {house_id: Counter() for house_id in ids}
    if ids:
        # Counted by the database: loading every bed to count it is most of the cost of a search.
        query = (
            select(Bed.house_id, Bed.status, func.count())
            .where(col(Bed.house_id).in_(ids))
            .group_by(col(Bed.house_id), col(Bed.status))
        )
        for house_id, status, number in session.exec(query):
            counts[house_id][BedStatus(status)] = number
    return {
        house_id: BedCounts(
            total=counts[house_id].total(),
            available=counts[house_id][BedStatus.available],
            held=counts[house_id][BedStatus.held],
            occupied=counts[house_id][BedStatus.occupied],
            out_of_service=counts[house_id][BedStatus.out_of_service],
        )
        for house_id in ids
    }


def describe_houses(
    *,
    session: Session,
    houses: Sequence[House],
    stale_after: timedelta,
    show_address: Callable[[House], bool],
) -> list[HousePublic]:
    """Return houses with bed counts and freshness; the address only where `show_address` allows."""
    owners = {house.organisation_id for house in houses}
    organisations = {o.id: o for o in session.exec(select(Organisation).where(col(Organisation.id).in_(owners)))}
    beds = count_beds(session=session, house_ids=[h.id for h in houses if h.id is not None])
    at = clock.now()
    described: list[HousePublic] = []
    for house in houses:
        organisation = organisations[house.organisation_id]
        extra = {
            "organisation_name": organisation.name,
            "faith_based": organisation.faith_based,
            "stale": is_stale(house.vacancies_confirmed_at, stale_after=stale_after, at=at),
            "beds": beds[house.id or 0],
            "language_names": [language_name(code) for code in house.languages],
        }
        shape = HouseConfidential if show_address(house) else HousePublic
        described.append(shape.model_validate(house, update=extra))
    shown = [house.id for house in houses if show_address(house)]
    audit.record_each(session, Action.view_address, object_type="house", object_ids=shown)
    return described


def capacity_summary(*, session: Session, stale_after: timedelta) -> CapacitySummary:
    """Return beds and free beds (and how many of those are stale) by gender served, NRM stage and region."""
    houses = get_all_houses(session=session)
    beds = count_beds(session=session, house_ids=[h.id for h in houses if h.id is not None])
    at = clock.now()
    total: dict[str, Counter[str]] = defaultdict(Counter)
    free: dict[str, Counter[str]] = defaultdict(Counter)
    free_stale: dict[str, Counter[str]] = defaultdict(Counter)
    stale_houses = 0
    for house in houses:
        counts = beds[house.id or 0]
        stale = is_stale(house.vacancies_confirmed_at, stale_after=stale_after, at=at)
        groups = [("region", region_of(house.area).value)]
        groups += [("gender", g) for g in house.genders] + [("stage", s) for s in house.nrm_stages]
        for dimension, key in groups:
            total[dimension][key] += counts.total
            free[dimension][key] += counts.available
            free_stale[dimension][key] += counts.available if stale else 0
        stale_houses += stale

    def rows(dimension: str, groups: Iterable[StrEnum]) -> list[CapacityRow]:
        return [
            CapacityRow(
                group=g.value,
                label=label(g),
                beds=suppress(total[dimension][g]),
                available=suppress(free[dimension][g]),
                available_stale=suppress(free_stale[dimension][g]),
            )
            for g in groups
        ]

    return CapacitySummary(
        houses=suppress(len(houses)),
        stale_houses=suppress(stale_houses),
        by_gender_served=rows("gender", Gender),
        by_nrm_stage=rows("stage", NrmStage),
        by_region=rows("region", Region),
    )
