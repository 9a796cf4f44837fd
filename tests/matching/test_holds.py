"""Holds and placements: reserved beds, decisions, expiry, and never a bed held or occupied twice."""

import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from capacity import service as capacity_service
from capacity.errors import ConflictError, InvalidError
from capacity.models import Bed, BedUpdate, House, Organisation, User
from capacity.vocab import BedStatus, Role
from matching import holds
from matching.models import (
    DeclineReason,
    Fallback,
    Hold,
    HoldBed,
    HoldStatus,
    LinkKind,
    NrmDecision,
    Placement,
    PlacementRequest,
    RequestLink,
    RequestStatus,
)
from providers import service as providers_service
from tests.factories import START, make_house, make_organisation, make_request, make_user
from web.accounts import LoginSession

TWO_HOURS = timedelta(hours=2)


def statuses(session: Session, house: House) -> list[BedStatus]:
    return [
        BedStatus(b.status)
        for b in capacity_service.get_beds(session=session, house_ids=[house.id or 0])[house.id or 0]
    ]


@pytest.fixture
def officer(session: Session) -> User:
    return make_user(session, Role.officer)


@pytest.fixture
def provider(session: Session) -> User:
    return make_user(session, Role.provider)


def provider_house(session: Session, provider: User, **overrides: Any) -> House:
    organisation = session.get(Organisation, provider.organisation_id)
    assert organisation is not None
    return make_house(session, organisation, **{"nrm_stages": ["pre_nrm", "recovery"], **overrides})


def test_a_hold_reserves_one_bed_per_person_and_child(session: Session, officer: User, provider: User) -> None:
    house = provider_house(session, provider, beds=4, max_children=2, max_child_age=12)
    request = make_request(session, officer, children=[3, 9])
    hold = holds.hold(session=session, request=request, house=house, officer=officer, expires_after=TWO_HOURS)
    assert hold.status == HoldStatus.waiting
    assert sorted(statuses(session, house)) == [BedStatus.available, *[BedStatus.held] * 3]
    session.refresh(request)
    assert request.status == RequestStatus.held


def test_a_house_that_cannot_take_the_person_is_refused(session: Session, officer: User, provider: User) -> None:
    house = provider_house(session, provider, genders=["female"])
    request = make_request(session, officer, gender="male")
    with pytest.raises(InvalidError, match="GENDER_NOT_SERVED") as caught:
        holds.hold(session=session, request=request, house=house, officer=officer, expires_after=TWO_HOURS)
    assert caught.value.field == "house_id"
    assert statuses(session, house) == [BedStatus.available] * 3


def test_not_enough_free_beds_is_a_conflict_and_holds_nothing(session: Session, officer: User, provider: User) -> None:
    house = provider_house(session, provider, beds=2, max_children=2, max_child_age=12)
    request = make_request(session, officer, children=[3, 9])
    with pytest.raises(ConflictError, match="no longer has 3 free beds"):
        holds.hold(session=session, request=request, house=house, officer=officer, expires_after=TWO_HOURS)
    assert statuses(session, house) == [BedStatus.available] * 2
    session.refresh(request)
    assert request.status == RequestStatus.open


def test_one_request_holds_one_house_at_a_time(session: Session, officer: User, provider: User) -> None:
    first, second = provider_house(session, provider), provider_house(session, provider)
    request = make_request(session, officer)
    holds.hold(session=session, request=request, house=first, officer=officer, expires_after=TWO_HOURS)
    with pytest.raises(ConflictError, match="already held"):
        holds.hold(session=session, request=request, house=second, officer=officer, expires_after=TWO_HOURS)
    assert statuses(session, second) == [BedStatus.available] * 3


def test_acceptance_places_the_person_and_occupies_the_beds(session: Session, officer: User, provider: User) -> None:
    house = provider_house(session, provider, beds=1)
    request = make_request(session, officer)
    hold = holds.hold(session=session, request=request, house=house, officer=officer, expires_after=TWO_HOURS)
    placement = holds.accept(session=session, hold=hold, provider=provider)
    assert (placement.request_id, placement.house_id, placement.ended_at) == (request.id, house.id, None)
    assert statuses(session, house) == [BedStatus.occupied]
    session.refresh(request)
    assert request.status == RequestStatus.placed
    with pytest.raises(ConflictError, match="already been accepted"):
        holds.decline(session=session, hold=hold, provider=provider, reason=DeclineReason.other)


@pytest.mark.parametrize("end", ["decline", "cancel"])
def test_a_declined_or_cancelled_hold_frees_its_beds(session: Session, officer: User, provider: User, end: str) -> None:
    house = provider_house(session, provider, beds=1)
    request = make_request(session, officer)
    hold = holds.hold(session=session, request=request, house=house, officer=officer, expires_after=TWO_HOURS)
    if end == "decline":
        ended = holds.decline(session=session, hold=hold, provider=provider, reason=DeclineReason.cannot_meet_needs)
        assert (ended.status, ended.decline_reason) == (HoldStatus.declined, DeclineReason.cannot_meet_needs)
    else:
        assert holds.cancel(session=session, hold=hold, officer=officer).status == HoldStatus.cancelled
    assert statuses(session, house) == [BedStatus.available]
    session.refresh(request)
    assert request.status == RequestStatus.open
    holds.hold(session=session, request=request, house=house, officer=officer, expires_after=TWO_HOURS)


def test_an_expired_hold_frees_its_beds(
    session: Session, officer: User, provider: User, frozen: FrozenDateTimeFactory
) -> None:
    house = provider_house(session, provider, beds=1)
    request = make_request(session, officer)
    hold = holds.hold(session=session, request=request, house=house, officer=officer, expires_after=TWO_HOURS)
    frozen.tick(TWO_HOURS - timedelta(seconds=1))
    assert holds.expire_due(session=session) == 0
    assert statuses(session, house) == [BedStatus.held]
    frozen.tick(timedelta(seconds=1))
    with pytest.raises(ConflictError, match="already been expired"):
        holds.accept(session=session, hold=hold, provider=provider)
    assert statuses(session, house) == [BedStatus.available]
    session.refresh(request)
    assert request.status == RequestStatus.open
    other = make_request(session, make_user(session, Role.officer))
    assert holds.hold(session=session, request=other, house=house, officer=officer, expires_after=TWO_HOURS).id


def test_a_provider_cannot_free_a_held_bed_by_hand(session: Session, officer: User, provider: User) -> None:
    house = provider_house(session, provider, beds=1)
    holds.hold(
        session=session, request=make_request(session, officer), house=house, officer=officer, expires_after=TWO_HOURS
    )
    [bed] = capacity_service.get_beds(session=session, house_ids=[house.id or 0])[house.id or 0]
    with pytest.raises(ConflictError):
        providers_service.update_bed(session=session, bed=bed, data=BedUpdate(status=BedStatus.available))


# Twenty officers, one bed ------------------------------------------------------------------------


@pytest.fixture
def race(engine: Engine) -> Iterator[tuple[int, list[tuple[int, int]]]]:
    """One house with one free bed and twenty officers, each with a request, committed for real."""
    with Session(engine) as session:
        provider = make_organisation(session, name="Race Refuge")
        house = make_house(session, provider, beds=1, nrm_stages=["pre_nrm"], genders=["female"])
        contenders = []
        for _ in range(20):
            officer = make_user(session, Role.officer)
            request = make_request(session, officer)
            assert officer.id is not None and request.id is not None
            contenders.append((officer.id, request.id))
        assert house.id is not None
        house_id = house.id
    yield house_id, contenders
    forget(engine, request_ids=[r for _, r in contenders], officer_ids=[o for o, _ in contenders], house_ids=[house_id])


def forget(engine: Engine, *, request_ids: list[int], officer_ids: list[int], house_ids: list[int]) -> None:
    """Delete what a race test committed for real: requests, their holds and placements, officers, houses."""
    with Session(engine) as session:
        hold_ids = session.exec(select(Hold.id).where(col(Hold.request_id).in_(request_ids))).all()
        session.exec(delete(HoldBed).where(col(HoldBed.hold_id).in_(hold_ids)))
        session.exec(delete(Placement).where(col(Placement.request_id).in_(request_ids)))
        session.exec(delete(Hold).where(col(Hold.request_id).in_(request_ids)))
        session.exec(delete(RequestLink).where(col(RequestLink.request_id).in_(request_ids)))
        session.exec(delete(PlacementRequest).where(col(PlacementRequest.id).in_(request_ids)))
        session.exec(delete(LoginSession).where(col(LoginSession.user_id).in_(officer_ids)))
        officer_orgs = session.exec(select(User.organisation_id).where(col(User.id).in_(officer_ids))).all()
        house_orgs = session.exec(select(House.organisation_id).where(col(House.id).in_(house_ids))).all()
        session.exec(delete(User).where(col(User.id).in_(officer_ids)))
        session.exec(delete(Bed).where(col(Bed.house_id).in_(house_ids)))
        session.exec(delete(House).where(col(House.id).in_(house_ids)))
        session.exec(delete(Organisation).where(col(Organisation.id).in_({*officer_orgs, *house_orgs})))
        session.commit()


def hold_by_ids(session: Session, officer_id: int, request_id: int, house_id: int) -> Hold:
    """Hold a house for a request in this session, as a separate server thread would."""
    officer, request, house = (
        session.get(User, officer_id),
        session.get(PlacementRequest, request_id),
        session.get(House, house_id),
    )
    assert officer is not None and request is not None and house is not None
    return holds.hold(session=session, request=request, house=house, officer=officer, expires_after=TWO_HOURS)


def test_twenty_concurrent_holds_at_the_last_bed_give_exactly_one(
    engine: Engine, race: tuple[int, list[tuple[int, int]]]
) -> None:
    house_id, contenders = race

    def try_to_hold(contender: tuple[int, int]) -> str:
        officer_id, request_id = contender
        with Session(engine) as session:
            try:
                hold_by_ids(session, officer_id, request_id, house_id)
            except ConflictError as error:
                return error.message
            return "held"

    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(try_to_hold, contenders))
    assert outcomes.count("held") == 1
    assert set(outcomes) - {"held"} == {"this house no longer has a free bed; search again"}
    with Session(engine) as session:
        beds = session.exec(select(Bed).where(Bed.house_id == house_id)).all()
        assert [b.status for b in beds] == [BedStatus.held]
        assert len(session.exec(select(Hold).where(Hold.house_id == house_id)).all()) == 1
        assert len(session.exec(select(HoldBed).where(col(HoldBed.bed_id) == beds[0].id)).all()) == 1


# Two linked requests held at the same moment ------------------------------------------------------


@pytest.fixture(params=[LinkKind.keep_apart, LinkKind.place_together])
def linked_pair(request: pytest.FixtureRequest, engine: Engine) -> Iterator[tuple[LinkKind, int, dict[int, int]]]:
    """Two requests of one case, linked, committed for real, and where each is to be held.

    Co-victims kept apart both go to one house; a family placed together goes to two.
    """
    kind = LinkKind(request.param)
    with Session(engine) as session:
        provider = make_organisation(session)
        house, other = (make_house(session, provider, beds=2, nrm_stages=["pre_nrm"]) for _ in range(2))
        officer = make_user(session, Role.officer)
        first = make_request(session, officer)
        second = make_request(session, officer, **{kind.value: [first.id]})
        assert officer.id and first.id and second.id and house.id and other.id
        targets = {first.id: house.id, second.id: house.id if kind == LinkKind.keep_apart else other.id}
        officer_id, house_ids = officer.id, [house.id, other.id]
    yield kind, officer_id, targets
    forget(engine, request_ids=list(targets), officer_ids=[officer_id], house_ids=house_ids)


def test_linked_requests_held_at_the_same_moment_keep_their_link(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, linked_pair: tuple[LinkKind, int, dict[int, int]]
) -> None:
    kind, officer_id, targets = linked_pair
    both_checked = threading.Barrier(2)
    check_links = holds._link_clash

    def check_links_then_wait(*args: Any, **kwargs: Any) -> str | None:
        clash = check_links(*args, **kwargs)
        # Wait until the other hold has checked its links too. Unless the linked requests are locked,
        # both checks pass before either hold exists; with the lock, the other hold is still waiting
        # for it, so this gives up after a second and the holds run one after the other.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait(timeout=1)
        return clash

    monkeypatch.setattr(holds, "_link_clash", check_links_then_wait)

    def try_to_hold(request_id: int) -> str:
        with Session(engine) as session:
            try:
                hold_by_ids(session, officer_id, request_id, targets[request_id])
            except ConflictError as error:
                return error.message
            return "held"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(try_to_hold, targets))
    assert outcomes.count("held") == 1, outcomes
    [refusal] = [outcome for outcome in outcomes if outcome != "held"]
    if kind == LinkKind.keep_apart:
        assert refusal.endswith(", of the same case and to be kept apart, is held or placed in this house")
    else:
        assert refusal.endswith(", family to be placed together, is held or placed in another house")
    with Session(engine) as session:
        assert len(holds.live_houses(session=session, request_ids=list(targets))) == 1


# Placements, decisions and move-on -----------------------------------------------------------------

PERIODS = holds.SupportPeriods(
    recovery=timedelta(days=30), after_positive_cg=timedelta(days=45), after_negative=timedelta(days=9)
)


def placed(session: Session, officer: User, provider: User, **request_fields: Any) -> Placement:
    house = provider_house(session, provider, beds=1, nrm_stages=["pre_nrm", "recovery", "move_on"])
    request = make_request(session, officer, **request_fields)
    hold = holds.hold(session=session, request=request, house=house, officer=officer, expires_after=TWO_HOURS)
    return holds.accept(session=session, hold=hold, provider=provider)


@pytest.mark.parametrize(
    ("decisions", "days", "stage"),
    [
        ([NrmDecision.positive_rg], 30, "recovery"),
        ([NrmDecision.negative_rg], 9, "pre_nrm"),
        ([NrmDecision.positive_rg, NrmDecision.positive_cg], 45, "move_on"),
        ([NrmDecision.positive_rg, NrmDecision.negative_cg], 9, "move_on"),
    ],
)
def test_a_decision_sets_the_move_on_deadline_and_the_stage(
    session: Session,
    officer: User,
    provider: User,
    frozen: FrozenDateTimeFactory,
    decisions: list[NrmDecision],
    days: int,
    stage: str,
) -> None:
    placement = placed(session, officer, provider)
    decided_at = START - timedelta(days=20)
    for decision in decisions:
        decided_at += timedelta(days=9)
        recorded = holds.record_decision(
            session=session, placement=placement, decision=decision, decided_at=decided_at, periods=PERIODS
        )
    assert (recorded.decision, recorded.decided_at) == (decisions[-1], decided_at)
    assert recorded.support_until == decided_at + timedelta(days=days)
    request = session.get(PlacementRequest, placement.request_id)
    assert request is not None
    session.refresh(request)
    assert request.nrm_stage == stage


RG_POSITIVE, RG_NEGATIVE = NrmDecision.positive_rg, NrmDecision.negative_rg
CG_POSITIVE, CG_NEGATIVE = NrmDecision.positive_cg, NrmDecision.negative_cg


@pytest.mark.parametrize(
    ("stage", "earlier", "decision", "problem"),
    [
        ("pre_nrm", [], CG_POSITIVE, "the Reasonable Grounds decision comes first"),
        ("pre_nrm", [], CG_NEGATIVE, "the Reasonable Grounds decision comes first"),
        ("pre_nrm", [RG_POSITIVE], RG_POSITIVE, "the positive Reasonable Grounds decision has already been made"),
        ("pre_nrm", [RG_POSITIVE], RG_NEGATIVE, "the positive Reasonable Grounds decision has already been made"),
        ("pre_nrm", [RG_NEGATIVE], RG_NEGATIVE, "a negative Reasonable Grounds decision ends the NRM process"),
        ("pre_nrm", [RG_NEGATIVE], RG_POSITIVE, "a negative Reasonable Grounds decision ends the NRM process"),
        ("pre_nrm", [RG_NEGATIVE], CG_POSITIVE, "a negative Reasonable Grounds decision ends the NRM process"),
        ("pre_nrm", [RG_POSITIVE, CG_POSITIVE], CG_POSITIVE, "the Conclusive Grounds decision has been made"),
        ("pre_nrm", [RG_POSITIVE, CG_NEGATIVE], CG_POSITIVE, "the Conclusive Grounds decision has been made"),
        ("pre_nrm", [RG_POSITIVE, CG_POSITIVE], RG_POSITIVE, "the Conclusive Grounds decision has been made"),
        # Placed in the recovery period: the positive Reasonable Grounds decision came before SafeBeds.
        ("recovery", [], RG_POSITIVE, "the positive Reasonable Grounds decision has already been made"),
        ("recovery", [], RG_NEGATIVE, "the positive Reasonable Grounds decision has already been made"),
        # Placed for move-on: the Conclusive Grounds decision came before SafeBeds.
        ("move_on", [], CG_POSITIVE, "the Conclusive Grounds decision has been made"),
        ("move_on", [], RG_POSITIVE, "the Conclusive Grounds decision has been made"),
    ],
)
def test_decisions_come_in_the_nrm_s_order(
    session: Session,
    officer: User,
    provider: User,
    frozen: FrozenDateTimeFactory,
    stage: str,
    earlier: list[NrmDecision],
    decision: NrmDecision,
    problem: str,
) -> None:
    placement = placed(session, officer, provider, nrm_stage=stage)
    for each in earlier:
        holds.record_decision(session=session, placement=placement, decision=each, decided_at=START, periods=PERIODS)
    with pytest.raises(ConflictError, match=f"^{decision} cannot be recorded: {problem}"):
        holds.record_decision(
            session=session, placement=placement, decision=decision, decided_at=START, periods=PERIODS
        )
    session.refresh(placement)
    assert placement.decision == (earlier[-1] if earlier else None)


def test_a_person_placed_in_recovery_can_have_the_conclusive_decision(
    session: Session, officer: User, provider: User, frozen: FrozenDateTimeFactory
) -> None:
    placement = placed(session, officer, provider, nrm_stage="recovery")
    recorded = holds.record_decision(
        session=session, placement=placement, decision=CG_POSITIVE, decided_at=START, periods=PERIODS
    )
    assert (recorded.decision, recorded.support_until) == (CG_POSITIVE, START + timedelta(days=45))


def test_a_conclusive_decision_cannot_be_dated_before_the_reasonable_one(
    session: Session, officer: User, provider: User, frozen: FrozenDateTimeFactory
) -> None:
    placement = placed(session, officer, provider)
    holds.record_decision(session=session, placement=placement, decision=RG_POSITIVE, decided_at=START, periods=PERIODS)
    with pytest.raises(InvalidError, match="must not be before the positive_rg decision it follows") as caught:
        holds.record_decision(
            session=session,
            placement=placement,
            decision=CG_POSITIVE,
            decided_at=START - timedelta(days=1),
            periods=PERIODS,
        )
    assert caught.value.field == "decided_at"


def test_two_decisions_recorded_at_once_give_exactly_one(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, race: tuple[int, list[tuple[int, int]]]
) -> None:
    house_id, contenders = race
    officer_id, request_id = contenders[0]
    with Session(engine) as session:
        hold = hold_by_ids(session, officer_id, request_id, house_id)
        user = session.get(User, officer_id)
        assert user is not None
        placement_id = holds.accept(session=session, hold=hold, provider=user).id
    both_checked = threading.Barrier(2)
    check_order = holds._out_of_order

    def check_order_then_wait(*args: Any, **kwargs: Any) -> str | None:
        refusal = check_order(*args, **kwargs)
        # Both check the order before either records (on PostgreSQL; SQLite's writers queue, so the
        # second waits for the first and this gives up after a second).
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait(timeout=1)
        return refusal

    monkeypatch.setattr(holds, "_out_of_order", check_order_then_wait)

    def decide(decision: NrmDecision) -> str:
        with Session(engine) as session:
            placement = holds.get_placement(session=session, placement_id=placement_id or 0)
            assert placement is not None
            try:
                holds.record_decision(
                    session=session, placement=placement, decision=decision, decided_at=START, periods=PERIODS
                )
            except ConflictError:
                return "refused"
            return "recorded"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(decide, [RG_POSITIVE, RG_NEGATIVE]))
    assert outcomes.count("recorded") == 1, outcomes


def test_a_decision_cannot_be_in_the_future(
    session: Session, officer: User, provider: User, frozen: FrozenDateTimeFactory
) -> None:
    placement = placed(session, officer, provider)
    with pytest.raises(InvalidError) as caught:
        holds.record_decision(
            session=session,
            placement=placement,
            decision=NrmDecision.positive_rg,
            decided_at=START + timedelta(hours=1),
            periods=PERIODS,
        )
    assert caught.value.field == "decided_at"


def test_move_on_frees_the_beds_and_closes_the_request(session: Session, officer: User, provider: User) -> None:
    placement = placed(session, officer, provider, children=[])
    house = session.get(House, placement.house_id)
    assert house is not None
    assert statuses(session, house) == [BedStatus.occupied]
    ended = holds.move_on(session=session, placement=placement)
    assert ended.ended_at is not None
    assert statuses(session, house) == [BedStatus.available]
    request = session.get(PlacementRequest, placement.request_id)
    assert request is not None
    session.refresh(request)
    assert (request.status, request.fallback) == (RequestStatus.closed, None)
    with pytest.raises(ConflictError, match="already ended"):
        holds.move_on(session=session, placement=placement)


def test_a_fallback_closes_an_open_request_as_unmet_need(session: Session, officer: User, provider: User) -> None:
    request = make_request(session, officer)
    closed = holds.record_fallback(session=session, request=request, fallback=Fallback.police_station)
    assert (closed.status, closed.fallback) == (RequestStatus.closed, Fallback.police_station)
    assert closed.closed_at is not None
    with pytest.raises(ConflictError, match="only an open request"):
        holds.record_fallback(session=session, request=request, fallback=Fallback.hotel)


def test_racing_decisions_on_one_hold_give_exactly_one(engine: Engine, race: tuple[int, list[tuple[int, int]]]) -> None:
    house_id, contenders = race
    officer_id, request_id = contenders[0]
    with Session(engine) as session:
        hold_id = hold_by_ids(session, officer_id, request_id, house_id).id

    def decide(turn: int) -> str:
        with Session(engine) as session:
            hold, user = session.get(Hold, hold_id), session.get(User, officer_id)
            assert hold is not None and user is not None
            try:
                if turn % 3 == 0:
                    holds.accept(session=session, hold=hold, provider=user)
                elif turn % 3 == 1:
                    holds.decline(session=session, hold=hold, provider=user, reason=DeclineReason.other)
                else:
                    holds.cancel(session=session, hold=hold, officer=user)
            except ConflictError:
                return "refused"
            return "decided"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(decide, range(12)))
    assert outcomes.count("decided") == 1
    with Session(engine) as session:
        hold = session.get(Hold, hold_id)
        request = session.get(PlacementRequest, request_id)
        [bed] = session.exec(select(Bed).where(Bed.house_id == house_id)).all()
        assert hold is not None and request is not None
        expected = {
            HoldStatus.accepted: (BedStatus.occupied, RequestStatus.placed),
            HoldStatus.declined: (BedStatus.available, RequestStatus.open),
            HoldStatus.cancelled: (BedStatus.available, RequestStatus.open),
        }
        assert (bed.status, request.status) == expected[HoldStatus(hold.status)]


def test_co_victims_kept_apart_are_never_held_in_one_house(session: Session, officer: User, provider: User) -> None:
    house = provider_house(session, provider, beds=2)
    first = make_request(session, officer)
    second = make_request(session, officer, keep_apart=[first.id])
    holds.hold(session=session, request=first, house=house, officer=officer, expires_after=TWO_HOURS)
    with pytest.raises(ConflictError, match=f"request {first.id}, of the same case and to be kept apart, is held"):
        holds.hold(session=session, request=second, house=house, officer=officer, expires_after=TWO_HOURS)
    assert statuses(session, house).count(BedStatus.held) == 1
    elsewhere = provider_house(session, provider, beds=1)
    assert holds.hold(session=session, request=second, house=elsewhere, officer=officer, expires_after=TWO_HOURS).id


def test_family_placed_together_is_never_held_in_two_houses(session: Session, officer: User, provider: User) -> None:
    house, other = provider_house(session, provider, beds=2), provider_house(session, provider, beds=2)
    sister = make_request(session, officer)
    brother = make_request(session, officer, place_together=[sister.id])
    holds.hold(session=session, request=sister, house=house, officer=officer, expires_after=TWO_HOURS)
    with pytest.raises(ConflictError, match=f"request {sister.id}, family to be placed together, is held or placed in"):
        holds.hold(session=session, request=brother, house=other, officer=officer, expires_after=TWO_HOURS)
    assert holds.hold(session=session, request=brother, house=house, officer=officer, expires_after=TWO_HOURS).id


def test_a_family_stays_together_through_an_indirect_link(session: Session, officer: User, provider: User) -> None:
    house, other = provider_house(session, provider, beds=3), provider_house(session, provider, beds=3)
    mother = make_request(session, officer)
    son = make_request(session, officer, place_together=[mother.id])
    daughter = make_request(session, officer, place_together=[son.id])
    holds.accept(
        session=session,
        hold=holds.hold(session=session, request=mother, house=house, officer=officer, expires_after=TWO_HOURS),
        provider=provider,
    )
    with pytest.raises(ConflictError, match=f"request {mother.id}, family"):
        holds.hold(session=session, request=daughter, house=other, officer=officer, expires_after=TWO_HOURS)
    assert holds.hold(session=session, request=daughter, house=house, officer=officer, expires_after=TWO_HOURS).id
    assert statuses(session, other) == [BedStatus.available] * 3
