"""The demo shows London's real shape of provision, is fictional, and is the same every run.

The history inside the demo is tested in test_demo_history.py.
"""

import re
from collections import Counter
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlmodel import Session, select

from capacity import service as capacity_service
from capacity.models import Bed, House, Organisation, User
from capacity.vocab import BedStatus, Gender, NrmStage, Role
from matching.models import PlacementRequest
from tests.factories import make_house, make_organisation, make_user
from tests.web.conftest import DEMO_NOW, LoadedDemo
from web import demo, migrate
from web.db import make_engine
from web.settings import Settings


@pytest.fixture
def session(demo_session: Session) -> Session:
    """The shared demo, loaded once (see conftest.py)."""
    return demo_session


@pytest.fixture
def loaded(loaded_demo: LoadedDemo) -> list[demo.DemoLogin]:
    return loaded_demo.loaded.logins


def beds_by_house(session: Session) -> dict[int, list[Bed]]:
    houses = session.exec(select(House)).all()
    return capacity_service.get_beds(session=session, house_ids=[h.id for h in houses if h.id is not None])


def test_demo_has_the_size_of_london_provision(session: Session, loaded: list[demo.DemoLogin]) -> None:
    organisations = session.exec(select(Organisation)).all()
    houses = session.exec(select(House)).all()
    beds = session.exec(select(Bed)).all()
    assert 35 <= len(organisations) <= 45
    assert len(houses) == 120
    assert 550 <= len(beds) <= 700
    assert {login.role for login in loaded} >= set(Role) - {Role.coordinator}


def test_demo_has_a_log_in_for_every_role(session: Session, loaded: list[demo.DemoLogin]) -> None:
    assert {login.role for login in loaded} == set(Role)
    assert {u.role for u in session.exec(select(User)).all()} == set(Role)


def test_demo_has_the_gaps_practitioners_report(session: Session, loaded: list[demo.DemoLogin]) -> None:
    houses = session.exec(select(House)).all()
    beds = beds_by_house(session)
    serving: Counter[str] = Counter()
    for house in houses:
        size = len(beds[house.id or 0])
        for gender in house.genders:
            serving[gender] += size
        for stage in house.nrm_stages:
            serving[stage] += size
        if Gender.male in house.genders and NrmStage.pre_nrm in house.nrm_stages:
            serving["male_pre_nrm"] += size
    total = sum(len(b) for b in beds.values())
    assert serving[Gender.female] >= 3 * serving[Gender.male], "female beds far outnumber male ones"
    assert serving[NrmStage.pre_nrm] < 0.06 * total, "pre-NRM emergency beds are very scarce"
    assert serving["male_pre_nrm"] <= 6, "almost nothing pre-NRM for men"
    with_children = [h for h in houses if h.max_children > 0]
    assert 0.05 * len(houses) <= len(with_children) <= 0.2 * len(houses), "few houses take children"
    languages = Counter(code for house in houses for code in house.languages)
    assert {"sq", "vi", "ro", "pcm", "bin", "pl", "zh", "ti", "lt", "en"} <= set(languages)
    assert languages.most_common(2)[1][0] == "sq", "after English, Albanian is the most spoken by staff"


def test_demo_vacancy_data_is_mostly_fresh_with_some_stale(session: Session, loaded_demo: LoadedDemo) -> None:
    houses = session.exec(select(House)).all()
    stale_after = loaded_demo.settings.stale_after
    stale = [
        h for h in houses if capacity_service.is_stale(h.vacancies_confirmed_at, stale_after=stale_after, at=DEMO_NOW)
    ]
    assert 0.1 * len(houses) <= len(stale) <= 0.5 * len(houses)


def test_after_the_history_free_beds_are_for_women_while_men_and_pre_nrm_find_almost_none(session: Session) -> None:
    houses = {h.id: h for h in session.exec(select(House)).all()}
    free = [b for beds in beds_by_house(session).values() for b in beds if b.status == BedStatus.available]
    free_for = Counter[str]()
    for bed in free:
        house = houses[bed.house_id]
        free_for.update(f"{gender}/{stage}" for gender in house.genders for stage in house.nrm_stages)
    assert 100 <= len(free) <= 400, "a year of history leaves some beds free, not all"
    assert free_for["female/recovery"] >= 10 * free_for["male/pre_nrm"]
    assert free_for["female/recovery"] >= 3 * free_for["male/recovery"]
    assert free_for["male/pre_nrm"] <= 2


def test_demo_data_is_fictional(session: Session, loaded: list[demo.DemoLogin]) -> None:
    for house in session.exec(select(House)).all():
        assert house.postcode.startswith(demo.FICTIONAL_POSTCODE_DISTRICT + " ")
        assert house.address.endswith("(fictional)")
    for organisation in session.exec(select(Organisation)).all():
        assert organisation.name.endswith("(demo)")
    for user in session.exec(select(User)).all():
        assert user.email.endswith("@" + demo.DEMO_DOMAIN)
    references = session.exec(select(PlacementRequest.reference)).all()
    assert references
    for reference in references:
        assert re.fullmatch(r"(MSU|FR)-\d{5}(/\d)?", reference), "a case reference, never a name"


def snapshot(url: str) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    with Session(engine) as session:
        rows: list[tuple[object, ...]] = [tuple(h.model_dump().values()) for h in session.exec(select(House))]
        rows += [tuple(b.model_dump().values()) for b in session.exec(select(Bed))]
        rows += [tuple(o.model_dump().values()) for o in session.exec(select(Organisation))]
    engine.dispose()
    return rows


@freeze_time("2026-03-02 02:00:00")
def test_two_runs_give_the_same_data(tmp_path: Path, settings: Settings) -> None:
    first, second = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    demo.create(database_url=first, history_days=0, settings=settings)
    demo.create(database_url=second, history_days=0, settings=settings)
    assert snapshot(first) == snapshot(second)
    demo.create(database_url=first, history_days=0, settings=settings)
    assert snapshot(first) == snapshot(second), "running the demo again replaces, never adds"


def test_demo_refuses_to_replace_real_accounts(tmp_path: Path, settings: Settings) -> None:
    url = f"sqlite:///{tmp_path / 'real.db'}"
    demo.create(database_url=url, history_days=0, settings=settings)
    engine = make_engine(url)
    with Session(engine) as session:
        make_user(
            session, Role.admin, make_organisation(session, name="Real Trust (demo)"), email="real.person@example.org"
        )
    engine.dispose()
    with pytest.raises(demo.NotADemoDatabaseError, match="holds 1 accounts the demo did not make"):
        demo.create(database_url=url, history_days=0, settings=settings)
    assert len(snapshot(url)) > 0
    demo.create(database_url=url, force=True, history_days=0, settings=settings)


def test_demo_refuses_to_replace_real_organisations_before_any_account_exists(
    tmp_path: Path, settings: Settings
) -> None:
    url = f"sqlite:///{tmp_path / 'real.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        make_house(session, make_organisation(session, name="Real Refuge"))
    engine.dispose()
    with pytest.raises(demo.NotADemoDatabaseError, match="holds 1 organisations the demo did not make"):
        demo.create(database_url=url, history_days=0, settings=settings)
    assert any("Real Refuge" in str(row) for row in snapshot(url))
