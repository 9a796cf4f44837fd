from typing import Any

import pytest

from matching.eligibility import MAX_SCORE, Reason, rule_out_reasons, score, unsuitable_reasons
from tests.matching.snapshots import house, request


def test_a_house_that_fits_has_no_reasons() -> None:
    assert rule_out_reasons(request(), house()) == []


@pytest.mark.parametrize(
    ("request_fields", "house_fields", "reason"),
    [
        ({"gender": "male"}, {"genders": ["female"]}, Reason.GENDER_NOT_SERVED),
        ({"trans": True}, {"trans_inclusive": False}, Reason.TRANS_NOT_INCLUDED),
        ({"nrm_stage": "pre_nrm"}, {"nrm_stages": ["recovery"]}, Reason.NRM_STAGE_NOT_SERVED),
        ({"children": [4, 6]}, {"max_children": 1, "max_child_age": 10}, Reason.CHILDREN_NOT_ACCEPTED),
        ({"children": [15]}, {"max_children": 2, "max_child_age": 12}, Reason.CHILD_TOO_OLD),
        ({"languages": ["sq"], "interpreter_ok": False}, {"languages": ["en", "ro"]}, Reason.NO_SHARED_LANGUAGE),
        ({"needs_step_free": True}, {"step_free": False}, Reason.NOT_STEP_FREE),
        ({"excluded_areas": ["newham"]}, {"area": "newham"}, Reason.AREA_EXCLUDED),
        ({"avoid_faith_based": True}, {"faith_based": True}, Reason.FAITH_BASED),
        ({"children": [3]}, {"free_beds": 1}, Reason.NOT_ENOUGH_BEDS),
        ({"avoid_houses": ["H1"]}, {}, Reason.KEPT_APART),
        ({"only_house": "H2"}, {}, Reason.KEPT_TOGETHER),
    ],
)
def test_each_rule_names_its_reason(
    request_fields: dict[str, Any], house_fields: dict[str, Any], reason: Reason
) -> None:
    assert rule_out_reasons(request(**request_fields), house(**house_fields)) == [reason]


def test_an_interpreter_makes_language_no_bar() -> None:
    assert rule_out_reasons(request(languages=["sq"], interpreter_ok=True), house(languages=["en"])) == []


def test_every_reason_is_listed_not_only_the_first() -> None:
    reasons = rule_out_reasons(
        request(gender="male", nrm_stage="pre_nrm", needs_step_free=True),
        house(genders=["female"], nrm_stages=["recovery"], free_beds=0),
    )
    assert reasons == [
        Reason.GENDER_NOT_SERVED,
        Reason.NRM_STAGE_NOT_SERVED,
        Reason.NOT_STEP_FREE,
        Reason.NOT_ENOUGH_BEDS,
    ]
    assert Reason.NOT_ENOUGH_BEDS not in unsuitable_reasons(request(), house(free_beds=0))


def test_score_rewards_a_shared_language_and_a_preferred_area() -> None:
    plain = score(request(languages=["sq"]), house(languages=["en"], max_children=0, max_child_age=0))
    better = score(
        request(languages=["sq"], preferred_areas=["camden"]),
        house(languages=["sq", "en"], max_children=0, max_child_age=0),
    )
    assert better.points == plain.points + 6
    assert "staff speak Albanian" in better.explanation
    assert "in Camden, a preferred area" in better.explanation


def test_score_keeps_scarce_beds_for_those_who_need_them() -> None:
    single = request()
    family_room = house(max_children=2, max_child_age=12)
    ordinary = house(max_children=0, max_child_age=0)
    assert score(single, ordinary).points > score(single, family_room).points
    assert "uses a family room" in score(single, family_room).explanation
    assert score(request(children=[5]), family_room).points == score(single, ordinary).points
    step_free = house(max_children=0, max_child_age=0, step_free=True)
    assert score(single, step_free).points < score(single, ordinary).points
    assert score(request(needs_step_free=True), step_free).points == score(single, ordinary).points


def test_score_stays_within_its_range() -> None:
    best = score(
        request(
            languages=["sq"],
            preferred_areas=["camden"],
            exploitation_type="labour",
            support_needs=["mental_health", "substance_use", "lgbt_plus"],
            children=[3],
            needs_step_free=True,
        ),
        house(
            languages=["sq"],
            specialisms=["labour"],
            extra_support=["mental_health", "substance_use", "lgbt_plus"],
            step_free=True,
        ),
    )
    assert best.points == MAX_SCORE
    worst = score(request(languages=[]), house(stale=True, step_free=True))
    assert worst.points == 0
