"""What-if: the requests of a period replayed against today's capacity, as it is and with beds added or removed.

The demand is every request made in the period that the database still holds in full: its needs,
when it was made, how long the person could wait (recorded: until they went elsewhere or were
placed, and at least the usual wait for its urgency; if still waiting, at least as long as so far)
and how long they stayed (recorded; else the median
stay of the period's placements at the same NRM stage). The capacity is today's houses and beds;
beds taken over the period by people outside the replay (placed before it began, or housed by a
provider outside SafeBeds) and beds out of service are taken as recorded, from the placements and
from the providers' bed changes in the audit log; and providers take as long to accept a hold as
they took in the period (the median).

A change reads as a person would write it: "+4 male pre-NRM beds in Croydon", "+2 family rooms
for women anywhere in North London", "-3 female recovery beds in Camden". An added bed is a new
house's; a removed bed comes out of the largest houses of that kind first. What commissioners see of
it is in `matching.whatif_tables`.
"""

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, func, select

from capacity import clock
from capacity import service as capacity_service
from capacity.audit import Action, AuditEvent, parse_bed_status
from capacity.models import Bed
from capacity.vocab import LONDON_AREAS, Area, BedStatus, Gender, NrmStage, Region, label, region_of
from matching import search
from matching import service as matching_service
from matching.allocation import URGENCY_BASE
from matching.instance import HouseSnapshot, Id
from matching.models import (
    Hold,
    HoldStatus,
    LinkKind,
    Placement,
    PlacementRequest,
    RequestStatus,
    RequestTally,
    Urgency,
)
from matching.recommend import FAMILY_CHILDREN, NEW_HOUSE_LANGUAGES, Fundable, Recommendation, Unmet, recommend
from matching.replay import Capacity, Demand, Replay, Supply, Taken, median, replay
from matching.reporting import (
    PLACED_QUICKLY,
    Group,
    outcome,
    period_bounds,
)
from matching.reporting import default_period as default_period_of_reports

# How long a person could wait for a bed when the record does not say (they were placed sooner).
USUAL_PATIENCE = {
    Urgency.tonight: timedelta(0),
    Urgency.within_72h: timedelta(hours=72),
    Urgency.planned: timedelta(days=14),
}
# How long a person stays when nobody of their NRM stage was placed in the period to learn it from.
USUAL_STAY = {
    NrmStage.pre_nrm: timedelta(days=14),
    NrmStage.recovery: timedelta(days=90),
    NrmStage.move_on: timedelta(days=45),
}
TAKING = {BedStatus.occupied, BedStatus.out_of_service}  # a bed in either is not free for the replay


class CannotChange(ValueError):
    """A change the capacity cannot take: more beds removed than there are of that kind."""


class PeriodPurged(ValueError):
    """The period reaches back to requests whose details have been purged: a replay would miss them."""

    def __init__(self, first_whole: date) -> None:
        super().__init__(
            "the details of some requests of the period have been purged (SAFEBEDS_RETENTION_DAYS), so a replay "
            f"would miss them; start on {first_whole.isoformat()} or later"
        )
        self.first_whole = first_whole


# Demand ------------------------------------------------------------------------------------------


def first_whole_day(*, session: Session, start: date) -> date:
    """The first day from `start` on whose requests are all kept in full (none purged), for a replay."""
    purged = session.exec(select(func.max(RequestTally.day)).where(col(RequestTally.day) >= start)).one()
    return purged + timedelta(days=1) if purged else start


def demand(*, session: Session, start: date, end: date) -> list[Demand]:
    """Every request made in the period, as the replay needs it."""
    since, until = period_bounds(start, end)
    if (whole := first_whole_day(session=session, start=start)) != start:
        raise PeriodPurged(whole)
    requests = session.exec(
        select(PlacementRequest)
        .where(col(PlacementRequest.created_at) >= since, col(PlacementRequest.created_at) < until)
        .order_by(col(PlacementRequest.created_at), col(PlacementRequest.id))
    ).all()
    ids = [r.id for r in requests if r.id is not None]
    replayed = set(ids)
    first: dict[int, Placement] = {}
    for placement in session.exec(
        select(Placement).where(col(Placement.request_id).in_(ids)).order_by(col(Placement.started_at))
    ):
        first.setdefault(placement.request_id, placement)
    now = clock.now()
    stays: dict[NrmStage, list[timedelta]] = defaultdict(list)
    for request in requests:
        placed = first.get(request.id or 0)
        if placed is not None and placed.ended_at is not None:
            stays[NrmStage(request.nrm_stage)].append(placed.ended_at - placed.started_at)
    usual = {stage: median(stays[stage]) if stays[stage] else USUAL_STAY[stage] for stage in NrmStage}
    kept_apart: dict[int, list[int]] = defaultdict(list)
    for link in matching_service.links(session=session, request_ids=ids):
        if link.kind == LinkKind.keep_apart:
            kept_apart[link.request_id].append(link.other_id)
    families = matching_service.families(session=session, request_ids=ids)
    refused: dict[int, list[int]] = defaultdict(list)
    for request_id, house_id in session.exec(
        select(Hold.request_id, Hold.house_id).where(
            col(Hold.request_id).in_(ids), col(Hold.status).in_([HoldStatus.declined, HoldStatus.expired])
        )
    ):
        refused[request_id].append(house_id)
    found = []
    for request in requests:
        assert request.id is not None
        placed = first.get(request.id)
        urgency = Urgency(request.urgency)
        if placed is not None:
            patience = max(placed.started_at - request.created_at, USUAL_PATIENCE[urgency])
            stay = (placed.ended_at or now) - placed.started_at
        else:
            gave_up = request.closed_at if request.status == RequestStatus.closed else None
            if gave_up is not None:
                patience = gave_up - request.created_at
            else:  # still waiting: as long as they have so far, and at least the usual wait
                patience = max(now - request.created_at, USUAL_PATIENCE[urgency])
            stay = usual[NrmStage(request.nrm_stage)]
        counted = outcome(request, None, [], now=now)
        found.append(
            Demand(
                id=request.id,
                at=request.created_at,
                urgency=urgency,
                person=search.request_snapshot(request, id=request.id, priority=URGENCY_BASE[urgency]),
                patience=patience,
                stay=stay,
                groups=tuple(counted.groups()),
                found_area=request.found_area,
                keep_apart=tuple(o for o in kept_apart[request.id] if o in replayed),
                family=tuple(sorted(families[request.id] - {request.id})),
                refused=tuple(sorted(set(refused[request.id]))),
                recorded_placed=placed is not None,
                recorded_wait=placed.started_at - request.created_at if placed is not None else None,
                recorded_waiting=request.status in (RequestStatus.open, RequestStatus.held),
            )
        )
    return found


def default_period(*, session: Session) -> tuple[date, date]:
    """The last twelve months to today, or as much of them as still has every request in full."""
    start, end = default_period_of_reports()
    purged = session.exec(select(func.max(RequestTally.day)).where(col(RequestTally.day) >= start)).one()
    return (max(start, purged + timedelta(days=1)) if purged else start), end


# Capacity ----------------------------------------------------------------------------------------


def capacity(*, session: Session, start: date, end: date) -> Capacity:
    """Today's houses and beds; beds taken by people outside the replay and out of service, as recorded."""
    since, until = period_bounds(start, end)
    described = capacity_service.describe_houses(
        session=session,
        houses=capacity_service.get_all_houses(session=session),
        stale_after=timedelta(0),
        show_address=lambda _: False,
    )
    houses = tuple(
        Supply(
            house=search.house_snapshot(h).model_copy(update={"free_beds": h.beds.total, "stale": False}),
            beds=h.beds.total,
            max_stay=timedelta(days=h.max_stay_days) if h.max_stay_days else None,
        )
        for h in described
    )
    taken_at_start: dict[Id, int] = defaultdict(int)
    taken: list[Taken] = []
    # Placements of requests made before the period: their beds are taken while they last.
    placed_at_start: Counter[Id] = Counter()
    for placement, children in session.exec(
        select(Placement, PlacementRequest.children)
        .join(PlacementRequest, col(PlacementRequest.id) == col(Placement.request_id))
        .where(col(PlacementRequest.created_at) < since, col(Placement.started_at) < until)
        .where((col(Placement.ended_at).is_(None)) | (col(Placement.ended_at) > since))
    ):
        beds = 1 + len(children)
        if placement.started_at <= since:
            placed_at_start[placement.house_id] += beds
        else:
            taken.append(Taken(placement.started_at, placement.house_id, beds))
        if placement.ended_at is not None and placement.ended_at < until:
            taken.append(Taken(placement.ended_at, placement.house_id, -beds))
    taken_at_start.update(placed_at_start)
    # Beds a provider marked occupied (by someone housed outside SafeBeds) or out of service.
    changes: dict[int, list[tuple[datetime, BedStatus, BedStatus]]] = defaultdict(list)
    for event in session.exec(
        select(AuditEvent)
        .where(col(AuditEvent.action) == Action.bed_status, col(AuditEvent.at) < until)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    ):
        if event.object_id is not None and (parsed := parse_bed_status(event.detail)) is not None:
            changes[event.object_id].append((event.at, *parsed))
    for bed_id, house_id, status in session.exec(select(Bed.id, Bed.house_id, Bed.status)):
        assert bed_id is not None
        history = changes.get(bed_id, [])
        before = [to for at, _, to in history if at <= since]
        later = [(at, was, to) for at, was, to in history if at > since]
        if before:
            state = before[-1]
        elif history:
            state = history[0][1]
            # Occupied before its first change, perhaps by a placement already counted above: then the
            # bed is that placement's, and the provider's first change of it tells nothing more.
            if state == BedStatus.occupied and placed_at_start[house_id]:
                placed_at_start[house_id] -= 1
                state, later = BedStatus.available, later[1:]
        else:  # never changed by a provider: as it is now, unless SafeBeds holds it now
            state = BedStatus(status) if status == BedStatus.out_of_service else BedStatus.available
        taken_at_start[house_id] += state in TAKING
        for at, was, to in later:
            if (to in TAKING) != (was in TAKING):
                taken.append(Taken(at, house_id, 1 if to in TAKING else -1))
    answers = [
        placement.started_at - hold_at
        for placement, hold_at in session.exec(
            select(Placement, Hold.created_at)
            .join(Hold, col(Hold.id) == col(Placement.hold_id))
            .where(col(Placement.started_at) >= since, col(Placement.started_at) < until)
        )
    ]
    return Capacity(
        houses=houses,
        taken_at_start=dict(taken_at_start),
        taken=tuple(sorted(taken, key=lambda t: t.at)),
        answer_after=median(answers) if answers else timedelta(0),
    )


# Changes -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BedChange:
    """Beds added (a new house) or removed (from the largest houses of the kind first)."""

    beds: int  # positive to add, negative to remove
    genders: tuple[Gender, ...]
    stages: tuple[NrmStage, ...]
    family: bool = False
    step_free: bool = False
    area: Area | None = None
    region: Region | None = None

    def words(self) -> str:
        who = " or ".join(_GENDER_WORDS[g] for g in self.genders)
        stages = " or ".join(_STAGE_WORDS[s] for s in self.stages)
        one = abs(self.beds) == 1
        kind = "bed" if one else "beds"
        # Counted in beds, a family room's too: a parent with three children takes four.
        room = (" in a family room" if one else " in family rooms") if self.family else ""
        step_free = "step-free " if self.step_free else ""
        where = f" in {label(self.area)}" if self.area else f" anywhere in {label(self.region)}" if self.region else ""
        return f"{self.beds:+d} {step_free}{stages} {kind}{room} for {who}{where}"


_GENDER_WORDS = {Gender.male: "men", Gender.female: "women", Gender.non_binary: "non-binary people"}
_STAGE_WORDS = {NrmStage.pre_nrm: "pre-NRM", NrmStage.recovery: "recovery", NrmStage.move_on: "move-on"}
_FILLER = {
    "bed",
    "beds",
    "room",
    "rooms",
    "place",
    "places",
    "in",
    "anywhere",
    "for",
    "of",
    "a",
    "the",
    "new",
    "and",
    "or",
}


def _phrases() -> dict[tuple[str, ...], tuple[str, object]]:
    def words(text: str) -> tuple[str, ...]:
        return tuple(re.sub(r"[-_,]", " ", text.lower()).split())

    found: dict[tuple[str, ...], tuple[str, object]] = {}
    genders: tuple[tuple[tuple[str, ...], Gender], ...] = (
        (("male", "man", "men"), Gender.male),
        (("female", "woman", "women"), Gender.female),
        (("non binary", "nonbinary", "non binary people"), Gender.non_binary),
    )
    for names, gender in genders:
        for name in names:
            found[words(name)] = ("gender", gender)
    stages: tuple[tuple[tuple[str, ...], NrmStage], ...] = (
        (("pre nrm", "prenrm"), NrmStage.pre_nrm),
        (("recovery",), NrmStage.recovery),
        (("move on", "moveon"), NrmStage.move_on),
    )
    for names, stage in stages:
        for name in names:
            found[words(name)] = ("stage", stage)
    for name in ("family", "families", "with children"):
        found[words(name)] = ("family", True)
    for name in ("step free", "stepfree", "accessible"):
        found[words(name)] = ("step_free", True)
    for area in LONDON_AREAS:
        found[words(label(area))] = found[words(area)] = ("area", area)
    for region in Region:
        if region != Region.outside_london:
            found[words(label(region))] = found[words(region)] = ("region", region)
    return found


_PHRASES = _phrases()
_LONGEST = max(len(p) for p in _PHRASES)


def parse_change(text: str) -> BedChange:
    """A change as a person writes it ("+4 male pre-NRM beds in Croydon"), or ValueError saying what is wrong."""
    number = re.match(r"\s*([+-]?)\s*(\d{1,4})\b(.*)$", text)
    if number is None:
        raise ValueError(f"{text.strip()!r}: start with how many beds to add or remove, such as +4 or -2")
    beds = int(number[2]) * (-1 if number[1] == "-" else 1)
    if not beds:
        raise ValueError(f"{text.strip()!r}: add or remove at least one bed")
    words = re.sub(r"[-_,]", " ", number[3].lower()).split()
    said: dict[str, list[object]] = defaultdict(list)
    unknown: list[str] = []
    i = 0
    while i < len(words):
        for size in range(min(_LONGEST, len(words) - i), 0, -1):
            if (phrase := tuple(words[i : i + size])) in _PHRASES:
                kind, value = _PHRASES[phrase]
                said[kind].append(value)
                i += size
                break
        else:
            if words[i] not in _FILLER:
                unknown.append(words[i])
            i += 1
    if unknown:
        raise ValueError(f"{text.strip()!r}: not understood: {', '.join(unknown)}")
    if not said["gender"]:
        raise ValueError(f"{text.strip()!r}: say who the beds are for: men, women or non-binary people")
    if not said["stage"]:
        raise ValueError(f"{text.strip()!r}: say the NRM stage the beds are for: pre-NRM, recovery or move-on")
    if len(said["area"]) + len(said["region"]) > 1:
        raise ValueError(f"{text.strip()!r}: give one place, a local authority or a part of London")
    return BedChange(
        beds=beds,
        genders=tuple(dict.fromkeys(Gender(g) for g in said["gender"])),  # type: ignore[arg-type]
        stages=tuple(dict.fromkeys(NrmStage(s) for s in said["stage"])),  # type: ignore[arg-type]
        family=bool(said["family"]),
        step_free=bool(said["step_free"]),
        area=Area(said["area"][0]) if said["area"] else None,  # type: ignore[arg-type]
        region=Region(said["region"][0]) if said["region"] else None,  # type: ignore[arg-type]
    )


def site(change: BedChange, *, found: Counter[Area]) -> Area:
    """Where added beds go: their local authority, else where most people of the period were found in their region."""
    if change.area is not None:
        return change.area
    areas = [a for a in LONDON_AREAS if change.region is None or region_of(a) == change.region]
    return max(areas, key=lambda a: (found[a], -areas.index(a)))


def changed(base: Capacity, changes: Sequence[BedChange], *, found: Counter[Area]) -> Capacity:
    """The capacity with the changes made: added beds as new houses, removed beds from the largest houses first."""
    houses = list(base.houses)
    for number, change in enumerate(changes, start=1):
        if change.beds > 0:
            area = site(change, found=found)
            snapshot = HouseSnapshot(
                id=f"new-{number}",
                area=area,
                genders=list(change.genders),
                trans_inclusive=True,
                nrm_stages=list(change.stages),
                max_children=FAMILY_CHILDREN if change.family else 0,
                max_child_age=17 if change.family else 0,
                languages=list(NEW_HOUSE_LANGUAGES),
                step_free=change.step_free,
                faith_based=False,
                free_beds=change.beds,
            )
            sited = "" if change.area else f" (sited in {label(area)})"
            houses.append(Supply(house=snapshot, beds=change.beds, added=change.words() + sited))
            continue
        fits = [i for i, s in enumerate(houses) if not s.added and _is_kind(s.house, change)]
        left = sum(houses[i].beds for i in fits)
        if left < -change.beds:
            more = " left" if left < sum(base.houses[i].beds for i in fits) else ""
            raise CannotChange(f"{change.words()}: there are only {left} such beds{more} to remove")
        for _ in range(-change.beds):
            largest = max(fits, key=lambda i: (houses[i].beds, -i))
            houses[largest] = replace(houses[largest], beds=houses[largest].beds - 1)
    return replace(base, houses=tuple(houses))


def _is_kind(house: HouseSnapshot, change: BedChange) -> bool:
    return (
        bool(set(change.genders) & set(house.genders))
        and bool(set(change.stages) & set(house.nrm_stages))
        and (not change.family or house.max_children > 0)
        and (not change.step_free or house.step_free)
        and (change.area is None or house.area == change.area)
        and (change.region is None or region_of(house.area) == change.region)
    )


# The what-if -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhatIf:
    start: date
    end: date
    changes: tuple[BedChange, ...]
    demand: tuple[Demand, ...]
    base: Capacity
    today: Replay  # today's capacity, as it is
    changed: Replay  # with the changes
    changed_capacity: Capacity

    def recorded_placed(self, group: Group | None = None) -> int:
        return sum(d.recorded_placed for d in self.demand if group is None or group in d.groups)

    def recorded_quickly(self) -> int:
        return sum(d.recorded_wait is not None and d.recorded_wait <= PLACED_QUICKLY for d in self.demand)

    def recorded_median_wait(self) -> timedelta | None:
        waits = [d.recorded_wait for d in self.demand if d.recorded_wait is not None]
        return median(waits) if waits else None

    def agreement(self) -> float:
        """Of the requests replayed against today's capacity, the share whose fate (placed or not) is as recorded."""
        same = sum((self.today.fates[d.id].placed_at is not None) == d.recorded_placed for d in self.demand)
        return same / len(self.demand) if self.demand else 1.0

    def new_houses(self) -> list[Supply]:
        return [s for s in self.changed_capacity.houses if s.added]


def run(*, session: Session, start: date, end: date, changes: Sequence[BedChange] = ()) -> WhatIf:
    """Replay the period against today's capacity, and against it with the changes made."""
    found = demand(session=session, start=start, end=end)
    base = capacity(session=session, start=start, end=end)
    since, until = replay_bounds(start, end)
    today = replay(found, base, start=since, end=until)
    what = WhatIf(
        start=start,
        end=end,
        changes=(),
        demand=tuple(found),
        base=base,
        today=today,
        changed=today,
        changed_capacity=base,
    )
    return with_changes(what, changes)


def replay_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    since, until = period_bounds(start, end)
    return since, min(until, clock.now())  # what happens after now is not known yet: a replay stops there too


def found_areas(what: WhatIf) -> Counter[Area]:
    return Counter(d.found_area for d in what.demand if d.found_area is not None)


def with_changes(what: WhatIf, changes: Sequence[BedChange]) -> WhatIf:
    """The same what-if with other changes: only the changed capacity is replayed again."""
    if not changes:
        return replace(what, changes=(), changed=what.today, changed_capacity=what.base)
    capacity_now = changed(what.base, changes, found=found_areas(what))
    since, until = replay_bounds(what.start, what.end)
    return replace(
        what,
        changes=tuple(changes),
        changed=replay(what.demand, capacity_now, start=since, end=until),
        changed_capacity=capacity_now,
    )


@dataclass(frozen=True)
class Recommended:
    recommendation: Recommendation
    what: WhatIf  # the period replayed with the recommended beds added


def recommend_beds(what: WhatIf, *, budget: int, fundable: Fundable, time_limit_s: float = 10.0) -> Recommended:
    """The best beds to add for every budget up to `budget`, and the period replayed with the best for `budget`."""
    found = found_areas(what)
    sites = {region: site(BedChange(1, (), (), region=region), found=found) for region in fundable.regions}
    unmet = [
        Unmet(
            id=d.id,
            at=d.at,
            stay=d.stay,
            priority=URGENCY_BASE[d.urgency],
            person=d.person,
            found=region_of(d.found_area) if d.found_area is not None else None,
        )
        for d in what.demand
        if what.today.fates[d.id].placed_at is None
    ]
    _, until = replay_bounds(what.start, what.end)
    found_best = recommend(unmet, budget=budget, fundable=fundable, sites=sites, end=until, time_limit_s=time_limit_s)
    changes = [
        BedChange(
            beds=n,
            genders=(kind.gender,),
            stages=(kind.nrm_stage,),
            family=kind.family,
            step_free=kind.step_free,
            region=region,
        )
        for kind, regions in sorted(found_best.where.items(), key=lambda item: (-sum(item[1].values()), item[0].code))
        for region, n in regions.items()
    ]
    return Recommended(found_best, with_changes(what, changes))
