"""Replay: a period's requests, event by event in simulated time, against a given capacity.

No database and no clock: the demand (who arrived when, with which needs, how long they could
wait and how long they stayed) and the capacity (houses, their beds, and the beds that people
outside the replay took and gave back over the period) come in; what would have become of each
request comes out. `matching.whatif` builds both from the database and changes the capacity.

What the replay does, as officers and coordinators do:
- On arrival, a request that is neither planned nor part of a family goes at once to the best
  house that can take the person (the search's ranking: best fit, then the most free beds), away
  from any co-victim to be kept apart.
- Otherwise it waits in the queue, for as long as the person could wait (`Demand.patience`); a
  request nobody could take at once and that could not wait is not placed.
- Every weekday at 10:00 a coordinator allocates the whole queue with the solver (CP-SAT), with
  families together and co-victims apart, as `matching.allocation` does.
- A person placed stays for their stay (`Demand.stay`), or until the house's stay limit, and the
  beds are then free again. Their beds are held from the moment the house is chosen; they count as
  placed when the provider would have accepted (`Capacity.answer_after`, as recorded).
A provider that declined a person, or let a hold on them lapse, is taken to refuse them again; every
other house is taken to accept. That is one reason a replay places a little differently from what was
recorded (the README says by how much).
"""

import heapq
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

import numpy as np

from capacity.vocab import Area
from matching import solver
from matching.allocation import priority_of
from matching.instance import HouseSnapshot, Id, Instance, RequestSnapshot
from matching.models import RequestReason, Urgency
from matching.reporting import PLACED_QUICKLY, Group, MainReason, main_reason
from matching.table import ELIGIBLE, ORDER, HouseTable, Ints

COORDINATOR_HOUR = 10  # on weekdays
COORDINATOR_TIME_LIMIT_S = 1.0
# One worker: the same demand and capacity always give the same replay.
COORDINATOR_WORKERS = 1


@dataclass(frozen=True)
class Demand:
    """One request of the period, as the replay needs it: needs, never a reference or an officer."""

    id: int
    at: datetime
    urgency: Urgency
    person: RequestSnapshot
    patience: timedelta  # how long the person could wait for a bed
    stay: timedelta  # how long they stay once placed (a house's stay limit may cut it short)
    groups: tuple[Group, ...]
    found_area: Area | None = None
    keep_apart: tuple[int, ...] = ()
    family: tuple[int, ...] = ()  # the others to be placed in the same house
    refused: tuple[Id, ...] = ()  # houses that declined the person, or let a hold lapse, as recorded
    recorded_placed: bool = False
    recorded_wait: timedelta | None = None  # from the request to the placement, as recorded
    recorded_waiting: bool = False  # still waiting (open or held) as recorded now


@dataclass(frozen=True)
class Supply:
    """A house as the replay sees it: what it is, and how many beds it has in service."""

    house: HouseSnapshot
    beds: int
    max_stay: timedelta | None = None
    added: str = ""  # for a house the what-if adds: the change, in words


@dataclass(frozen=True)
class Taken:
    """Beds of a house taken (or, when negative, given back) by people outside the replay, at a moment."""

    at: datetime
    house: Id
    beds: int


@dataclass(frozen=True)
class Capacity:
    houses: tuple[Supply, ...]
    taken_at_start: dict[Id, int] = field(default_factory=dict)
    taken: tuple[Taken, ...] = ()
    # How long a provider takes to accept a hold: the beds are held from the choice, the person placed after this.
    answer_after: timedelta = timedelta(0)


@dataclass(frozen=True)
class Fate:
    """What became of one request in the replay."""

    placed_at: datetime | None = None
    house: Id | None = None
    reason: str | None = None  # the main reason it was not placed within 24 hours, as the reports count it
    waiting: bool = False  # still waiting in the queue when the replay ends


@dataclass(frozen=True)
class Replay:
    start: datetime
    end: datetime
    demand: tuple[Demand, ...]
    fates: dict[int, Fate]
    bed_days: dict[Id, float]  # bed-days used in each house within the period
    coordinator_runs: int

    def placed(self, *, group: Group | None = None) -> int:
        return sum(self.fates[d.id].placed_at is not None for d in self.of(group))

    def placed_quickly(self) -> int:
        return sum(
            (placed := self.fates[d.id].placed_at) is not None and placed - d.at <= PLACED_QUICKLY for d in self.demand
        )

    def of(self, group: Group | None) -> list[Demand]:
        return [d for d in self.demand if group is None or group in d.groups]

    def waits(self) -> list[timedelta]:
        return [placed - d.at for d in self.demand if (placed := self.fates[d.id].placed_at) is not None]

    def median_wait(self) -> timedelta | None:
        waits = self.waits()
        return median(waits) if waits else None

    def unplaced_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for d in self.demand:
            fate = self.fates[d.id]
            if fate.placed_at is None and fate.reason is not None:
                counts[fate.reason] += 1
        return dict(counts)

    def occupancy(self, supply: Supply) -> float:
        """The share of the house's bed-days in the period that replayed placements used."""
        days = (self.end - self.start) / timedelta(days=1)
        return self.bed_days.get(supply.house.id, 0.0) / (supply.beds * days) if supply.beds and days else 0.0


# At the same moment: beds freed first (by people leaving, or given back by providers), then beds
# taken by others, arrivals, the coordinator, and last the people who give up (still there when the
# coordinator looks).
LEAVE, TAKE, ARRIVE, COORDINATE, GIVE_UP = range(5)


@dataclass(order=True)
class _Event:
    at: datetime
    stage: int
    order: int
    action: Callable[[], None] = field(compare=False)


class _Run:
    def __init__(self, demand: Sequence[Demand], capacity: Capacity, *, start: datetime, end: datetime) -> None:
        self.demand = {d.id: d for d in demand}
        self.start, self.end = start, end
        self.now = start
        self.supplies = capacity.houses
        self.table = HouseTable.build([s.house for s in capacity.houses])
        self.row = {s.house.id: i for i, s in enumerate(capacity.houses)}
        self.beds = np.array([s.beds for s in capacity.houses], dtype=np.int64)
        self.taken = np.array([capacity.taken_at_start.get(s.house.id, 0) for s in capacity.houses], dtype=np.int64)
        self.used = np.zeros(len(capacity.houses), dtype=np.int64)
        self.answer_after = capacity.answer_after
        self.events: list[_Event] = []
        self.orders = iter(range(10**9))
        self.queue: dict[int, Demand] = {}
        self.where: dict[int, int] = {}  # row of the house each request is in now
        self.fates: dict[int, Fate] = {}
        self.first_reason: dict[int, str] = {}
        self.bed_days: dict[Id, float] = defaultdict(float)
        self.coordinator_runs = 0
        for change in capacity.taken:
            if change.house in self.row:
                stage = LEAVE if change.beds < 0 else TAKE  # a bed given back is free first, as when someone leaves
                self.at(change.at, stage, partial(self.take, self.row[change.house], change.beds))
        for d in demand:
            self.at(d.at, ARRIVE, partial(self.arrive, d))
        day = start.replace(hour=COORDINATOR_HOUR, minute=0, second=0, microsecond=0)
        while day < end:
            if day >= start and day.weekday() < 5:
                self.at(day, COORDINATE, self.coordinate)
            day += timedelta(days=1)

    def at(self, moment: datetime, stage: int, action: Callable[[], None]) -> None:
        heapq.heappush(self.events, _Event(moment, stage, next(self.orders), action))

    def run(self) -> Replay:
        while self.events and self.events[0].at < self.end:
            event = heapq.heappop(self.events)
            self.now = event.at
            event.action()
        for d in self.queue.values():
            self.fates[d.id] = Fate(reason=self.late_reason(d), waiting=True)
        return Replay(
            start=self.start,
            end=self.end,
            demand=tuple(self.demand.values()),
            fates=self.fates,
            bed_days=dict(self.bed_days),
            coordinator_runs=self.coordinator_runs,
        )

    # Beds ----------------------------------------------------------------------------------------

    def free(self) -> Ints:
        free: Ints = np.maximum(self.beds - self.taken - self.used, 0)
        return free

    def take(self, row: int, beds: int) -> None:
        self.taken[row] = max(self.taken[row] + beds, 0)

    def place(self, d: Demand, row: int) -> None:
        self.queue.pop(d.id, None)
        needed = d.person.beds_needed
        self.used[row] += needed
        self.where[d.id] = row
        supply = self.supplies[row]
        stay = min(d.stay, supply.max_stay) if supply.max_stay is not None else d.stay
        until = self.now + stay
        within = (min(until, self.end) - max(self.now, self.start)) / timedelta(days=1)
        self.bed_days[supply.house.id] += needed * max(within, 0.0)
        placed_at = self.now + self.answer_after
        self.fates[d.id] = Fate(placed_at=placed_at, house=supply.house.id, reason=self.late_reason(d, at=placed_at))
        self.at(until, LEAVE, lambda: self.leave(d, row))

    def leave(self, d: Demand, row: int) -> None:
        self.used[row] -= d.person.beds_needed
        self.where.pop(d.id, None)

    # Requests ------------------------------------------------------------------------------------

    def person_now(self, d: Demand, *, refused: bool = True) -> RequestSnapshot:
        """The person with the houses their links rule out or in now (co-victims' houses, a family's house) and,
        unless told not to, the houses that refused them."""
        ids = self.table.ids
        avoid = {ids[self.where[o]] for o in d.keep_apart if o in self.where} | (set(d.refused) if refused else set())
        avoid_sorted = sorted(avoid, key=str)
        family = [ids[self.where[o]] for o in d.family if o in self.where]
        return d.person.model_copy(update={"avoid_houses": avoid_sorted, "only_house": family[0] if family else None})

    def arrive(self, d: Demand) -> None:
        person = self.person_now(d)
        free = self.free()
        table = self.table.with_vacancies(free, self.table.stale)
        # Counted as the reports count it: what ruled houses out, a provider's refusal aside.
        plain = self.person_now(d, refused=False)
        self.first_reason[d.id] = self.main_reason(table.first_reasons(plain), free, plain)
        codes = table.first_reasons(person)
        eligible = np.flatnonzero(codes == ELIGIBLE)
        if d.urgency != Urgency.planned and not d.family and len(eligible):
            points = table.points(person, eligible)
            best = eligible[np.lexsort((eligible, -free[eligible], -points))[0]]
            self.place(d, int(best))
        elif d.patience > timedelta(0):
            self.queue[d.id] = d
            self.at(d.at + d.patience, GIVE_UP, lambda: self.give_up(d))
        else:
            self.fates[d.id] = Fate(reason=self.first_reason[d.id])

    def main_reason(self, codes: Ints, free: Ints, person: RequestSnapshot) -> str:
        """What the reports would count this request under if it is not placed in time (as made now)."""
        eligible = int((codes == ELIGIBLE).sum())
        room = free >= person.beds_needed
        counted = [
            RequestReason(
                request_id=0,
                reason=ORDER[i],
                houses=int((codes == i).sum()),
                houses_with_room=int(((codes == i) & room).sum()),
            )
            for i in np.unique(codes[codes != ELIGIBLE]).tolist()
        ]
        return main_reason(eligible, counted)

    def late_reason(self, d: Demand, *, at: datetime | None = None) -> str | None:
        """The reason it counts under if not placed within 24 hours of asking by `at` (else now); None if it was."""
        waited = (at or self.now) - d.at
        return None if waited <= PLACED_QUICKLY else self.first_reason.get(d.id, MainReason.HOUSE_FITTED)

    def give_up(self, d: Demand) -> None:
        if self.queue.pop(d.id, None) is not None:
            self.fates[d.id] = Fate(reason=self.first_reason[d.id])

    def coordinate(self) -> None:
        """The weekday allocation of the whole queue by the solver."""
        if not self.queue:
            return
        free = self.free()
        houses = [s.house.model_copy(update={"free_beds": int(free[i])}) for i, s in enumerate(self.supplies)]
        queued = set(self.queue)
        requests = [
            self.person_now(d).model_copy(update={"priority": priority_of(d.urgency, waited=self.now - d.at)})
            for d in self.queue.values()
        ]
        families = {tuple(sorted({d.id, *d.family} & queued)) for d in self.queue.values() if d.family}
        instance = Instance(
            houses=[h for h in houses if h.free_beds],
            requests=requests,
            keep_apart=sorted({(a, b) for d in self.queue.values() for a, b in _pairs(d.id, d.keep_apart, queued)}),
            place_together=[list(f) for f in families if len(f) > 1],
        )
        if not instance.houses:
            return
        self.coordinator_runs += 1
        result = solver.solve(instance, time_limit_s=COORDINATOR_TIME_LIMIT_S, workers=COORDINATOR_WORKERS)
        for assignment in result.assignments:
            self.place(self.demand[int(assignment.request)], self.row[assignment.house])


def median(values: Sequence[timedelta]) -> timedelta:
    """The median of some lengths of time (the mean of the middle two of an even number)."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _pairs(one: int, others: Iterable[int], queued: set[int]) -> list[tuple[int, int]]:
    return [(min(one, other), max(one, other)) for other in others if other in queued]


def replay(demand: Sequence[Demand], capacity: Capacity, *, start: datetime, end: datetime) -> Replay:
    """What would have become of each request of the period, given this capacity, by `end`.

    Requests still queued at `end` are left waiting, as they would be then."""
    return _Run(sorted(demand, key=lambda d: (d.at, d.id)), capacity, start=start, end=end).run()
