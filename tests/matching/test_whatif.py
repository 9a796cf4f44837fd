"""What-if over the database: the period's demand and today's capacity as recorded, and beds added or removed."""

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from sqlmodel import Session, select

from capacity.models import Bed, BedUpdate, House, Organisation, User
from capacity.vocab import Area, BedStatus, Gender, NrmStage, Region, Role
from matching import holds, whatif, whatif_tables
from matching.models import DeclineReason, Fallback, RequestTally
from matching.replay import Taken
from matching.reporting import Group
from matching.whatif import BedChange
from providers import service as providers_service
from tests.factories import START, make_house, make_organisation, make_request, make_user
from tests.matching.test_disclosure import assert_nothing_small_pinned_down, keeping

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
ANYONE: dict[str, Any] = {"genders": ["female", "male"], "nrm_stages": ["pre_nrm", "recovery", "move_on"]}
LONG = timedelta(days=30)
TODAY = START.date()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "+4 male pre-NRM beds in Croydon",
            BedChange(4, (Gender.male,), (NrmStage.pre_nrm,), area=Area.croydon),
        ),
        (
            "2 family rooms for women, recovery, anywhere in North London",
            BedChange(2, (Gender.female,), (NrmStage.recovery,), family=True, region=Region.north_london),
        ),
        (
            "-3 female recovery beds in Tower Hamlets",
            BedChange(-3, (Gender.female,), (NrmStage.recovery,), area=Area.tower_hamlets),
        ),
        (
            "+1 step-free move_on bed for non-binary people",
            BedChange(1, (Gender.non_binary,), (NrmStage.move_on,), step_free=True),
        ),
        (
            "+6 beds for men and women, pre-NRM or recovery",
            BedChange(6, (Gender.male, Gender.female), (NrmStage.pre_nrm, NrmStage.recovery)),
        ),
    ],
)
def test_a_change_reads_as_a_person_writes_it(text: str, expected: BedChange) -> None:
    assert whatif.parse_change(text) == expected
    assert whatif.parse_change(expected.words()) == expected, "its words read back as the same change"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("male pre-NRM beds", "start with how many beds"),
        ("+0 male pre-NRM beds", "at least one bed"),
        ("+4 male pre-NRM beds in Atlantis", "not understood: atlantis"),
        ("+4 pre-NRM beds", "say who the beds are for"),
        ("+4 male beds", "say the NRM stage"),
        ("+4 male pre-NRM beds in Croydon and Camden", "give one place"),
    ],
)
def test_a_change_that_cannot_be_read_says_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        whatif.parse_change(text)


@pytest.fixture
def provider_org(session: Session) -> Organisation:
    return make_organisation(session)


@pytest.fixture
def officer(session: Session) -> User:
    return make_user(session, Role.officer)


@pytest.fixture
def provider(session: Session, provider_org: Organisation) -> User:
    return make_user(session, Role.provider, provider_org)


def set_bed(session: Session, house: House, status: BedStatus) -> Bed:
    bed = session.exec(select(Bed).where(Bed.house_id == house.id, Bed.status == BedStatus.available)).first()
    assert bed is not None
    return providers_service.update_bed(session=session, bed=bed, data=BedUpdate(status=status))


def placed(session: Session, officer: User, provider: User, house: House, **needs: Any) -> Any:
    request = make_request(session, officer, **needs)
    hold = holds.hold(session=session, request=request, house=house, officer=officer, expires_after=LONG)
    return request, holds.accept(session=session, hold=hold, provider=provider)


def test_capacity_takes_beds_used_outside_the_replay_as_recorded(
    session: Session, frozen: FrozenDateTimeFactory, provider_org: Organisation, officer: User, provider: User
) -> None:
    house = make_house(session, provider_org, beds=4, **ANYONE)
    spare = make_house(session, provider_org, beds=2, **ANYONE)
    _, before = placed(session, officer, provider, house)  # made before the period, still there at its start
    set_bed(session, house, BedStatus.out_of_service)  # a provider's change before the period
    set_bed(session, spare, BedStatus.out_of_service)  # never changed back: out all period
    frozen.tick(2 * DAY)
    start = (START + 2 * DAY).date()
    occupied = set_bed(session, house, BedStatus.occupied)  # someone housed outside SafeBeds
    frozen.tick(DAY)
    holds.move_on(session=session, placement=before)
    frozen.tick(HOUR)
    providers_service.update_bed(session=session, bed=occupied, data=BedUpdate(status=BedStatus.available))
    frozen.tick(DAY)

    found = whatif.capacity(session=session, start=start, end=start + 2 * DAY)
    assert {s.house.id: s.beds for s in found.houses} == {house.id: 4, spare.id: 2}
    assert found.taken_at_start == {house.id: 2, spare.id: 1}
    assert [(t.house, t.beds) for t in found.taken] == [(house.id, 1), (house.id, -1), (house.id, -1)]
    assert found.taken[0] == Taken(START + 2 * DAY, house.id or 0, 1)


def test_a_placements_bed_a_provider_changes_later_is_not_counted_twice(
    session: Session, frozen: FrozenDateTimeFactory, provider_org: Organisation, officer: User, provider: User
) -> None:
    house = make_house(session, provider_org, beds=3, **ANYONE)
    placed(session, officer, provider, house)  # before the period, and still there
    frozen.tick(2 * DAY)
    start = (START + 2 * DAY).date()
    frozen.tick(HOUR)
    bed = session.exec(select(Bed).where(Bed.house_id == house.id, Bed.status == BedStatus.occupied)).one()
    providers_service.update_bed(session=session, bed=bed, data=BedUpdate(status=BedStatus.available))
    frozen.tick(HOUR)
    providers_service.update_bed(session=session, bed=bed, data=BedUpdate(status=BedStatus.occupied))
    frozen.tick(DAY)

    found = whatif.capacity(session=session, start=start, end=start + DAY)
    assert found.taken_at_start == {house.id: 1}, "the placement's bed, once"
    assert [(t.house, t.beds) for t in found.taken] == [(house.id, 1)], "then someone housed outside SafeBeds"


def test_demand_reads_patience_stay_links_and_refusals_from_the_record(
    session: Session, frozen: FrozenDateTimeFactory, provider_org: Organisation, officer: User, provider: User
) -> None:
    house = make_house(session, provider_org, beds=2, **ANYONE)
    other = make_house(session, provider_org, beds=2, **ANYONE)
    request, placement = placed(session, officer, provider, house, nrm_stage="recovery")
    turned_away = make_request(session, officer, gender="male", keep_apart=[request.id])
    refused = holds.hold(session=session, request=turned_away, house=other, officer=officer, expires_after=LONG)
    holds.decline(session=session, hold=refused, provider=provider, reason=DeclineReason.risk_to_residents)
    frozen.tick(3 * HOUR)
    holds.record_fallback(session=session, request=turned_away, fallback=Fallback.hotel)
    waiting = make_request(session, officer, urgency="planned", nrm_stage="move_on")
    still = make_request(session, officer)  # tonight, and still waiting
    frozen.tick(10 * DAY - 3 * HOUR)
    holds.move_on(session=session, placement=placement)

    demand = {d.id: d for d in whatif.demand(session=session, start=TODAY, end=TODAY + 10 * DAY)}
    first, second, third = demand[request.id or 0], demand[turned_away.id or 0], demand[waiting.id or 0]
    assert first.recorded_placed and first.stay == 10 * DAY and first.recorded_wait == timedelta(0)
    assert Group.recovery in first.groups
    assert not second.recorded_placed and second.patience == 3 * HOUR and second.refused == (other.id,)
    assert second.keep_apart == (request.id,) and second.stay == 14 * DAY, "pre-NRM: no stay to learn from"
    assert third.patience == 14 * DAY and third.recorded_waiting
    assert demand[still.id or 0].patience == 10 * DAY - 3 * HOUR, "waiting still: at least as long as so far"
    assert first.person.priority == 100 and third.person.priority == 10


def test_a_period_with_purged_requests_is_refused_with_the_first_whole_day(
    session: Session, frozen: FrozenDateTimeFactory
) -> None:
    session.add(
        RequestTally(
            day=TODAY,
            gender=Gender.male,
            nrm_stage=NrmStage.pre_nrm,
            with_children=False,
            language_without_interpreter=False,
            step_free=False,
            placed=False,
            placed_quickly=False,
            requests=1,
        )
    )
    session.commit()
    with pytest.raises(whatif.PeriodPurged, match=f"start on {(TODAY + DAY).isoformat()}"):
        whatif.demand(session=session, start=TODAY - DAY, end=TODAY)
    assert whatif.default_period(session=session)[0] == TODAY + DAY


def test_added_beds_are_a_new_house_sited_where_people_were_found_and_removed_beds_leave_the_largest_first(
    session: Session, frozen: FrozenDateTimeFactory, provider_org: Organisation
) -> None:
    big = make_house(session, provider_org, beds=5, genders=["female"], nrm_stages=["recovery"], area="camden")
    small = make_house(session, provider_org, beds=3, genders=["female"], nrm_stages=["recovery"], area="camden")
    base = whatif.capacity(session=session, start=TODAY, end=TODAY)
    found = Counter({Area.hackney: 3, Area.haringey: 5, Area.camden: 9})
    changes = [whatif.parse_change(text) for text in ("+2 male pre-NRM beds in North London", "-3 women recovery beds")]
    after = whatif.changed(base, changes, found=found)
    beds = {s.house.id: s.beds for s in after.houses}
    assert beds[big.id or 0] == 2 and beds[small.id or 0] == 3, (
        "one at a time from the largest (5, 3 to 4, 3 to 3, 3 to 2, 3)"
    )
    (new,) = [s for s in after.houses if s.added]
    assert new.house.area == Area.haringey and new.beds == 2 and new.house.genders == [Gender.male]
    assert new.added == "+2 pre-NRM beds for men anywhere in North London (sited in Haringey)"
    with pytest.raises(ValueError, match="only 8 such beds to remove"):
        whatif.changed(base, [whatif.parse_change("-9 female recovery beds")], found=found)
    twice = [whatif.parse_change(text) for text in ("-6 female recovery beds", "-3 female recovery beds")]
    with pytest.raises(ValueError, match="-3 recovery beds for women: there are only 2 such beds left to remove"):
        whatif.changed(base, twice, found=found)
    family = whatif.parse_change("+2 family rooms for women, recovery")
    assert family.words() == "+2 recovery beds in family rooms for women", "counted in beds"


def test_adding_the_beds_people_lacked_places_them_and_adding_others_places_nobody(
    session: Session,
    frozen: FrozenDateTimeFactory,
    provider_org: Organisation,
    officer: User,
    provider: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    women = make_house(session, provider_org, beds=6, genders=["female"], nrm_stages=["pre_nrm", "recovery"])
    for _ in range(3):  # placed as recorded
        placed(session, officer, provider, women)
        frozen.tick(5 * HOUR)
    for _ in range(5):  # men pre-NRM turned away: no house took them
        man = make_request(session, officer, gender="male")
        holds.record_fallback(session=session, request=man, fallback=Fallback.police_station)
        frozen.tick(5 * HOUR)
    frozen.tick(DAY)
    end = TODAY + 2 * DAY

    same = whatif.run(session=session, start=TODAY, end=end)
    assert same.agreement() == 1.0, "replayed against the capacity it had, the record comes back"
    assert same.today.placed() == same.recorded_placed() == 3

    men = whatif.run(session=session, start=TODAY, end=end, changes=[whatif.parse_change("+3 male pre-NRM beds")])
    assert men.changed.placed(group=Group.men) == 3 and men.today.placed(group=Group.men) == 0
    (new,) = men.new_houses()
    assert men.changed.occupancy(new) > 0
    kept = keeping(monkeypatch, whatif_tables)
    tables = whatif_tables.tables(men)
    (cells,) = kept
    assert_nothing_small_pinned_down(cells)
    placed_row = next(row for row in tables["whatif_outcomes"].rows if row.key == "placed")
    assert placed_row.cells == ("Placed", "<5", "<5", "not shown", "not shown"), "6 of 8 shown would tell the 2 left"

    women_more = whatif.run(
        session=session, start=TODAY, end=end, changes=[whatif.parse_change("+3 female recovery beds")]
    )
    assert women_more.changed.placed() == women_more.today.placed() == 3


def test_providers_take_as_long_to_answer_as_they_did_in_the_period(
    session: Session, frozen: FrozenDateTimeFactory, provider_org: Organisation, officer: User, provider: User
) -> None:
    house = make_house(session, provider_org, beds=3, **ANYONE)
    for minutes in (10, 30, 90):
        request = make_request(session, officer)
        hold = holds.hold(session=session, request=request, house=house, officer=officer, expires_after=LONG)
        frozen.tick(timedelta(minutes=minutes))
        holds.accept(session=session, hold=hold, provider=provider)
    assert whatif.capacity(session=session, start=TODAY, end=TODAY).answer_after == timedelta(minutes=30)
    assert whatif.capacity(session=session, start=TODAY + DAY, end=TODAY + DAY).answer_after == timedelta(0)
