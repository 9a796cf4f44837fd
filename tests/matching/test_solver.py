"""The solver: objective values and invariants, never exact pairings (parallel search is not deterministic)."""

import itertools
import random
from collections import Counter

import pytest
from pydantic import ValidationError

from matching.eligibility import rule_out_reasons, score
from matching.instance import Id, Instance, Result, Status
from matching.solver import solve
from tests.matching.snapshots import house, instance, request


def assert_feasible(problem: Instance, result: Result) -> None:
    """Every rule the allocation must keep, checked from the outside."""
    houses = {h.id: h for h in problem.houses}
    requests = {r.id: r for r in problem.requests}
    placed = {a.request: a.house for a in result.assignments}
    assert len(placed) == len(result.assignments), "a request is placed at most once"
    used: Counter[Id] = Counter()
    for r, h in placed.items():
        assert rule_out_reasons(requests[r], houses[h].model_copy(update={"free_beds": 10**4})) == []
        used[h] += requests[r].beds_needed
    for house_id, beds in used.items():
        assert beds <= houses[house_id].free_beds, f"house {house_id} over capacity"
    for a, b in problem.keep_apart:
        assert a not in placed or b not in placed or placed[a] != placed[b]
    for group in problem.place_together:
        assert len({placed.get(r) for r in group}) == 1, f"group {group} split"
    assert result.placed_priority == sum(requests[r].priority for r in placed)
    assert result.bound >= result.placed_priority
    assert {u.request for u in result.unplaced} == set(requests) - set(placed)


def test_three_singles_of_priority_two_beat_a_family_of_priority_four() -> None:
    problem = instance(
        [house("H", free_beds=3)],
        [request("family", priority=4, children=[3, 7]), *(request(f"single{i}", priority=2) for i in range(3))],
    )
    result = solve(problem, time_limit_s=5)
    assert result.status == Status.OPTIMAL
    assert (result.placed_priority, result.bound) == (6, 6)
    assert [(u.request, u.reasons) for u in result.unplaced] == [("family", ["NOT_ENOUGH_BEDS"])]
    assert_feasible(problem, result)


def test_keep_apart_never_shares_a_house() -> None:
    one_house = instance([house("H", free_beds=2)], [request("a"), request("b")], keep_apart=[("a", "b")])
    result = solve(one_house, time_limit_s=5)
    assert result.placed_priority == 1
    assert_feasible(one_house, result)
    two_houses = instance(
        [house("H1", free_beds=2), house("H2", free_beds=2)], [request("a"), request("b")], keep_apart=[("a", "b")]
    )
    result = solve(two_houses, time_limit_s=5)
    assert result.placed_priority == 2
    assert_feasible(two_houses, result)


@pytest.mark.parametrize(("beds", "placed"), [((1,), 0), ((1, 1), 0), ((2,), 2), ((1, 2), 2)])
def test_place_together_is_one_house_or_none(beds: tuple[int, ...], placed: int) -> None:
    problem = instance(
        [house(f"H{i}", free_beds=n) for i, n in enumerate(beds)],
        [request("sister"), request("brother", gender="male")],
        place_together=[["sister", "brother"]],
    )
    result = solve(problem, time_limit_s=5)
    assert result.status == Status.OPTIMAL
    assert result.placed_priority == placed
    assert_feasible(problem, result)


def test_overlapping_groups_are_one_group() -> None:
    problem = instance(
        [house("H1", free_beds=2), house("H2", free_beds=1)],
        [request("a"), request("b"), request("c")],
        place_together=[["a", "b"], ["b", "c"]],
    )
    result = solve(problem, time_limit_s=5)
    assert result.placed_priority == 0
    assert_feasible(problem, result)


def test_among_equal_priorities_the_better_fit_wins() -> None:
    problem = instance(
        [house("far", area="bromley", free_beds=1), house("near", area="hackney", free_beds=1)],
        [request("r", preferred_areas=["hackney"])],
    )
    result = solve(problem, time_limit_s=5)
    assert result.score == score(problem.requests[0], problem.houses[1]).points
    assert result.score > score(problem.requests[0], problem.houses[0]).points


def test_score_never_outweighs_priority() -> None:
    perfect = {"preferred_areas": ["camden"], "languages": ["sq"]}
    problem = instance(
        [house("H", languages=["sq"], free_beds=1)],
        [request("fits_well", priority=1, **perfect), request("urgent", priority=2, languages=[])],
    )
    assert solve(problem, time_limit_s=5).placed_priority == 2


def test_unplaced_requests_keep_the_reasons_that_ruled_houses_out() -> None:
    problem = instance(
        [house("women", genders=["female"]), house("recovery", nrm_stages=["recovery"], free_beds=0)],
        [request("man", gender="male", nrm_stage="pre_nrm")],
    )
    result = solve(problem, time_limit_s=5)
    assert result.unplaced[0].reasons == ["GENDER_NOT_SERVED", "NRM_STAGE_NOT_SERVED"]


def brute_force(problem: Instance) -> int:
    """The best placed priority by trying every allocation (tiny instances only)."""
    best = 0
    for choice in itertools.product([None, *problem.houses], repeat=len(problem.requests)):
        pairs = [(r, h) for r, h in zip(problem.requests, choice, strict=True) if h is not None]
        priority = sum(r.priority for r, _ in pairs)
        if priority <= best:
            continue
        candidate = Result.model_validate(
            {
                "status": "FEASIBLE",
                "placed_priority": priority,
                "bound": priority,
                "assignments": [{"request": r.id, "house": h.id} for r, h in pairs],
                "unplaced": [
                    {"request": r.id, "reasons": []} for r, h in zip(problem.requests, choice, strict=True) if h is None
                ],
            }
        )
        try:
            assert_feasible(problem, candidate)
        except AssertionError:
            continue
        best = priority
    return best


def random_instance(rng: random.Random, n_houses: int, n_requests: int) -> Instance:
    houses = [
        house(
            f"H{i}",
            genders=rng.choice([["female"], ["male"], ["female", "male", "non_binary"]]),
            nrm_stages=rng.sample(["pre_nrm", "recovery", "move_on"], k=rng.randint(1, 3)),
            max_children=(kids := rng.choice([0, 0, 2])),
            max_child_age=12 if kids else 0,
            free_beds=rng.randint(0, 3),
        )
        for i in range(n_houses)
    ]
    requests = [
        request(
            f"R{i}",
            priority=rng.randint(1, 5),
            gender=rng.choice(["female", "female", "male"]),
            nrm_stage=rng.choice(["pre_nrm", "recovery", "move_on"]),
            children=rng.choice([[], [], [], [4]]),
        )
        for i in range(n_requests)
    ]
    ids = [r.id for r in requests]
    return instance(
        houses,
        requests,
        keep_apart=[tuple(rng.sample(ids, 2))] if rng.random() < 0.5 else [],
        place_together=[rng.sample(ids, 2)] if rng.random() < 0.5 else [],
    )


@pytest.mark.parametrize("seed", range(12))
def test_optimal_on_small_instances_matches_brute_force(seed: int) -> None:
    problem = random_instance(random.Random(seed), n_houses=3, n_requests=6)
    result = solve(problem, time_limit_s=5)
    assert result.status == Status.OPTIMAL
    assert_feasible(problem, result)
    assert result.placed_priority == result.bound == brute_force(problem)


@pytest.mark.parametrize("seed", range(3))
def test_larger_instances_are_feasible_with_a_bound(seed: int) -> None:
    problem = random_instance(random.Random(100 + seed), n_houses=40, n_requests=80)
    result = solve(problem, time_limit_s=10)
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert_feasible(problem, result)


@pytest.mark.parametrize(
    ("links", "message"),
    [
        ({"keep_apart": [("R1", "nobody")]}, "keep_apart: no request with id nobody"),
        ({"place_together": [["R1", "R1"]]}, "place_together: a request is linked to itself"),
    ],
)
def test_links_must_name_known_requests(links: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Instance.model_validate({"houses": [], "requests": [request().model_dump()], **links})


def test_ids_are_unique() -> None:
    with pytest.raises(ValidationError, match="requests: ids used more than once: R1"):
        Instance(houses=[], requests=[request(), request()])


def test_a_place_together_group_names_two_or_more_requests() -> None:
    with pytest.raises(ValidationError, match="place_together.0"):
        Instance.model_validate({"houses": [], "requests": [request().model_dump()], "place_together": [[]]})


def test_an_unplaced_request_says_when_links_kept_it_out() -> None:
    problem = instance(
        [house("H", free_beds=2)],
        [request("a", priority=5), request("b"), request("sister"), request("brother", gender="male")],
        keep_apart=[("a", "b")],
        place_together=[["sister", "brother"]],
    )
    problem = problem.model_copy(
        update={"houses": [house("H", free_beds=2, genders=["female"]), house("M", free_beds=1, genders=["male"])]}
    )
    result = solve(problem, time_limit_s=5)
    reasons = {u.request: u.reasons for u in result.unplaced}
    assert "KEPT_APART" in reasons["b"], "b could have had a's house, but a is there"
    assert "KEPT_TOGETHER" in reasons["sister"], "the sister fits alone, but not with her brother"
    assert_feasible(problem, result)


def test_a_family_that_holds_two_people_to_keep_apart_goes_nowhere() -> None:
    # a with b, b with c: one family; but a and c must be kept apart, so no house can take it.
    problem = instance(
        [house("H", free_beds=5)],
        [request("a"), request("b"), request("c"), request("d")],
        place_together=[["a", "b"], ["b", "c"]],
        keep_apart=[("a", "c")],
    )
    result = solve(problem, time_limit_s=5)
    assert (result.status, result.placed_priority, result.bound) == (Status.OPTIMAL, 1, 1)
    assert_feasible(problem, result)
