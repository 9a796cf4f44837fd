from collections.abc import Sequence
from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from sqlmodel import Session

from capacity import clock
from capacity import service as capacity_service
from capacity.models import BedUpdate, CapacityRow, House, HouseConfidential, HousePublic
from capacity.reporting import SUPPRESSED, suppress
from capacity.vocab import BedStatus, Gender, NrmStage, OrganisationType, Region
from providers import service as providers_service
from tests.factories import START, make_house, make_organisation
from web.settings import Settings


def set_statuses(session: Session, house: House, statuses: Sequence[BedStatus]) -> None:
    """Give the first beds of `house` these statuses, in label order."""
    assert house.id is not None
    beds = capacity_service.get_beds(session=session, house_ids=[house.id])[house.id]
    for bed, status in zip(beds, statuses, strict=False):
        providers_service.update_bed(session=session, bed=bed, data=BedUpdate(status=status))


def describe(session: Session, houses: Sequence[House], settings: Settings, *, show: bool) -> list[HousePublic]:
    return capacity_service.describe_houses(
        session=session, houses=houses, stale_after=settings.stale_after, show_address=lambda _: show
    )


# The clock -----------------------------------------------------------------------------------------


def test_the_clock_is_aware_utc_and_frozen_by_freezegun(frozen: FrozenDateTimeFactory) -> None:
    assert clock.now() == START
    assert clock.now().tzinfo is not None
    frozen.tick(timedelta(minutes=5))
    assert clock.now() == START + timedelta(minutes=5)


# Freshness -----------------------------------------------------------------------------------------


def test_the_default_stale_limit_is_24_hours(settings: Settings) -> None:
    assert settings.stale_after == timedelta(hours=24)


@pytest.mark.parametrize(
    ("age", "stale"),
    [
        (timedelta(0), False),
        (timedelta(hours=23, minutes=59), False),
        (timedelta(hours=24), False),
        (timedelta(hours=24, minutes=1), True),
        (timedelta(days=10), True),
    ],
)
def test_is_stale(frozen: FrozenDateTimeFactory, age: timedelta, stale: bool) -> None:
    assert capacity_service.is_stale(START - age, stale_after=timedelta(hours=24)) is stale


def test_is_stale_at_a_given_time() -> None:
    confirmed = START - timedelta(hours=30)
    assert capacity_service.is_stale(confirmed, stale_after=timedelta(hours=24), at=START)
    assert not capacity_service.is_stale(confirmed, stale_after=timedelta(hours=24), at=START - timedelta(hours=7))


@pytest.mark.parametrize(
    ("age", "stale"),
    [(timedelta(hours=23, minutes=59), False), (timedelta(hours=24, minutes=1), True)],
)
def test_a_house_is_stale_a_day_after_its_vacancies_were_confirmed(
    session: Session, settings: Settings, frozen: FrozenDateTimeFactory, age: timedelta, stale: bool
) -> None:
    house = make_house(session, make_organisation(session))
    assert house.vacancies_confirmed_at == START
    frozen.tick(age)
    [described] = describe(session, [house], settings, show=False)
    assert described.stale is stale
    assert described.vacancies_confirmed_at == START


def test_confirming_a_stale_house_makes_it_fresh(
    session: Session, settings: Settings, frozen: FrozenDateTimeFactory
) -> None:
    house = make_house(session, make_organisation(session))
    frozen.tick(timedelta(hours=30))
    assert describe(session, [house], settings, show=False)[0].stale
    providers_service.confirm_house(session=session, house=house)
    assert not describe(session, [house], settings, show=False)[0].stale


def test_the_stale_limit_comes_from_the_caller(session: Session, frozen: FrozenDateTimeFactory) -> None:
    house = make_house(session, make_organisation(session))
    frozen.tick(timedelta(hours=3))
    [strict] = capacity_service.describe_houses(
        session=session, houses=[house], stale_after=timedelta(hours=2), show_address=lambda _: False
    )
    assert strict.stale


# What officers and providers see -------------------------------------------------------------------


def test_describe_houses_counts_beds_by_status(session: Session, settings: Settings) -> None:
    house = make_house(session, make_organisation(session), beds=6)
    set_statuses(session, house, [BedStatus.occupied, BedStatus.occupied, BedStatus.out_of_service])
    [described] = describe(session, [house], settings, show=False)
    assert described.beds.model_dump() == {"total": 6, "available": 3, "held": 0, "occupied": 2, "out_of_service": 1}


def test_a_house_without_beds_counts_zero(session: Session, settings: Settings) -> None:
    house = make_house(session, make_organisation(session), beds=0)
    [described] = describe(session, [house], settings, show=False)
    assert described.beds.total == 0
    assert described.beds.available == 0


def test_without_permission_there_is_no_address_at_all(session: Session, settings: Settings) -> None:
    house = make_house(session, make_organisation(session), address="77 Canary Road (fictional)", postcode="ZZ99 7CR")
    [described] = describe(session, [house], settings, show=False)
    assert type(described) is HousePublic
    assert not hasattr(described, "address")
    assert not hasattr(described, "postcode")
    dumped = described.model_dump_json()
    assert "Canary" not in dumped
    assert "ZZ99" not in dumped


def test_with_permission_the_address_is_shown(session: Session, settings: Settings) -> None:
    house = make_house(session, make_organisation(session), address="77 Canary Road (fictional)", postcode="ZZ99 7CR")
    [described] = describe(session, [house], settings, show=True)
    assert isinstance(described, HouseConfidential)
    assert described.address == "77 Canary Road (fictional)"
    assert described.postcode == "ZZ99 7CR"


def test_the_address_is_decided_house_by_house(session: Session, settings: Settings) -> None:
    organisation = make_organisation(session, faith_based=True)
    own = make_house(session, organisation, address="1 Own Street")
    other = make_house(session, make_organisation(session), address="2 Other Street")
    described = capacity_service.describe_houses(
        session=session, houses=[own, other], stale_after=settings.stale_after, show_address=lambda h: h.id == own.id
    )
    assert [d.id for d in described] == [own.id, other.id]
    assert isinstance(described[0], HouseConfidential)
    assert described[0].address == "1 Own Street"
    assert not hasattr(described[1], "address")
    assert described[0].organisation_name == organisation.name
    assert described[0].faith_based is True
    assert described[1].faith_based is False


# The capacity summary ------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "shown"), [(0, 0), (1, SUPPRESSED), (4, SUPPRESSED), (5, 5), (120, 120)])
def test_suppress(count: int, shown: int | str) -> None:
    assert suppress(count) == shown
    assert SUPPRESSED == "<5"


def rows_by_group(rows: list[CapacityRow]) -> dict[str, tuple[int | str, int | str]]:
    return {row.group: (row.beds, row.available) for row in rows}


def test_capacity_summary_suppresses_small_numbers(
    session: Session, settings: Settings, frozen: FrozenDateTimeFactory
) -> None:
    provider = make_organisation(session)
    women = make_house(session, provider, beds=7, genders=["female"], nrm_stages=["recovery"], area="camden")
    set_statuses(session, women, [BedStatus.occupied, BedStatus.occupied])
    men = make_house(session, provider, beds=3, genders=["male"], nrm_stages=["pre_nrm", "recovery"], area="newham")
    set_statuses(session, men, [BedStatus.occupied])
    make_house(session, provider, beds=0, genders=["male"], nrm_stages=["move_on"], area="wales")
    frozen.tick(timedelta(hours=25))

    summary = capacity_service.capacity_summary(session=session, stale_after=settings.stale_after)

    assert summary.houses == SUPPRESSED
    assert summary.stale_houses == SUPPRESSED
    assert rows_by_group(summary.by_gender_served) == {
        Gender.female: (7, 5),
        Gender.male: (SUPPRESSED, SUPPRESSED),
        Gender.non_binary: (0, 0),
    }
    assert rows_by_group(summary.by_nrm_stage) == {
        NrmStage.pre_nrm: (SUPPRESSED, SUPPRESSED),
        NrmStage.recovery: (10, 7),
        NrmStage.move_on: (0, 0),
    }
    assert rows_by_group(summary.by_region) == {
        Region.central_london: (7, 5),
        Region.east_london: (SUPPRESSED, SUPPRESSED),
        Region.north_london: (0, 0),
        Region.south_london: (0, 0),
        Region.west_london: (0, 0),
        Region.outside_london: (0, 0),
    }


def test_capacity_summary_shows_five_or_more(session: Session, settings: Settings) -> None:
    provider = make_organisation(session)
    for _ in range(5):
        make_house(session, provider, beds=1, genders=["non_binary"])
    summary = capacity_service.capacity_summary(session=session, stale_after=settings.stale_after)
    assert summary.houses == 5
    assert summary.stale_houses == 0
    assert rows_by_group(summary.by_gender_served)[Gender.non_binary] == (5, 5)


def test_capacity_summary_of_nothing_is_zero(session: Session, settings: Settings) -> None:
    make_organisation(session, type=OrganisationType.police)
    summary = capacity_service.capacity_summary(session=session, stale_after=settings.stale_after)
    assert (summary.houses, summary.stale_houses) == (0, 0)
    assert all(row.beds == 0 and row.available == 0 for row in summary.by_region)


def test_capacity_summary_says_how_many_free_beds_are_unconfirmed(
    session: Session, settings: Settings, frozen: FrozenDateTimeFactory
) -> None:
    provider = make_organisation(session)
    old = make_house(session, provider, beds=6, genders=["male"])
    frozen.tick(timedelta(hours=20))
    make_house(session, provider, beds=5, genders=["male"])
    frozen.tick(timedelta(hours=5))
    summary = capacity_service.capacity_summary(session=session, stale_after=settings.stale_after)
    [male] = [row for row in summary.by_gender_served if row.group == Gender.male]
    assert (male.beds, male.available, male.available_stale) == (11, 11, 6)
    providers_service.confirm_house(session=session, house=old)
    summary = capacity_service.capacity_summary(session=session, stale_after=settings.stale_after)
    [male] = [row for row in summary.by_gender_served if row.group == Gender.male]
    assert (male.available, male.available_stale) == (11, 0)
