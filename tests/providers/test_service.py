from datetime import timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from pydantic import ValidationError
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from capacity import service as capacity_service
from capacity.errors import ConflictError, InvalidError
from capacity.models import (
    Bed,
    BedUpdate,
    House,
    HouseCreate,
    HouseUpdate,
    Organisation,
    OrganisationCreate,
    OrganisationUpdate,
)
from capacity.vocab import BedStatus, Gender, NrmStage, OrganisationType
from providers import service as providers_service
from tests.factories import START, house_data, make_house, make_organisation


@pytest.fixture
def provider(session: Session) -> Organisation:
    return make_organisation(session)


def count(session: Session, table: type[House] | type[Bed]) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def beds_of(session: Session, house: House) -> list[Bed]:
    assert house.id is not None
    return capacity_service.get_beds(session=session, house_ids=[house.id])[house.id]


def reread(session: Session, house: House) -> House:
    """The house as the database holds it, not as this session last saw it."""
    assert house.id is not None
    session.expire_all()
    found = capacity_service.get_house(session=session, house_id=house.id)
    assert found is not None
    return found


def one_bed(session: Session, house: House, status: BedStatus = BedStatus.available) -> Bed:
    """The first bed of `house`, put into `status` directly (as a hold would)."""
    bed = beds_of(session, house)[0]
    bed.status = status
    session.add(bed)
    session.commit()
    return bed


# Houses ---------------------------------------------------------------------------------------------


def test_create_house_with_beds(session: Session, provider: Organisation, frozen: FrozenDateTimeFactory) -> None:
    house = providers_service.create_house(
        session=session,
        organisation=provider,
        data=HouseCreate.model_validate(house_data(display_name="Juniper House")),
        bed_labels=["Room 1", "  Room   2 ", "Attic"],
    )
    assert house.id is not None
    assert house.organisation_id == provider.id
    assert (house.created_at, house.updated_at, house.vacancies_confirmed_at) == (START, START, START)
    stored = reread(session, house)
    assert stored.display_name == "Juniper House"
    assert stored.genders == [Gender.female]
    assert stored.nrm_stages == [NrmStage.recovery]
    assert stored.languages == ["en", "sq"]
    beds = beds_of(session, house)
    assert [bed.label for bed in beds] == ["Attic", "Room 1", "Room 2"]
    assert {bed.status for bed in beds} == {BedStatus.available}
    assert {(bed.status_changed_at, bed.status_confirmed_at) for bed in beds} == {(START, START)}


def test_create_house_without_beds(session: Session, provider: Organisation) -> None:
    house = make_house(session, provider, beds=0)
    assert beds_of(session, house) == []


@pytest.mark.parametrize("labels", [["Room 1", "Room 1"], ["Room 1", "room 1"], ["Room 1", " ROOM  1 "]])
def test_duplicate_bed_labels_are_refused_and_nothing_is_written(
    session: Session, provider: Organisation, labels: list[str]
) -> None:
    houses, beds = count(session, House), count(session, Bed)
    with pytest.raises(InvalidError) as caught:
        providers_service.create_house(
            session=session,
            organisation=provider,
            data=HouseCreate.model_validate(house_data()),
            bed_labels=["Attic", *labels],
        )
    assert caught.value.field == "bed_labels"
    assert "duplicate" in caught.value.message
    assert (count(session, House), count(session, Bed)) == (houses, beds)


@pytest.mark.parametrize("label", ["", "   ", "x" * 41])
def test_blank_or_long_bed_labels_are_refused(session: Session, provider: Organisation, label: str) -> None:
    houses = count(session, House)
    with pytest.raises(InvalidError) as caught:
        providers_service.create_house(
            session=session, organisation=provider, data=HouseCreate.model_validate(house_data()), bed_labels=[label]
        )
    assert caught.value.field == "bed_labels"
    assert count(session, House) == houses


@pytest.mark.parametrize(
    "kind", [OrganisationType.police, OrganisationType.first_responder, OrganisationType.commissioning]
)
def test_only_providers_have_houses(session: Session, kind: OrganisationType) -> None:
    police = make_organisation(session, type=kind)
    houses, beds = count(session, House), count(session, Bed)
    with pytest.raises(InvalidError) as caught:
        make_house(session, police)
    assert caught.value.field == "organisation_id"
    assert police.name in caught.value.message
    assert (count(session, House), count(session, Bed)) == (houses, beds)


@pytest.mark.parametrize(
    "kind",
    [
        OrganisationType.ngo_safe_house,
        OrganisationType.refuge,
        OrganisationType.local_authority,
        OrganisationType.emergency_accommodation,
        OrganisationType.statutory,
    ],
)
def test_every_provider_type_may_have_houses(session: Session, kind: OrganisationType) -> None:
    assert make_house(session, make_organisation(session, type=kind)).id is not None


def test_a_house_name_is_used_once_per_organisation(session: Session, provider: Organisation) -> None:
    make_house(session, provider, display_name="Juniper House")
    with pytest.raises(ConflictError, match="already has a house called"):
        make_house(session, provider, display_name="JUNIPER house")
    assert make_house(session, make_organisation(session), display_name="Juniper House").id is not None
    assert count(session, House) == 2


def test_renaming_to_a_sibling_houses_name_is_refused(session: Session, provider: Organisation) -> None:
    make_house(session, provider, display_name="Juniper House")
    rowan = make_house(session, provider, display_name="Rowan Lodge")
    with pytest.raises(ConflictError):
        providers_service.update_house(session=session, house=rowan, data=HouseUpdate(display_name="juniper house"))
    assert reread(session, rowan).display_name == "Rowan Lodge"
    renamed = providers_service.update_house(session=session, house=rowan, data=HouseUpdate(display_name="ROWAN LODGE"))
    assert renamed.display_name == "ROWAN LODGE"


def test_update_house_changes_only_what_is_given(
    session: Session, provider: Organisation, frozen: FrozenDateTimeFactory
) -> None:
    house = make_house(session, provider, display_name="Juniper House", area="camden")
    frozen.tick(timedelta(hours=2))
    providers_service.update_house(
        session=session, house=house, data=HouseUpdate(max_children=2, max_child_age=10, languages=["alb", "ti"])
    )
    stored = reread(session, house)
    assert (stored.max_children, stored.max_child_age) == (2, 10)
    assert stored.languages == ["sq", "ti"]
    assert stored.display_name == "Juniper House"
    assert stored.area == "camden"
    assert stored.updated_at == START + timedelta(hours=2)
    assert stored.created_at == START


def test_update_house_validates_the_merged_house_and_changes_nothing_when_it_fails(
    session: Session, provider: Organisation
) -> None:
    house = make_house(session, provider)
    assert (house.max_children, house.max_child_age) == (0, 0)
    with pytest.raises(InvalidError) as caught:
        providers_service.update_house(session=session, house=house, data=HouseUpdate(max_children=2))
    assert caught.value.field == "max_child_age"
    stored = reread(session, house)
    assert (stored.max_children, stored.max_child_age) == (0, 0)


def test_update_house_refuses_a_name_that_reveals_the_stored_address(session: Session, provider: Organisation) -> None:
    house = make_house(session, provider, display_name="Juniper House", address="12 Acacia Avenue, Fictionville")
    with pytest.raises(InvalidError) as caught:
        providers_service.update_house(
            session=session, house=house, data=HouseUpdate(display_name="12 Acacia Avenue refuge")
        )
    assert caught.value.field == "display_name"
    assert reread(session, house).display_name == "Juniper House"


@pytest.mark.parametrize(
    ("update", "field"),
    [
        ({"max_children": -1}, "max_children"),
        ({"languages": ["zz"]}, "languages"),
        ({"genders": []}, "genders"),
        ({"postcode": "12345"}, "postcode"),
        ({"max_stay_days": 0}, "max_stay_days"),
        ({"genders": None}, "genders"),
        ({"display_name": None}, "display_name"),
    ],
)
def test_update_house_names_the_bad_field(
    session: Session, provider: Organisation, update: dict[str, object], field: str
) -> None:
    house = make_house(session, provider)
    before = reread(session, house).model_dump()
    with pytest.raises(InvalidError) as caught:
        providers_service.update_house(session=session, house=house, data=HouseUpdate.model_validate(update))
    assert caught.value.field == field
    assert reread(session, house).model_dump() == before


def test_an_update_with_an_unknown_area_is_refused_before_the_service() -> None:
    with pytest.raises(ValidationError) as caught:
        HouseUpdate.model_validate({"area": "narnia"})
    assert [error["loc"] for error in caught.value.errors()] == [("area",)]


def test_update_house_may_clear_the_stay_limit(session: Session, provider: Organisation) -> None:
    house = make_house(session, provider, max_stay_days=90)
    providers_service.update_house(session=session, house=house, data=HouseUpdate(max_stay_days=None))
    assert reread(session, house).max_stay_days is None


# Beds -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [BedStatus.occupied, BedStatus.out_of_service])
def test_a_status_change_stamps_changed_and_confirmed(
    session: Session, provider: Organisation, frozen: FrozenDateTimeFactory, status: BedStatus
) -> None:
    house = make_house(session, provider, beds=2)
    bed = beds_of(session, house)[0]
    frozen.tick(timedelta(hours=5))
    providers_service.update_bed(session=session, bed=bed, data=BedUpdate(status=status))
    session.expire_all()
    stored = capacity_service.get_bed(session=session, bed_id=bed.id or 0)
    assert stored is not None
    assert stored.status == status
    assert stored.status_changed_at == START + timedelta(hours=5)
    assert stored.status_confirmed_at == START + timedelta(hours=5)
    untouched = beds_of(session, house)[1]
    assert (untouched.status, untouched.status_changed_at) == (BedStatus.available, START)


def test_setting_the_same_status_confirms_without_a_change(
    session: Session, provider: Organisation, frozen: FrozenDateTimeFactory
) -> None:
    bed = beds_of(session, make_house(session, provider))[0]
    frozen.tick(timedelta(hours=5))
    providers_service.update_bed(session=session, bed=bed, data=BedUpdate(status=BedStatus.available))
    assert bed.status_changed_at == START
    assert bed.status_confirmed_at == START + timedelta(hours=5)


def test_held_cannot_be_set_by_hand(session: Session, provider: Organisation) -> None:
    bed = beds_of(session, make_house(session, provider))[0]
    with pytest.raises(InvalidError) as caught:
        providers_service.update_bed(session=session, bed=bed, data=BedUpdate(status=BedStatus.held))
    assert caught.value.field == "status"
    session.refresh(bed)
    assert bed.status == BedStatus.available


def test_a_refused_status_leaves_the_label_alone(session: Session, provider: Organisation) -> None:
    bed = beds_of(session, make_house(session, provider))[0]
    with pytest.raises(InvalidError):
        providers_service.update_bed(session=session, bed=bed, data=BedUpdate(label="Attic", status=BedStatus.held))
    assert bed.label == "Room 1"


@pytest.mark.parametrize("status", [BedStatus.available, BedStatus.occupied, BedStatus.out_of_service])
def test_a_held_bed_cannot_be_changed_by_hand(session: Session, provider: Organisation, status: BedStatus) -> None:
    bed = one_bed(session, make_house(session, provider), BedStatus.held)
    with pytest.raises(ConflictError):
        providers_service.update_bed(session=session, bed=bed, data=BedUpdate(label="Attic", status=status))
    session.expire_all()
    stored = capacity_service.get_bed(session=session, bed_id=bed.id or 0)
    assert stored is not None
    assert (stored.status, stored.label) == (BedStatus.held, "Room 1")


def test_a_bed_can_be_relabelled(session: Session, provider: Organisation) -> None:
    house = make_house(session, provider, beds=2)
    bed = beds_of(session, house)[0]
    providers_service.update_bed(session=session, bed=bed, data=BedUpdate(label="Garden room"))
    assert [b.label for b in beds_of(session, house)] == ["Garden room", "Room 2"]


def test_a_bed_can_change_the_case_of_its_own_label(session: Session, provider: Organisation) -> None:
    bed = beds_of(session, make_house(session, provider))[0]
    providers_service.update_bed(session=session, bed=bed, data=BedUpdate(label="ROOM 1"))
    assert bed.label == "ROOM 1"


def test_a_bed_cannot_take_a_sibling_label(session: Session, provider: Organisation) -> None:
    house = make_house(session, provider, beds=2)
    bed = beds_of(session, house)[0]
    with pytest.raises(InvalidError) as caught:
        providers_service.update_bed(session=session, bed=bed, data=BedUpdate(label="room 2"))
    assert caught.value.field == "bed_labels"
    session.expire_all()
    assert [b.label for b in beds_of(session, house)] == ["Room 1", "Room 2"]


def test_beds_in_other_houses_may_share_a_label(session: Session, provider: Organisation) -> None:
    make_house(session, provider, beds=1)
    house = make_house(session, provider, beds=0)
    [bed] = providers_service.add_beds(session=session, house=house, labels=["Room 1"])
    assert bed.house_id == house.id


def test_add_beds(session: Session, provider: Organisation, frozen: FrozenDateTimeFactory) -> None:
    house = make_house(session, provider, beds=2)
    frozen.tick(timedelta(hours=1))
    added = providers_service.add_beds(session=session, house=house, labels=["Room 3", "Attic"])
    assert [bed.label for bed in added] == ["Room 3", "Attic"]
    assert all(bed.id is not None and bed.status == BedStatus.available for bed in added)
    assert {bed.status_confirmed_at for bed in added} == {START + timedelta(hours=1)}
    assert [bed.label for bed in beds_of(session, house)] == ["Attic", "Room 1", "Room 2", "Room 3"]


@pytest.mark.parametrize("labels", [["Room 1"], ["Attic", "ROOM 2"], ["Attic", "attic"]])
def test_add_beds_refuses_labels_already_in_the_house(
    session: Session, provider: Organisation, labels: list[str]
) -> None:
    house = make_house(session, provider, beds=2)
    with pytest.raises(InvalidError) as caught:
        providers_service.add_beds(session=session, house=house, labels=labels)
    assert caught.value.field == "bed_labels"
    assert len(beds_of(session, house)) == 2


def test_confirm_house_stamps_every_bed_and_the_house(
    session: Session, provider: Organisation, frozen: FrozenDateTimeFactory
) -> None:
    house = make_house(session, provider, beds=3)
    bed = beds_of(session, house)[0]
    frozen.tick(timedelta(hours=1))
    providers_service.update_bed(session=session, bed=bed, data=BedUpdate(status=BedStatus.occupied))
    other = make_house(session, provider, beds=1)
    frozen.tick(timedelta(hours=30))
    confirmed_at = START + timedelta(hours=31)

    providers_service.confirm_house(session=session, house=house)

    stored = reread(session, house)
    assert stored.vacancies_confirmed_at == confirmed_at
    beds = beds_of(session, house)
    assert {b.status_confirmed_at for b in beds} == {confirmed_at}
    # Confirming is not changing: statuses and when they changed stay as they were.
    assert [(b.status, b.status_changed_at) for b in beds] == [
        (BedStatus.occupied, START + timedelta(hours=1)),
        (BedStatus.available, START),
        (BedStatus.available, START),
    ]
    assert reread(session, other).vacancies_confirmed_at == START + timedelta(hours=1)
    assert {b.status_confirmed_at for b in beds_of(session, other)} == {START + timedelta(hours=1)}


# Organisations --------------------------------------------------------------------------------------


def test_register_organisation(session: Session, frozen: FrozenDateTimeFactory) -> None:
    organisation = providers_service.register_organisation(
        session=session,
        data=OrganisationCreate.model_validate(
            {"name": "Fictional Refuge", "type": "refuge", "faith_based": True, "offers_phone": "020 7946 0000"}
        ),
    )
    assert organisation.id is not None
    assert organisation.created_at == START
    stored = capacity_service.get_organisation_by_name(session=session, name="Fictional Refuge")
    assert stored is not None
    assert stored.id == organisation.id
    assert stored.faith_based is True


@pytest.mark.parametrize("name", ["Fictional Refuge", "  Fictional   Refuge "])
def test_register_organisation_refuses_a_duplicate_name(session: Session, name: str) -> None:
    make_organisation(session, name="Fictional Refuge")
    with pytest.raises(ConflictError, match="already exists"):
        providers_service.register_organisation(
            session=session, data=OrganisationCreate.model_validate({"name": name, "type": "police"})
        )
    assert [o.name for o in capacity_service.get_all_organisations(session=session)].count("Fictional Refuge") == 1


def test_update_organisation(session: Session) -> None:
    organisation = make_organisation(session, name="Fictional Refuge")
    providers_service.update_organisation(
        session=session, organisation=organisation, data=OrganisationUpdate(name="Fictional Refuge", faith_based=True)
    )
    session.expire_all()
    stored = capacity_service.get_organisation(session=session, organisation_id=organisation.id or 0)
    assert stored is not None
    assert (stored.name, stored.faith_based) == ("Fictional Refuge", True)


def test_update_organisation_refuses_another_organisations_name(session: Session) -> None:
    make_organisation(session, name="Fictional Refuge")
    organisation = make_organisation(session, name="Fictional Hostel")
    with pytest.raises(ConflictError):
        providers_service.update_organisation(
            session=session, organisation=organisation, data=OrganisationUpdate(name="Fictional Refuge")
        )
    session.expire_all()
    assert capacity_service.get_organisation(session=session, organisation_id=organisation.id or 0) == organisation
    assert organisation.name == "Fictional Hostel"


def test_update_organisation_refuses_an_empty_name(session: Session) -> None:
    organisation = make_organisation(session)
    with pytest.raises(InvalidError) as caught:
        providers_service.update_organisation(
            session=session, organisation=organisation, data=OrganisationUpdate(name=None)
        )
    assert caught.value.field == "name"


def test_an_organisation_name_is_unique_ignoring_case(session: Session) -> None:
    make_organisation(session, name="Kestrel Trust")
    with pytest.raises(ConflictError):
        make_organisation(session, name="KESTREL trust")
    other = make_organisation(session, name="Lantern Trust")
    with pytest.raises(ConflictError):
        providers_service.update_organisation(
            session=session, organisation=other, data=OrganisationUpdate(name="kestrel trust")
        )
    renamed = providers_service.update_organisation(
        session=session, organisation=other, data=OrganisationUpdate(name="LANTERN Trust")
    )
    assert renamed.name == "LANTERN Trust"


@pytest.mark.parametrize("field", ["name", "faith_based"])
def test_an_organisation_field_that_cannot_be_empty_refuses_null(session: Session, field: str) -> None:
    organisation = make_organisation(session)
    with pytest.raises(InvalidError) as caught:
        providers_service.update_organisation(
            session=session, organisation=organisation, data=OrganisationUpdate.model_validate({field: None})
        )
    assert (caught.value.field, caught.value.message) == (field, "must not be empty")


def test_the_offers_contact_may_be_cleared(session: Session) -> None:
    organisation = make_organisation(session, offers_phone="020 7946 0000")
    data = OrganisationUpdate.model_validate({"offers_phone": None})
    assert (
        providers_service.update_organisation(session=session, organisation=organisation, data=data).offers_phone
        is None
    )


@pytest.mark.parametrize("field", ["status", "label"])
def test_a_bed_field_set_to_null_is_refused_by_name(session: Session, provider: Organisation, field: str) -> None:
    bed = one_bed(session, make_house(session, provider, beds=1))
    with pytest.raises(InvalidError) as caught:
        providers_service.update_bed(session=session, bed=bed, data=BedUpdate.model_validate({field: None}))
    assert (caught.value.field, caught.value.message) == (field, "must not be empty")


def test_a_status_change_on_a_bed_that_changed_meanwhile_is_refused(session: Session, provider: Organisation) -> None:
    bed = one_bed(session, make_house(session, provider, beds=1))
    # Someone else holds the bed after this provider loaded it.
    session.connection().execute(update(Bed).where(col(Bed.id) == bed.id).values(status=BedStatus.held))
    with pytest.raises(ConflictError, match="changed a moment ago"):
        providers_service.update_bed(session=session, bed=bed, data=BedUpdate(status=BedStatus.out_of_service))
    session.refresh(bed)
    assert bed.status != BedStatus.out_of_service, "nothing was written over the hold"
