"""A year of fictional placement requests, run through SafeBeds' own matching in simulated time.

Who arrives, when, with which needs, and what providers and the Home Office later decide are drawn
from a seeded generator: they are the world outside SafeBeds. Every matching outcome (which house
a person was offered, whether they were placed, held, or turned away because nothing fitted) is
what the real services answered: `matching.service.create`, `matching.search.search`,
`matching.holds` and `matching.allocation`, with the clock moved forward event by event.

The people:
- Cases arrive as a Poisson process, somewhat more at night and at weekends: mostly one person,
  some co-victims found together (kept apart), a few families or siblings (placed together).
- About a third are men; many are found before any NRM decision (pre-NRM); some bring children.
- Each case is found somewhere: a London local authority, most often in central or east London,
  or now and then outside London (drawn by a generator of its own, so it changes no other draw).
- A pre-NRM person who consents is referred into the NRM: a Reasonable Grounds (RG) decision
  follows in days to weeks; after a positive one they need a recovery bed (a new request, unless
  they are already in a house that serves recovery) until the Conclusive Grounds (CG) decision,
  months later, and its move-on period. A person still in need when a house's stay limit comes
  is moved on, with a planned request for their next bed made two weeks before.
- When the history begins most beds are occupied by people placed before SafeBeds; they leave
  over the following months, and their providers mark the beds free.

What officers, providers and the coordinator do:
- `tonight` requests: the officer searches and holds the best-ranked house; after a decline or a
  lapsed hold they try the next, up to three holds; when nothing fits the person goes elsewhere
  (a fallback: police station, hotel, a sofa, nowhere).
- `within_72h` requests: the officer tries the same way; if nothing fits, the request waits in the
  queue for three days. `planned` requests and families wait in the queue for up to two weeks.
- Every weekday morning a coordinator allocates the whole queue (`allocation.propose`, then
  `confirm`), with a time limit of two seconds.
- Providers answer holds within minutes to hours (slower at night); most accept, some decline
  with a reason, some never answer and the hold lapses.
- Placements end with move-on: when support ends after a decision, when a house's stay limit is
  reached, or when a positive RG moves the person from an emergency bed to a recovery bed.
"""

import heapq
import math
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import NamedTuple, TypeVar

from sqlmodel import Session, col, func, select

from capacity import clock
from capacity import service as capacity_service
from capacity.errors import ConflictError, DomainError
from capacity.models import Bed, BedCounts, BedUpdate, House, HousePublic, User
from capacity.vocab import (
    LONDON_AREAS,
    Area,
    BedStatus,
    ExploitationType,
    Gender,
    NrmStage,
    Region,
    SupportNeed,
    region_of,
)
from matching import allocation, holds
from matching import search as search_module
from matching import service as matching_service
from matching.eligibility import rule_out_reasons
from matching.instance import Status
from matching.models import (
    AgeBand,
    AssignmentConfirm,
    DeclineReason,
    Fallback,
    Hold,
    HoldStatus,
    NrmDecision,
    Placement,
    PlacementRequest,
    RequestCreate,
    RequestStatus,
    Urgency,
)
from providers import service as providers_service
from web.settings import Settings

CASES_PER_YEAR = 440  # with follow-on requests (after an RG decision, before a stay limit): about 1,000 requests
NIGHT_WEIGHT = 1.5  # arrivals between 20:00 and 06:00, against 1 by day
WEEKEND_WEIGHT = 1.25
COORDINATOR_HOUR = 10  # on weekdays
COORDINATOR_TIME_LIMIT_S = 2.0
# One search worker: with no time limit reached, CP-SAT's single-worker search is repeatable, so
# the same seed gives the same history.
COORDINATOR_WORKERS = 1
MAX_HOLDS_PER_REQUEST = 3
DEMO_OFFICER_WEIGHT = 4  # against 1 for each other officer
# How much longer the people already housed when the history starts stay, on average, by the
# NRM stages the house serves (the longest applies); never beyond the house's stay limit.
EARLIER_STAYS = {
    NrmStage.pre_nrm: timedelta(days=5),
    NrmStage.recovery: timedelta(days=150),
    NrmStage.move_on: timedelta(days=30),
}
TRANSFER_NOTICE = timedelta(days=14)  # how early a transfer is requested before a house's stay limit
QUEUE_WAIT = {Urgency.within_72h: timedelta(hours=72), Urgency.planned: timedelta(days=14)}

# People ------------------------------------------------------------------------------------------

GENDERS = ((Gender.female, 64), (Gender.male, 34), (Gender.non_binary, 2))
AGE_BANDS = (
    (AgeBand.age_18_24, 30),
    (AgeBand.age_25_34, 35),
    (AgeBand.age_35_49, 25),
    (AgeBand.age_50_64, 8),
    (AgeBand.age_65_plus, 2),
)
STAGES = ((NrmStage.pre_nrm, 80), (NrmStage.recovery, 15), (NrmStage.move_on, 5))
URGENCIES = {
    NrmStage.pre_nrm: ((Urgency.tonight, 72), (Urgency.within_72h, 24), (Urgency.planned, 4)),
    NrmStage.recovery: ((Urgency.tonight, 25), (Urgency.within_72h, 40), (Urgency.planned, 35)),
    NrmStage.move_on: ((Urgency.tonight, 10), (Urgency.within_72h, 30), (Urgency.planned, 60)),
}
EXPLOITATION = {
    Gender.female: (
        (ExploitationType.sexual, 55),
        (ExploitationType.domestic_servitude, 20),
        (ExploitationType.labour, 15),
        (ExploitationType.criminal, 10),
    ),
    Gender.male: (
        (ExploitationType.labour, 55),
        (ExploitationType.criminal, 30),
        (ExploitationType.domestic_servitude, 9),
        (ExploitationType.sexual, 6),
    ),
    Gender.non_binary: (
        (ExploitationType.sexual, 45),
        (ExploitationType.labour, 30),
        (ExploitationType.criminal, 15),
        (ExploitationType.domestic_servitude, 10),
    ),
}
# Languages people speak, by the groups found in London, weighted for women and for men.
LANGUAGE_GROUPS: tuple[tuple[tuple[str, ...], int, int], ...] = (
    (("sq",), 17, 16),  # Albanian
    (("vi",), 9, 16),  # Vietnamese (nail bars; cannabis farms)
    (("ro",), 10, 12),  # Romanian
    (("pcm", "en"), 13, 3),  # Nigerian Pidgin and English
    (("bin", "pcm"), 5, 1),  # Edo and Nigerian Pidgin
    (("pl",), 5, 10),  # Polish
    (("zh",), 6, 4),  # Chinese
    (("ti",), 5, 7),  # Eritrean Tigrinya
    (("lt",), 3, 4),  # Lithuanian
    (("bg",), 3, 3),  # Bulgarian
    (("ar",), 3, 7),  # Arabic (Sudan, Syria)
    (("th",), 3, 0),  # Thai
    (("hu",), 2, 3),  # Hungarian
    (("en",), 16, 14),  # British and other English speakers
)
# Where people are found: most in central and east London, a few outside London.
FOUND_WEIGHTS = {
    Region.central_london: 30,
    Region.east_london: 20,
    Region.north_london: 10,
    Region.south_london: 10,
    Region.west_london: 10,
    Region.outside_london: 1,
}
FOUND_AREAS = tuple((area, FOUND_WEIGHTS[region_of(area)]) for area in Area)
SUPPORT_NEEDS = ((SupportNeed.mental_health, 0.35), (SupportNeed.substance_use, 0.1), (SupportNeed.lgbt_plus, 0.03))
FALLBACKS = {
    Urgency.tonight: ((Fallback.police_station, 30), (Fallback.hotel, 35), (Fallback.sofa, 15), (Fallback.none, 20)),
    Urgency.within_72h: (
        (Fallback.hotel, 25),
        (Fallback.sofa, 25),
        (Fallback.other_accommodation, 25),
        (Fallback.none, 25),
    ),
}
FALLBACKS[Urgency.planned] = FALLBACKS[Urgency.within_72h]
DECLINE_REASONS = (
    (DeclineReason.cannot_meet_needs, 35),
    (DeclineReason.risk_to_residents, 20),
    (DeclineReason.referral_incomplete, 20),
    (DeclineReason.no_longer_available, 15),
    (DeclineReason.other, 10),
)
NRM_CONSENT = 0.8
POSITIVE_RG = 0.88
POSITIVE_CG = 0.85
PROVIDER_ACCEPTS = 0.86

T = TypeVar("T")


def pick(rng: random.Random, weighted: Sequence[tuple[T, int]]) -> T:
    """One value of (value, weight) pairs."""
    return rng.choices([value for value, _ in weighted], [weight for _, weight in weighted])[0]


@dataclass
class Person:
    """One person's needs and the NRM decisions their case will get (the world outside SafeBeds)."""

    reference: str
    officer_id: int
    needs: dict[str, object]
    rg_at: datetime | None = None
    rg_positive: bool = False
    cg_at: datetime | None = None
    cg_positive: bool = False
    needs_bed_until: datetime | None = None
    placement_id: int | None = None
    request_ids: list[int] = field(default_factory=list)


class Outcome(StrEnum):
    placed = "placed"
    unplaced = "unplaced"  # turned away: a fallback outside SafeBeds, or nowhere
    waiting = "waiting"  # still open or held at the end of the history


class _Asked(NamedTuple):
    gender: Gender
    nrm_stage: NrmStage
    urgency: Urgency
    follow_on: bool


@dataclass(frozen=True)
class RequestRecord:
    """A request of the history as it was made: an NRM decision later moves a placed request's stage on."""

    request_id: int
    gender: Gender
    nrm_stage: NrmStage
    urgency: Urgency
    follow_on: bool
    outcome: Outcome


@dataclass(frozen=True)
class History:
    """What the simulated year produced."""

    start: datetime
    end: datetime
    requests: tuple[RequestRecord, ...]
    coordinator_runs: int
    solver_statuses: dict[str, int]

    def count(self, outcome: Outcome, *, gender: Gender | None = None, stages: Sequence[NrmStage] = ()) -> int:
        """How many requests (of a gender and NRM stages at request, if given) had this outcome."""
        return sum(
            r.outcome == outcome and gender in (None, r.gender) and (not stages or r.nrm_stage in stages)
            for r in self.requests
        )

    def placed_share(self, *, gender: Gender, stages: Sequence[NrmStage]) -> float:
        """Of the requests of a gender and stages that were settled (placed or not), the share placed."""
        placed = self.count(Outcome.placed, gender=gender, stages=stages)
        settled = placed + self.count(Outcome.unplaced, gender=gender, stages=stages)
        return placed / settled if settled else 0.0

    def summary(self) -> str:
        """One line for the console."""
        days = (self.end - self.start).days
        period = f"{days} days" if days < 61 else f"{round(days / (365.25 / 12))} months"
        men_pre_nrm = self.placed_share(gender=Gender.male, stages=[NrmStage.pre_nrm])
        women_recovery = self.placed_share(gender=Gender.female, stages=[NrmStage.recovery])
        return (
            f"History: {len(self.requests):,} requests over {period}: "
            f"{self.count(Outcome.placed):,} placed, "
            f"{self.count(Outcome.unplaced):,} unplaced or placed outside SafeBeds, "
            f"{self.count(Outcome.waiting):,} waiting now; "
            f"placed: {men_pre_nrm:.0%} of men pre-NRM, {women_recovery:.0%} of women in recovery."
        )


# Houses as a search sees them --------------------------------------------------------------------


class SearchBoard:
    """Every house as a search sees it, kept current with two small queries instead of a full description.

    `matching.service.search` describes every house from scratch and `matching.search.search`
    turns each into a snapshot; over a year of searches that would be most of the demo's load
    time. House details never change during the history, so they are described once; what does
    change, the beds' statuses and the houses' confirmation times, is read from the database.
    """

    def __init__(self, session: Session, *, stale_after: timedelta) -> None:
        self.session = session
        self.stale_after = stale_after
        described = capacity_service.describe_houses(
            session=session,
            houses=capacity_service.get_all_houses(session=session),
            stale_after=stale_after,
            show_address=lambda _: False,
        )
        self.houses = {house.id: house for house in described}
        self.snapshots = {house.id: search_module.house_snapshot(house) for house in described}
        self.seen: dict[int, tuple[object, ...]] = {}  # each house's bed counts and freshness last time

    def refresh(self) -> None:
        """Read every house's bed counts and freshness as they are now."""
        counts: dict[int, Counter[BedStatus]] = defaultdict(Counter)
        for house_id, status, number in self.session.exec(
            select(Bed.house_id, Bed.status, func.count()).group_by(col(Bed.house_id), col(Bed.status))
        ):
            counts[house_id][BedStatus(status)] = number
        at = clock.now()
        for id_, confirmed_at in self.session.exec(select(House.id, House.vacancies_confirmed_at)):
            assert id_ is not None
            beds = counts[id_]
            stale = capacity_service.is_stale(confirmed_at, stale_after=self.stale_after, at=at)
            seen = (*(beds[status] for status in BedStatus), confirmed_at, stale)
            if seen == self.seen.get(id_):
                continue
            self.seen[id_] = seen
            house = self.houses[id_].model_copy(
                update={
                    "beds": BedCounts(
                        total=beds.total(),
                        available=beds[BedStatus.available],
                        held=beds[BedStatus.held],
                        occupied=beds[BedStatus.occupied],
                        out_of_service=beds[BedStatus.out_of_service],
                    ),
                    "vacancies_confirmed_at": confirmed_at,
                    "stale": stale,
                }
            )
            self.houses[id_] = house
            self.snapshots[id_] = search_module.house_snapshot(house)

    def could_take(self, request: PlacementRequest) -> list[HousePublic]:
        """The houses that could take this person at the last refresh, by the rules the search applies.

        Searching only these changes no match (the search rules the others out by the same
        rules) and spares it a snapshot of every house.
        """
        person = search_module.request_snapshot(request)
        return [self.houses[i] for i, house in self.snapshots.items() if not rule_out_reasons(person, house)]


# The simulation ----------------------------------------------------------------------------------


@dataclass(order=True)
class _Event:
    at: datetime
    order: int
    action: Callable[[], None] = field(compare=False)


class Simulation:
    """The year, event by event: arrivals, searches, holds, answers, decisions, move-on, and the daily queue."""

    def __init__(
        self,
        session: Session,
        *,
        rng: random.Random,
        places: random.Random,
        simulated: clock.SimulatedClock,
        end: datetime,
        settings: Settings,
        officers: Sequence[tuple[User, str]],
        provider_staff: dict[int, User],
        confirmations: Sequence[tuple[datetime, House]],
    ) -> None:
        self.session = session
        self.rng = rng
        # Where each case is found comes from a generator of its own, so that drawing it changes no other draw.
        self.places = places
        self.simulated = simulated
        self.start = clock.now()
        self.end = end
        self.settings = settings
        self.officers = [(officer.id or 0, prefix) for officer, prefix in officers]
        self.provider_staff = {organisation: user.id or 0 for organisation, user in provider_staff.items()}
        # Accounts do not change during the history: kept out of the session, a commit never
        # expires them, which spares thousands of reloads.
        self.users = {user.id or 0: user for user in [*(o for o, _ in officers), *provider_staff.values()]}
        for user in self.users.values():
            session.refresh(user)
            session.expunge(user)
        self.confirmations = [(at, house.id or 0) for at, house in confirmations]
        self.board = SearchBoard(session, stale_after=settings.stale_after)
        self.index = matching_service.HouseIndex()
        self.house_organisation = {h.id: h.organisation_id for h in self.board.houses.values()}
        self.events: list[_Event] = []
        self.orders = iter(range(10**9))
        self.people: dict[int, Person] = {}  # by request id
        self.asked: dict[int, _Asked] = {}  # each request as it was made
        self.tried: dict[int, set[int]] = defaultdict(set)  # houses each request was held in
        self.deadline_passed: set[int] = set()
        self.family: dict[int, list[int]] = {}  # a place-together request's group, itself included
        self.case_numbers: Counter[str] = Counter()
        self.coordinator_runs = 0
        self.solver_statuses: Counter[str] = Counter()

    # Running -------------------------------------------------------------------------------------

    def at(self, moment: datetime, action: Callable[[], None]) -> None:
        """Do `action` when the clock reaches `moment` (in the history's window)."""
        if moment <= self.end:
            heapq.heappush(self.events, _Event(max(moment, clock.now()), next(self.orders), action))

    def run(self) -> History:
        """Play the whole history and say what it produced."""
        for moment in self.arrivals():
            self.at(moment, self.new_case)
        day = self.start.replace(hour=COORDINATOR_HOUR, minute=0, second=0, microsecond=0)
        while day <= self.end:
            if day > self.start and day.weekday() < 5:
                self.at(day, self.coordinate)
            day += timedelta(days=1)
        for moment, house_id in self.confirmations:
            self.at(moment, partial(self.confirm_house, house_id))
        self.plan_departures()
        while self.events:
            event = heapq.heappop(self.events)
            self.simulated.move_to(event.at)
            event.action()
        self.simulated.move_to(self.end)
        self.session.expunge_all()
        return self.history()

    def arrivals(self) -> list[datetime]:
        """When cases are found: a Poisson process, thinned to be busier at night and at weekends."""
        mean_weight = (10 * NIGHT_WEIGHT + 14) / 24 * (5 + 2 * WEEKEND_WEIGHT) / 7
        peak = NIGHT_WEIGHT * WEEKEND_WEIGHT
        rate_per_day = CASES_PER_YEAR / 365 * peak / mean_weight
        moments: list[datetime] = []
        moment = self.start
        while True:
            moment += timedelta(days=self.rng.expovariate(rate_per_day))
            if moment >= self.end:
                return moments
            night = moment.hour >= 20 or moment.hour < 6
            weight = (NIGHT_WEIGHT if night else 1) * (WEEKEND_WEIGHT if moment.weekday() >= 5 else 1)
            if self.rng.random() < weight / peak:
                moments.append(moment)

    def plan_departures(self) -> None:
        """When each person already housed before SafeBeds leaves, and the provider marks the bed free."""
        occupied = self.session.exec(
            select(Bed.id, Bed.house_id).where(col(Bed.status) == BedStatus.occupied).order_by(col(Bed.id))
        ).all()
        for bed_id, house_id in occupied:
            assert bed_id is not None
            house = self.board.houses[house_id]
            mean = max(EARLIER_STAYS[stage] for stage in house.nrm_stages)
            days = min(self.rng.expovariate(1 / mean.days), house.max_stay_days or math.inf)
            self.at(self.start + timedelta(days=days), partial(self.free_bed, bed_id))

    def free_bed(self, bed_id: int) -> None:
        bed = self.session.get(Bed, bed_id, populate_existing=True)
        assert bed is not None
        providers_service.update_bed(session=self.session, bed=bed, data=BedUpdate(status=BedStatus.available))

    def history(self) -> History:
        requests = self.session.exec(select(PlacementRequest).order_by(col(PlacementRequest.id))).all()
        placed = set(self.session.exec(select(Placement.request_id)).all())
        records = []
        for request in requests:
            assert request.id is not None
            asked = self.asked[request.id]
            if request.id in placed:
                outcome = Outcome.placed
            elif request.status == RequestStatus.closed:
                outcome = Outcome.unplaced
            else:
                outcome = Outcome.waiting
            records.append(RequestRecord(request.id, *asked, outcome=outcome))
        return History(
            start=self.start,
            end=self.end,
            requests=tuple(records),
            coordinator_runs=self.coordinator_runs,
            solver_statuses=dict(sorted(self.solver_statuses.items())),
        )

    # Who is found ----------------------------------------------------------------------------------

    def new_case(self) -> None:
        """Someone is found, alone, with co-victims to keep apart, or with family to place together."""
        # The demo's own officer log-in makes a larger share, so that it has a history to show.
        weights = [DEMO_OFFICER_WEIGHT] + [1] * (len(self.officers) - 1)
        officer_id, prefix = self.rng.choices(self.officers, weights)[0]
        self.case_numbers[prefix] += 1
        case = f"{prefix}-{self.case_numbers[prefix]:05d}"
        kind = self.rng.choices(("single", "co_victims", "family"), (87, 10, 3))[0]
        found_area = pick(self.places, FOUND_AREAS)
        if kind == "single":
            first = self.person(case, officer_id, found_area=found_area)
            self.officer_acts(self.request(first, links={}))
        elif kind == "co_victims":
            first = self.person(f"{case}/1", officer_id, found_area=found_area)
            shared = {key: first.needs[key] for key in ("nrm_stage", "urgency", "exploitation_type", "found_area")}
            if self.rng.random() < 0.8:
                shared |= {"gender": first.needs["gender"], "languages": first.needs["languages"]}
            size = self.rng.choice((2, 2, 3, 4))
            group = [first] + [self.person(f"{case}/{n}", officer_id, **shared) for n in range(2, size + 1)]
            ids: list[int] = []
            for person in group:
                ids.append(self.request(person, links={"keep_apart": list(ids)}))
            for request_id in ids:
                self.officer_acts(request_id)
        else:
            first = self.person(
                f"{case}/1",
                officer_id,
                urgency=pick(self.rng, ((Urgency.within_72h, 1), (Urgency.planned, 1))),
                found_area=found_area,
            )
            second_gender = pick(self.rng, ((first.needs["gender"], 80), (Gender.male, 10), (Gender.female, 10)))
            second = self.person(
                f"{case}/2",
                officer_id,
                gender=second_gender,
                children=[],
                **{
                    key: first.needs[key]
                    for key in ("nrm_stage", "urgency", "languages", "interpreter_ok", "found_area")
                },
            )
            ids = [self.request(first, links={})]
            ids.append(self.request(second, links={"place_together": ids[:1]}))
            for request_id in ids:
                self.family[request_id] = ids
                self.wait_in_queue(request_id)

    def person(self, reference: str, officer_id: int, **given: object) -> Person:
        """Draw one person's needs and the NRM decisions ahead of them."""
        rng = self.rng
        gender = Gender(str(given["gender"])) if "gender" in given else pick(rng, GENDERS)
        stage = NrmStage(str(given["nrm_stage"])) if "nrm_stage" in given else pick(rng, STAGES)
        age_band = pick(rng, AGE_BANDS)
        groups = [(languages, men if gender == Gender.male else women) for languages, women, men in LANGUAGE_GROUPS]
        languages = list(pick(rng, groups))
        children: list[int] = []
        if gender == Gender.female and age_band in (AgeBand.age_18_24, AgeBand.age_25_34, AgeBand.age_35_49):
            if rng.random() < 0.14:
                children = sorted(rng.randint(0, 15) for _ in range(rng.choice((1, 1, 1, 2, 2, 3))))
        needs: dict[str, object] = {
            "urgency": pick(rng, URGENCIES[stage]),
            "nrm_stage": stage,
            "nrm_consent": stage != NrmStage.pre_nrm or rng.random() < NRM_CONSENT,
            "gender": gender,
            "trans": rng.random() < (0.5 if gender == Gender.non_binary else 0.02),
            "age_band": age_band,
            "children": children,
            "languages": languages,
            "interpreter_ok": "en" in languages or rng.random() < 0.85,
            "needs_step_free": rng.random() < 0.04,
            "exploitation_type": pick(rng, EXPLOITATION[gender]),
            "support_needs": [need for need, chance in SUPPORT_NEEDS if rng.random() < chance],
            "excluded_areas": rng.sample(LONDON_AREAS, k=rng.choice((1, 1, 2, 3))) if rng.random() < 0.45 else [],
            "preferred_areas": rng.sample(LONDON_AREAS, k=rng.choice((1, 2))) if rng.random() < 0.15 else [],
            "avoid_faith_based": rng.random() < 0.05,
        }
        needs |= given
        person = Person(reference=reference, officer_id=officer_id, needs=needs)
        self.plan_decisions(person)
        return person

    def plan_decisions(self, person: Person) -> None:
        """When the NRM decides, what, and when the person stops needing a bed: outside SafeBeds, so drawn."""
        rng, now = self.rng, clock.now()
        stage = person.needs["nrm_stage"]
        if stage == NrmStage.move_on:
            person.needs_bed_until = now + timedelta(days=rng.uniform(14, 56))
            return
        if stage == NrmStage.pre_nrm and not person.needs["nrm_consent"]:
            person.needs_bed_until = now + timedelta(days=rng.uniform(3, 21))
            return
        if stage == NrmStage.pre_nrm:
            # The target is five working days; many wait longer.
            person.rg_at = now + timedelta(days=rng.triangular(3, 40, 6))
            person.rg_positive = rng.random() < POSITIVE_RG
            if not person.rg_positive:
                person.needs_bed_until = person.rg_at + self.settings.support_periods.after_negative
                return
        # Conclusive Grounds decisions take months to well over a year; never before the recovery period ends.
        recovery_from = person.rg_at or now
        person.cg_at = recovery_from + timedelta(days=rng.triangular(45, 600, 240))
        person.cg_positive = rng.random() < POSITIVE_CG
        periods = self.settings.support_periods
        if person.cg_positive:
            early = timedelta(days=rng.choice((0, 0, 0, 7, 14, 21)))
            person.needs_bed_until = person.cg_at + periods.after_positive_cg - early
        else:
            person.needs_bed_until = person.cg_at + periods.after_negative

    def request(self, person: Person, *, links: dict[str, list[int]], follow_on: bool = False) -> int:
        """The officer records a request for the person (a reference, never a name)."""
        officer = self.users[person.officer_id]
        data = RequestCreate.model_validate({**person.needs, "reference": person.reference, **links})
        request = matching_service.create(session=self.session, officer=officer, data=data, index=self.index)
        assert request.id is not None
        self.people[request.id] = person
        person.request_ids.append(request.id)
        self.asked[request.id] = _Asked(data.gender, data.nrm_stage, data.urgency, follow_on)
        if person.rg_at is not None and not follow_on:
            self.at(person.rg_at, lambda: self.reasonable_grounds(person))
        return request.id

    # What the officer does -------------------------------------------------------------------------

    def officer_acts(self, request_id: int) -> None:
        """Search and hold now; otherwise turn to a fallback tonight, or leave the request in the queue."""
        urgency = self.asked[request_id].urgency
        if urgency == Urgency.planned:
            self.wait_in_queue(request_id)
        elif not self.search_and_hold(request_id):
            if urgency == Urgency.tonight:
                self.fall_back(request_id)
            else:
                self.wait_in_queue(request_id)

    def search_and_hold(self, request_id: int) -> bool:
        """Hold the best-ranked house not yet tried; say whether a hold was made."""
        if len(self.tried[request_id]) >= MAX_HOLDS_PER_REQUEST:
            return False
        request = self.session.get(PlacementRequest, request_id, populate_existing=True)
        assert request is not None
        if request.status != RequestStatus.open:
            return False
        officer = self.users[self.people[request_id].officer_id]
        self.board.refresh()
        found = search_module.search(request, self.board.could_take(request))
        for match in found.matches:
            if match.house_id in self.tried[request_id]:
                continue
            house = capacity_service.get_house(session=self.session, house_id=match.house_id)
            assert house is not None
            try:
                made = holds.hold(
                    session=self.session,
                    request=request,
                    house=house,
                    officer=officer,
                    expires_after=self.settings.hold_expiry,
                )
            except DomainError:
                continue  # a co-victim to keep apart is there, say: the next house
            self.tried[request_id].add(match.house_id)
            self.await_answer([made])
            return True
        return False

    def wait_in_queue(self, request_id: int) -> None:
        urgency = self.asked[request_id].urgency
        self.at(clock.now() + QUEUE_WAIT[urgency], lambda: self.deadline(request_id))

    def deadline(self, request_id: int) -> None:
        """The person could wait no longer: unless held now, they went elsewhere."""
        self.deadline_passed.add(request_id)
        request = self.session.get(PlacementRequest, request_id, populate_existing=True)
        assert request is not None
        if request.status == RequestStatus.open:
            self.fall_back(request_id)

    def fall_back(self, request_id: int) -> None:
        request = self.session.get(PlacementRequest, request_id)
        assert request is not None
        fallback = pick(self.rng, FALLBACKS[self.asked[request_id].urgency])
        holds.record_fallback(session=self.session, request=request, fallback=fallback)

    # What the coordinator does ---------------------------------------------------------------------

    def coordinate(self) -> None:
        """The morning allocation of the whole queue: a proposal from the solver, confirmed as holds."""
        self.session.expunge_all()  # the day's objects are done with; keep the session small
        if not self.anyone_fits():
            return
        self.coordinator_runs += 1
        proposal = allocation.propose(
            session=self.session,
            stale_after=self.settings.stale_after,
            time_limit_s=COORDINATOR_TIME_LIMIT_S,
            workers=COORDINATOR_WORKERS,
        )
        self.solver_statuses[proposal.status] += 1
        if proposal.status == Status.UNKNOWN:
            return
        confirmed = [AssignmentConfirm(request=int(a.request), house=int(a.house)) for a in proposal.assignments]
        made, _ = allocation.confirm(
            session=self.session, assignments=confirmed, expires_after=self.settings.hold_expiry
        )
        by_group: dict[tuple[int, ...], list[Hold]] = defaultdict(list)
        for hold in made:
            self.tried[hold.request_id].add(hold.house_id)
            by_group[tuple(self.family.get(hold.request_id, [hold.request_id]))].append(hold)
        for group, group_holds in by_group.items():
            if len(group_holds) < len(group) or len({h.house_id for h in group_holds}) > 1:
                # A family is placed together or not at all: the officer lets a lone hold go.
                for hold in group_holds:
                    self.release(hold)
            else:
                self.await_answer(group_holds)

    def anyone_fits(self) -> bool:
        """Whether any queued request could go to a house with free beds now: if none can, the solver places nobody."""
        self.board.refresh()
        return any(self.board.could_take(request) for request in allocation.open_requests(session=self.session))

    def release(self, hold: Hold) -> None:
        officer = self.users[hold.officer_id]
        holds.cancel(session=self.session, hold=hold, officer=officer)
        self.hold_ended(hold.request_id)

    # What providers do -----------------------------------------------------------------------------

    def await_answer(self, made: list[Hold]) -> None:
        """The provider answers in minutes to hours (slower at night), or not before the hold lapses."""
        now = clock.now()
        night = now.hour >= 20 or now.hour < 7
        minutes = self.rng.lognormvariate(math.log(50 if night else 25), 0.9)
        ids = [hold.id or 0 for hold in made]
        answer_at = now + timedelta(minutes=minutes)
        if answer_at < made[0].expires_at:
            self.at(answer_at, lambda: self.answer(ids))
        else:
            self.at(made[0].expires_at, lambda: self.lapse(ids))

    def answer(self, hold_ids: list[int]) -> None:
        """The provider accepts the held beds (a family all together), or declines with a reason."""
        waiting = [h for h in self.holds(hold_ids) if h.status == HoldStatus.waiting]
        if len(waiting) < len(hold_ids):
            self.lapse(hold_ids)
            return
        provider = self.users[self.provider_staff[self.house_organisation[waiting[0].house_id]]]
        if self.rng.random() < PROVIDER_ACCEPTS:
            for hold in waiting:
                try:
                    placement = holds.accept(session=self.session, hold=hold, provider=provider)
                except ConflictError:
                    self.hold_ended(hold.request_id)
                else:
                    self.placed(placement)
        else:
            reason = pick(self.rng, DECLINE_REASONS)
            for hold in waiting:
                holds.decline(session=self.session, hold=hold, provider=provider, reason=reason)
                self.hold_ended(hold.request_id)

    def lapse(self, hold_ids: list[int]) -> None:
        """Nobody answered in time: the holds expire and their beds are free again."""
        holds.expire_due(session=self.session)
        for hold in self.holds(hold_ids):
            if hold.status == HoldStatus.expired:
                self.hold_ended(hold.request_id)

    def holds(self, hold_ids: list[int]) -> list[Hold]:
        found = []
        for hold_id in hold_ids:
            hold = self.session.get(Hold, hold_id, populate_existing=True)
            assert hold is not None
            found.append(hold)
        return found

    def hold_ended(self, request_id: int) -> None:
        """A hold ended without a placement: the next house now, or the queue, or a fallback if it is too late."""
        request = self.session.get(PlacementRequest, request_id, populate_existing=True)
        assert request is not None
        if request.status != RequestStatus.open:
            return  # held again already (by the morning allocation)
        urgency = self.asked[request_id].urgency
        if request_id in self.deadline_passed:
            self.fall_back(request_id)
        elif request_id in self.family or urgency == Urgency.planned or self.search_and_hold(request_id):
            return
        elif urgency == Urgency.tonight:
            self.fall_back(request_id)

    def confirm_house(self, house_id: int) -> None:
        house = capacity_service.get_house(session=self.session, house_id=house_id)
        assert house is not None
        providers_service.confirm_house(session=self.session, house=house)

    # Placements, decisions and move-on ------------------------------------------------------------

    def placed(self, placement: Placement) -> None:
        """The person moves in (out of any earlier bed); their stay ends when their need or the house's limit does."""
        assert placement.id is not None
        person = self.people[placement.request_id]
        if person.placement_id is not None:
            self.move_on(person.placement_id)
        person.placement_id = placement.id
        house = self.board.houses[placement.house_id]
        assert person.needs_bed_until is not None
        leaves = person.needs_bed_until
        placement_id = placement.id
        if house.max_stay_days is not None:
            limit = placement.started_at + timedelta(days=house.max_stay_days)
            if limit < leaves:
                leaves = limit
                self.at(limit - TRANSFER_NOTICE, lambda: self.transfer(person, placement_id))
        self.at(leaves, lambda: self.move_on(placement_id))
        if person.cg_at is not None and person.cg_at < leaves and NrmStage.recovery in house.nrm_stages:
            self.at(person.cg_at, lambda: self.conclusive_grounds(person, placement_id))

    def transfer(self, person: Person, placement_id: int) -> None:
        """The house's stay limit is near and the person still needs support: a planned request for the next bed."""
        placement = self.session.get(Placement, placement_id, populate_existing=True)
        assert placement is not None
        request = self.session.get(PlacementRequest, placement.request_id, populate_existing=True)
        assert request is not None
        if placement.ended_at is not None or request.nrm_stage == NrmStage.pre_nrm or self.has_open_request(person):
            return
        person.needs = person.needs | {"nrm_stage": request.nrm_stage, "urgency": Urgency.planned}
        self.officer_acts(self.request(person, links={}, follow_on=True))

    def reasonable_grounds(self, person: Person) -> None:
        """The RG decision: recorded on a live placement; after a positive one the person needs a recovery bed."""
        assert person.rg_at is not None
        decision = NrmDecision.positive_rg if person.rg_positive else NrmDecision.negative_rg
        placement = self.live_placement(person)
        if placement is not None:
            placement = holds.record_decision(
                session=self.session,
                placement=placement,
                decision=decision,
                decided_at=clock.now(),
                periods=self.settings.support_periods,
            )
            if not person.rg_positive:
                return  # support ends soon after: the move-on planned at placement comes first
            if NrmStage.recovery in self.board.houses[placement.house_id].nrm_stages:
                return  # the person stays for the recovery period; the placement planned its decision
            # An emergency bed is not for the recovery period: the person moves within days, or leaves.
            placement_id = placement.id or 0
            self.at(clock.now() + timedelta(days=self.rng.uniform(1, 3)), lambda: self.move_on(placement_id))
        if not person.rg_positive or self.has_open_request(person):
            return
        person.needs = person.needs | {
            "nrm_stage": NrmStage.recovery,
            "nrm_consent": True,
            "urgency": Urgency.within_72h,
        }
        self.officer_acts(self.request(person, links={}, follow_on=True))

    def conclusive_grounds(self, person: Person, placement_id: int) -> None:
        placement = self.session.get(Placement, placement_id, populate_existing=True)
        assert placement is not None
        request = self.session.get(PlacementRequest, placement.request_id, populate_existing=True)
        assert request is not None
        # The NRM decides once: not again for a person placed after the decision (move-on), nor twice.
        decided = placement.decision in (NrmDecision.positive_cg, NrmDecision.negative_cg)
        if placement.ended_at is not None or decided or request.nrm_stage == NrmStage.move_on:
            return
        holds.record_decision(
            session=self.session,
            placement=placement,
            decision=NrmDecision.positive_cg if person.cg_positive else NrmDecision.negative_cg,
            decided_at=clock.now(),
            periods=self.settings.support_periods,
        )

    def move_on(self, placement_id: int) -> None:
        placement = self.session.get(Placement, placement_id, populate_existing=True)
        assert placement is not None
        if placement.ended_at is not None:
            return
        holds.move_on(session=self.session, placement=placement)
        person = self.people[placement.request_id]
        if person.placement_id == placement_id:
            person.placement_id = None

    def live_placement(self, person: Person) -> Placement | None:
        if person.placement_id is None:
            return None
        return holds.get_placement(session=self.session, placement_id=person.placement_id)

    def has_open_request(self, person: Person) -> bool:
        """Whether one of the person's requests is still waiting for a bed."""
        waiting = select(PlacementRequest.id).where(
            col(PlacementRequest.id).in_(person.request_ids),
            col(PlacementRequest.status).in_([RequestStatus.open, RequestStatus.held]),
        )
        return self.session.exec(waiting).first() is not None


def simulate(
    session: Session,
    *,
    rng: random.Random,
    places: random.Random,
    simulated: clock.SimulatedClock,
    end: datetime,
    settings: Settings,
    officers: Sequence[tuple[User, str]],
    provider_staff: dict[int, User],
    confirmations: Sequence[tuple[datetime, House]],
) -> History:
    """Run the history from the clock's present to `end`; the clock is left at `end`."""
    return Simulation(
        session,
        rng=rng,
        places=places,
        simulated=simulated,
        end=end,
        settings=settings,
        officers=officers,
        provider_staff=provider_staff,
        confirmations=confirmations,
    ).run()
