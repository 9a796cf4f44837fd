"""Whole-queue allocation over the database: priorities, a proposal from the solver, and confirmation as holds."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from freezegun.api import FrozenDateTimeFactory
from sqlmodel import Session

from capacity import service as capacity_service
from capacity.errors import InvalidError
from capacity.vocab import BedStatus, Role
from matching import allocation, holds, solver
from matching.instance import Status
from matching.models import AssignmentConfirm, Fallback, HoldStatus
from tests.factories import log_in, make_house, make_organisation, make_request, make_user
from web.settings import Settings

HOUR = timedelta(hours=1)


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
    log_in(client, make_user(session, Role.coordinator))
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
    assert len(instance.keep_apart) == 1 and len(instance.place_together) == 1
    proposal = allocation.propose(session=session, stale_after=settings.stale_after, time_limit_s=5, workers=2)
    placed = {a.request for a in proposal.assignments}
    assert len(placed) == 3 and {sister.id} <= placed, "one of the kept-apart pair, and the siblings together"


def test_partners_held_or_placed_outside_the_queue_bind_it(session: Session, settings: Settings) -> None:
    officer = make_user(session, Role.officer)
    organisation = make_organisation(session)
    provider = make_user(session, Role.provider, organisation)
    first, second = (make_house(session, organisation, beds=4, nrm_stages=["recovery"]) for _ in range(2))
    victim, mother = (make_request(session, officer, nrm_stage="recovery") for _ in range(2))
    holds.accept(
        session=session,
        hold=holds.hold(session=session, request=victim, house=first, officer=officer, expires_after=HOUR),
        provider=provider,
    )
    holds.hold(session=session, request=mother, house=second, officer=officer, expires_after=HOUR)
    co_victim = make_request(session, officer, nrm_stage="recovery", keep_apart=[victim.id])
    son = make_request(session, officer, nrm_stage="recovery", place_together=[mother.id])
    daughter = make_request(session, officer, nrm_stage="recovery", place_together=[son.id])
    assert co_victim.id and son.id and daughter.id
    instance = allocation.build_instance(session=session, stale_after=settings.stale_after)
    snapshots = {r.id: r for r in instance.requests}
    assert set(snapshots) == {co_victim.id, son.id, daughter.id}
    assert (snapshots[co_victim.id].avoid_houses, snapshots[co_victim.id].only_house) == ([first.id], None)
    assert [snapshots[r].only_house for r in (son.id, daughter.id)] == [second.id, second.id], "the daughter too"
    assert instance.place_together == [sorted([son.id, daughter.id])]
    proposal = solver.solve(instance, time_limit_s=5, workers=2, seed=1)
    assert {(a.request, a.house) for a in proposal.assignments} == {
        (co_victim.id, second.id),
        (son.id, second.id),
        (daughter.id, second.id),
    }


def test_a_partner_s_house_with_no_room_leaves_the_request_unplaced_with_its_reason(
    session: Session, settings: Settings
) -> None:
    officer = make_user(session, Role.officer)
    organisation = make_organisation(session)
    full = make_house(session, organisation, beds=1, nrm_stages=["recovery"])
    make_house(session, organisation, beds=1, nrm_stages=["recovery"])  # free, but not where his sister is
    sister = make_request(session, officer, nrm_stage="recovery")
    holds.hold(session=session, request=sister, house=full, officer=officer, expires_after=HOUR)
    brother = make_request(session, officer, nrm_stage="recovery", place_together=[sister.id])
    proposal = allocation.propose(session=session, stale_after=settings.stale_after, time_limit_s=5, workers=2)
    assert proposal.assignments == []
    [unplaced] = proposal.unplaced
    assert unplaced.request == brother.id and "KEPT_TOGETHER" in unplaced.reasons, unplaced


def test_a_family_is_confirmed_all_or_none(session: Session, settings: Settings) -> None:
    officer = make_user(session, Role.officer)
    organisation = make_organisation(session)
    house, other = (make_house(session, organisation, beds=2, nrm_stages=["recovery"]) for _ in range(2))
    sister = make_request(session, officer, nrm_stage="recovery")
    brother = make_request(session, officer, nrm_stage="recovery", place_together=[sister.id])
    single = make_request(session, officer, nrm_stage="recovery")
    # Since the proposal, another officer held one of the two beds the family was given.
    holds.hold(
        session=session,
        request=make_request(session, make_user(session, Role.officer), nrm_stage="recovery"),
        house=house,
        officer=officer,
        expires_after=HOUR,
    )
    assert house.id and other.id and sister.id and brother.id and single.id
    made, failed = allocation.confirm(
        session=session,
        assignments=[
            AssignmentConfirm(request=sister.id, house=house.id),
            AssignmentConfirm(request=single.id, house=other.id),
            AssignmentConfirm(request=brother.id, house=house.id),
        ],
        expires_after=settings.hold_expiry,
    )
    assert [h.request_id for h in made] == [single.id]
    assert sorted((a.request, reason) for a, reason in failed) == sorted(
        [
            (brother.id, "this house no longer has a free bed; search again"),
            (
                sister.id,
                f"not held, so that the family stays together: request {brother.id} could not be held "
                "(this house no longer has a free bed; search again)",
            ),
        ]
    )
    # The sister's hold, made first, was undone with her brother's failure.
    assert holds.get_all(session=session, request_ids=[sister.id, brother.id]) == []
    assert [b.status for b in capacity_service.get_beds(session=session, house_ids=[house.id])[house.id]].count(
        BedStatus.available
    ) == 1
    assert {r.id for r in allocation.open_requests(session=session)} == {sister.id, brother.id}


def test_a_family_with_room_is_held_together(session: Session, settings: Settings) -> None:
    officer = make_user(session, Role.officer)
    house = make_house(session, make_organisation(session), beds=2, nrm_stages=["recovery"])
    sister = make_request(session, officer, nrm_stage="recovery")
    brother = make_request(session, officer, nrm_stage="recovery", place_together=[sister.id])
    assert house.id and sister.id and brother.id
    made, failed = allocation.confirm(
        session=session,
        assignments=[AssignmentConfirm(request=r, house=house.id) for r in (sister.id, brother.id)],
        expires_after=settings.hold_expiry,
    )
    assert ([(h.request_id, h.house_id) for h in made], failed) == ([(sister.id, house.id), (brother.id, house.id)], [])


def test_a_family_split_across_houses_is_not_held(session: Session, settings: Settings) -> None:
    officer = make_user(session, Role.officer)
    organisation = make_organisation(session)
    house, other = (make_house(session, organisation, beds=2, nrm_stages=["recovery"]) for _ in range(2))
    sister = make_request(session, officer, nrm_stage="recovery")
    brother = make_request(session, officer, nrm_stage="recovery", place_together=[sister.id])
    assert house.id and other.id and sister.id and brother.id
    made, failed = allocation.confirm(
        session=session,
        assignments=[
            AssignmentConfirm(request=sister.id, house=house.id),
            AssignmentConfirm(request=brother.id, house=other.id),
        ],
        expires_after=settings.hold_expiry,
    )
    assert made == []
    assert {a.request: reason for a, reason in failed}[brother.id] == (
        f"request {sister.id}, family to be placed together, is held or placed in another house"
    )
    assert holds.get_all(session=session, request_ids=[sister.id]) == []


def test_a_request_confirmed_twice_is_refused(session: Session, settings: Settings) -> None:
    officer = make_user(session, Role.officer)
    house = make_house(session, make_organisation(session), beds=2, nrm_stages=["recovery"])
    request = make_request(session, officer, nrm_stage="recovery")
    assert house.id and request.id
    with pytest.raises(InvalidError, match=f"request {request.id} is assigned more than once") as caught:
        allocation.confirm(
            session=session,
            assignments=[AssignmentConfirm(request=request.id, house=house.id)] * 2,
            expires_after=settings.hold_expiry,
        )
    assert caught.value.field == "assignments"


def test_the_queue_is_highest_priority_first_with_needs_and_links(
    session: Session, frozen: FrozenDateTimeFactory
) -> None:
    officer = make_user(session, Role.officer)
    planned = make_request(session, officer, urgency="planned", languages=["sq"])
    frozen.tick(timedelta(hours=13))
    tonight = make_request(session, officer, urgency="tonight", keep_apart=[planned.id])
    closed = make_request(session, officer)
    holds.record_fallback(session=session, request=closed, fallback=Fallback.sofa)
    queue = allocation.queue(session=session)
    assert [(q.id, q.priority) for q in queue] == [(tonight.id, 100), (planned.id, 12)]
    assert (queue[0].keep_apart, queue[1].keep_apart) == ([planned.id], [tonight.id])
    assert queue[1].needs.languages == ["sq"] and queue[1].organisation_id == officer.organisation_id


def test_a_coordinator_sees_needs_but_never_a_reference_or_an_address(client: TestClient, session: Session) -> None:
    officer = make_user(session, Role.officer)
    address = "17 Canary Wharf Row"
    house = make_house(session, make_organisation(session), beds=1, nrm_stages=["recovery"], address=address)
    request = make_request(session, officer, nrm_stage="recovery", reference="MSU-987654")
    log_in(client, make_user(session, Role.coordinator))
    queue = client.get("/api/allocation/queue")
    assert queue.status_code == 200, queue.text
    assert [(q["id"], q["needs"]["nrm_stage"]) for q in queue.json()] == [(request.id, "recovery")]
    houses = client.get("/api/houses")
    assert houses.status_code == 200 and [h["id"] for h in houses.json()] == [house.id]
    confirmed = client.post(
        "/api/allocation/confirm", json={"assignments": [{"request": request.id, "house": house.id}]}
    )
    assert confirmed.status_code == 200 and len(confirmed.json()["holds"]) == 1
    for response in (queue, houses, client.get(f"/api/houses/{house.id}"), confirmed):
        assert "MSU-987654" not in response.text and "Canary" not in response.text
    assert client.get(f"/api/requests/{request.id}").status_code == 403
    listed = client.get("/api/holds")
    assert (listed.status_code, listed.json()["detail"]) == (
        403,
        "the coordinator role does not see holds or placements",
    )
