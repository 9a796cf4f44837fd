"""Unmet need for commissioners: what became of the requests of a period, counted and never listed.

`figures` counts the requests made in a period (their outcomes as they stand now) and the houses'
occupancy now; `tables` turns those counts into what every commissioner view and export shows,
with counts under 5 suppressed, and every count or share from which one could be worked out too
(`matching.disclosure`). Nothing here carries a case
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
from capacity.reporting import SUPPRESSION_THRESHOLD
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
from matching.disclosure import Cell, Cells, protected
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
        said += ["family-room bed"] if self.family else []
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


@dataclass
class Pending:
    """Requests made in the last 24 hours and still waiting: in no reason's count yet."""

    from_: datetime = datetime.min.replace(tzinfo=UTC)  # requests made since may be waiting so
    total: int = 0
    months: Counter[date] = field(default_factory=Counter)
    groups: Counter[Group] = field(default_factory=Counter)


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
    pending: Pending = field(default_factory=Pending)


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


def month_after(month: date) -> date:
    """The first day of the month after the one `month` is in."""
    return (month + timedelta(days=32)).replace(day=1)


def months_of(start: date, end: date) -> list[date]:
    """The first day of every month the period touches."""
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = month_after(month)
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
    pending = Pending(from_=now - PLACED_QUICKLY)
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
            if not counted.placed_quickly:
                pending.total += times
                pending.months[counted.day.replace(day=1)] += times
                pending.groups.update(dict.fromkeys(counted.groups(), times))
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
        pending=pending,
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
# Groups that every request is in exactly one of: their counts add up to the whole.
PARTITIONS = (
    (Group.men, Group.women, Group.non_binary),
    (Group.pre_nrm, Group.recovery, Group.move_on),
)
TALLIED = ("requests", "placed", "placed_quickly", "unmet")
# The groups whose gaps SafeBeds was built to show: their counts are hidden to protect another only
# when no other count would do.
GAPS = (Group.men, Group.pre_nrm)


def tables(report: Figures) -> dict[str, Table]:
    """Every table of the gaps report, as every view and export shows it.

    Counts under 5 read "<5", and counts that would let a reader work one out read "not shown"
    (see `matching.disclosure`): the tables are built once to learn every count and how they add up,
    then again to show them.
    """
    return {table.name: table for table in protected(lambda cells: _build(report, cells))}


def _build(report: Figures, cells: Cells) -> list[Table]:
    _sums_across(report, cells)
    return [
        _headline(report, cells),
        _reasons(report, cells),
        _relaxations(report, cells),
        _missing_beds(report, cells),
        _unmet(report, cells),
        _groups_table(report, cells),
        *_areas(report, cells),
        _months(report, cells),
        _month_reasons(report, cells),
        _providers(report, cells),
    ]


def _tally(
    cells: Cells,
    key: tuple[str, ...],
    tally: Tally,
    *,
    quickly: bool = True,
    fixed: bool = False,
    keep: bool = False,
    listed: bool = False,
) -> tuple[Cell, ...]:
    """A tally's counts as shown, with the sums that tie them: requests, placed, placed in 24 h, not placed."""
    shown = (
        cells.show((*key, "requests"), tally.requests, fixed=fixed, keep=keep, listed=listed),
        cells.show((*key, "placed"), tally.placed, keep=keep),
        cells.show((*key, "placed_quickly"), tally.placed_quickly, keep=keep) if quickly else None,
        cells.show((*key, "unmet"), tally.unmet, keep=keep),
    )
    cells.unpublished((*key, "placed_quickly"), tally.placed_quickly)
    cells.unpublished((*key, "placed_late"), tally.placed - tally.placed_quickly)
    cells.sum((*key, "requests"), [(*key, "placed"), (*key, "unmet")])
    cells.sum((*key, "placed"), [(*key, "placed_quickly"), (*key, "placed_late")])
    return tuple(cell for cell in shown if cell is not None)


def _tally_cells(cells: Cells, key: tuple[str, ...], tally: Tally, *, keep: bool = False) -> tuple[Cell, ...]:
    return (*_tally(cells, key, tally, keep=keep), cells.share((*key, "placed"), (*key, "requests")))


_TALLY_COLUMNS = ("Requests", "Placed", "Placed in 24 h", "Not placed", "Share placed")
TOTAL = ("total",)


def _headline(report: Figures, cells: Cells) -> Table:
    requests, placed, quickly, unmet = _tally(cells, TOTAL, report.total, fixed=True, keep=True)
    shown = {"requests": requests, "placed": placed, "placed_quickly": quickly, "unplaced": unmet}
    for key, count in (("waiting", report.waiting), ("gone_elsewhere", report.gone_elsewhere)):
        shown[key] = cells.show((*TOTAL, key), count)
    cells.sum((*TOTAL, "unmet"), [(*TOTAL, "waiting"), (*TOTAL, "gone_elsewhere")])
    for kind, count in report.fallbacks.items():
        shown[f"fallback_{kind}"] = cells.show((*TOTAL, f"fallback_{kind}"), count)
    # Closing a request unplaced records where the person went, so these add up to those who went
    # elsewhere, as a reader would expect; any that did not (recorded otherwise) are counted apart.
    unsaid, unsaid_count = (*TOTAL, "fallback_unsaid"), report.gone_elsewhere - sum(report.fallbacks.values())
    if unsaid_count:
        cells.unpublished(unsaid, unsaid_count)
    else:
        cells.nought(unsaid)
    cells.sum((*TOTAL, "gone_elsewhere"), [*((*TOTAL, f"fallback_{kind}") for kind in report.fallbacks), unsaid])

    def row(key: str, words: str) -> Row:
        cell = (*TOTAL, "unmet" if key == "unplaced" else key)
        share = "" if key == "requests" else cells.share(cell, (*TOTAL, "requests"))
        return Row(key, (words, shown[key], share))

    rows = [
        row("requests", "Requests made"),
        row("placed", "Placed in a SafeBeds house"),
        row("placed_quickly", "Placed within 24 hours"),
        row("unplaced", "Not placed"),
        row("waiting", "Not placed: still waiting (open or held)"),
        row("gone_elsewhere", "Not placed: went elsewhere"),
    ]
    rows += [row(f"fallback_{kind}", f"Went elsewhere: {FALLBACK_WORDS[kind].lower()}") for kind in report.fallbacks]
    return Table("headline", "Requests and what became of them", ("Figure", "Requests", "Share"), tuple(rows))


def _late_and_never(
    cells: Cells, table: str, counts: dict[str, tuple[int, int]], *, within: tuple[str, ...] = TOTAL
) -> dict[str, tuple[Cell, Cell]]:
    """Requests not placed within 24 hours, and of them never placed, by a breakdown that covers all of them.

    Those made in the last 24 hours and still waiting are in no row yet (`pending`), and the rest
    were placed within 24 hours: so the rows add up to the whole `within` less those.
    """
    shown = {
        key: (
            cells.show((table, *within, key, "late"), late, listed=True),  # a row is there only for someone
            cells.show((table, *within, key, "never"), never),
        )
        for key, (late, never) in counts.items()
    }
    for key, (late, never) in counts.items():
        cells.unpublished((table, *within, key, "placed_late"), late - never)
        cells.sum((table, *within, key, "late"), [(table, *within, key, "never"), (table, *within, key, "placed_late")])
    _not_placed_quickly(cells, within, [(table, *within, key, "late") for key in counts])
    cells.sum((*within, "unmet"), [(*within, "pending"), *((table, *within, key, "never") for key in counts)])
    return shown


def _not_placed_quickly(cells: Cells, within: tuple[str, ...], lates: list[tuple[str, ...]]) -> None:
    """Say that a breakdown of those not placed within 24 hours adds up, with those placed within 24
    hours and those still waiting under 24 hours, to the requests of `within`."""
    cells.sum((*within, "requests"), [(*within, "placed_quickly"), (*within, "pending"), *lates])


def _ranked(shown: dict[str, tuple[Cell, Cell]], order: list[str]) -> list[str]:
    """The rows, the most requests first; those not shown after, in a fixed order (their place would tell)."""

    def rank(key: str) -> int:
        count = shown[key][0]
        return -count if isinstance(count, int) and count >= SUPPRESSION_THRESHOLD else 0

    return sorted(order, key=rank)


def _reasons(report: Figures, cells: Cells) -> Table:
    shown = _late_and_never(cells, "reasons", report.reasons)
    order = [reason for reason in REASON_ORDER if reason in report.reasons]
    rows = tuple(Row(reason, (REASON_WORDS[reason], *shown[reason])) for reason in _ranked(shown, order))
    return Table(
        "reasons",
        "Requests not placed within 24 hours, by main reason",
        ("Main reason", "Requests", "Of which never placed"),
        rows,
    )


def _relaxations(report: Figures, cells: Cells) -> Table:
    shown = _late_and_never(cells, "relaxations", report.relaxations)
    rows = tuple(Row(key, (relaxation_words(key), *shown[key])) for key in _ranked(shown, sorted(report.relaxations)))
    return Table(
        "relaxations",
        "Requests not placed within 24 hours: what would have placed them when they were made",
        ("Would have been placed with", "Requests", "Of which never placed"),
        rows,
    )


MISSING_BED_REGIONS: tuple[Region | None, ...] = (*LONDON_REGIONS, Region.outside_london, None)


def _missing_beds(report: Figures, cells: Cells) -> Table:
    kinds = sorted({kind for kind, _ in report.missing_beds}, key=lambda k: k.code)
    rows = []
    for kind in kinds:
        counts = {region: report.missing_beds.get((kind, region), 0) for region in MISSING_BED_REGIONS}
        whole = ("missing_beds", kind.code)
        by_region = [cells.show((*whole, str(region)), count) for region, count in counts.items()]
        cells.sum(whole, [(*whole, str(region)) for region in counts])
        total = cells.show(whole, sum(counts.values()), listed=True)  # a kind is there only if needed
        rows.append(Row(kind.code, (kind.words(), total, *by_region)))
    columns = ("Kind of bed", "Requests", *(label(r) if r else "Not given" for r in MISSING_BED_REGIONS))
    return Table(
        "missing_beds",
        "Not placed within 24 hours for want of one free bed: its kind, and where the person was found",
        columns,
        tuple(rows),
    )


def _unmet(report: Figures, cells: Cells) -> Table:
    rows = []
    for group in Group:
        counts = {
            reason: report.group_reasons[group, reason]
            for reason in REASON_ORDER
            if (group, reason) in report.group_reasons
        }
        shown = _late_and_never(cells, "unmet", counts, within=("groups", group))
        rows += [
            Row(f"{group}/{reason}", (GROUP_WORDS[group], REASON_WORDS[reason], *shown[reason])) for reason in counts
        ]
    return Table(
        "unmet",
        "Requests not placed within 24 hours, by group and main reason (a request may be in several groups)",
        ("Group", "Main reason", "Requests", "Of which never placed"),
        tuple(rows),
    )


def _month_reasons(report: Figures, cells: Cells) -> Table:
    reasons = [reason for reason in REASON_ORDER if any(r == reason for _, r in report.month_reasons)]
    rows = []
    for month in report.months:
        within = ("months", f"{month:%Y-%m}")
        counts = {r: report.month_reasons.get((month, r), 0) for r in reasons}
        shown = [cells.show(("month_reasons", *within, r, "late"), count) for r, count in counts.items()]
        _not_placed_quickly(cells, within, [("month_reasons", *within, r, "late") for r in reasons])
        rows.append(Row(f"{month:%Y-%m}", (f"{month:%b %Y}", *shown)))
    return Table(
        "month_reasons",
        "Requests not placed within 24 hours, by month and main reason",
        ("Month", *(REASON_WORDS[r] for r in reasons)),
        tuple(rows),
    )


def _groups_table(report: Figures, cells: Cells) -> Table:
    rows = tuple(
        Row(
            group,
            (GROUP_WORDS[group], *_tally_cells(cells, ("groups", group), report.groups[group], keep=group in GAPS)),
        )
        for group in Group
    )
    return Table("groups", "By group (a request may be in several)", ("Group", *_TALLY_COLUMNS), rows)


def _areas(report: Figures, cells: Cells) -> tuple[Table, Table]:
    def row(area: Area | None, tally: Tally, *, listed: bool = False) -> Row:
        words = label(area) if area is not None else "Not given"
        counts = _tally(cells, ("areas", str(area or "")), tally, quickly=False, listed=listed)
        return Row(str(area or ""), (words, *counts))

    columns = ("Requests", "Placed", "Not placed")
    london = tuple(row(area, report.areas[area]) for area in sorted(LONDON_AREAS, key=label))
    elsewhere = [area for area in Area if region_of(area) == Region.outside_london and area in report.areas]
    # Places outside London are there only where someone was found.
    outside = [row(area, report.areas[area], listed=True) for area in elsewhere]
    if None in report.areas:
        outside.append(row(None, report.areas[None], listed=True))
    return (
        Table("areas", "Where people were found in London, by local authority", ("Local authority", *columns), london),
        Table("outside", "Found outside London, or where not given", ("Region", *columns), tuple(outside)),
    )


def _months(report: Figures, cells: Cells) -> Table:
    def words(month: date) -> str:
        part = month < report.start or month_after(month) > report.end + timedelta(days=1)
        return f"{month:%b %Y}" + (" (part)" if part else "")

    rows = tuple(
        Row(f"{month:%Y-%m}", (words(month), *_tally_cells(cells, ("months", f"{month:%Y-%m}"), tally)))
        for month, tally in report.months.items()
    )
    return Table("months", "By month the request was made", ("Month", *_TALLY_COLUMNS), rows)


def _sums_across(report: Figures, cells: Cells) -> None:
    """How the tables add up to one another, as a reader could add them: by month, area, group and reason."""
    pending = report.pending
    _, until = period_bounds(report.start, report.end)

    def pending_count(key: tuple[str, ...], count: int, *, ends: datetime) -> None:
        """Requests still waiting under 24 hours: none, a reader knows, in days that ended before that."""
        if ends <= pending.from_:
            cells.nought(key)
        else:
            cells.unpublished(key, count)

    pending_count((*TOTAL, "pending"), pending.total, ends=until)
    for month in report.months:
        next_month = datetime.combine(month_after(month), time(), UTC)
        key = ("months", f"{month:%Y-%m}", "pending")
        pending_count(key, pending.months.get(month, 0), ends=min(next_month, until))
    for group in Group:
        pending_count(("groups", group, "pending"), pending.groups.get(group, 0), ends=until)
    for measure in TALLIED:
        cells.sum((*TOTAL, measure), [("months", f"{month:%Y-%m}", measure) for month in report.months])
        for partition in PARTITIONS:
            cells.sum((*TOTAL, measure), [("groups", group, measure) for group in partition])
    # A group that is not one of a partition is still part of everyone: no more than the whole.
    for group in sorted(set(Group) - {group for partition in PARTITIONS for group in partition}):
        for measure in TALLIED:
            rest = ("groups", group, f"not_{measure}")
            cells.unpublished(rest, getattr(report.total, measure) - getattr(report.groups[group], measure))
            cells.sum((*TOTAL, measure), [("groups", group, measure), rest])
    for measure in ("requests", "placed", "unmet"):
        cells.sum((*TOTAL, measure), [("areas", str(area or ""), measure) for area in report.areas])
    # The same requests under two names: a house could take them when asked, or nothing was recorded.
    same: tuple[tuple[str, str], ...] = ((MainReason.HOUSE_FITTED, ""), (MainReason.NOT_RECORDED,) * 2)
    for main, relaxed in same:
        if report.reasons.get(main) == report.relaxations.get(relaxed) is not None:
            for column in ("late", "never"):
                cells.sum(("reasons", *TOTAL, main, column), [("relaxations", *TOTAL, relaxed, column)])
    reasons = {reason for _, reason in report.month_reasons}
    for reason in reasons:
        cells.sum(
            ("reasons", *TOTAL, reason, "late"),
            [("month_reasons", "months", f"{month:%Y-%m}", reason, "late") for month in report.months],
        )
    for reason in report.reasons:
        for partition in PARTITIONS:
            for column in ("late", "never"):
                cells.sum(
                    ("reasons", *TOTAL, reason, column),
                    [("unmet", "groups", group, reason, column) for group in partition],
                )
    for_want_of_a_bed = [key for key in report.relaxations if key.startswith(Reason.NOT_ENOUGH_BEDS)]
    cells.sum(
        ("missing_beds", "all"),
        [("relaxations", *TOTAL, key, "late") for key in for_want_of_a_bed],
    )
    cells.unpublished(("missing_beds", "all"), sum(report.relaxations[key][0] for key in for_want_of_a_bed))
    cells.sum(
        ("missing_beds", "all"), [("missing_beds", kind.code) for kind in {kind for kind, _ in report.missing_beds}]
    )


def _providers(report: Figures, cells: Cells) -> Table:
    rows = []
    for kind, tally in report.providers.items():
        key = ("providers", str(kind))
        counts = {
            "houses": tally.houses,
            "stale_houses": tally.stale_houses,
            "beds": tally.beds,
            "occupied": tally.occupied,
            "held": tally.held,
            "free": tally.free,
            "out_of_service": tally.out_of_service,
        }
        shown = [cells.show((*key, name), count) for name, count in counts.items()]
        cells.unpublished((*key, "fresh_houses"), tally.houses - tally.stale_houses)
        cells.unpublished((*key, "in_service"), tally.beds - tally.out_of_service)
        cells.sum((*key, "houses"), [(*key, "stale_houses"), (*key, "fresh_houses")])
        cells.sum((*key, "beds"), [(*key, "in_service"), (*key, "out_of_service")])
        cells.sum((*key, "in_service"), [(*key, "occupied"), (*key, "held"), (*key, "free")])
        rows.append(Row(kind, (label(kind), *shown, cells.share((*key, "occupied"), (*key, "in_service")))))
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
