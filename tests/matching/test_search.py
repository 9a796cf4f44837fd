"""Instant search: ranked houses that can take the person now, and the rest counted by reason."""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from sqlmodel import Session

from capacity import service as capacity_service
from capacity.models import BedUpdate, House, HouseUpdate, OrganisationUpdate
from capacity.vocab import BedStatus, Gender
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


def test_a_kept_index_sees_every_change_to_houses_beds_and_organisations(
    session: Session, settings: Settings, frozen: FrozenDateTimeFactory
) -> None:
    """Time stands still here, so only the versions the changes count can tell the index it is out of date."""
    provider = make_organisation(session)
    house = make_house(session, provider, beds=2)
    index = matching_service.HouseIndex()

    def found(**overrides: object) -> list[int]:
        wanted = needs(**({"gender": "female", "nrm_stage": "recovery"} | overrides))
        result = matching_service.search(session=session, needs=wanted, stale_after=settings.stale_after, index=index)
        return [match.free_beds for match in result.matches]

    assert found() == [2]
    occupy_all(session, house)
    assert found() == [], "free beds are read on every search"
    second = make_house(session, provider, beds=1)
    assert found() == [1], "a new house is indexed"
    providers_service.update_house(session=session, house=second, data=HouseUpdate(genders=[Gender.male]))
    assert found() == [] and found(gender="male") == [1], "an edited house is indexed again"
    assert found(avoid_faith_based=True, gender="male") == [1]
    providers_service.update_organisation(
        session=session, organisation=provider, data=OrganisationUpdate(faith_based=True)
    )
    assert found(avoid_faith_based=True, gender="male") == [], "so is a house whose organisation changed"


def test_changes_count_in_the_version_but_a_confirmation_does_not(session: Session) -> None:
    provider = make_organisation(session)
    house = make_house(session, provider)
    assert (house.version, provider.version) == (0, 0)
    providers_service.update_house(session=session, house=house, data=HouseUpdate(trans_inclusive=False))
    providers_service.update_house(session=session, house=house, data=HouseUpdate(step_free=True))
    assert house.version == 2
    providers_service.confirm_house(session=session, house=house)
    assert house.version == 2


def test_the_search_lists_the_best_few_and_counts_them_all(session: Session, settings: Settings) -> None:
    provider = make_organisation(session)
    for _ in range(4):
        make_house(session, provider)
    wanted = needs(gender="female", nrm_stage="recovery")
    result = matching_service.search(session=session, needs=wanted, stale_after=settings.stale_after, limit=3)
    assert (len(result.matches), result.matches_total) == (3, 4)
