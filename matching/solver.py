"""Whole-queue allocation with OR-Tools CP-SAT, in the phases of its own samples.

data -> incumbent -> bound and pruning -> variables -> constraints -> objectives -> solve -> extract.
The solver knows no database and no settings: an Instance comes in, a Result goes out, and the
time limit, workers and seed are arguments.

Objectives, lexicographic: first maximise the sum of the priorities of the placed requests; then,
keeping that sum, the sum of the soft-preference scores. No amount of score outweighs one unit of
priority, and each solve has small coefficients, which CP-SAT handles best.

At national scale there are hundreds of thousands of request-house pairs, too many for CP-SAT to
take whole. The linear relaxation (matching.relaxation) is solved as a min-cost flow; its prices
give a certified bound, tightened by packing each house whole (a Lagrangian bound), and a reduced
cost for every pair. Each request keeps its cheapest few houses (then its best-scoring, ties broken
at random), CP-SAT allocates among those, and the answer is measured against the certified bound:
it is OPTIMAL when it meets the bound.
"""

import os
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from matching.eligibility import MAX_SCORE, Reason
from matching.instance import Assignment, Instance, RequestSnapshot, Result, Status, Unplaced
from matching.relaxation import Pairs, Relaxation, lagrangian_bound, relax
from matching.table import ORDER, HouseTable, Ints, Mask

DEFAULT_TIME_LIMIT_S = 10.0
# CP-SAT takes every pair while there are no more than this many.
MAX_MODEL_PAIRS = 60_000
# Otherwise each request keeps this many of its houses: the cheapest by reduced cost.
KEPT_PER_REQUEST = 10
# Below this many pairs one worker proves optimality sooner than two sharing two cores.
ONE_WORKER_PAIRS = 20_000
UNPLACED = -1
# Of the time limit: about this share for bounding at scale (column generation and subgradient steps
# stop once it has passed); of the time then left for CP-SAT, this share for the placed priority.
BOUND_SHARE = 0.25
PRIORITY_SHARE = 0.9
MIN_PHASE_S = 0.05
# Kept back from the time limit for reading the answer and the reasons of those left unplaced.
EXTRACT_S = 0.05
EXTRACT_S_PER_REQUEST = 0.00015


@dataclass
class Data:
    """The instance, indexed: for each request the houses that could take it, and what each pair is worth."""

    requests: list[RequestSnapshot]
    table: HouseTable
    pairs: Pairs
    points: Ints  # by pair
    priority: Ints  # by request
    scale: int
    groups: list[list[int]] = field(default_factory=list)  # place-together, by request index
    apart: list[tuple[int, int]] = field(default_factory=list)
    alone: Mask = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))  # could go somewhere on its own

    def houses_of(self, r: int) -> Ints:
        return self.pairs.house[self.pairs.start[r] : self.pairs.start[r + 1]]


def _merge(groups: Iterable[Iterable[int]]) -> list[list[int]]:
    """Merge place-together groups that share a request: together is transitive."""
    merged: list[set[int]] = []
    for group in groups:
        members = set(group)
        for existing in [m for m in merged if m & members]:
            members |= existing
            merged.remove(existing)
        merged.append(members)
    return [sorted(m) for m in merged]


def build_data(instance: Instance) -> Data:
    """Index the instance and keep, for each request, only the houses that could take it."""
    table = HouseTable.build(instance.houses)
    index = {request.id: i for i, request in enumerate(instance.requests)}
    groups = _merge([index[i] for i in group] for group in instance.place_together)
    rows: list[Ints] = []
    for request in instance.requests:
        ok = table.suitable(request) & (table.free_beds >= request.beds_needed)
        rows.append(np.flatnonzero(ok).astype(np.int32))
    alone = np.array([len(r) > 0 for r in rows], dtype=np.bool_)
    apart = sorted({tuple(sorted((index[a], index[b]))) for a, b in instance.keep_apart})
    # A group goes to one house or none: only houses every member could use, with room for them all,
    # and none at all when two of its members must be kept apart.
    for group in groups:
        common = rows[group[0]]
        for r in group[1:]:
            common = np.intersect1d(common, rows[r], assume_unique=True)
        need = sum(instance.requests[r].beds_needed for r in group)
        common = common[table.free_beds[common] >= need]
        members = set(group)
        if any(a in members and b in members for a, b in apart):
            common = common[:0]
        for r in group:
            rows[r] = common
    points = np.concatenate(
        [table.points(request, r).astype(np.int16) for request, r in zip(instance.requests, rows, strict=True)]
        or [np.zeros(0, dtype=np.int16)]
    )
    start = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=start[1:])
    priority = np.array([r.priority for r in instance.requests], dtype=np.int64)
    beds = np.array([r.beds_needed for r in instance.requests], dtype=np.int64)
    scale = MAX_SCORE * len(instance.requests) + 1
    house: Ints = np.concatenate(rows or [np.zeros(0, dtype=np.int32)])
    pairs = Pairs(
        start=start,
        request=np.repeat(np.arange(len(rows), dtype=np.int32), np.diff(start)),
        house=house,
        value=priority,
        beds=beds,
        free=table.free_beds.astype(np.int64),
    )
    return Data(
        requests=list(instance.requests),
        table=table,
        pairs=pairs,
        points=points,
        priority=priority,
        scale=scale,
        groups=groups,
        apart=apart,  # type: ignore[arg-type]
        alone=alone,
    )


def greedy(data: Data, *, wished: Ints | None = None) -> Ints:
    """An allocation to start from: the most urgent first, each (or each group) to its best house with room.

    With `wished` (a house per request, or UNPLACED), a request goes to its wished house first when
    that house still has room: this rounds the relaxation's answer to an allocation.
    """
    free = data.pairs.free.copy()
    house_of = np.full(len(data.requests), UNPLACED, dtype=np.int64)
    group_of = {r: group for group in data.groups for r in group}
    apart: dict[int, list[int]] = defaultdict(list)
    for a, b in data.apart:
        apart[a].append(b)
        apart[b].append(a)
    order = sorted(range(len(data.requests)), key=lambda r: (-int(data.priority[r]), int(data.pairs.beds[r]), r))
    # Wished houses first, for everyone; then the best house with room for whoever is left.
    for r, only_wished in [(r, True) for r in order if wished is not None] + [(r, False) for r in order]:
        members = group_of.get(r, [r])
        if house_of[r] != UNPLACED or any(house_of[m] != UNPLACED for m in members):
            continue
        houses = data.houses_of(r)
        need = int(data.pairs.beds[members].sum())
        ok = free[houses] >= need
        for m in members:
            for other in apart[m]:
                if house_of[other] != UNPLACED:
                    ok &= houses != house_of[other]
        if not ok.any():
            continue
        if only_wished:
            assert wished is not None
            at = int(np.searchsorted(houses, wished[r]))
            if not (all(wished[m] == wished[r] for m in members) and at < len(houses) and houses[at] == wished[r]):
                continue
            if not ok[at]:
                continue
            best = int(wished[r])
        else:
            worth = sum(data.points[data.pairs.start[m] : data.pairs.start[m + 1]].astype(np.int64) for m in members)
            best = int(houses[np.flatnonzero(ok)[np.argmax(np.asarray(worth)[ok])]])
        free[best] -= need
        house_of[members] = best
    return house_of


def value_of(data: Data, house_of: Ints) -> int:
    """The combined objective of an allocation."""
    total = 0
    for r in np.flatnonzero(house_of != UNPLACED).tolist():
        houses = data.houses_of(r)
        total += int(data.priority[r]) * data.scale + int(
            data.points[data.pairs.start[r] + np.searchsorted(houses, house_of[r])]
        )
    return total


@dataclass
class Pruned:
    """The pairs CP-SAT is given, whether they are all of them, and a certified bound on placed priority."""

    kept: Ints
    exact: bool
    bound: int | None = None


def _prune(data: Data, incumbent: Ints, *, deadline: float, seed: int) -> Pruned:
    """All pairs when they are few; otherwise each request's cheapest few by the relaxation's prices.

    At scale the relaxation is also rounded to an allocation, which replaces the incumbent (in place)
    when it is better.
    """
    n_pairs = len(data.pairs.house)
    request = data.pairs.request
    if n_pairs <= MAX_MODEL_PAIRS:
        relaxation = relax(data.pairs, np.arange(n_pairs))
        bound = min(relaxation.bound, lagrangian_bound(data.pairs, relaxation, deadline=deadline))
        return Pruned(kept=np.arange(n_pairs), exact=True, bound=bound)
    rng = np.random.default_rng(seed)
    # Start the relaxation from each request's best-scoring few houses, ties broken at random, and the incumbent.
    first = _cheapest(data, None, rng)
    placed = np.flatnonzero(incumbent != UNPLACED)
    initial = np.concatenate([first, data.pairs.start[placed] + _positions(data, placed, incumbent)])
    relaxation = relax(data.pairs, initial, deadline=deadline)
    # Round the relaxation: a request whose beds all went to one house is wished there.
    wished = np.full(len(data.requests), UNPLACED, dtype=np.int64)
    whole = relaxation.flow == data.pairs.beds[request[relaxation.flow_pairs]]
    wished[request[relaxation.flow_pairs[whole]]] = data.pairs.house[relaxation.flow_pairs[whole]]
    rounded = greedy(data, wished=wished)
    if value_of(data, rounded) > value_of(data, incumbent):
        incumbent[:] = rounded
    placed = np.flatnonzero(incumbent != UNPLACED)
    # Each request keeps its cheapest houses by reduced cost, then its best-scoring, ties broken at random.
    kept = np.concatenate(
        [
            _cheapest(data, relaxation, rng),
            data.pairs.start[placed] + _positions(data, placed, incumbent),
            relaxation.flow_pairs,
        ]
    )
    bound = min(relaxation.bound, lagrangian_bound(data.pairs, relaxation, deadline=deadline))
    return Pruned(kept=np.unique(kept), exact=False, bound=bound)


def _cheapest(data: Data, relaxation: Relaxation | None, rng: np.random.Generator) -> Ints:
    """Each request's KEPT_PER_REQUEST pairs of least reduced cost (none without a relaxation), then best
    score, then at random; a request at a time, so that no array of every pair is made."""
    kept: list[Ints] = []
    for r in range(len(data.requests)):
        start, end = int(data.pairs.start[r]), int(data.pairs.start[r + 1])
        if end - start <= KEPT_PER_REQUEST:
            kept.append(np.arange(start, end))
            continue
        # One sortable key per pair: cost (capped: only the cheapest matter), lost score, a random draw.
        cost = np.zeros(end - start, dtype=np.int64)
        if relaxation is not None:
            cost = np.minimum(relaxation.reduced_cost_units_of(r, data.pairs.house[start:end], data.pairs.beds), 2**38)
        key = cost << 21 | (MAX_SCORE - data.points[start:end].astype(np.int64)) << 16
        key |= rng.integers(0, 2**16, size=end - start)
        kept.append(start + np.argpartition(key, KEPT_PER_REQUEST)[:KEPT_PER_REQUEST])
    return np.concatenate(kept or [np.zeros(0, dtype=np.int64)])


def solve(instance: Instance, *, time_limit_s: float | None = None, workers: int = 2, seed: int = 0) -> Result:
    """Allocate the instance's requests to its houses; the answer is a proposal, not a hold."""
    started = time.perf_counter()
    limit = time_limit_s or instance.time_limit_s or DEFAULT_TIME_LIMIT_S
    data = build_data(instance)
    incumbent = greedy(data)
    pruned = _prune(data, incumbent, deadline=started + BOUND_SHARE * limit, seed=seed)

    # Variables: one per kept request-house pair.
    request = data.pairs.request[pruned.kept]
    house = data.pairs.house[pruned.kept]
    kept_houses: dict[int, set[int]] = defaultdict(set)
    for r, h in zip(request.tolist(), house.tolist(), strict=True):
        kept_houses[r].add(h)
    for group in data.groups:
        # Every member could use every house of the group (build_data made them the same), so the
        # group keeps any house kept for one of its members.
        kept_by_any = set.union(*(kept_houses[r] for r in group))
        for r in group:
            kept_houses[r] = kept_by_any
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    points: dict[tuple[int, int], int] = {}
    for r, kept_of_r in kept_houses.items():
        for h in sorted(kept_of_r):
            x[r, h] = model.new_bool_var(f"x[{r},{h}]")
            points[r, h] = int(data.points[data.pairs.start[r] + np.searchsorted(data.houses_of(r), h)])
    by_request: dict[int, list[int]] = defaultdict(list)
    by_house: dict[int, list[int]] = defaultdict(list)
    for r, h in x:
        by_request[r].append(h)
        by_house[h].append(r)

    # Constraints.
    for r, houses in by_request.items():
        if len(houses) > 1:
            model.add_at_most_one(x[r, h] for h in houses)
    for h, requests in by_house.items():
        demand = sum(int(data.pairs.beds[r]) for r in requests)
        if demand > data.pairs.free[h]:
            model.add(sum(int(data.pairs.beds[r]) * x[r, h] for r in requests) <= int(data.pairs.free[h]))
    for a, b in data.apart:
        for h in set(by_request[a]) & set(by_request[b]):
            model.add_at_most_one([x[a, h], x[b, h]])
    for group in data.groups:
        first, *others = group
        for h in by_request[first]:
            for r in others:
                model.add(x[first, h] == x[r, h])

    # Objectives, one after the other: first the priority placed, then, keeping it, the soft score.
    priority = sum(int(data.priority[r]) * var for (r, _), var in x.items())
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1 if len(x) <= ONE_WORKER_PAIRS else max(1, min(workers, os.cpu_count() or 1))
    solver.parameters.random_seed = seed
    # Measured at London scale: the model is already reduced to eligible pairs, so presolve and
    # probing only cost time; the full linear relaxation proves optimality sooner.
    solver.parameters.linearization_level = 2 if pruned.exact else 1
    solver.parameters.cp_model_presolve = not pruned.exact
    solver.parameters.cp_model_probing_level = 0 if pruned.exact else 2
    house_of = incumbent
    phases: list[cp_model.CpSolverStatus] = []
    first_bound: int | None = None
    score = sum(p * x[pair] for pair, p in points.items())
    # A model of every pair is small: one solve of both objectives combined (priority * scale + score)
    # proves both at once. A pruned one is large: two solves with small coefficients go faster.
    phases_to_run = (
        [(priority * data.scale + score, 1.0)] if pruned.exact else [(priority, PRIORITY_SHARE), (score, 1.0)]
    )
    for objective, share in phases_to_run:
        model.maximize(objective)
        model.clear_hints()  # type: ignore[no-untyped-call]
        for (r, h), var in x.items():
            model.add_hint(var, int(house_of[r]) == h)
        left = limit - (time.perf_counter() - started) - EXTRACT_S - EXTRACT_S_PER_REQUEST * len(data.requests)
        solver.parameters.max_time_in_seconds = max(MIN_PHASE_S, share * left)
        status = solver.solve(model)
        phases.append(status)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        answer = np.full(len(data.requests), UNPLACED, dtype=np.int64)
        for (r, h), var in x.items():
            if solver.boolean_value(var):
                answer[r] = h
        if value_of(data, answer) >= value_of(data, house_of):
            house_of = answer
        if first_bound is None and pruned.exact and abs(solver.best_objective_bound) < 2**52:
            # Below 2**52 the float is the integer bound exactly; above it, CP-SAT's bound is not used.
            first_bound = round(solver.best_objective_bound) // data.scale
        # Keep what the first objective reached while the second is improved.
        model.add(priority >= int(data.priority[house_of != UNPLACED].sum()))
        # The second solve starts from a full, feasible hint: presolving the model again only costs time.
        solver.parameters.cp_model_presolve = False

    # Extract.
    placed = np.flatnonzero(house_of != UNPLACED)
    placed_priority = int(data.priority[placed].sum())
    bounds = [_everyone(data)]
    if pruned.bound is not None:
        bounds.append(pruned.bound)
    if pruned.exact and first_bound is not None:
        bounds.append(first_bound)  # every pair was in the model, so its bound is the whole problem's
    bound = min(bounds)
    assert bound >= placed_priority, f"a certified bound {bound} below an allocation of {placed_priority}"
    solved = bool(phases) and phases[0] in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    proven = placed_priority == bound and phases[-1] == cp_model.OPTIMAL
    return Result(
        status=Status.OPTIMAL if proven else Status.FEASIBLE if solved or len(placed) else Status.UNKNOWN,
        placed_priority=placed_priority,
        bound=bound,
        assignments=[
            Assignment(request=data.requests[r].id, house=data.table.ids[int(house_of[r])]) for r in placed.tolist()
        ],
        unplaced=[
            Unplaced(
                request=data.requests[r].id,
                reasons=unplaced_reasons(data, r, house_of) + ([] if solved or len(placed) else [Reason.NOT_SOLVED]),
            )
            for r in np.flatnonzero(house_of == UNPLACED).tolist()
        ],
        score=int(data.points[data.pairs.start[placed] + _positions(data, placed, house_of)].sum()),
        wall_time_s=round(time.perf_counter() - started, 4),
    )


def _positions(data: Data, placed: Ints, house_of: Ints) -> Ints:
    return np.array([np.searchsorted(data.houses_of(r), house_of[r]) for r in placed.tolist()], dtype=np.int64)


def _everyone(data: Data) -> int:
    """The bound nobody can argue with: every request that some house could take."""
    return int(data.priority[np.diff(data.pairs.start) > 0].sum())


def unplaced_reasons(data: Data, r: int, house_of: Ints) -> list[str]:
    """Why a request was not placed: what ruled houses out, NOT_ENOUGH_BEDS where suitable houses had no
    room (or their beds went to others), and the links that kept it from the houses that were left."""
    request = data.requests[r]
    reasons, any_suitable = data.table.reasons(request)
    if any_suitable:
        reasons.add(Reason.NOT_ENOUGH_BEDS)
    houses = set(data.houses_of(r).tolist())
    for a, b in data.apart:
        other = b if a == r else a if b == r else None
        if other is not None and int(house_of[other]) in houses:
            reasons.add(Reason.KEPT_APART)
    if data.alone[r] and any(r in group for group in data.groups):
        reasons.add(Reason.KEPT_TOGETHER)
    return sorted(reasons, key=ORDER.index)
