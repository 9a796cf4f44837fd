"""The baseline the solver must beat: highest priority first, each to its best-scoring house with room."""

from matching.eligibility import score, unsuitable_reasons
from matching.instance import Id, Instance


def greedy(instance: Instance) -> int:
    """Placed priority of a priority-first, best-fit allocation that keeps apart and together rules."""
    free = {h.id: h.free_beds for h in instance.houses}
    apart = {frozenset(pair) for pair in instance.keep_apart}
    groups = {r: group for group in instance.place_together for r in group}
    placed: dict[Id, Id] = {}
    by_id = {r.id: r for r in instance.requests}
    for request in sorted(instance.requests, key=lambda r: -r.priority):
        if request.id in placed:
            continue
        members = [by_id[m] for m in groups.get(request.id, [request.id]) if m not in placed]
        need = sum(m.beds_needed for m in members)
        options = [
            h
            for h in instance.houses
            if free[h.id] >= need
            and all(not unsuitable_reasons(m, h) for m in members)
            and not any(
                frozenset((m.id, other)) in apart and placed.get(other) == h.id for m in members for other in placed
            )
        ]
        if options:
            best = max(options, key=lambda h: score(request, h).points)
            free[best.id] -= need
            placed.update({m.id: best.id for m in members})
    return sum(by_id[r].priority for r in placed)
