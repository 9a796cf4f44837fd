"""The demo's year of history: about 1,000 requests through the real matching, consistent, and showing the gaps.

Most tests read the one demo loaded for the whole test session (see conftest.py).
"""

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlmodel import Session, SQLModel, col, select

from capacity import service as capacity_service
from capacity.models import Bed, House
from capacity.vocab import BedStatus, Gender, NrmStage
from matching import search as search_module
from matching import service as matching_service
from matching.models import (
    Hold,
    HoldBed,
    HoldStatus,
    LinkKind,
    NrmDecision,
    Placement,
    PlacementRequest,
    RequestLink,
    RequestStatus,
    Urgency,
)
from tests.web.conftest import DEMO_NOW, LoadedDemo
from web import demo
from web.db import make_engine
from web.demo_history import History, Outcome, RequestRecord, SearchBoard
from web.settings import Settings


@pytest.fixture
def history(loaded_demo: LoadedDemo) -> History:
    assert loaded_demo.loaded.history is not None
    return loaded_demo.loaded.history


def share(records: Sequence[RequestRecord], test: Callable[[RequestRecord], bool]) -> float:
    return sum(test(r) for r in records) / len(records)


# What arrived ------------------------------------------------------------------------------------


def test_a_year_of_about_a_thousand_requests_a_third_of_them_men_many_pre_nrm(
    demo_session: Session, history: History
) -> None:
    assert history.end == DEMO_NOW
    assert history.end - history.start == timedelta(days=365)
    assert 850 <= len(history.requests) <= 1150
    assert 0.28 <= share(history.requests, lambda r: r.gender == Gender.male) <= 0.4
    assert share(history.requests, lambda r: r.nrm_stage == NrmStage.pre_nrm) >= 0.3
    created = demo_session.exec(select(PlacementRequest.created_at)).all()
    assert len(created) == len(history.requests)
    assert history.start <= min(created) and max(created) <= history.end
    by_month = Counter((moment - history.start) // timedelta(days=365 / 12) for moment in created)
    assert sorted(by_month) == list(range(12))
    assert min(by_month.values()) >= 0.04 * len(created), "arrivals spread over the whole year"
    follow_ons = {r.request_id for r in history.requests if r.follow_on}
    found = [r.created_at for r in demo_session.exec(select(PlacementRequest)) if r.id not in follow_ons]
    at_night = sum(moment.hour >= 20 or moment.hour < 6 for moment in found)
    assert at_night / len(found) > 0.45, "people are found somewhat more at night (20:00 to 06:00 is 10 hours of 24)"


def test_requests_vary_as_london_s_do(demo_session: Session) -> None:
    requests = demo_session.exec(select(PlacementRequest)).all()
    urgencies = Counter(r.urgency for r in requests)
    assert all(urgencies[u] >= 0.1 * len(requests) for u in Urgency)
    assert share_of(requests, lambda r: bool(r.children)) >= 0.03
    assert share_of(requests, lambda r: r.needs_step_free) >= 0.01
    assert share_of(requests, lambda r: bool(r.excluded_areas)) >= 0.2
    assert share_of(requests, lambda r: r.interpreter_ok) >= 0.7
    assert share_of(requests, lambda r: not r.nrm_consent) >= 0.05, "some decline an NRM referral"
    assert {r.exploitation_type for r in requests} >= {"sexual", "labour", "domestic_servitude", "criminal"}
    spoken = Counter(code for r in requests for code in r.languages)
    assert {"sq", "vi", "ro", "pcm", "ti", "pl", "zh"} <= set(spoken)
    links = Counter(link.kind for link in demo_session.exec(select(RequestLink)))
    assert links[LinkKind.keep_apart] >= 2 * 20, "co-victims, each link stored both ways"
    assert links[LinkKind.place_together] >= 2 * 4, "a few families"


def share_of(requests: Sequence[PlacementRequest], test: Callable[[PlacementRequest], bool]) -> float:
    return sum(test(r) for r in requests) / len(requests)


# What the engine did -----------------------------------------------------------------------------


def test_every_outcome_is_what_the_holds_and_placements_record(demo_session: Session, history: History) -> None:
    requests = {r.id: r for r in demo_session.exec(select(PlacementRequest))}
    holds_of: dict[int, list[Hold]] = defaultdict(list)
    for hold in demo_session.exec(select(Hold)):
        holds_of[hold.request_id].append(hold)
    placements = demo_session.exec(select(Placement)).all()
    placement_of = {p.request_id: p for p in placements}
    assert len(placement_of) == len(placements), "a request is placed at most once"
    holds = {h.id: h for hs in holds_of.values() for h in hs}
    accepted = [h for h in holds.values() if h.status == HoldStatus.accepted]
    assert sorted(h.id or 0 for h in accepted) == sorted(p.hold_id for p in placements)
    for placement in placements:
        hold = holds[placement.hold_id]
        assert (hold.request_id, hold.house_id) == (placement.request_id, placement.house_id)
        assert placement.started_at == hold.decided_at
    assert set(requests) == {r.request_id for r in history.requests}
    for record in history.requests:
        request = requests[record.request_id]
        waiting = [h for h in holds_of[record.request_id] if h.status == HoldStatus.waiting]
        if record.outcome == Outcome.placed:
            placement = placement_of[record.request_id]
            if placement.ended_at is None:
                assert request.status == RequestStatus.placed
            else:
                assert (request.status, request.closed_at) == (RequestStatus.closed, placement.ended_at)
            assert request.fallback is None
        elif record.outcome == Outcome.unplaced:
            assert request.status == RequestStatus.closed and request.fallback is not None
            assert record.request_id not in placement_of
        else:
            assert request.status in (RequestStatus.open, RequestStatus.held)
            assert len(waiting) == (request.status == RequestStatus.held)
    outcomes = Counter(r.outcome for r in history.requests)
    assert outcomes[Outcome.placed] >= 0.5 * len(history.requests)
    assert outcomes[Outcome.unplaced] >= 0.1 * len(history.requests)
    statuses = Counter(h.status for h in holds.values())
    assert statuses[HoldStatus.declined] >= 20 and statuses[HoldStatus.expired] >= 20, "providers are people"


def occupancy(session: Session, end: datetime) -> dict[int, list[tuple[datetime, datetime, int]]]:
    """For each bed, the times a hold and then its placement kept it: (from, until, hold id)."""
    placements = {p.hold_id: p for p in session.exec(select(Placement))}
    holds = {h.id: h for h in session.exec(select(Hold))}
    kept: dict[int, list[tuple[datetime, datetime, int]]] = defaultdict(list)
    for link in session.exec(select(HoldBed)):
        hold = holds[link.hold_id]
        until = hold.decided_at or end
        if (placement := placements.get(link.hold_id)) is not None:
            until = placement.ended_at or end
        kept[link.bed_id].append((hold.created_at, until, link.hold_id))
    return kept


def test_no_bed_is_held_or_occupied_twice_at_any_time(demo_session: Session, history: History) -> None:
    kept = occupancy(demo_session, history.end)
    assert sum(len(times) for times in kept.values()) > 1000
    for bed_id, times in kept.items():
        times.sort()
        for (_, until, earlier), (since, _, later) in zip(times, times[1:], strict=False):
            assert until <= since, f"bed {bed_id}: hold {later} began while hold {earlier} still had it"
    out_of_service = demo_session.exec(select(Bed.id).where(col(Bed.status) == BedStatus.out_of_service)).all()
    assert not set(out_of_service) & set(kept)


def test_bed_statuses_are_what_the_history_left(demo_session: Session, history: History) -> None:
    beds = {b.id: b for b in demo_session.exec(select(Bed))}
    kept = occupancy(demo_session, history.end)
    holds = {h.id: h for h in demo_session.exec(select(Hold))}
    live = {p.hold_id for p in demo_session.exec(select(Placement).where(col(Placement.ended_at).is_(None)))}
    statuses: Counter[str] = Counter()
    for bed_id, bed in beds.items():
        last = max(kept[bed_id], default=None) if bed_id in kept else None
        if last is None:
            # Never used through SafeBeds: someone placed before it, or free since they left.
            assert bed.status in (BedStatus.occupied, BedStatus.available, BedStatus.out_of_service)
            statuses[f"untouched {bed.status}"] += 1
        elif last[2] in live:
            assert bed.status == BedStatus.occupied, f"bed {bed_id} of a live placement"
            statuses["placed"] += 1
        elif holds[last[2]].status == HoldStatus.waiting:
            assert bed.status == BedStatus.held, f"bed {bed_id} of a waiting hold"
            statuses["held"] += 1
        else:
            assert bed.status == BedStatus.available, f"bed {bed_id}: its last hold or placement ended"
            statuses["freed"] += 1
    assert statuses["placed"] >= 150, "many beds are occupied by ongoing placements"
    assert statuses["freed"] >= 50, "moved-on placements freed their beds"
    assert statuses["untouched occupied"] >= 1, "a few placed before SafeBeds are still there"


def test_stays_follow_the_nrm_and_the_houses_limits(demo_session: Session, loaded_demo: LoadedDemo) -> None:
    periods = loaded_demo.settings.support_periods
    houses = {h.id: h for h in demo_session.exec(select(House))}
    requests = {r.id: r for r in demo_session.exec(select(PlacementRequest))}
    first_asked: dict[str, datetime] = {}
    for request in sorted(requests.values(), key=lambda r: r.created_at):
        first_asked.setdefault(request.reference, request.created_at)
    placements = demo_session.exec(select(Placement)).all()
    decisions = Counter(p.decision for p in placements)
    assert decisions[NrmDecision.positive_rg] >= 20 and decisions[NrmDecision.positive_cg] >= 20
    assert decisions[NrmDecision.negative_rg] + decisions[NrmDecision.negative_cg] >= 5
    lengths: dict[str, list[timedelta]] = defaultdict(list)
    for placement in placements:
        house = houses[placement.house_id]
        ended = placement.ended_at or DEMO_NOW
        assert placement.started_at <= ended
        if house.max_stay_days is not None:
            assert ended - placement.started_at <= timedelta(days=house.max_stay_days)
        if placement.decision is not None:
            assert placement.decided_at is not None and placement.support_until is not None
            assert placement.started_at <= placement.decided_at <= ended
            assert placement.support_until == placement.decided_at + periods.after(placement.decision)
        if placement.decision in (NrmDecision.positive_cg, NrmDecision.negative_cg):
            assert placement.decided_at is not None
            reference = requests[placement.request_id].reference
            assert placement.decided_at - first_asked[reference] >= timedelta(days=45), "after the recovery period"
        if placement.decision == NrmDecision.positive_rg and NrmStage.recovery not in house.nrm_stages:
            assert ended <= (placement.decided_at or ended) + timedelta(days=3), "out of an emergency bed within days"
        if placement.ended_at is not None:
            lengths[min(house.nrm_stages)].append(placement.ended_at - placement.started_at)
    median = {stage: sorted(times)[len(times) // 2] for stage, times in lengths.items()}
    assert median[NrmStage.pre_nrm] <= timedelta(days=14), "pre-NRM: days to a few weeks"
    assert median[NrmStage.recovery] >= timedelta(days=45), "recovery: at least the recovery period"


def test_the_coordinator_allocated_the_queue_with_the_solver(history: History) -> None:
    assert history.coordinator_runs >= 100
    assert set(history.solver_statuses) <= {"OPTIMAL", "FEASIBLE"}
    planned = [r for r in history.requests if r.urgency == Urgency.planned]
    assert share(planned, lambda r: r.outcome == Outcome.placed) >= 0.5, "only the coordinator places planned requests"


def test_the_history_shows_the_gaps_the_demo_was_built_to_show(history: History) -> None:
    men_pre_nrm = history.placed_share(gender=Gender.male, stages=[NrmStage.pre_nrm])
    women_in_recovery = history.placed_share(gender=Gender.female, stages=[NrmStage.recovery])
    assert women_in_recovery >= 0.85
    assert men_pre_nrm <= 0.6 * women_in_recovery

    settled = [r for r in history.requests if r.outcome != Outcome.waiting]
    men_or_pre_nrm = [r for r in settled if r.gender == Gender.male or r.nrm_stage == NrmStage.pre_nrm]
    women_recovery = [r for r in settled if r.gender == Gender.female and r.nrm_stage == NrmStage.recovery]
    unplaced = [sum(r.outcome == Outcome.unplaced for r in group) for group in (men_or_pre_nrm, women_recovery)]
    assert unplaced[0] > 3 * unplaced[1]
    assert unplaced[0] / len(men_or_pre_nrm) > 3 * unplaced[1] / len(women_recovery), "in proportion to need too"


def test_the_console_line_sums_the_history_up(history: History) -> None:
    line = history.summary()
    found = re.fullmatch(
        r"History: ([\d,]+) requests over 12 months: ([\d,]+) placed, ([\d,]+) unplaced or placed outside "
        r"SafeBeds, (\d+) waiting now; placed: (\d+)% of men pre-NRM, (\d+)% of women in recovery\.",
        line,
    )
    assert found, line
    numbers = [int(group.replace(",", "")) for group in found.groups()]
    outcomes = Counter(r.outcome for r in history.requests)
    assert numbers[:4] == [
        len(history.requests),
        outcomes[Outcome.placed],
        outcomes[Outcome.unplaced],
        outcomes[Outcome.waiting],
    ]
    assert numbers[4] == round(100 * history.placed_share(gender=Gender.male, stages=[NrmStage.pre_nrm]))


def test_the_search_board_finds_what_the_search_finds(demo_session: Session, loaded_demo: LoadedDemo) -> None:
    stale_after = loaded_demo.settings.stale_after
    requests = demo_session.exec(select(PlacementRequest).order_by(col(PlacementRequest.id))).all()
    with freeze_time(DEMO_NOW):
        board = SearchBoard(demo_session, stale_after=stale_after)
        board.refresh()
        for request in requests[::10]:
            full = matching_service.search(session=demo_session, needs=request, stale_after=stale_after)
            quick = search_module.search(request, board.could_take(request))
            assert [(m.house_id, m.score, m.free_beds, m.stale) for m in quick.matches] == [
                (m.house_id, m.score, m.free_beds, m.stale) for m in full.matches
            ]
        # After beds change, the board sees it.
        house = max(board.houses.values(), key=lambda h: h.beds.available)
        beds = capacity_service.get_beds(session=demo_session, house_ids=[house.id])[house.id]
        for bed in beds:
            bed.status = BedStatus.out_of_service
            demo_session.add(bed)
        demo_session.commit()
        board.refresh()
        assert board.houses[house.id].beds.available == 0
        for request in requests[::10]:
            demo_session.refresh(request)
            assert house.id not in [h.id for h in board.could_take(request)]


# Same seed, same history -------------------------------------------------------------------------

HISTORY_TABLES: tuple[type[SQLModel], ...] = (PlacementRequest, RequestLink, Hold, HoldBed, Placement, Bed, House)


def history_rows(url: str) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    rows: list[tuple[object, ...]] = []
    with Session(engine) as session:
        for table in HISTORY_TABLES:
            rows += [tuple(row.model_dump().values()) for row in session.exec(select(table))]
    engine.dispose()
    return rows


@freeze_time(DEMO_NOW)
def test_the_same_seed_gives_the_same_history(tmp_path: Path, settings: Settings) -> None:
    first, second = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    one = demo.create(database_url=first, history_days=21, settings=settings)
    two = demo.create(database_url=second, history_days=21, settings=settings)
    assert one.history is not None and len(one.history.requests) >= 20
    assert one.history == two.history
    assert history_rows(first) == history_rows(second)


def test_a_short_history_runs_on_every_database(session: Session, settings: Settings) -> None:
    with freeze_time(DEMO_NOW):
        loaded = demo.build(session, history_days=10, settings=settings)
    assert loaded.history is not None and len(loaded.history.requests) >= 10
    assert loaded.history.summary().startswith(f"History: {len(loaded.history.requests)} requests over 10 days: ")
    placements = session.exec(select(Placement)).all()
    assert placements
    for placement in placements:
        hold = session.get(Hold, placement.hold_id)
        assert hold is not None and hold.status == HoldStatus.accepted
