"""The baseline the solver must beat: highest priority first, each to its best-scoring house with room.

It keeps the keep-apart and place-together rules (a group goes whole to one house). This is the
solver's own starting allocation (`matching.solver.greedy`), run alone.
"""

from matching.instance import Instance
from matching.solver import UNPLACED, build_data
from matching.solver import greedy as allocate


def greedy(instance: Instance) -> int:
    """Placed priority of the priority-first, best-fit allocation."""
    data = build_data(instance)
    return int(data.priority[allocate(data) != UNPLACED].sum())
