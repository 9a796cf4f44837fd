"""Synthetic allocation instances at London, national and stress scale, seeded and reproducible.

Realistic sparsity: most requests fit a few to a third of the houses (gender, NRM stage, children,
language without an interpreter, step-free, excluded areas). Vacancy is `tight` (free beds about
equal to beds requested) or `plentiful` (about twice).
"""

import random

from capacity.vocab import LONDON_AREAS, Area
from matching.instance import HouseSnapshot, Instance, RequestSnapshot

SCALES = {
    "london": {"requests": 200, "houses": 150, "beds": 600},
    "national": {"requests": 2_000, "houses": 5_000, "beds": 20_000},
    "stress": {"requests": 10_000, "houses": 25_000, "beds": 100_000},
}
LANGUAGES = ["en", "sq", "vi", "ro", "pcm", "bin", "pl", "zh", "ti", "lt"]
AREAS = list(LONDON_AREAS) + [Area.south_east, Area.east_of_england, Area.west_midlands, Area.north_west]


def make_instance(scale: str, *, vacancy: str = "tight", seed: int = 1) -> Instance:
    """A reproducible instance of the given scale and vacancy."""
    size = SCALES[scale]
    rng = random.Random(seed)
    houses = []
    for i in range(size["houses"]):
        kind = rng.choices(["female", "male", "mixed"], [70, 18, 12])[0]
        genders = {"female": ["female"], "male": ["male"], "mixed": ["female", "male", "non_binary"]}[kind]
        stages = rng.choices([["recovery"], ["recovery", "move_on"], ["move_on"], ["pre_nrm"]], [50, 25, 15, 10])[0]
        children = rng.choices([0, 1, 2, 3], [85, 5, 5, 5])[0]
        houses.append(
            HouseSnapshot(
                id=i,
                area=rng.choice(AREAS),
                genders=genders,
                trans_inclusive=rng.random() < 0.45,
                nrm_stages=stages,
                max_children=children,
                max_child_age=rng.choice([11, 15, 17]) if children else 0,
                languages=["en", *rng.sample(LANGUAGES[1:], k=rng.randint(0, 2))],
                step_free=rng.random() < 0.2,
                faith_based=rng.random() < 0.15,
                free_beds=0,
            )
        )
    demand_beds = 0
    requests = []
    for i in range(size["requests"]):
        ages: list[int] = rng.choices(
            [[], [rng.randint(0, 12)], [rng.randint(0, 12), rng.randint(0, 16)]], [85, 10, 5]
        )[0]
        demand_beds += 1 + len(ages)
        requests.append(
            RequestSnapshot(
                id=i,
                priority=rng.choices([100, 30, 10], [50, 30, 20])[0] + rng.randint(0, 12),
                gender=rng.choices(["female", "male", "non_binary"], [60, 37, 3])[0],
                trans=rng.random() < 0.03,
                nrm_stage=rng.choices(["pre_nrm", "recovery", "move_on"], [45, 35, 20])[0],
                children=ages,
                languages=[rng.choice(LANGUAGES)],
                interpreter_ok=rng.random() < 0.8,
                needs_step_free=rng.random() < 0.05,
                excluded_areas=rng.sample(AREAS, k=rng.randint(0, 3)),
                preferred_areas=rng.sample(AREAS, k=rng.randint(0, 2)),
                avoid_faith_based=rng.random() < 0.1,
            )
        )
    free_total = demand_beds if vacancy == "tight" else 2 * demand_beds
    free = [0] * len(houses)
    for _ in range(min(free_total, size["beds"])):
        free[rng.randrange(len(houses))] += 1
    houses = [h.model_copy(update={"free_beds": n}) for h, n in zip(houses, free, strict=True)]
    ids = list(range(len(requests)))
    pairs = len(requests) // 50
    keep_apart = [tuple(rng.sample(ids, 2)) for _ in range(pairs)]
    together = [rng.sample(ids, 2) for _ in range(pairs)]
    return Instance(houses=houses, requests=requests, keep_apart=keep_apart, place_together=together)
