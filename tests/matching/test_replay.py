"""The replay: requests event by event in simulated time against a given capacity, with no database."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from matching.eligibility import Reason
from matching.models import Urgency
from matching.replay import Capacity, Demand, Supply, Taken, median, replay
from matching.reporting import Group, MainReason
from tests.matching.snapshots import house, request

# A Monday night: the coordinator's first run is on Tuesday at 10:00.
START = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)
END = START + timedelta(days=30)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def supply(id: str, beds: int, **overrides: Any) -> Supply:
    max_stay = overrides.pop("max_stay", None)
    return Supply(house=house(id, free_beds=beds, **overrides), beds=beds, max_stay=max_stay)


def person(id: int, *, after: timedelta = timedelta(0), **overrides: Any) -> Demand:
    fields: dict[str, Any] = {
        "urgency": Urgency.tonight,
        "patience": timedelta(0),
        "stay": 10 * DAY,
        "groups": (Group.women, Group.pre_nrm),
    }
    needs = {key: overrides.pop(key) for key in list(overrides) if key not in Demand.__dataclass_fields__}
    fields |= overrides
    return Demand(id=id, at=START + after, person=request(id, **needs), **fields)  # type: ignore[arg-type]


def placed_in(result: Any, id: int) -> Any:
    return result.fates[id].house


def test_a_tonight_request_goes_at_once_to_the_best_fitting_house_with_room() -> None:
    houses = (supply("plain", 2, languages=["en"]), supply("speaks", 1, languages=["en", "sq"]))
    result = replay([person(1, languages=["sq"])], Capacity(houses), start=START, end=END)
    assert placed_in(result, 1) == "speaks"
    assert result.fates[1].placed_at == START
    assert result.placed() == 1 and result.placed_quickly() == 1 and result.median_wait() == timedelta(0)


def test_a_person_nobody_can_take_and_who_cannot_wait_is_not_placed_and_counted_under_the_main_reason() -> None:
    houses = (supply("women", 3, genders=["female"]), supply("full", 0, genders=["male"]))
    result = replay([person(1, gender="male", groups=(Group.men,))], Capacity(houses), start=START, end=END)
    assert result.fates[1].placed_at is None and not result.fates[1].waiting
    assert result.unplaced_by_reason() == {Reason.GENDER_NOT_SERVED: 1}
    assert result.placed(group=Group.men) == 0


def test_a_bed_is_free_again_when_the_stay_ends() -> None:
    houses = (supply("one", 1),)
    demand = [person(1, stay=5 * DAY), person(2, after=3 * DAY), person(3, after=6 * DAY)]
    result = replay(demand, Capacity(houses), start=START, end=END)
    assert [placed_in(result, i) for i in (1, 2, 3)] == ["one", None, "one"]
    assert result.unplaced_by_reason() == {Reason.NOT_ENOUGH_BEDS: 1}


def test_a_house_stay_limit_cuts_a_stay_short() -> None:
    houses = (supply("short", 1, max_stay=2 * DAY),)
    demand = [person(1, stay=20 * DAY), person(2, after=3 * DAY)]
    assert [placed_in(replay(demand, Capacity(houses), start=START, end=END), i) for i in (1, 2)] == ["short", "short"]


def test_planned_requests_wait_for_the_weekday_coordinator_within_their_patience() -> None:
    houses = (supply("one", 2),)
    demand = [
        person(1, urgency=Urgency.planned, patience=14 * DAY),
        person(2, urgency=Urgency.planned, patience=5 * HOUR),  # gone before Tuesday 10:00
    ]
    result = replay(demand, Capacity(houses), start=START, end=END)
    assert result.fates[1].placed_at == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    assert result.fates[2].placed_at is None
    assert result.coordinator_runs == 1
    assert result.median_wait() == 12 * HOUR


def test_a_bed_freed_at_the_moment_the_coordinator_runs_is_free_for_it() -> None:
    """Whoever left at 10:00 on Tuesday left before the coordinator looked; whoever gave up then had not."""
    tuesday_ten = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    houses = (supply("one", 1),)
    demand = [
        person(1, stay=tuesday_ten - START),
        person(2, after=HOUR, urgency=Urgency.planned, patience=tuesday_ten - (START + HOUR)),
    ]
    result = replay(demand, Capacity(houses), start=START, end=END)
    assert result.fates[2].placed_at == tuesday_ten and placed_in(result, 2) == "one"


def test_a_family_goes_to_one_house_together_or_waits() -> None:
    houses = (supply("two", 2), supply("one", 1), supply("other", 1))
    family = [
        person(1, urgency=Urgency.within_72h, patience=3 * DAY, family=(2,)),
        person(2, urgency=Urgency.within_72h, patience=3 * DAY, family=(1,)),
    ]
    result = replay(family, Capacity(houses), start=START, end=END)
    assert placed_in(result, 1) == placed_in(result, 2) == "two"


def test_co_victims_are_kept_apart() -> None:
    houses = (supply("big", 5), supply("small", 1, languages=["en", "sq"]))
    demand = [person(1, languages=["sq"], keep_apart=(2,)), person(2, after=HOUR, languages=["sq"], keep_apart=(1,))]
    result = replay(demand, Capacity(houses), start=START, end=END)
    assert (placed_in(result, 1), placed_in(result, 2)) == ("small", "big")


def test_a_house_that_refused_a_person_does_not_take_them_in_the_replay() -> None:
    houses = (supply("refused", 3, languages=["en", "sq"]), supply("other", 1))
    result = replay([person(1, languages=["sq"], refused=("refused",))], Capacity(houses), start=START, end=END)
    assert placed_in(result, 1) == "other"


def test_beds_taken_by_people_outside_the_replay_are_not_free_until_given_back() -> None:
    houses = (supply("one", 2),)
    capacity = Capacity(
        houses, taken_at_start={"one": 1}, taken=(Taken(START + HOUR, "one", 1), Taken(START + DAY, "one", -2))
    )
    demand = [person(1, after=2 * HOUR), person(2, after=2 * DAY)]
    result = replay(demand, capacity, start=START, end=END)
    assert [placed_in(result, i) for i in (1, 2)] == [None, "one"]


def test_occupancy_is_the_share_of_bed_days_used_in_the_period() -> None:
    houses = (supply("one", 2),)
    result = replay([person(1, stay=15 * DAY)], Capacity(houses), start=START, end=END)
    assert result.occupancy(houses[0]) == pytest.approx(15 / 60)


def test_a_request_still_queued_when_the_replay_ends_is_waiting() -> None:
    demand = [person(1, urgency=Urgency.planned, patience=14 * DAY, after=27 * DAY)]
    result = replay(demand, Capacity((supply("full", 0),)), start=START, end=END)
    assert result.fates[1].waiting and result.fates[1].placed_at is None
    assert result.fates[1].reason == Reason.NOT_ENOUGH_BEDS  # waited over 24 hours: counted


def test_a_person_placed_after_24_hours_counts_under_the_reason_they_waited() -> None:
    friday = datetime(2026, 2, 27, 11, 0, tzinfo=UTC)  # after that day's run: the next is on Monday
    demand = [person(1, urgency=Urgency.planned, patience=14 * DAY, after=friday - START)]
    houses = (supply("one", 1),)
    result = replay(demand, Capacity(houses), start=friday - HOUR, end=END)
    assert result.fates[1].placed_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert result.fates[1].reason == MainReason.HOUSE_FITTED
    assert result.placed_quickly() == 0


def test_the_same_demand_and_capacity_give_the_same_replay() -> None:
    houses = tuple(supply(f"H{i}", 1 + i % 3) for i in range(6))
    demand = [
        person(i, after=i * 7 * HOUR, urgency=[Urgency.tonight, Urgency.planned][i % 2], patience=(i % 4) * DAY)
        for i in range(1, 40)
    ]
    first = replay(demand, Capacity(houses), start=START, end=END)
    assert first.fates == replay(demand, Capacity(houses), start=START, end=END).fates


def test_median_of_times() -> None:
    assert median([HOUR, 3 * HOUR]) == 2 * HOUR
    assert median([DAY, HOUR, 2 * HOUR]) == 2 * HOUR


def test_a_person_counts_as_placed_when_the_provider_would_have_accepted() -> None:
    houses = (supply("one", 1),)
    capacity = Capacity(houses, answer_after=2 * HOUR)
    result = replay([person(1), person(2, after=HOUR)], capacity, start=START, end=END)
    assert result.fates[1].placed_at == START + 2 * HOUR, "placed once the provider answers"
    assert result.fates[2].placed_at is None, "the bed was held for the first meanwhile"
    assert result.median_wait() == 2 * HOUR
