"""Instant search: ranked houses that can take the person now, and the rest counted by reason."""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from sqlmodel import Session

from capacity import service as capacity_service
from capacity.models import BedUpdate, House
from capacity.vocab import BedStatus
from matching import service as matching_service
from matching.models import RequestNeeds, SearchResult
from providers import service as providers_service
from tests.factories import make_house, make_organisation, request_data
from web.settings import Settings


def needs(**overrides: object) -> RequestNeeds:
    fields = request_data(**overrides)
    fields.pop("reference")
    return RequestNeeds.model_validate(fields)


def occupy_all(session: Session, house: House) -> None:
    for bed in capacity_service.get_beds(session=session, house_ids=[house.id or 0])[house.id or 0]:
        providers_service.update_bed(session=session, bed=bed, data=BedUpdate(status=BedStatus.occupied))


def run(session: Session, settings: Settings, **overrides: object) -> SearchResult:
    """Search for a woman in the recovery period (what the factories' houses serve), unless told otherwise."""
    wanted = needs(**({"gender": "female", "nrm_stage": "recovery"} | overrides))
    return matching_service.search(session=session, needs=wanted, stale_after=settings.stale_after)


def test_a_man_pre_nrm_sees_plainly_why_there_is_no_bed(session: Session, settings: Settings) -> None:
    provider = make_organisation(session)
    for _ in range(3):
        make_house(session, provider, genders=["female"], nrm_stages=["pre_nrm"])
    make_house(session, provider, genders=["male"], nrm_stages=["recovery"])
    occupy_all(session, make_house(session, provider, genders=["male"], nrm_stages=["pre_nrm"], beds=1))

    result = run(session, settings, gender="male", nrm_stage="pre_nrm")
    assert result.matches == []
    assert result.summary == "5 ruled out: 3 do not take this gender, 1 not for this NRM stage, 1 full"
    assert [(r.reason, r.houses) for r in result.ruled_out] == [
        ("GENDER_NOT_SERVED", 3),
        ("NRM_STAGE_NOT_SERVED", 1),
        ("NOT_ENOUGH_BEDS", 1),
    ]


def test_matches_are_ranked_by_fit_then_freshness(
    session: Session, settings: Settings, frozen: FrozenDateTimeFactory
) -> None:
    provider = make_organisation(session)
    old = make_house(session, provider, display_name="Old News", languages=["en"])
    frozen.tick(timedelta(hours=30))
    fresh = make_house(session, provider, display_name="Fresh Place", languages=["en"])
    speaks = make_house(session, provider, display_name="Albanian Spoken", languages=["en", "sq"])
    result = run(session, settings, languages=["sq"], interpreter_ok=True)
    assert [m.house_id for m in result.matches] == [speaks.id, fresh.id, old.id]
    assert result.matches[0].explanation.startswith("staff speak Albanian")
    assert result.matches[2].stale
    assert result.summary == "0 ruled out"


def test_a_family_needs_a_bed_for_each_child(session: Session, settings: Settings) -> None:
    provider = make_organisation(session)
    make_house(session, provider, beds=2, max_children=2, max_child_age=12)
    roomy = make_house(session, provider, beds=3, max_children=2, max_child_age=12)
    result = run(session, settings, children=[3, 8])
    assert [m.house_id for m in result.matches] == [roomy.id]
    assert result.summary == "1 ruled out: 1 full"


def test_search_never_carries_an_address(session: Session, settings: Settings) -> None:
    make_house(session, make_organisation(session), address="99 Canary Wharf Secret Row", postcode="ZZ99 7QX")
    result = run(session, settings)
    assert len(result.matches) == 1
    text = result.model_dump_json()
    assert "Canary" not in text and "ZZ99 7QX" not in text
