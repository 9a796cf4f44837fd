"""The relaxation's bounds are certified: never below the true optimum, and the packing bound never above the flow's."""

import numpy as np
import pytest

from bench.instances import make_instance
from matching import solver
from matching.instance import Status
from matching.relaxation import _packed_bound, lagrangian_bound, relax
from tests.matching.snapshots import house, instance, request


@pytest.mark.parametrize(("seed", "vacancy"), [(1, "tight"), (2, "tight"), (3, "plentiful")])
def test_both_bounds_hold_above_the_proven_optimum(seed: int, vacancy: str) -> None:
    problem = make_instance("london", vacancy=vacancy, seed=seed)
    exact = solver.solve(problem, time_limit_s=60)
    assert exact.status == Status.OPTIMAL
    data = solver.build_data(problem)
    everything = np.arange(len(data.pairs.house))
    flow = relax(data.pairs, everything)
    packed = lagrangian_bound(data.pairs, flow, deadline=float("inf"))
    assert exact.placed_priority <= packed <= flow.bound
    # Started from a few pairs per request, column generation reaches the same bound.
    assert relax(data.pairs, everything[::7]).bound == flow.bound


def test_packing_houses_whole_is_tighter_where_a_family_would_be_split() -> None:
    # Where the family and the singles fit whole, both bounds are exact.
    data = solver.build_data(
        instance(
            [house("H1", free_beds=1), house("H2", free_beds=1), house("H3", free_beds=2)],
            [request("family", priority=10, children=[4]), request("single", priority=3)],
        )
    )
    flow = relax(data.pairs, np.arange(len(data.pairs.house)))
    assert lagrangian_bound(data.pairs, flow, deadline=float("inf")) == 13 == flow.bound
    # One house of three beds: the relaxation fills it with both singles and a third of the family
    # (4 + 4 + 10/3); a packing takes the family whole or the two singles, never a part.
    tight = solver.build_data(
        instance(
            [house("H1", free_beds=3)],
            [request("family", priority=10, children=[4, 6]), request("a", priority=4), request("b", priority=4)],
        )
    )
    flow = relax(tight.pairs, np.arange(len(tight.pairs.house)))
    assert flow.bound > 10
    assert lagrangian_bound(tight.pairs, flow, deadline=float("inf")) == 10


def test_a_pruned_model_still_keeps_every_rule_and_reports_a_certified_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solver, "MAX_MODEL_PAIRS", 100)
    monkeypatch.setattr(solver, "KEPT_PER_REQUEST", 3)
    problem = make_instance("london", vacancy="tight", seed=4)
    pruned = solver.solve(problem, time_limit_s=20)
    monkeypatch.undo()
    whole = solver.solve(problem, time_limit_s=60)
    assert whole.status == Status.OPTIMAL
    assert pruned.placed_priority <= whole.placed_priority <= pruned.bound
    assert pruned.status == (Status.OPTIMAL if pruned.placed_priority == pruned.bound else Status.FEASIBLE)
    from tests.matching.test_solver import assert_feasible

    assert_feasible(problem, pruned)


def test_a_house_with_fewer_singles_than_beds_packs_only_its_own() -> None:
    # At zero prices every request is worth its priority. H1 has three beds and one single who could
    # use it; H2's two singles must not be counted in H1 as well.
    data = solver.build_data(
        instance(
            [house("H1", free_beds=3, area="newham"), house("H2", free_beds=2, area="camden")],
            [
                request("one", priority=5, excluded_areas=["camden"]),
                request("two", priority=6, excluded_areas=["newham"]),
                request("three", priority=6, excluded_areas=["newham"]),
            ],
        )
    )
    total, packed = _packed_bound(data.pairs, np.zeros(3, dtype=np.int64), 1)
    assert total == 17
    assert sorted(data.pairs.house[packed].tolist()) == [0, 1, 1]
