"""The database's own backstops: it refuses a second live hold or placement of a request, or of a bed."""

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from freezegun.api import FrozenDateTimeFactory
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from capacity import clock
from capacity import service as capacity_service
from capacity.errors import ConflictError
from capacity.models import Bed, House, Organisation, User
from capacity.vocab import BedStatus, Role
from matching import holds
from matching.models import DeclineReason, Hold, HoldBed, HoldStatus, Placement, PlacementRequest, RequestStatus
from tests.factories import START, log_in, make_house, make_organisation, make_request, make_user

HOUR = timedelta(hours=1)


@pytest.fixture
def officer(session: Session) -> User:
    return make_user(session, Role.officer)


@pytest.fixture
def house(session: Session) -> House:
    return make_house(session, make_organisation(session), beds=2, nrm_stages=["pre_nrm"])


def beds_of(session: Session, house: House) -> list[Bed]:
    return capacity_service.get_beds(session=session, house_ids=[house.id or 0])[house.id or 0]


def written(session: Session, *rows: SQLModel) -> None:
    """Write rows straight into the database, past every service check."""
    session.add_all(rows)
    session.commit()


def a_hold(request: PlacementRequest, house: House, officer: User, status: HoldStatus) -> Hold:
    at = clock.now()
    assert request.id is not None and house.id is not None and officer.id is not None
    return Hold(
        request_id=request.id,
        house_id=house.id,
        officer_id=officer.id,
        status=status,
        created_at=at,
        expires_at=at + HOUR,
    )


def refused(session: Session, row: SQLModel) -> None:
    """The database refuses to write this row."""
    session.add(row)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


@pytest.mark.parametrize("first", [HoldStatus.waiting, HoldStatus.accepted])
@pytest.mark.parametrize("second", [HoldStatus.waiting, HoldStatus.accepted])
def test_a_request_has_one_live_hold(
    session: Session, officer: User, house: House, first: HoldStatus, second: HoldStatus
) -> None:
    request = make_request(session, officer)
    written(session, a_hold(request, house, officer, first))
    refused(session, a_hold(request, house, officer, second))


def test_holds_that_ended_do_not_count(session: Session, officer: User, house: House) -> None:
    request = make_request(session, officer)
    ended = [a_hold(request, house, officer, HoldStatus(s)) for s in ("declined", "expired", "cancelled")]
    written(session, *ended, a_hold(request, house, officer, HoldStatus.waiting))
    assert len(holds.get_all(session=session, request_ids=[request.id or 0])) == 4


def test_a_bed_has_one_live_reservation(session: Session, officer: User, house: House) -> None:
    bed = beds_of(session, house)[0]
    first, second = (a_hold(make_request(session, officer), house, officer, HoldStatus.waiting) for _ in range(2))
    written(session, first, second)
    assert first.id is not None and second.id is not None and bed.id is not None
    written(session, HoldBed(hold_id=first.id, bed_id=bed.id))
    refused(session, HoldBed(hold_id=second.id, bed_id=bed.id))
    written(session, HoldBed(hold_id=second.id, bed_id=bed.id, released_at=clock.now()))


def test_a_released_bed_can_be_reserved_again(session: Session, officer: User, house: House) -> None:
    bed = beds_of(session, house)[0]
    first, second = (a_hold(make_request(session, officer), house, officer, HoldStatus.waiting) for _ in range(2))
    written(session, first, second)
    assert first.id is not None and second.id is not None and bed.id is not None
    written(session, HoldBed(hold_id=first.id, bed_id=bed.id, released_at=clock.now()))
    written(session, HoldBed(hold_id=second.id, bed_id=bed.id))


def test_a_request_has_one_live_placement(session: Session, officer: User, house: House) -> None:
    request = make_request(session, officer)
    accepted, declined = (
        a_hold(request, house, officer, HoldStatus.accepted),
        a_hold(request, house, officer, HoldStatus.declined),
    )
    written(session, accepted, declined)
    assert accepted.id is not None and declined.id is not None and request.id is not None and house.id is not None
    placements = [
        Placement(request_id=request.id, hold_id=hold_id, house_id=house.id, started_at=clock.now())
        for hold_id in (accepted.id, declined.id)
    ]
    written(session, placements[0])
    refused(session, placements[1])
    placements[1].ended_at = clock.now()
    written(session, placements[1])


# The services answer a backstop's refusal as a clash (409), never as a server error ---------------


def test_a_hold_the_database_refuses_for_its_request_is_a_conflict(
    session: Session, officer: User, house: House
) -> None:
    request = make_request(session, officer)
    # A waiting hold written past the services: the request still reads as open.
    written(session, a_hold(request, house, officer, HoldStatus.waiting))
    with pytest.raises(ConflictError, match="this request is already held or placed"):
        holds.hold(session=session, request=request, house=house, officer=officer, expires_after=HOUR)
    assert [b.status for b in beds_of(session, house)] == [BedStatus.available] * 2
    session.refresh(request)
    assert request.status == RequestStatus.open


def stray_reservation(session: Session, officer: User, house: House) -> None:
    """Both beds of the house reserved by an unreleased hold written past the services: they still read as available."""
    stray = a_hold(make_request(session, officer), house, officer, HoldStatus.waiting)
    written(session, stray)
    assert stray.id is not None
    written(session, *(HoldBed(hold_id=stray.id, bed_id=bed.id or 0) for bed in beds_of(session, house)))


def test_a_hold_the_database_refuses_for_its_bed_is_a_conflict(session: Session, officer: User, house: House) -> None:
    stray_reservation(session, officer, house)
    request = make_request(session, officer)
    with pytest.raises(ConflictError, match="a bed in this house is already held or occupied"):
        holds.hold(session=session, request=request, house=house, officer=officer, expires_after=HOUR)
    assert [b.status for b in beds_of(session, house)] == [BedStatus.available] * 2
    session.refresh(request)
    assert request.status == RequestStatus.open
    assert holds.get_all(session=session, request_ids=[request.id or 0]) == []


def test_the_api_answers_a_backstop_s_refusal_with_409(
    client: TestClient, session: Session, officer: User, house: House
) -> None:
    stray_reservation(session, officer, house)
    request = make_request(session, officer)
    log_in(client, officer)
    response = client.post(f"/api/requests/{request.id}/holds", json={"house_id": house.id})
    assert response.status_code == 409, response.text
    assert response.json()["detail"] == "a bed in this house is already held or occupied; search again"


# Every way a reservation ends releases its beds -------------------------------------------------


def reserved_until(session: Session, hold: Hold) -> list[datetime | None]:
    return [row.released_at for row in session.exec(select(HoldBed).where(HoldBed.hold_id == hold.id))]


@pytest.mark.parametrize("end", ["decline", "cancel", "expire", "move_on"])
def test_every_end_of_a_reservation_releases_its_beds(
    session: Session, officer: User, house: House, frozen: FrozenDateTimeFactory, end: str
) -> None:
    provider = make_user(session, Role.provider, session.get(Organisation, house.organisation_id))
    hold = holds.hold(
        session=session, request=make_request(session, officer), house=house, officer=officer, expires_after=HOUR
    )
    assert reserved_until(session, hold) == [None]
    later = HOUR if end == "expire" else HOUR / 2
    frozen.tick(later)
    if end == "decline":
        holds.decline(session=session, hold=hold, provider=provider, reason=DeclineReason.other)
    elif end == "cancel":
        holds.cancel(session=session, hold=hold, officer=officer)
    elif end == "expire":
        assert holds.expire_due(session=session) == 1
    else:
        holds.move_on(session=session, placement=holds.accept(session=session, hold=hold, provider=provider))
    assert reserved_until(session, hold) == [START + later]
    # Its bed (the first by label) is the next hold's, which the backstop would refuse were it not released.
    again = holds.hold(
        session=session, request=make_request(session, officer), house=house, officer=officer, expires_after=HOUR
    )
    assert holds.bed_ids(session=session, hold=again) == holds.bed_ids(session=session, hold=hold)
