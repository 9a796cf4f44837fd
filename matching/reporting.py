"""Unmet need for commissioners: what became of the requests of a period, counted and never listed.

`figures` counts the requests made in a period (their outcomes as they stand now) and the houses'
occupancy now; `tables` turns those counts into what every commissioner view and export shows,
with counts under 5 suppressed and no share that would reveal one. Nothing here carries a case
reference, a request's id or an address.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlmodel import Session, col, func, select

from capacity import clock
from capacity.models import Bed, House, Organisation
from capacity.reporting import SUPPRESSED, SUPPRESSION_THRESHOLD, suppress
from capacity.service import is_stale
from capacity.vocab import (
    LONDON_AREAS,
    LONDON_REGIONS,
    PROVIDER_TYPES,
    Area,
    BedStatus,
    Gender,
    NrmStage,
    OrganisationType,
    Region,
    label,
    region_of,
)
from matching.eligibility import Reason
from matching.models import Fallback, Placement, PlacementRequest, RequestReason, RequestStatus, RequestTally
from matching.table import ORDER

PLACED_QUICKLY = timedelta(hours=24)


class Group(StrEnum):
    """The groups of people whose unmet need a commissioner follows; a request may be in several."""

    men = "men"
    women = "women"
    non_binary = "non_binary"
    pre_nrm = "pre_nrm"
    recovery = "recovery"
    move_on = "move_on"
    with_children = "with_children"
    language_without_interpreter = "language_without_interpreter"
    step_free = "step_free"


GROUP_WORDS = {
    Group.men: "Men",
    Group.women: "Women",
    Group.non_binary: "Non-binary people",
    Group.pre_nrm: "Pre-NRM",
    Group.recovery: "Recovery period",
    Group.move_on: "Move-on",
    Group.with_children: "With children",
    Group.language_without_interpreter: "Language need, no interpreter",
    Group.step_free: "Needs step-free access",
}
_BY_GENDER = {Gender.male: Group.men, Gender.female: Group.women, Gender.non_binary: Group.non_binary}
_BY_STAGE = {NrmStage.pre_nrm: Group.pre_nrm, NrmStage.recovery: Group.recovery, NrmStage.move_on: Group.move_on}


class MainReason(StrEnum):
    """Why a request was not placed within 24 hours: the search's reason codes, and two more."""

    # A house could take the person when the request was made: the bed was lost later (declined,
    # not answered in time, taken first) or the person was placed after 24 hours.
    HOUSE_FITTED = "HOUSE_FITTED"
    # Made before SafeBeds kept what ruled houses out.
    NOT_RECORDED = "NOT_RECORDED"


REASON_WORDS: dict[str, str] = {
    Reason.GENDER_NOT_SERVED: "Houses with a free bed did not take their gender",
    Reason.TRANS_NOT_INCLUDED: "Houses with a free bed were not trans-inclusive",
    Reason.NRM_STAGE_NOT_SERVED: "Houses with a free bed did not take their NRM stage",
    Reason.CHILDREN_NOT_ACCEPTED: "Houses with a free bed could not take their children",
    Reason.CHILD_TOO_OLD: "A child was over the age limit of the houses with a free bed",
    Reason.NO_SHARED_LANGUAGE: "No house with a free bed spoke their language (no interpreter possible)",
    Reason.NOT_STEP_FREE: "Houses with a free bed were not step-free",
    Reason.AREA_EXCLUDED: "Houses with a free bed were in areas they had to avoid",
    Reason.FAITH_BASED: "Houses with a free bed were faith-based, which they asked to avoid",
    Reason.KEPT_APART: "Houses with a free bed held a co-victim to keep apart",
    Reason.KEPT_TOGETHER: "Houses with a free bed could not take their family together",
    Reason.NOT_ENOUGH_BEDS: "Every house that could take them was full",
    Reason.NOT_SOLVED: "Not allocated in the time allowed",
    MainReason.HOUSE_FITTED: "A house could take them when asked (placed later, declined or not answered in time)",
    MainReason.NOT_RECORDED: "Not recorded",
}
REASON_ORDER: tuple[str, ...] = (*ORDER, MainReason.HOUSE_FITTED, MainReason.NOT_RECORDED)

# What a house would have had to be for the person, rule by rule: "a house with a free bed that ...".
RELAXED_WORDS: dict[Reason, str] = {
    Reason.GENDER_NOT_SERVED: "took their gender",
    Reason.TRANS_NOT_INCLUDED: "was trans-inclusive",
    Reason.NRM_STAGE_NOT_SERVED: "took their NRM stage",
    Reason.CHILDREN_NOT_ACCEPTED: "took their children",
    Reason.CHILD_TOO_OLD: "took children of their children's ages",
    Reason.NO_SHARED_LANGUAGE: "spoke their language",
    Reason.NOT_STEP_FREE: "was step-free",
    Reason.AREA_EXCLUDED: "was outside the areas they had to avoid",
    Reason.FAITH_BASED: "was not faith-based",
    Reason.KEPT_APART: "held no co-victim to keep apart",
    Reason.KEPT_TOGETHER: "could take their family together",
}


def relaxation_words(relaxation: str) -> str:
    """What would have placed a request, in words, from its '+'-joined reason codes."""
    if relaxation == MainReason.NOT_RECORDED:
        return REASON_WORDS[MainReason.NOT_RECORDED]
    if not relaxation:
        return "Nothing more: a house could take them when asked"
    codes = [Reason(code) for code in relaxation.split("+")]
    rest = [RELAXED_WORDS[code] for code in codes if code != Reason.NOT_ENOUGH_BEDS]
    that = " and ".join(rest)
    if codes[0] == Reason.NOT_ENOUGH_BEDS:
        return f"One more free bed in a house that {that}" if rest else "One more free bed in a house that suited them"
    return f"A house with a free bed that {that}"


HOW_REASONS_COUNT = (
    "Each request not placed within 24 hours is counted once, under its main reason: of the houses "
    "that had a free bed when the request was made, what ruled most of them out. When no house had a "
    "free bed, the reason is that every house that could take the person was full. A request made in "
    "the last 24 hours and still waiting is not counted yet."
)
HOW_RELAXATIONS_COUNT = (
    "When a request was made, SafeBeds noted the fewest rules that, relaxed, would have let a house take "
    "the person then: a house with a free bed that took men, say, or one more free bed in a house that "
    "suited them. Each request not placed within 24 hours is counted once, under that."
)
FALLBACK_WORDS = {
    Fallback.hotel: "A hotel",
    Fallback.police_station: "A police station",
    Fallback.sofa: "Someone's sofa",
    Fallback.other_accommodation: "Other accommodation",
    Fallback.none: "Nowhere",
}


def main_reason(houses_matched: int | None, reasons: Iterable[RequestReason]) -> str:
    """The reason a request is counted under: what ruled out the most houses that had a free bed."""
    if houses_matched is None:
        return MainReason.NOT_RECORDED
    if houses_matched:
        return MainReason.HOUSE_FITTED
    best = max(reasons, key=lambda r: (r.houses_with_room, -ORDER.index(r.reason)), default=None)
    if best is None or not best.houses_with_room:
        return Reason.NOT_ENOUGH_BEDS
    return best.reason


@dataclass(frozen=True)
class BedKind:
    """A kind of bed, as a commissioner would fund one: who it takes, and what it has."""

    gender: Gender
    nrm_stage: NrmStage
    family: bool = False  # takes a parent with children
    step_free: bool = False

    def words(self) -> str:
        said = [GENDER_BED_WORDS[self.gender], STAGE_BED_WORDS[self.nrm_stage]]
        said += ["family room"] if self.family else []
        said += ["step-free"] if self.step_free else []
        return ", ".join(said)

    @property
    def code(self) -> str:
        return "/".join((self.gender, self.nrm_stage, "family" if self.family else "", "step_free" * self.step_free))


GENDER_BED_WORDS = {Gender.male: "Men", Gender.female: "Women", Gender.non_binary: "Non-binary people"}
STAGE_BED_WORDS = {NrmStage.pre_nrm: "pre-NRM", NrmStage.recovery: "recovery", NrmStage.move_on: "move-on"}


@dataclass
class Tally:
    """What became of a number of requests."""

    requests: int = 0
    placed: int = 0
    placed_quickly: int = 0

    @property
    def unmet(self) -> int:
        """Not placed through SafeBeds: still waiting, or gone elsewhere."""
        return self.requests - self.placed

    def count(self, *, placed: bool, quickly: bool, times: int = 1) -> None:
        self.requests += times
        self.placed += placed * times
        self.placed_quickly += quickly * times


@dataclass(frozen=True)
class ProviderTally:
    """The houses of one kind of provider now."""

    houses: int
    stale_houses: int
    beds: int
    occupied: int
    held: int
    free: int
    out_of_service: int


@dataclass(frozen=True)
class Figures:
    """Counts, unsuppressed: for `tables` and for tests, never shown as they are."""

    start: date
    end: date  # inclusive
    total: Tally
    waiting: int
    gone_elsewhere: int
    fallbacks: dict[Fallback, int]
    reasons: dict[str, tuple[int, int]]  # main reason -> (not placed within 24 hours, never placed)
    group_reasons: dict[tuple[Group, str], tuple[int, int]]  # the same, by group and main reason
    relaxations: dict[str, tuple[int, int]]  # the fewest rules that, relaxed, would have placed them -> the same
    missing_beds: dict[tuple[BedKind, Region | None], int]  # needed one more free bed: by its kind and where found
    month_reasons: dict[tuple[date, str], int]  # not placed within 24 hours, by month and main reason
    groups: dict[Group, Tally]
    areas: dict[Area | None, Tally]
    months: dict[date, Tally]
    providers: dict[OrganisationType, ProviderTally]


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The moments a period of whole days (UTC, both ends included) runs from and until."""
    return datetime.combine(start, time(), UTC), datetime.combine(end + timedelta(days=1), time(), UTC)


def default_period() -> tuple[date, date]:
    """The last twelve months, to today."""
    today = clock.now().date()
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:  # 29 February
        year_ago = today.replace(year=today.year - 1, day=28)
    return year_ago + timedelta(days=1), today


def months_of(start: date, end: date) -> list[date]:
    """The first day of every month the period touches."""
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def figures(*, session: Session, start: date, end: date, stale_after: timedelta) -> Figures:
    """Count the requests made from `start` to `end` (whole days, UTC) by outcome, reason, group, area and month."""
    since, until = period_bounds(start, end)
    in_period = (col(PlacementRequest.created_at) >= since) & (col(PlacementRequest.created_at) < until)
    found = session.exec(select(PlacementRequest).where(in_period)).all()
    placed_at = dict(
        session.exec(
            select(Placement.request_id, func.min(Placement.started_at))
            .join(PlacementRequest, col(PlacementRequest.id) == col(Placement.request_id))
            .where(in_period)
            .group_by(col(Placement.request_id))
        ).all()
    )
    reasons_of: dict[int, list[RequestReason]] = defaultdict(list)
    for reason in session.exec(
        select(RequestReason)
        .join(PlacementRequest, col(PlacementRequest.id) == col(RequestReason.request_id))
        .where(in_period)
    ):
        reasons_of[reason.request_id].append(reason)

    now = clock.now()
    outcomes = [(outcome(r, placed_at.get(r.id or 0), reasons_of[r.id or 0], now=now), 1) for r in found]
    outcomes += [(tallied(tally), tally.requests) for tally in tallies(session=session, start=start, end=end)]
    total = Tally()
    groups = {group: Tally() for group in Group}
    areas: dict[Area | None, Tally] = {area: Tally() for area in LONDON_AREAS}
    months = {month: Tally() for month in months_of(start, end)}
    fallbacks: Counter[Fallback] = Counter()
    reasons: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    group_reasons: dict[tuple[Group, str], list[int]] = defaultdict(lambda: [0, 0])
    relaxations: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    missing_beds: Counter[tuple[BedKind, Region | None]] = Counter()
    month_reasons: Counter[tuple[date, str]] = Counter()
    waiting = gone_elsewhere = 0
    for counted, times in outcomes:
        for tally in (
            total,
            months[counted.day.replace(day=1)],
            areas.setdefault(counted.found_area, Tally()),
            *(groups[g] for g in counted.groups()),
        ):
            tally.count(placed=counted.placed, quickly=counted.placed_quickly, times=times)
        if not counted.placed:
            if counted.waiting:
                waiting += times
            else:
                gone_elsewhere += times
            if counted.fallback is not None:
                fallbacks[counted.fallback] += times
        if counted.reason is None:
            continue
        never = 0 if counted.placed else times
        for counts in (
            reasons[counted.reason],
            relaxations[counted.relaxation if counted.relaxation is not None else MainReason.NOT_RECORDED],
            *(group_reasons[group, counted.reason] for group in counted.groups()),
        ):
            counts[0] += times
            counts[1] += never
        month_reasons[counted.day.replace(day=1), counted.reason] += times
        if counted.relaxation is not None and counted.relaxation.startswith(Reason.NOT_ENOUGH_BEDS):
            where = region_of(counted.found_area) if counted.found_area is not None else None
            missing_beds[counted.bed_kind(), where] += times
    return Figures(
        start=start,
        end=end,
        total=total,
        waiting=waiting,
        gone_elsewhere=gone_elsewhere,
        fallbacks={kind: fallbacks[kind] for kind in Fallback},
        reasons={reason: (counts[0], counts[1]) for reason, counts in reasons.items()},
        group_reasons={key: (counts[0], counts[1]) for key, counts in group_reasons.items()},
        relaxations={key: (counts[0], counts[1]) for key, counts in relaxations.items()},
        missing_beds=dict(missing_beds),
        month_reasons=dict(month_reasons),
        groups=groups,
        areas=areas,
        months=months,
        providers=provider_figures(session=session, stale_after=stale_after),
    )


@dataclass(frozen=True)
class Outcome:
    """What one request counts as in every report: all that a purge keeps of it (as a `RequestTally`)."""

    day: date
    found_area: Area | None
    gender: Gender
    nrm_stage: NrmStage
    with_children: bool
    language_without_interpreter: bool
    step_free: bool
    placed: bool
    placed_quickly: bool
    fallback: Fallback | None
    reason: str | None  # the main reason it counts under, if it counts as not placed within 24 hours
    # With a reason: the fewest rules that, relaxed, would have placed it when made ('+'-joined codes;
    # empty when a house could take them); None if not recorded.
    relaxation: str | None
    waiting: bool  # still open or held: never so for a closed (or purged) request

    def bed_kind(self) -> "BedKind":
        """The kind of bed this person needed."""
        return BedKind(self.gender, self.nrm_stage, self.with_children, self.step_free)

    def groups(self) -> list[Group]:
        """The groups it counts in."""
        found = [_BY_GENDER[self.gender], _BY_STAGE[self.nrm_stage]]
        flags = (
            (self.with_children, Group.with_children),
            (self.language_without_interpreter, Group.language_without_interpreter),
            (self.step_free, Group.step_free),
        )
        return found + [group for flag, group in flags if flag]


def outcome(
    request: PlacementRequest, started: datetime | None, reasons: Iterable[RequestReason], *, now: datetime
) -> Outcome:
    """What a request counts as, given when it was first placed (if it was) and what ruled houses out for it."""
    placed = started is not None
    quickly = started is not None and started - request.created_at <= PLACED_QUICKLY
    waiting = request.status in (RequestStatus.open, RequestStatus.held)
    # A request still waiting, made less than 24 hours ago, may yet be placed in time: not counted yet.
    may_yet_be = waiting and now - request.created_at < PLACED_QUICKLY
    counted_later = quickly or may_yet_be
    return Outcome(
        day=request.created_at.date(),
        found_area=request.found_area,
        gender=Gender(request.gender),
        nrm_stage=NrmStage(request.nrm_stage),
        with_children=bool(request.children),
        language_without_interpreter=bool(request.languages) and not request.interpreter_ok,
        step_free=request.needs_step_free,
        placed=placed,
        placed_quickly=quickly,
        fallback=request.fallback if not placed else None,
        reason=None if counted_later else main_reason(request.houses_matched, reasons),
        relaxation=None if counted_later else request.relaxation,
        waiting=waiting,
    )


def tallied(tally: RequestTally) -> Outcome:
    """What purged requests counted as, read back from their tally."""
    return Outcome(
        day=tally.day,
        found_area=tally.found_area,
        gender=Gender(tally.gender),
        nrm_stage=NrmStage(tally.nrm_stage),
        with_children=tally.with_children,
        language_without_interpreter=tally.language_without_interpreter,
        step_free=tally.step_free,
        placed=tally.placed,
        placed_quickly=tally.placed_quickly,
        fallback=tally.fallback,
        reason=tally.reason,
        relaxation=tally.relaxation,
        waiting=False,
    )


def tallies(*, session: Session, start: date, end: date) -> list[RequestTally]:
    """The tallies of purged requests made from `start` to `end` (whole days)."""
    in_period = (col(RequestTally.day) >= start) & (col(RequestTally.day) <= end)
    return list(session.exec(select(RequestTally).where(in_period)))


def provider_figures(*, session: Session, stale_after: timedelta) -> dict[OrganisationType, ProviderTally]:
    """Beds by status and houses by freshness now, by the kind of organisation that runs them."""
    kinds = {
        house_id: OrganisationType(kind)
        for house_id, kind in session.exec(select(House.id, Organisation.type).join(Organisation))
    }
    beds: dict[OrganisationType, Counter[BedStatus]] = defaultdict(Counter)
    for house_id, status, number in session.exec(
        select(Bed.house_id, Bed.status, func.count()).group_by(col(Bed.house_id), col(Bed.status))
    ):
        beds[kinds[house_id]][BedStatus(status)] += number
    houses: Counter[OrganisationType] = Counter()
    stale: Counter[OrganisationType] = Counter()
    at = clock.now()
    for id_, confirmed_at in session.exec(select(House.id, House.vacancies_confirmed_at)):
        assert id_ is not None
        houses[kinds[id_]] += 1
        stale[kinds[id_]] += is_stale(confirmed_at, stale_after=stale_after, at=at)
    return {
        kind: ProviderTally(
            houses=houses[kind],
            stale_houses=stale[kind],
            beds=beds[kind].total(),
            occupied=beds[kind][BedStatus.occupied],
            held=beds[kind][BedStatus.held],
            free=beds[kind][BedStatus.available],
            out_of_service=beds[kind][BedStatus.out_of_service],
        )
        for kind in OrganisationType
        if kind in PROVIDER_TYPES or houses[kind]
    }


# What commissioners see ---------------------------------------------------------------------------

Cell = int | str
NOT_SHOWN = "not shown"


def share(part: int, whole: int) -> str:
    """A percentage, or "not shown" where a count under 5 in it would show through; empty of nothing."""
    if not whole:
        return ""
    if suppress(part) == SUPPRESSED or suppress(whole) == SUPPRESSED:
        return NOT_SHOWN
    return f"{round(100 * part / whole)}%"


@dataclass(frozen=True)
class Row:
    key: str  # what the row counts, as a code (an area, a group, a month): for maps and charts
    cells: tuple[Cell, ...]  # the first is the row's heading


@dataclass(frozen=True)
class Table:
    name: str
    caption: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...] = field(default_factory=tuple)


TABLE_NAMES = (
    "headline",
    "reasons",
    "relaxations",
    "missing_beds",
    "unmet",
    "groups",
    "areas",
    "outside",
    "months",
    "month_reasons",
    "providers",
)


def tables(report: Figures) -> dict[str, Table]:
    """Every table of the gaps report, as every view and export shows it: counts under 5 read "<5"."""
    built = [
        _headline(report),
        _reasons(report),
        _relaxations(report),
        _missing_beds(report),
        _unmet(report),
        _groups_table(report),
        *_areas(report),
        _months(report),
        _month_reasons(report),
        _providers(report),
    ]
    return {table.name: table for table in built}


def _tally_cells(tally: Tally) -> tuple[Cell, ...]:
    return (
        suppress(tally.requests),
        suppress(tally.placed),
        suppress(tally.placed_quickly),
        suppress(tally.unmet),
        share(tally.placed, tally.requests),
    )


_TALLY_COLUMNS = ("Requests", "Placed", "Placed in 24 h", "Not placed", "Share placed")


def _headline(report: Figures) -> Table:
    total = report.total.requests

    def row(key: str, words: str, count: int) -> Row:
        return Row(key, (words, suppress(count), share(count, total) if key != "requests" else ""))

    rows = [
        row("requests", "Requests made", total),
        row("placed", "Placed in a SafeBeds house", report.total.placed),
        row("placed_quickly", "Placed within 24 hours", report.total.placed_quickly),
        row("unplaced", "Not placed", report.total.unmet),
        row("waiting", "Not placed: still waiting (open or held)", report.waiting),
        row("gone_elsewhere", "Not placed: went elsewhere", report.gone_elsewhere),
    ]
    rows += [
        row(f"fallback_{kind}", f"Went elsewhere: {FALLBACK_WORDS[kind].lower()}", count)
        for kind, count in report.fallbacks.items()
    ]
    return Table("headline", "Requests and what became of them", ("Figure", "Requests", "Share"), tuple(rows))


def _reasons(report: Figures) -> Table:
    def rank(reason: str) -> tuple[int, int]:
        count = report.reasons[reason][0]
        # Among counts under 5, a fixed order: sorting by them would tell them apart.
        return (-(count if count >= SUPPRESSION_THRESHOLD else 1), REASON_ORDER.index(reason))

    rows = tuple(
        Row(reason, (REASON_WORDS[reason], suppress(late), suppress(never)))
        for reason in sorted(report.reasons, key=rank)
        for late, never in [report.reasons[reason]]
    )
    return Table(
        "reasons",
        "Requests not placed within 24 hours, by main reason",
        ("Main reason", "Requests", "Of which never placed"),
        rows,
    )


def _relaxations(report: Figures) -> Table:
    def rank(key: str) -> tuple[int, str]:
        count = report.relaxations[key][0]
        return (-(count if count >= SUPPRESSION_THRESHOLD else 1), key)

    rows = tuple(
        Row(key, (relaxation_words(key), suppress(late), suppress(never)))
        for key in sorted(report.relaxations, key=rank)
        for late, never in [report.relaxations[key]]
    )
    return Table(
        "relaxations",
        "Requests not placed within 24 hours: what would have placed them when they were made",
        ("Would have been placed with", "Requests", "Of which never placed"),
        rows,
    )


MISSING_BED_REGIONS: tuple[Region | None, ...] = (*LONDON_REGIONS, Region.outside_london, None)


def _missing_beds(report: Figures) -> Table:
    kinds = sorted({kind for kind, _ in report.missing_beds}, key=lambda k: k.code)
    rows = []
    for kind in kinds:
        counts = [report.missing_beds.get((kind, region), 0) for region in MISSING_BED_REGIONS]
        rows.append(Row(kind.code, (kind.words(), suppress(sum(counts)), *(suppress(c) for c in counts))))
    columns = ("Kind of bed", "Requests", *(label(r) if r else "Not given" for r in MISSING_BED_REGIONS))
    return Table(
        "missing_beds",
        "Not placed within 24 hours for want of one free bed: its kind, and where the person was found",
        columns,
        tuple(rows),
    )


def _unmet(report: Figures) -> Table:
    rows = tuple(
        Row(f"{group}/{reason}", (GROUP_WORDS[group], REASON_WORDS[reason], suppress(late), suppress(never)))
        for group in Group
        for reason in REASON_ORDER
        if (group, reason) in report.group_reasons
        for late, never in [report.group_reasons[group, reason]]
    )
    return Table(
        "unmet",
        "Requests not placed within 24 hours, by group and main reason (a request may be in several groups)",
        ("Group", "Main reason", "Requests", "Of which never placed"),
        rows,
    )


def _month_reasons(report: Figures) -> Table:
    reasons = [reason for reason in REASON_ORDER if any(r == reason for _, r in report.month_reasons)]
    rows = tuple(
        Row(f"{month:%Y-%m}", (f"{month:%b %Y}", *(suppress(report.month_reasons.get((month, r), 0)) for r in reasons)))
        for month in report.months
    )
    return Table(
        "month_reasons",
        "Requests not placed within 24 hours, by month and main reason",
        ("Month", *(REASON_WORDS[r] for r in reasons)),
        rows,
    )


def _groups_table(report: Figures) -> Table:
    rows = tuple(Row(group, (GROUP_WORDS[group], *_tally_cells(report.groups[group]))) for group in Group)
    return Table("groups", "By group (a request may be in several)", ("Group", *_TALLY_COLUMNS), rows)


def _areas(report: Figures) -> tuple[Table, Table]:
    def row(area: Area | None, tally: Tally) -> Row:
        words = label(area) if area is not None else "Not given"
        return Row(str(area or ""), (words, suppress(tally.requests), suppress(tally.placed), suppress(tally.unmet)))

    columns = ("Requests", "Placed", "Not placed")
    london = tuple(row(area, report.areas[area]) for area in sorted(LONDON_AREAS, key=label))
    elsewhere = [area for area in Area if region_of(area) == Region.outside_london and area in report.areas]
    outside = [row(area, report.areas[area]) for area in elsewhere]
    if None in report.areas:
        outside.append(row(None, report.areas[None]))
    return (
        Table("areas", "Where people were found in London, by local authority", ("Local authority", *columns), london),
        Table("outside", "Found outside London, or where not given", ("Region", *columns), tuple(outside)),
    )


def _months(report: Figures) -> Table:
    def words(month: date) -> str:
        part = month < report.start or (month + timedelta(days=32)).replace(day=1) > report.end + timedelta(days=1)
        return f"{month:%b %Y}" + (" (part)" if part else "")

    rows = tuple(Row(f"{month:%Y-%m}", (words(month), *_tally_cells(tally))) for month, tally in report.months.items())
    return Table("months", "By month the request was made", ("Month", *_TALLY_COLUMNS), rows)


def _providers(report: Figures) -> Table:
    rows = []
    for kind, tally in report.providers.items():
        in_service = tally.beds - tally.out_of_service
        cells = (
            label(kind),
            suppress(tally.houses),
            suppress(tally.stale_houses),
            suppress(tally.beds),
            suppress(tally.occupied),
            suppress(tally.held),
            suppress(tally.free),
            suppress(tally.out_of_service),
            share(tally.occupied, in_service),
        )
        rows.append(Row(kind, cells))
    columns = (
        "Provider type",
        "Houses",
        "Houses stale",
        "Beds",
        "Occupied",
        "Held",
        "Free",
        "Out of service",
        "Occupancy",
    )
    return Table("providers", "Occupancy and vacancy freshness now, by provider type", columns, tuple(rows))
