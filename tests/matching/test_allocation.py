"""Whole-queue allocation over the database: priorities, a proposal from the solver, and confirmation as holds."""

from datetime import timedelta

from fastapi.testclient import TestClient
from freezegun.api import FrozenDateTimeFactory
from sqlmodel import Session

from capacity.vocab import Role
from matching import allocation
from matching.instance import Status
from matching.models import AssignmentConfirm, HoldStatus
from tests.factories import log_in, make_house, make_organisation, make_request, make_user
from web.settings import Settings


def test_priority_is_urgency_then_a_little_for_waiting(session: Session, frozen: FrozenDateTimeFactory) -> None:
    officer = make_user(session, Role.officer)
    tonight = make_request(session, officer, urgency="tonight")
    planned = make_request(session, officer, urgency="planned")
    now = tonight.created_at
    assert allocation.priority(tonight, at=now) == 100
    assert allocation.priority(tonight, at=now + timedelta(hours=11)) == 101
    assert allocation.priority(tonight, at=now + timedelta(days=30)) == 112
    assert allocation.priority(planned, at=now + timedelta(days=30)) < allocation.priority(tonight, at=now)


def test_a_proposal_places_the_most_priority_and_holds_nothing(session: Session, settings: Settings) -> None:
    officer = make_user(session, Role.officer)
    house = make_house(session, make_organisation(session), beds=3, max_children=2, max_child_age=12)
    make_request(session, officer, nrm_stage="recovery", urgency="tonight", children=[2, 5])
    for _ in range(3):
        make_request(session, officer, nrm_stage="recovery", urgency="tonight")
    proposal = allocation.propose(session=session, stale_after=settings.stale_after, time_limit_s=5, workers=2)
    assert proposal.status == Status.OPTIMAL
    assert proposal.placed_priority == 300, "three singles tonight are worth more than one family tonight"
    assert {a.house for a in proposal.assignments} == {house.id}
    assert allocation.open_requests(session=session), "a proposal holds nothing"


def test_confirming_holds_each_assignment_and_reports_what_it_could_not(session: Session, settings: Settings) -> None:
    officer = make_user(session, Role.officer)
    house = make_house(session, make_organisation(session), beds=1)
    first, second = (make_request(session, officer, nrm_stage="recovery") for _ in range(2))
    assert house.id is not None and first.id is not None and second.id is not None
    made, failed = allocation.confirm(
        session=session,
        assignments=[
            AssignmentConfirm(request=first.id, house=house.id),
            AssignmentConfirm(request=second.id, house=house.id),
        ],
        expires_after=settings.hold_expiry,
    )
    assert [(h.status, h.officer_id) for h in made] == [(HoldStatus.waiting, officer.id)]
    assert [(a.request, reason) for a, reason in failed] == [
        (second.id, "this house no longer has a free bed; search again")
    ]


def test_a_coordinator_proposes_and_confirms_through_the_api(client: TestClient, session: Session) -> None:
    officer = make_user(session, Role.officer)
    make_house(session, make_organisation(session), beds=2)
    requests = [make_request(session, officer, nrm_stage="recovery") for _ in range(3)]
    log_in(client, make_user(session, Role.admin))
    proposal = client.post("/api/allocation/proposal", json={"time_limit_s": 5})
    assert proposal.status_code == 200, proposal.text
    body = proposal.json()
    assert (body["status"], body["placed_priority"], len(body["assignments"])) == ("OPTIMAL", 200, 2)
    assert {u["request"] for u in body["unplaced"]} <= {r.id for r in requests}
    confirmed = client.post("/api/allocation/confirm", json={"assignments": body["assignments"]})
    assert confirmed.status_code == 200, confirmed.text
    assert len(confirmed.json()["holds"]) == 2 and confirmed.json()["not_held"] == []


def test_the_queue_s_links_reach_the_solver(session: Session, settings: Settings) -> None:
    officer = make_user(session, Role.officer)
    make_house(session, make_organisation(session), beds=3)
    victim = make_request(session, officer, nrm_stage="recovery")
    make_request(session, officer, nrm_stage="recovery", keep_apart=[victim.id])
    sister = make_request(session, officer, nrm_stage="recovery")
    make_request(session, officer, nrm_stage="recovery", place_together=[sister.id])
    instance = allocation.build_instance(session=session, stale_after=settings.stale_after)
    assert len(instance.keep_apart) == 1 and len(instance.place_together) == 2
    proposal = allocation.propose(session=session, stale_after=settings.stale_after, time_limit_s=5, workers=2)
    placed = {a.request for a in proposal.assignments}
    assert len(placed) == 3 and {sister.id} <= placed, "one of the kept-apart pair, and the siblings together"
