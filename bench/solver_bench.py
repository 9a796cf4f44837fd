"""Whole-queue solver against greedy and against HiGHS, on seeded synthetic instances.

Usage: python -m bench.solver_bench [--scale london] [--seeds 5] [--time-limit 10] [--no-peer]
Prints a Markdown table: per vacancy, the median wall time (model building included), how often
the answer was proven optimal, the median gap to the certified bound, placed priority against
greedy and against HiGHS given the same time limit, and the peak memory of the solving process.
Each solve runs in its own process, so that its peak memory is its own.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

from bench.greedy import greedy
from bench.instances import make_instance
from bench.milp import highs
from matching.instance import Status
from matching.solver import solve


def child(method: str, scale: str, vacancy: str, seed: int, time_limit: float) -> dict[str, object]:
    """Solve one instance by one method; what the parent prints comes from here."""
    instance = make_instance(scale, vacancy=vacancy, seed=seed)
    if method == "highs":
        placed, status, seconds = highs(instance, time_limit_s=time_limit)
        return {"placed": placed, "status": status, "seconds": seconds}
    result = solve(instance, time_limit_s=time_limit, workers=2, seed=0)
    return {
        "placed": result.placed_priority,
        "bound": result.bound,
        "optimal": result.status == Status.OPTIMAL,
        "seconds": result.wall_time_s,
        "greedy": greedy(instance),
    }


def measured(method: str, scale: str, vacancy: str, seed: int, time_limit: float) -> dict[str, float]:
    """Run `child` in a fresh process; add its peak memory in MiB."""
    command = [sys.executable, "-m", "bench.solver_bench", "--child", method]
    command += ["--scale", scale, "--vacancy", vacancy, "--seed", str(seed), "--time-limit", str(time_limit)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{method} on {scale}/{vacancy}/{seed} failed")
    found: dict[str, float] = json.loads(output)
    found["peak_mib"] = usage.ru_maxrss / 1024
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="london")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--no-peer", action="store_true", help="skip HiGHS (it cannot load the stress scale)")
    parser.add_argument("--child", choices=["solver", "highs"], help=argparse.SUPPRESS)
    parser.add_argument("--vacancy", default="tight", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.scale, args.vacancy, args.seed, args.time_limit)))
        return
    print(
        "| scale | vacancy | median wall s | optimal | median gap to bound | worst gap "
        "| solver / greedy | solver / HiGHS | HiGHS found | median peak MiB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for vacancy in ("tight", "plentiful"):
        runs = [measured("solver", args.scale, vacancy, s, args.time_limit) for s in range(1, args.seeds + 1)]
        gaps = [(r["bound"] - r["placed"]) / max(r["bound"], 1) for r in runs]
        over_greedy = [r["placed"] / max(r["greedy"], 1) for r in runs]
        peer = "not run"
        found = "-"
        if not args.no_peer:
            peers = [measured("highs", args.scale, vacancy, s, args.time_limit) for s in range(1, args.seeds + 1)]
            ratios = [r["placed"] / p["placed"] for r, p in zip(runs, peers, strict=True) if p["placed"]]
            peer = f"{min(ratios):.4f} (min)" if ratios else "HiGHS placed nobody"
            found = f"{sum(1 for p in peers if p['placed'])}/{args.seeds}"
        print(
            f"| {args.scale} | {vacancy} | {statistics.median(r['seconds'] for r in runs):.2f} "
            f"| {sum(1 for r in runs if r['optimal'])}/{args.seeds} | {statistics.median(gaps):.4%} | {max(gaps):.4%} "
            f"| {statistics.median(over_greedy):.4f} (min {min(over_greedy):.4f}) | {peer} | {found} "
            f"| {statistics.median(r['peak_mib'] for r in runs):.0f} |"
        )


if __name__ == "__main__":
    main()
