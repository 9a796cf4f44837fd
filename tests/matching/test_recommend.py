"""Recommend: the best new beds for every budget, by CP-SAT per gender and NRM stage, the budget shared exactly."""

import itertools
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from capacity.vocab import Area, Gender, NrmStage, Region
from matching.recommend import Fundable, Unmet, recommend, site_beds, takes
from matching.reporting import BedKind
from tests.matching.snapshots import request

START = datetime(2026, 3, 2, tzinfo=UTC)
END = START + timedelta(days=60)
DAY = timedelta(days=1)
EVERY_KIND = Fundable()
SITES = dict(zip(EVERY_KIND.regions, (Area.camden, Area.newham, Area.barnet, Area.croydon, Area.ealing), strict=True))
MEN_PRE_NRM = BedKind(Gender.male, NrmStage.pre_nrm)


def unmet(
    id: int, *, day: float = 0, stay: float = 10, priority: int = 100, found: Region | None = None, **needs: Any
) -> Unmet:
    fields = {"gender": "male", "nrm_stage": "pre_nrm"} | needs
    return Unmet(
        id=id,
        at=START + day * DAY,
        stay=stay * DAY,
        priority=priority,
        person=request(str(id), **fields).model_copy(update={"id": id}),
        found=found,
    )


def best(people: list[Unmet], budget: int, fundable: Fundable = EVERY_KIND) -> Any:
    return recommend(people, budget=budget, fundable=fundable, sites=SITES, end=END, time_limit_s=5)


def test_the_first_bed_goes_to_the_kind_most_people_lacked() -> None:
    men = [unmet(i, day=i * 12) for i in range(3)]  # one after another: one bed could take all three
    found = best([*men, unmet(9, gender="female", nrm_stage="recovery")], 1)
    assert found.best.beds == {MEN_PRE_NRM: 1}
    assert found.best.placed == 3 and found.best.optimal


def test_one_bed_serves_people_one_after_another() -> None:
    people = [unmet(i, day=12 * i, stay=10) for i in range(4)]
    assert best(people, 1).best.placed == 4


def test_each_further_bed_is_worth_what_it_adds_and_no_bed_is_wasted() -> None:
    people = [unmet(1), unmet(2, day=1), unmet(3, day=2), unmet(4, day=30)]
    found = best(people, 5)
    assert [step.placed for step in found.steps] == [2, 3, 4, 4, 4]
    assert found.marginal() == [2, 1, 1, 0, 0]
    assert sum(found.best.beds.values()) == 3, "a bed that would place nobody is not recommended"


def test_priority_decides_before_numbers() -> None:
    tonight = unmet(1, priority=100)
    planned = [unmet(2, priority=10, gender="female"), unmet(3, priority=10, gender="female", day=0.1)]
    found = best([tonight, *planned], 1)
    assert found.best.beds == {MEN_PRE_NRM: 1} and found.best.priority == 100


def test_a_family_room_or_step_free_bed_only_where_someone_needs_one() -> None:
    plain = best([unmet(1), unmet(2, day=20)], 1)
    assert plain.best.beds == {MEN_PRE_NRM: 1}
    family = best([unmet(1, children=[4, 7], gender="female")], 3)  # a mother and two children: three beds
    assert family.best.beds == {BedKind(Gender.female, NrmStage.pre_nrm, family=True): 3}
    assert [step.placed for step in family.steps] == [0, 0, 1]
    # A step-free bed serves both people where a plain bed serves one.
    both = best([unmet(1, needs_step_free=True), unmet(2, day=20)], 1)
    assert both.best.beds == {BedKind(Gender.male, NrmStage.pre_nrm, step_free=True): 1}
    assert both.best.placed == 2


def test_only_the_kinds_that_could_be_funded_are_recommended() -> None:
    people = [unmet(1), unmet(2, gender="female", day=0.5)]
    found = best(people, 2, Fundable(genders=(Gender.female,)))
    assert set(found.best.beds) == {BedKind(Gender.female, NrmStage.pre_nrm)}
    assert best(people, 1, Fundable(stages=(NrmStage.recovery,))).best.beds == {}


def test_a_bed_in_a_place_the_person_must_avoid_cannot_take_them() -> None:
    person = unmet(1, excluded_areas=["camden"]).person
    assert takes(MEN_PRE_NRM, person, [Area.camden, Area.newham])
    assert not takes(MEN_PRE_NRM, person, [Area.camden])
    no_interpreter = unmet(2, languages=["sq"], interpreter_ok=False).person
    assert not takes(MEN_PRE_NRM, no_interpreter, [Area.camden]), "a new house's staff speak English"


def test_beds_are_sited_where_the_people_they_place_were_found() -> None:
    regions = Fundable().regions
    found = [Region.east_london] * 5 + [Region.central_london] * 3 + [None, Region.outside_london]
    assert site_beds(4, found, regions) == {Region.central_london: 1, Region.east_london: 3}
    assert site_beds(2, [None], regions) == {Region.central_london: 2}
    people = [unmet(i, day=i * 20, found=Region.south_london) for i in range(3)]
    assert best(people, 1).where == {MEN_PRE_NRM: {Region.south_london: 1}}


def test_no_budget_is_refused() -> None:
    with pytest.raises(ValueError, match="budget"):
        best([unmet(1)], 0)


def brute_force(people: list[Unmet], budget: int, kinds: list[BedKind]) -> int:
    """The most priority K beds could place: every choice of kind (or none) for every person, given the
    beds each kind then needs (the most people staying in it at once)."""
    places = list(SITES.values())
    best_value = 0
    for choice in itertools.product([None, *range(len(kinds))], repeat=len(people)):
        chosen = [(p, k) for p, k in zip(people, choice, strict=True) if k is not None]
        if any(not takes(kinds[k], p.person, places) for p, k in chosen):
            continue
        needed = sum(
            max(
                sum(p.person.beds_needed for p, k in chosen if k == kind and p.at <= q.at < p.at + p.stay)
                for q in people
            )
            for kind in range(len(kinds))
        )
        if needed <= budget:
            best_value = max(best_value, sum(p.priority for p, _ in chosen))
    return best_value


@pytest.mark.parametrize("seed", range(6))
def test_optimal_on_small_instances_matches_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    people = [
        unmet(
            i,
            day=rng.uniform(0, 20),
            stay=rng.uniform(1, 15),
            priority=rng.choice((10, 30, 100)),
            needs_step_free=rng.random() < 0.3,
            gender=rng.choice(("male", "female")),
        )
        for i in range(6)
    ]
    fundable = Fundable(genders=(Gender.male, Gender.female), stages=(NrmStage.pre_nrm,), family=(False,))
    kinds = fundable.kinds()
    for budget in (1, 2, 3):
        found = best(people, budget, fundable)
        assert found.best.optimal
        assert found.best.priority == brute_force(people, budget, kinds), f"budget {budget}"
