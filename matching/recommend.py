"""Recommend: where K new beds, of the kinds that could be funded, would have placed the most people.

The people the replay against today's capacity left unplaced are the unmet demand. A new bed is of a
kind: who it takes (gender and NRM stage) and what it has (a family room, step-free access). A person
could use a new bed of a kind that takes them, from when they asked for as long as they stayed, and
a kind holds no more people at once than it has beds.

The choice is a CP-SAT model: an integer number of beds of each kind (at most K in all), and for each
person at most one kind whose beds they use; at every moment someone arrives, the people staying in
a kind's beds need no more than it has. Lexicographically, it places the most priority (tonight 100,
within 72 hours 30, planned 10), then prefers beds without features nobody needed (a family room or
a step-free bed where a plain bed would do).

A person can only use a bed of their own gender and NRM stage, so each (gender, stage) is a model of
its own, solved for one bed, two, and so on while a further bed still places someone; the budget is
then shared between them exactly, by dynamic programming. That gives the best set for every budget
from 1 to K, so that the value of each further bed shows. The best sets need not nest (the best
three beds may not hold the best two), so a further bed usually adds less than the one before, but
may add more, or, with the people placed weighed by priority, place fewer people in all.

Where: the beds of a kind go to the parts of London where the people they would have placed were
found, in proportion. The answer for K is then replayed with every other request
(`matching.whatif`), which is the measure of what it gains.
"""

import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ortools.sat.python import cp_model

from capacity.vocab import LONDON_REGIONS, Area, Gender, NrmStage, Region
from matching.instance import RequestSnapshot
from matching.reporting import BedKind

# What a new house of any kind offers besides its kind: staff who speak English, no faith basis,
# trans-inclusive, and room for a parent with up to this many children in a family room.
FAMILY_CHILDREN = 4
NEW_HOUSE_LANGUAGES = ("en",)


@dataclass(frozen=True)
class Fundable:
    """The kinds of bed that could be funded, and the parts of London they could be in."""

    genders: tuple[Gender, ...] = tuple(Gender)
    stages: tuple[NrmStage, ...] = tuple(NrmStage)
    family: tuple[bool, ...] = (False, True)
    step_free: tuple[bool, ...] = (False, True)
    regions: tuple[Region, ...] = LONDON_REGIONS

    def kinds(self) -> list[BedKind]:
        return [
            BedKind(gender, stage, family, step_free)
            for gender in self.genders
            for stage in self.stages
            for family in self.family
            for step_free in self.step_free
        ]


@dataclass(frozen=True)
class Unmet:
    """A person the replay left unplaced: when they needed a bed, for how long, and what placing them is worth."""

    id: int
    at: datetime
    stay: timedelta
    priority: int
    person: RequestSnapshot
    found: Region | None = None


def takes(kind: BedKind, person: RequestSnapshot, sites: Sequence[Area]) -> bool:
    """Whether a new bed of this kind, in one of these places, could take the person."""
    return (
        person.gender == kind.gender
        and person.nrm_stage == kind.nrm_stage
        and (not person.children or (kind.family and len(person.children) <= FAMILY_CHILDREN))
        and (not person.needs_step_free or kind.step_free)
        and any(site not in person.excluded_areas for site in sites)
        and (person.interpreter_ok or not person.languages or bool(set(person.languages) & set(NEW_HOUSE_LANGUAGES)))
    )


def features(kind: BedKind) -> int:
    return int(kind.family) + int(kind.step_free)


@dataclass(frozen=True)
class Step:
    budget: int
    placed: int  # people the new beds place
    priority: int
    beds: dict[BedKind, int]
    users: dict[BedKind, tuple[int, ...]]  # who would use each kind's beds
    optimal: bool
    objective: int = 0  # what the solver maximised: priority first, then the tie-break

    def __add__(self, other: "Step") -> "Step":
        return Step(
            budget=self.budget + other.budget,
            placed=self.placed + other.placed,
            priority=self.priority + other.priority,
            beds=self.beds | other.beds,
            users=self.users | other.users,
            optimal=self.optimal and other.optimal,
            objective=self.objective + other.objective,
        )


NOTHING = Step(budget=0, placed=0, priority=0, beds={}, users={}, optimal=True)


@dataclass(frozen=True)
class Recommendation:
    steps: tuple[Step, ...]  # for each budget from 1 to K
    kinds: int  # kinds considered that could take someone
    people: int  # unmet demand considered
    solves: int  # CP-SAT models solved
    wall_time_s: float
    where: dict[BedKind, dict[Region, int]]  # the best set for K, sited

    @property
    def best(self) -> Step:
        return self.steps[-1]

    def marginal(self) -> list[int]:
        """People placed by each further bed: the k-th bed's value is placed(k) - placed(k - 1)."""
        placed = [0, *(step.placed for step in self.steps)]
        return [after - before for before, after in zip(placed, placed[1:], strict=False)]


def recommend(
    unmet: Sequence[Unmet],
    *,
    budget: int,
    fundable: Fundable,
    sites: dict[Region, Area],
    end: datetime,
    time_limit_s: float = 10.0,
    workers: int = 1,
) -> Recommendation:
    """The best beds to add for every budget from 1 to `budget`, the best for `budget` sited."""
    if budget < 1:
        raise ValueError("budget: recommend at least one bed")
    started = time.perf_counter()
    places = [sites[region] for region in fundable.regions]
    grouping: dict[tuple[Gender, NrmStage], list[Unmet]] = defaultdict(list)
    for u in unmet:
        grouping[u.person.gender, u.person.nrm_stage].append(u)
    groups = dict(grouping)

    def group(kind: BedKind) -> list[Unmet]:
        return groups.get((kind.gender, kind.nrm_stage), [])

    kinds = [k for k in fundable.kinds() if any(takes(k, u.person, places) for u in group(k))]
    # A feature only where someone needs it: otherwise the plain bed does as much, for less.
    kinds = [
        k
        for k in kinds
        if (not k.family or any(u.person.children for u in group(k)))
        and (not k.step_free or any(u.person.needs_step_free for u in group(k)))
    ]
    # One weight for all groups, so that their objectives add up: priority outweighs the tie-break.
    unit = 2 * budget + 1
    per_solve = time_limit_s / max(1, len(groups) * budget)
    curves: list[list[Step]] = []
    solves = 0
    for gender, stage in sorted(groups):
        mine = [k for k in kinds if (k.gender, k.nrm_stage) == (gender, stage)]
        people = groups[gender, stage]
        # A family needs several beds at once: stop only when that many more beds placed nobody more.
        patience = max(u.person.beds_needed for u in people)
        curve, stalled = [NOTHING], 0
        for b in range(1, budget + 1 if mine else 1):
            step = _solve(people, mine, places, b, unit=unit, end=end, time_limit_s=per_solve, workers=workers)
            solves += 1
            stalled = stalled + 1 if step.objective <= curve[-1].objective else 0
            curve.append(curve[-1] if stalled else step)
            if stalled >= patience or step.placed == len(people):
                break
        curves.append(curve)
    best = [NOTHING] * (budget + 1)  # by budget: the best of the groups so far
    for curve in curves:
        best = [
            max((best[k - b] + curve[b] for b in range(min(k, len(curve) - 1) + 1)), key=lambda s: s.objective)
            for k in range(budget + 1)
        ]
    steps = tuple(replace(step, budget=k) for k, step in enumerate(best) if k)
    found = {u.id: u.found for u in unmet}
    return Recommendation(
        steps=steps,
        kinds=len(kinds),
        people=len(unmet),
        solves=solves,
        wall_time_s=time.perf_counter() - started,
        where={
            kind: site_beds(n, [found[i] for i in steps[-1].users.get(kind, ())], fundable.regions)
            for kind, n in steps[-1].beds.items()
        },
    )


def site_beds(beds: int, found: Sequence[Region | None], regions: Sequence[Region]) -> dict[Region, int]:
    """Share beds between the regions where their users were found, in proportion (largest remainders)."""
    counts: Counter[Region] = Counter(region for region in found if region is not None and region in regions)
    if not counts:  # nobody was found in any of the regions: the first of them
        return {regions[0]: beds}
    total = sum(counts.values())
    shares = {region: beds * n / total for region, n in counts.items()}
    given = {region: int(share) for region, share in shares.items()}
    by_remainder = sorted(shares, key=lambda r: (-(shares[r] - given[r]), -counts[r], regions.index(r)))
    for region in by_remainder[: beds - sum(given.values())]:
        given[region] += 1
    return {region: n for region, n in sorted(given.items(), key=lambda item: regions.index(item[0])) if n}


def _solve(
    unmet: Sequence[Unmet],
    kinds: Sequence[BedKind],
    places: Sequence[Area],
    budget: int,
    *,
    unit: int,
    end: datetime,
    time_limit_s: float,
    workers: int,
) -> Step:
    model = cp_model.CpModel()
    beds = {kind: model.new_int_var(0, budget, f"beds[{i}]") for i, kind in enumerate(kinds)}
    model.add(sum(beds.values()) <= budget)
    uses: dict[BedKind, list[tuple[cp_model.IntVar, Unmet]]] = defaultdict(list)
    by_person: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for u in unmet:
        for i, kind in enumerate(kinds):
            if takes(kind, u.person, places):
                used = model.new_bool_var(f"uses[{u.id},{i}]")
                uses[kind].append((used, u))
                by_person[u.id].append(used)
    for options in by_person.values():
        model.add_at_most_one(options)
    # A kind's beds hold everyone staying at once: the stays are fixed, so it is enough to count
    # at each moment someone arrives (linear, which CP-SAT's relaxation reads better than a cumulative).
    for kind, pairs in uses.items():
        for _, arriving in pairs:
            staying = [(used, u) for used, u in pairs if u.at <= arriving.at < min(u.at + u.stay, end)]
            model.add(sum(u.person.beds_needed * used for used, u in staying) <= beds[kind])
    terms = [used * u.priority * unit for pairs in uses.values() for used, u in pairs]
    terms += [-features(kind) * beds[kind] for kind in kinds]
    model.maximize(sum(terms))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    solver.parameters.linearization_level = 2
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return replace(NOTHING, budget=budget, optimal=False)
    users = {kind: tuple(u.id for used, u in pairs if solver.value(used)) for kind, pairs in uses.items()}
    placed = [u for pairs in uses.values() for used, u in pairs if solver.value(used)]
    return Step(
        budget=budget,
        placed=len(placed),
        priority=sum(u.priority for u in placed),
        beds={kind: solver.value(v) for kind, v in beds.items() if solver.value(v)},
        users={kind: ids for kind, ids in users.items() if ids and solver.value(beds[kind])},
        optimal=status == cp_model.OPTIMAL,
        objective=round(solver.objective_value),
    )
