"""Instant search's ranking core with the houses indexed in memory (no database, no HTTP).

Each search checks every house, counts the ruled-out ones by reason, ranks the rest and describes
the best 20 (the API lists 50 unless asked otherwise).

Usage: python -m bench.search_bench [--houses 25000] [--searches 200]
Prints p50 and p95 milliseconds per search, and the same at 1/10 of the houses in the same process
as a baseline for scaling.
"""

import argparse
import random
import statistics
import time
from datetime import UTC, datetime

from bench.instances import make_instance
from capacity.models import BedCounts, HousePublic
from matching.models import RequestNeeds
from matching.search import SearchIndex, rank, request_snapshot


def houses_in_memory(count: int) -> list[HousePublic]:
    scale = "stress" if count > 5_000 else "national"
    snapshots = make_instance(scale, seed=7).houses[:count]
    now = datetime.now(UTC)
    return [
        HousePublic.model_validate(
            h.model_dump(exclude={"free_beds", "stale", "faith_based", "id"})
            | {
                "id": i + 1,
                "display_name": f"House {i}",
                "organisation_id": 1 + i % 40,
                "organisation_name": "Provider",
                "faith_based": h.faith_based,
                "vacancies_confirmed_at": now,
                "stale": False,
                "beds": BedCounts(
                    total=4, available=h.free_beds, held=0, occupied=4 - min(h.free_beds, 4), out_of_service=0
                ),
                "language_names": [],
            }
        )
        for i, h in enumerate(snapshots)
    ]


def needs(rng: random.Random) -> RequestNeeds:
    return RequestNeeds.model_validate(
        {
            "urgency": "tonight",
            "nrm_stage": rng.choice(["pre_nrm", "recovery", "move_on"]),
            "nrm_consent": True,
            "gender": rng.choice(["female", "male"]),
            "age_band": "25_34",
            "languages": [rng.choice(["sq", "vi", "ro", "en"])],
            "interpreter_ok": rng.random() < 0.8,
        }
    )


def timings(houses: list[HousePublic], searches: int) -> tuple[float, float]:
    rng = random.Random(3)
    index = SearchIndex.of(houses)
    samples = []
    for _ in range(searches):
        wanted = request_snapshot(needs(rng))
        started = time.perf_counter()
        rank(wanted, index, limit=20)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--houses", type=int, default=25_000)
    parser.add_argument("--searches", type=int, default=200)
    args = parser.parse_args()
    print("| houses | p50 ms | p95 ms |")
    print("| --- | --- | --- |")
    for count in (args.houses // 10, args.houses):
        p50, p95 = timings(houses_in_memory(count), args.searches)
        print(f"| {count} | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
