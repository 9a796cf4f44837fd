"""Whole-queue allocation with OR-Tools CP-SAT, in the phases of its own samples.

data -> variables -> constraints -> objective -> solve -> extract. The solver knows no database and
no settings: an Instance comes in, a Result goes out, and the time limit and workers are arguments.

Objective: maximise the sum of the priorities of the placed requests; below that, strictly, the sum
of the soft-preference scores. The two are combined as priority * SCALE + score with SCALE larger
than any possible total score, so no amount of score ever outweighs one unit of priority.
"""

import os
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from matching.eligibility import MAX_SCORE, Reason, score, unsuitable_reasons
from matching.instance import Assignment, HouseSnapshot, Id, Instance, RequestSnapshot, Result, Status, Unplaced

DEFAULT_TIME_LIMIT_S = 10.0


@dataclass
class Data:
    """The instance, indexed: which houses each request could use, and what each pair is worth."""

    requests: dict[Id, RequestSnapshot]
    houses: dict[Id, HouseSnapshot]
    eligible: dict[Id, list[Id]] = field(default_factory=dict)
    points: dict[tuple[Id, Id], int] = field(default_factory=dict)
    groups: list[list[Id]] = field(default_factory=list)
    scale: int = 1


def _merge(groups: Iterable[Iterable[Id]]) -> list[list[Id]]:
    """Merge place-together groups that share a request: together is transitive."""
    merged: list[set[Id]] = []
    for group in groups:
        members = set(group)
        for existing in [m for m in merged if m & members]:
            members |= existing
            merged.remove(existing)
        merged.append(members)
    return [sorted(m, key=str) for m in merged]


def build_data(instance: Instance) -> Data:
    """Index the instance and keep, for each request, only the houses that could take it."""
    data = Data(
        requests={r.id: r for r in instance.requests},
        houses={h.id: h for h in instance.houses},
        groups=_merge(instance.place_together),
    )
    for request in instance.requests:
        data.eligible[request.id] = [
            house.id
            for house in instance.houses
            if house.free_beds >= request.beds_needed and not unsuitable_reasons(request, house)
        ]
    # A group goes to one house or none, so only houses every member could use are open to it.
    for group in data.groups:
        common = set.intersection(*(set(data.eligible[r]) for r in group))
        for r in group:
            data.eligible[r] = [h for h in data.eligible[r] if h in common]
    for request_id, house_ids in data.eligible.items():
        for house_id in house_ids:
            data.points[request_id, house_id] = score(data.requests[request_id], data.houses[house_id]).points
    data.scale = MAX_SCORE * len(instance.requests) + 1
    return data


def solve(instance: Instance, *, time_limit_s: float | None = None, workers: int = 2, seed: int = 0) -> Result:
    """Allocate the instance's requests to its houses; the answer is a proposal, not a hold."""
    started = time.perf_counter()
    data = build_data(instance)
    model = cp_model.CpModel()

    # Variables: one per request and house that could take it.
    x = {(r, h): model.new_bool_var(f"x[{r},{h}]") for r, houses in data.eligible.items() for h in houses}
    by_house: dict[Id, list[Id]] = defaultdict(list)
    for r, h in x:
        by_house[h].append(r)

    # Constraints.
    for r, houses in data.eligible.items():
        if len(houses) > 1:
            model.add_at_most_one(x[r, h] for h in houses)
    for h, requests in by_house.items():
        demand = sum(data.requests[r].beds_needed for r in requests)
        if demand > data.houses[h].free_beds:
            model.add(sum(data.requests[r].beds_needed * x[r, h] for r in requests) <= data.houses[h].free_beds)
    for a, b in instance.keep_apart:
        for h in set(data.eligible[a]) & set(data.eligible[b]):
            model.add_at_most_one([x[a, h], x[b, h]])
    for group in data.groups:
        first, *others = group
        for h in data.eligible[first]:
            for r in others:
                model.add(x[first, h] == x[r, h])

    # Objective.
    model.maximize(sum((data.requests[r].priority * data.scale + data.points[r, h]) * var for (r, h), var in x.items()))

    # Solve.
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s or instance.time_limit_s or DEFAULT_TIME_LIMIT_S
    solver.parameters.num_workers = max(1, min(workers, os.cpu_count() or 1))
    solver.parameters.random_seed = seed
    status = solver.solve(model)

    # Extract.
    found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    chosen = [(r, h) for (r, h), var in x.items() if found and solver.boolean_value(var)]
    placed = {r for r, _ in chosen}
    placed_priority = sum(data.requests[r].priority for r in placed)
    if found:
        # The objective is an integer, so its proven bound is too (up to float rounding).
        bound = round(solver.best_objective_bound) // data.scale if x else 0
    else:
        # Nothing solved in time: the only certain bound is everyone who could go somewhere.
        bound = sum(data.requests[r].priority for r, houses in data.eligible.items() if houses)
    return Result(
        status=Status.OPTIMAL if status == cp_model.OPTIMAL else Status.FEASIBLE if found else Status.UNKNOWN,
        placed_priority=placed_priority,
        bound=bound,
        assignments=[Assignment(request=r, house=h) for r, h in chosen],
        unplaced=[
            Unplaced(
                request=request.id,
                reasons=unplaced_reasons(request, instance.houses, data.eligible[request.id])
                + ([] if found else [Reason.NOT_SOLVED]),
            )
            for request in instance.requests
            if request.id not in placed
        ],
        score=sum(data.points[pair] for pair in chosen),
        wall_time_s=round(time.perf_counter() - started, 4),
    )


def unplaced_reasons(request: RequestSnapshot, houses: Iterable[HouseSnapshot], eligible: list[Id]) -> list[str]:
    """Why a request was not placed: what ruled houses out, and NOT_ENOUGH_BEDS where suitable houses had no room."""
    reasons: set[Reason] = set()
    suitable = bool(eligible)
    for house in houses:
        found = unsuitable_reasons(request, house)
        reasons.update(found)
        suitable = suitable or not found
    if suitable:
        reasons.add(Reason.NOT_ENOUGH_BEDS)
    return sorted(reasons)
