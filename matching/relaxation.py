"""The linear relaxation of allocation, solved as a min-cost flow: a certified bound and prices to prune with.

Relax "a request goes whole to one house" to "a request's beds may be spread over houses" and drop
the links between requests, and allocation becomes a transportation problem: each request supplies
as many bed units as it needs, each house takes up to its free beds, and a unit from request r in
house h is worth value[r, h] / beds[r]. OR-Tools' min-cost flow solves it exactly, and fast on the
pairs it is given.

From its optimal flow come prices (the duals): `v[h]` for a bed in house h and `u[r]` for a bed
unit of request r, with u[r] + v[h] >= w[r, h] on every pair. Any such prices bound every
allocation: `sum(beds[r] * u[r]) + sum(free[h] * v[h])`. The prices are read off the flow of a
restricted set of pairs, repaired until they hold on every pair (so the bound is certified whatever
was left out), and the most under-priced pairs are added back until none is (column generation).
All arithmetic on the bound is in integers: values are scaled by `scale_units` so that each bed
unit's worth is whole (rounded up where it is not, which only loosens the bound).
"""

import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from matching.table import Ints

ADDED_PER_REQUEST = 8
MAX_ROUNDS = 8
MAX_EXACT_UNITS = 10**6
MAX_SUBGRADIENT_PAIRS = 2_000_000


@dataclass(frozen=True)
class Pairs:
    """Request-house pairs, grouped by request: request r's pairs are start[r]:start[r + 1]."""

    start: Ints
    request: Ints  # by pair
    house: Ints  # by pair
    value: Ints  # by request: what placing it is worth
    beds: Ints  # by request
    free: Ints  # by house


@dataclass(frozen=True)
class Relaxation:
    bound_units: int  # the certified bound, times `units`
    units: int
    worth: Ints  # by request: a bed unit's worth, times `units`
    prices: Ints  # by request: what placing it is charged (its beds times u), times `units`
    v: Ints  # by house: the price of one of its beds, times `units`
    flow_pairs: Ints  # the pairs used by the restricted solution of the round with the lowest bound
    flow: Ints  # the bed units on each of them

    @property
    def bound(self) -> int:
        """A proven upper bound on the value of any allocation."""
        return self.bound_units // self.units

    def reduced_cost_units_of(self, request: int, houses: Ints, beds: Ints) -> Ints:
        """For one request and some of its houses: how far below the bound any allocation using the pair
        must fall, times `units`."""
        reduced: Ints = self.prices[request] + beds[request] * (self.v[houses] - self.worth[request])
        return reduced


def scale_units(beds: Ints) -> int:
    """A multiple of every request's bed count, so that a bed unit's worth is whole, if it stays small."""
    units = math.lcm(*{int(b) for b in beds}) if len(beds) else 1
    return units if units <= MAX_EXACT_UNITS else 1


def relax(pairs: Pairs, initial: Ints, *, deadline: float = math.inf) -> Relaxation:
    """Solve the relaxation from an initial set of pairs, adding under-priced pairs until none is left.

    Every round's bound is certified; after the deadline no further round starts, and the best so far stands.
    """
    units = scale_units(pairs.beds)
    worth = -(-pairs.value * units // pairs.beds)  # per bed unit, rounded up
    chosen = np.unique(initial)
    best: Relaxation | None = None
    for _ in range(MAX_ROUNDS):
        flow = _solve_flow(pairs, worth, chosen)
        v = _house_prices(pairs, worth, chosen, flow)
        # Prices from a restricted flow may undercharge a pair left out: raise u until every pair is
        # paid for, and note the pairs most undercharged against the restricted prices. A request at a
        # time, so that no array of every pair is made.
        among = np.zeros(len(pairs.house), dtype=np.bool_)
        among[chosen] = True
        u_all = np.zeros(len(pairs.beds), dtype=np.int64)
        added: list[Ints] = []
        for r in np.flatnonzero(np.diff(pairs.start) > 0).tolist():
            start, end = int(pairs.start[r]), int(pairs.start[r + 1])
            slack = worth[r] - v[pairs.house[start:end]]
            u_all[r] = max(0, int(slack.max()))
            restricted = among[start:end]
            u = max(0, int(slack[restricted].max())) if restricted.any() else 0
            if u_all[r] > u:
                under_priced = np.flatnonzero((slack > u) & ~restricted)
                cheapest = under_priced[np.argsort(-slack[under_priced], kind="stable")[:ADDED_PER_REQUEST]]
                added.append(start + cheapest)
        del among
        bound_units = int((pairs.beds * u_all).sum() + (pairs.free * v).sum())
        if best is None or bound_units < best.bound_units:
            best = Relaxation(
                bound_units=bound_units,
                units=units,
                worth=worth,
                prices=pairs.beds * u_all,
                v=v,
                flow_pairs=chosen[flow > 0],
                flow=flow[flow > 0],
            )
        if not added or time.perf_counter() > deadline:
            break
        chosen = np.union1d(chosen, np.concatenate(added))
    assert best is not None
    return best


def _solve_flow(pairs: Pairs, worth: Ints, chosen: Ints) -> Ints:
    """The optimal flow of bed units over the chosen pairs (source -> request -> house -> sink)."""
    n_requests, n_houses = len(pairs.beds), len(pairs.free)
    request = pairs.request
    source, sink = n_requests + n_houses, n_requests + n_houses + 1
    total = int(pairs.beds.sum())
    graph = min_cost_flow.SimpleMinCostFlow()
    graph.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([request[chosen], np.full(n_requests, source), n_requests + np.arange(n_houses), [source]]),
        np.concatenate([n_requests + pairs.house[chosen], np.arange(n_requests), np.full(n_houses, sink), [sink]]),
        np.concatenate([pairs.beds[request[chosen]], pairs.beds, pairs.free, [total]]),
        np.concatenate([-worth[request[chosen]], np.zeros(n_requests + n_houses + 1, dtype=np.int64)]),
    )
    graph.set_node_supply(source, total)
    graph.set_node_supply(sink, -total)
    status = graph.solve()
    if status != graph.OPTIMAL:
        raise ArithmeticError(f"the relaxation could not be solved ({status.name})")
    return np.asarray(graph.flows(np.arange(len(chosen))), dtype=np.int64)


def _house_prices(pairs: Pairs, worth: Ints, chosen: Ints, flow: Ints) -> Ints:
    """Optimal prices of the houses' beds, from shortest paths in the residual graph of an optimal flow.

    With d the distance from the source (costs are -worth on request-house arcs, zero elsewhere),
    v[h] = d[sink] - d[h] satisfies u[r] + v[h] >= worth on every residual arc, with u[r] = d[r] - d[sink].
    The graph is bipartite, so Bellman-Ford alternates between houses and requests, a column at a time.
    """
    n_houses = len(pairs.free)
    request = pairs.request
    used = flow > 0
    served = np.bincount(request[chosen], weights=flow, minlength=len(pairs.beds))
    filled = np.bincount(pairs.house[chosen], weights=flow, minlength=n_houses)
    # Forward arcs request -> house (room left on the arc), sorted by house; backward house -> request (flow on it).
    forward = chosen[flow < pairs.beds[request[chosen]]]
    forward = forward[np.argsort(pairs.house[forward], kind="stable")]
    f_house = pairs.house[forward]
    f_starts = np.flatnonzero(np.r_[True, f_house[1:] != f_house[:-1]]) if len(forward) else np.zeros(0, dtype=np.int64)
    backward = chosen[used]
    backward = backward[np.argsort(request[backward], kind="stable")]
    b_request = request[backward]
    b_starts = (
        np.flatnonzero(np.r_[True, b_request[1:] != b_request[:-1]]) if len(backward) else np.zeros(0, dtype=np.int64)
    )
    infinity = np.iinfo(np.int64).max // 4
    from_source = np.where(served < pairs.beds, 0, infinity)
    d_request = from_source.copy()
    d_house = np.full(n_houses, infinity, dtype=np.int64)
    d_sink = 0
    for _ in range(len(pairs.beds) + n_houses + 2):
        new_house = np.where(filled > 0, d_sink, infinity)
        if len(forward):
            tails = d_request[request[forward]]
            reach = np.where(tails < infinity, tails - worth[request[forward]], infinity)
            np.minimum.at(new_house, f_house[f_starts], np.minimum.reduceat(reach, f_starts))
        room = filled < pairs.free
        new_sink = min(0, int(new_house[room].min())) if room.any() else 0
        new_request = from_source.copy()
        if len(backward):
            tails = new_house[pairs.house[backward]]
            reach = np.where(tails < infinity, tails + worth[request[backward]], infinity)
            np.minimum.at(new_request, b_request[b_starts], np.minimum.reduceat(reach, b_starts))
        if new_sink == d_sink and np.array_equal(new_house, d_house) and np.array_equal(new_request, d_request):
            break
        d_house, d_request, d_sink = new_house, new_request, new_sink
    prices: Ints = np.maximum(d_sink - np.minimum(d_house, infinity), 0)
    return prices


def lagrangian_bound(pairs: Pairs, relaxation: Relaxation, *, deadline: float) -> int:
    """A bound at least as tight as the relaxation's: charge each request its price, and pack each house whole.

    Dropping "one house per request" and charging each request a price p[r] instead leaves one
    small knapsack per house: the requests it could take, worth value - p, weighing their beds, and
    at most its free beds. Any prices give a bound: sum(p) plus every house's best packing. Unlike
    the relaxation, a packing cannot split a family between houses, which is where the relaxation
    is loose. Starting from the relaxation's prices, a few subgradient steps lower it further, on
    instances of up to MAX_SUBGRADIENT_PAIRS pairs: beyond that a step's lowered prices let so many
    pairs into the packings that its memory would pass the solver's budget, and at national scale
    the steps were measured to lower nothing.
    """
    units = relaxation.units
    prices = relaxation.prices.copy()
    best, used = _packed_bound(pairs, prices, units)
    step = 1.0
    while time.perf_counter() < deadline and step >= 1 / 64 and len(pairs.house) <= MAX_SUBGRADIENT_PAIRS:
        excess = np.bincount(pairs.request[used], minlength=len(pairs.beds)) - 1
        excess[np.diff(pairs.start) == 0] = 0
        if not excess.any():
            break  # every request is in exactly one packing: the bound is met
        trial = np.maximum(prices + np.round(step * units * excess).astype(np.int64), 0)
        found, trial_used = _packed_bound(pairs, trial, units)
        if found < best:
            best, used, prices = found, trial_used, trial
        else:
            step /= 2
    return best // units


def _packed_bound(pairs: Pairs, prices: Ints, units: int) -> tuple[int, Ints]:
    """sum(prices) plus each house's best packing of requests worth value * units - price; and the pairs packed."""
    request = pairs.request
    profit = (pairs.value * units - prices)[request]
    candidates = np.flatnonzero(profit > 0)
    house, weight, worth = pairs.house[candidates], pairs.beds[request[candidates]], profit[candidates]
    order = np.lexsort((-worth, weight, house))
    candidates, house, weight, worth = candidates[order], house[order], weight[order], worth[order]
    # A house never needs more of one weight than fit in it: keep the most profitable of each.
    key = house * (int(pairs.beds.max(initial=1)) + 1) + weight
    rank = np.arange(len(key)) - np.searchsorted(key, key, side="left")
    keep = rank < pairs.free[house] // weight
    candidates, house, weight, worth = candidates[keep], house[keep], weight[keep], worth[keep]
    total = int(prices.sum())
    packed: list[int] = []
    starts = np.flatnonzero(np.r_[True, house[1:] != house[:-1]]) if len(house) else np.zeros(0, dtype=np.int64)
    for start, end in zip(starts.tolist(), [*starts[1:].tolist(), len(house)][: len(starts)], strict=True):
        capacity = int(pairs.free[house[start]])
        if weight[end - 1] == 1:  # singles only: the best `capacity` of them
            end = min(start + capacity, end)
            total += int(worth[start:end].sum())
            packed.extend(candidates[start:end].tolist())
            continue
        value, chosen = _knapsack(weight[start:end].tolist(), worth[start:end].tolist(), capacity)
        total += value
        packed.extend(candidates[start + i] for i in chosen)
    return total, np.array(packed, dtype=np.int64)


def _knapsack(weights: list[int], values: list[int], capacity: int) -> tuple[int, list[int]]:
    """The best 0/1 packing of a few items into a small capacity, by dynamic programming."""
    best = [0] * (capacity + 1)
    taken: list[list[int]] = [[] for _ in range(capacity + 1)]
    for item, (weight, value) in enumerate(zip(weights, values, strict=True)):
        for room in range(capacity, weight - 1, -1):
            if best[room - weight] + value > best[room]:
                best[room] = best[room - weight] + value
                taken[room] = [*taken[room - weight], item]
    return best[capacity], taken[capacity]
