"""The column-wise rules give exactly the answers of the one-house rules they stand for."""

import random

import numpy as np
import pytest

from bench.instances import make_instance
from matching.eligibility import rule_out_reasons, score, unsuitable_reasons
from matching.instance import HouseSnapshot, RequestSnapshot
from matching.search import Listing, SearchIndex, rank
from matching.table import ELIGIBLE, ORDER, HouseTable
from tests.matching.snapshots import house, request


def varied(seed: int) -> tuple[list[HouseSnapshot], list[RequestSnapshot]]:
    """Random houses and requests, with the optional fields the generator leaves out filled in too."""
    rng = random.Random(seed)
    instance = make_instance("london", vacancy="tight", seed=seed)
    houses = [
        HouseSnapshot.model_validate(
            h.model_dump()
            | {
                "specialisms": rng.sample(["sexual", "labour", "criminal", "domestic_servitude"], rng.randint(0, 2)),
                "extra_support": rng.sample(["mental_health", "substance_use", "lgbt_plus"], rng.randint(0, 3)),
                "stale": rng.random() < 0.3,
            }
        )
        for h in instance.houses
    ]
    ids = [h.id for h in houses]
    requests = [
        RequestSnapshot.model_validate(
            r.model_dump()
            | {
                "exploitation_type": rng.choice([None, "sexual", "labour", "criminal"]),
                "support_needs": rng.sample(["mental_health", "substance_use", "lgbt_plus"], rng.randint(0, 2)),
                "avoid_houses": rng.sample(ids, rng.choice([0, 0, 0, 2])),
                "only_house": rng.choice([None] * 9 + [rng.choice(ids)]),
            }
        )
        for r in instance.requests
    ]
    return houses, requests


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_table_rules_a_house_out_for_the_first_reason_the_rules_give(seed: int) -> None:
    houses, requests = varied(seed)
    table = HouseTable.build(houses)
    for person in requests[:60]:
        codes = table.first_reasons(person)
        suitable = table.suitable(person)
        for row, one in enumerate(houses):
            reasons = rule_out_reasons(person, one)
            assert codes[row] == (ORDER.index(reasons[0]) if reasons else ELIGIBLE), (person.id, one.id)
            assert suitable[row] == (not unsuitable_reasons(person, one))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_table_scores_every_house_as_the_score_does(seed: int) -> None:
    houses, requests = varied(seed)
    table = HouseTable.build(houses)
    rows = list(range(len(houses)))
    for person in requests[:60]:
        points = table.points(person, rows)  # type: ignore[arg-type]
        assert list(points) == [score(person, one).points for one in houses]


def test_every_reason_the_rules_give_has_a_place_in_the_order() -> None:
    from matching.eligibility import Reason

    assert set(ORDER) == set(Reason) - {Reason.NOT_SOLVED}


def test_a_language_no_house_speaks_matches_nothing_and_an_empty_table_rules_nothing_out() -> None:
    table = HouseTable.build([house(languages=["en"])])
    assert table.first_reasons(request(languages=["ti"], interpreter_ok=False))[0] == ORDER.index(
        rule_out_reasons(request(languages=["ti"], interpreter_ok=False), house(languages=["en"]))[0]
    )
    assert len(HouseTable.build([]).first_reasons(request())) == 0


@pytest.mark.parametrize("seed", [1, 2])
def test_listing_the_best_few_lists_the_head_of_the_full_ranking(seed: int) -> None:
    houses, requests = varied(seed)
    rng = random.Random(seed)
    index = SearchIndex(
        table=HouseTable.build(houses),
        listings=tuple(Listing(int(h.id), f"House {h.id}", "Provider") for h in houses),
        # Few distinct times, so that many houses tie on every key but the last.
        confirmed_at=np.array([rng.choice([0, 10**15]) for _ in houses], dtype=np.int64),
        house_ids=np.array([h.id for h in houses], dtype=np.int64),
    )
    for person in requests[:40]:
        everything = rank(person, index)
        assert everything.matches_total == len(everything.matches)
        for limit in (1, 3, 10):
            assert rank(person, index, limit=limit).matches == everything.matches[:limit]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_reasons_found_over_all_houses_are_those_the_rules_give_house_by_house(seed: int) -> None:
    houses, requests = varied(seed)
    table = HouseTable.build(houses)
    for person in requests[:60]:
        expected = {reason for one in houses for reason in unsuitable_reasons(person, one)}
        assert table.reasons(person) == (expected, any(not unsuitable_reasons(person, one) for one in houses))
