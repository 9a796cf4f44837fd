"""The benchmark's own parts stay runnable, and the solver is never worse than the greedy baseline."""

from bench.greedy import greedy
from bench.instances import SCALES, make_instance
from matching.instance import Status
from matching.solver import solve


def test_a_london_instance_has_the_documented_size_and_tight_vacancy() -> None:
    instance = make_instance("london", vacancy="tight", seed=1)
    assert (len(instance.requests), len(instance.houses)) == (SCALES["london"]["requests"], SCALES["london"]["houses"])
    assert sum(h.free_beds for h in instance.houses) == sum(r.beds_needed for r in instance.requests)
    assert make_instance("london", seed=1) == instance, "seeded: the same instance every run"


def test_the_solver_is_proven_optimal_at_london_scale_and_never_worse_than_greedy() -> None:
    instance = make_instance("london", vacancy="tight", seed=2)
    result = solve(instance, time_limit_s=30, workers=2)
    assert result.status == Status.OPTIMAL
    assert result.placed_priority == result.bound
    assert result.placed_priority >= greedy(instance)
