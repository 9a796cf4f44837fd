"""The independent peer: the same allocation as a MILP, solved by HiGHS through SciPy.

Maximise the placed priority over every eligible request-house pair, with the same rules: at most
one house per request, beds per house, keep-apart pairs never in one house, place-together groups
in one house or none. Eligibility comes from the solver's own data, so both answer the same question.
"""

import time

import numpy as np
from scipy import optimize, sparse

from matching.instance import Instance
from matching.solver import build_data


def highs(instance: Instance, *, time_limit_s: float) -> tuple[int, str, float]:
    """Placed priority of HiGHS's best allocation in the time given, its status, and the seconds taken."""
    started = time.perf_counter()
    data = build_data(instance)
    pairs = data.pairs
    n = len(pairs.house)
    if n == 0:
        return 0, "empty", time.perf_counter() - started
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    coefs: list[np.ndarray] = []
    upper: list[float] = []

    def constraint(columns: np.ndarray, weights: np.ndarray, limit: float) -> None:
        rows.append(np.full(len(columns), len(upper)))
        cols.append(columns)
        coefs.append(weights)
        upper.append(limit)

    owner = pairs.request.astype(np.int64)
    for r in np.flatnonzero(np.diff(pairs.start) > 1).tolist():
        constraint(np.arange(pairs.start[r], pairs.start[r + 1]), np.ones(pairs.start[r + 1] - pairs.start[r]), 1)
    by_house = np.argsort(pairs.house, kind="stable")
    houses, first = np.unique(pairs.house[by_house], return_index=True)
    for h, a, b in zip(houses.tolist(), first.tolist(), [*first[1:].tolist(), n], strict=True):
        members = by_house[a:b]
        if pairs.beds[owner[members]].sum() > pairs.free[h]:
            constraint(members, pairs.beds[owner[members]].astype(float), float(pairs.free[h]))
    position = {(int(r), int(h)): i for i, (r, h) in enumerate(zip(owner.tolist(), pairs.house.tolist(), strict=True))}
    for a, b in data.apart:
        for h in set(data.houses_of(a).tolist()) & set(data.houses_of(b).tolist()):
            constraint(np.array([position[a, h], position[b, h]]), np.ones(2), 1)
    equal_rows: list[int] = []
    equal_cols: list[int] = []
    equal_coefs: list[float] = []
    for group in data.groups:
        first_member, *others = group
        for h in data.houses_of(first_member).tolist():
            for r in others:
                k = len(equal_rows) // 2
                equal_rows += [k, k]
                equal_cols += [position[first_member, h], position[r, h]]
                equal_coefs += [1.0, -1.0]
    limits = (
        [
            optimize.LinearConstraint(
                sparse.csr_array(
                    (np.concatenate(coefs), (np.concatenate(rows), np.concatenate(cols))), shape=(len(upper), n)
                ),
                -np.inf,
                np.array(upper),
            )
        ]
        if upper
        else []
    )
    if equal_rows:
        matrix = sparse.csr_array((equal_coefs, (equal_rows, equal_cols)), shape=(len(equal_rows) // 2, n))
        limits.append(optimize.LinearConstraint(matrix, 0, 0))
    left = max(0.1, time_limit_s - (time.perf_counter() - started))
    result = optimize.milp(
        -data.priority[owner].astype(float),
        constraints=limits,
        integrality=np.ones(n),
        bounds=optimize.Bounds(0, 1),
        options={"time_limit": left, "disp": False},
    )
    placed = 0 if result.x is None else int(data.priority[owner[result.x > 0.5]].sum())
    status = "optimal" if result.status == 0 else "feasible" if result.x is not None else "none"
    return placed, status, time.perf_counter() - started
