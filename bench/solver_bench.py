"""Whole-queue solver against the greedy baseline, on seeded synthetic instances.

Usage: python -m bench.solver_bench [--scale london] [--seeds 5] [--time-limit 10]
Prints a Markdown table: per vacancy, the median solve time, how often it proved optimality, the
placed priority against its proven bound, and against greedy on the same instance.
"""

import argparse
import statistics
import time

from bench.greedy import greedy
from bench.instances import make_instance
from matching.instance import Status
from matching.solver import solve


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="london")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--time-limit", type=float, default=10.0)
    args = parser.parse_args()
    print("| scale | vacancy | median solve s | optimal | median gap to bound | solver / greedy placed priority |")
    print("| --- | --- | --- | --- | --- | --- |")
    for vacancy in ("tight", "plentiful"):
        times, gaps, ratios, optimal = [], [], [], 0
        for seed in range(1, args.seeds + 1):
            instance = make_instance(args.scale, vacancy=vacancy, seed=seed)
            started = time.perf_counter()
            result = solve(instance, time_limit_s=args.time_limit, workers=2, seed=0)
            times.append(time.perf_counter() - started)
            optimal += result.status == Status.OPTIMAL
            gaps.append((result.bound - result.placed_priority) / max(result.bound, 1))
            ratios.append(result.placed_priority / max(greedy(instance), 1))
        print(
            f"| {args.scale} | {vacancy} | {statistics.median(times):.3f} | {optimal}/{args.seeds} "
            f"| {statistics.median(gaps):.4%} | {statistics.median(ratios):.4f} (min {min(ratios):.4f}) |"
        )


if __name__ == "__main__":
    main()
