"""Fictional but realistic London demo data: organisations, houses, beds, one account per role, and a year of history.

Shaped on what practitioners report: female beds far outnumber male ones, pre-NRM emergency beds
are very scarce, few houses take children, and staff languages follow the largest groups found.
The provision is built as it was a year ago; the year's placement requests are then run through
SafeBeds' own matching in simulated time (web/demo_history.py). A seeded generator makes every
run at the same moment identical.
"""

import random
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, func, select

from capacity import clock
from capacity.models import Bed, House, HouseCreate, Organisation, OrganisationCreate, User
from capacity.vocab import (
    LONDON_AREAS,
    Area,
    BedStatus,
    ExploitationType,
    Gender,
    NrmStage,
    OrganisationType,
    Role,
    SupportNeed,
)
from providers import service as providers_service
from web import accounts, demo_history, migrate
from web.db import make_engine
from web.settings import Settings, get_settings

SEED = 2017
DEMO_DOMAIN = "demo.example.org"
DEMO_SUFFIX = " (demo)"
FICTIONAL_POSTCODE_DISTRICT = "ZZ99"  # the NHS pseudo-postcode district: never a real place

PROVIDER_MIX = (
    (OrganisationType.ngo_safe_house, 17),
    (OrganisationType.refuge, 8),
    (OrganisationType.local_authority, 4),
    (OrganisationType.emergency_accommodation, 5),
    (OrganisationType.statutory, 2),
)
ORGANISATION_WORDS = (
    "Lantern",
    "Harbour",
    "Compass",
    "Beacon",
    "Anchor",
    "Haven",
    "Lighthouse",
    "Meridian",
    "Open Door",
    "Northgate",
    "Riverside",
    "Cedar",
    "Kestrel",
    "Wayfarer",
    "Threshold",
    "Sanctuary",
    "Keystone",
    "Bridgeway",
    "Clearwater",
    "Hearth",
    "Shelter Line",
    "Greenfield",
    "Marigold",
    "Oakleaf",
    "Skylark",
    "Tidewater",
    "Evenstar",
    "Brightwell",
    "Fairhaven",
    "Holloway Lane",
    "Larkrise",
    "Moorland",
    "Pennant",
    "Quayside",
    "Silverbirch",
    "Starling",
)
ORGANISATION_SUFFIX = {
    OrganisationType.ngo_safe_house: "Trust",
    OrganisationType.refuge: "Women's Refuge",
    OrganisationType.local_authority: "Council Housing Team",
    OrganisationType.emergency_accommodation: "Night Shelter",
    OrganisationType.statutory: "Support Service",
}
HOUSE_FIRST = (
    "Juniper",
    "Rowan",
    "Hazel",
    "Willow",
    "Aspen",
    "Linden",
    "Elder",
    "Holly",
    "Alder",
    "Laurel",
    "Myrtle",
    "Bramble",
    "Heather",
    "Sorrel",
    "Clover",
    "Fern",
    "Iris",
    "Poppy",
    "Sage",
    "Thistle",
    "Yarrow",
    "Briar",
    "Ivy",
    "Maple",
)
HOUSE_SECOND = ("House", "Lodge", "Court", "Rooms", "Place")
STREETS = ("Nowhere Lane", "Example Road", "Placeholder Street", "Fictional Mews", "Sample Terrace", "Demo Close")
LARGEST_GROUPS = (("sq", 9), ("vi", 7), ("ro", 7), ("pcm", 6), ("bin", 5), ("pl", 5), ("zh", 4), ("ti", 4), ("lt", 3))
OUT_OF_AREA = (Area.south_east, Area.east_of_england, Area.west_midlands, Area.north_west, Area.south_west)
HISTORY_DAYS = 365


class NotADemoDatabaseError(Exception):
    """The configured database holds data the demo did not make."""


@dataclass(frozen=True)
class DemoLogin:
    role: Role
    email: str
    password: str


@dataclass(frozen=True)
class Demo:
    logins: list[DemoLogin]
    history: demo_history.History | None


def _pick_languages(rng: random.Random) -> list[str]:
    codes, weights = zip(*LARGEST_GROUPS, strict=True)
    extra = {rng.choices(codes, weights)[0] for _ in range(rng.choice((0, 1, 1, 2, 2, 3)))}
    return ["en", *sorted(extra)]


def _house(rng: random.Random, name: str, street_number: int, *, kind: str, emergency: bool) -> HouseCreate:
    """Describe one fictional house of the given kind ("female", "male", "mixed" or "family")."""
    genders = {
        "female": [Gender.female] + ([Gender.non_binary] if rng.random() < 0.3 else []),
        "family": [Gender.female],
        "male": [Gender.male] + ([Gender.non_binary] if rng.random() < 0.2 else []),
        "mixed": [Gender.female, Gender.male, Gender.non_binary],
    }[kind]
    if emergency:
        stages = [NrmStage.pre_nrm]
    else:
        stages = rng.choices(
            [[NrmStage.recovery], [NrmStage.recovery, NrmStage.move_on], [NrmStage.move_on]], [6, 3, 2]
        )[0]
    specialisms = {
        "male": [ExploitationType.labour, ExploitationType.criminal],
        "mixed": [ExploitationType.labour, ExploitationType.domestic_servitude],
    }.get(kind, [ExploitationType.sexual, ExploitationType.domestic_servitude])
    support = [
        need
        for need, chance in (
            (SupportNeed.mental_health, 0.4),
            (SupportNeed.substance_use, 0.15),
            (SupportNeed.lgbt_plus, 0.08),
        )
        if rng.random() < chance
    ]
    children = rng.choice((1, 2, 3)) if kind == "family" else 0
    area = rng.choice(OUT_OF_AREA) if rng.random() < 0.08 else rng.choice(LONDON_AREAS)
    return HouseCreate(
        display_name=name,
        area=area,
        address=f"{street_number} {rng.choice(STREETS)} (fictional)",
        postcode=f"{FICTIONAL_POSTCODE_DISTRICT} {rng.randint(1, 9)}ZZ",
        genders=genders,
        trans_inclusive=rng.random() < 0.45,
        nrm_stages=stages,
        max_children=children,
        max_child_age=rng.choice((11, 15, 17)) if children else 0,
        languages=_pick_languages(rng),
        step_free=rng.random() < 0.2,
        specialisms=rng.sample(specialisms, k=rng.randint(0, len(specialisms))),
        extra_support=support,
        max_stay_days=14 if emergency else rng.choice((None, 90, 180, 365)),
    )


def build(
    session: Session, *, seed: int = SEED, history_days: int = HISTORY_DAYS, settings: Settings | None = None
) -> Demo:
    """Fill an empty database with the demo: the provision as it was `history_days` ago, then the history since."""
    settings = settings or get_settings()
    end = clock.now()
    with clock.simulated(end - timedelta(days=history_days)) as simulated:
        provision = _build_provision(session, random.Random(seed))
        logins = _create_logins(session, provision)
        if history_days == 0:
            return Demo(logins=logins, history=None)
        officers, provider_staff = _create_staff(session, provision, logins)
        history = demo_history.simulate(
            session,
            rng=random.Random(f"{seed}/history"),
            places=random.Random(f"{seed}/found"),
            simulated=simulated,
            end=end,
            settings=settings,
            officers=officers,
            provider_staff=provider_staff,
            confirmations=[(end - age, house) for house, age in provision.confirmed_ago],
        )
    return Demo(logins=logins, history=history)


@dataclass
class _Provision:
    providers: list[Organisation]
    police: Organisation
    responder: Organisation
    commissioning: Organisation
    provider_home: Organisation
    confirmed_ago: list[tuple[House, timedelta]]  # how long before now each house last confirmed its vacancies


def _build_provision(session: Session, rng: random.Random) -> _Provision:
    """The organisations, houses and beds, as the clock says now."""
    at = clock.now()
    words = list(ORGANISATION_WORDS)
    rng.shuffle(words)
    providers: list[Organisation] = []
    for type_, count in PROVIDER_MIX:
        for _ in range(count):
            word = words.pop()
            data = OrganisationCreate(
                name=f"{word} {ORGANISATION_SUFFIX[type_]}{DEMO_SUFFIX}",
                type=type_,
                faith_based=type_ in (OrganisationType.ngo_safe_house, OrganisationType.emergency_accommodation)
                and rng.random() < 0.25,
                offers_email=f"offers@{word.lower().replace(' ', '-')}.{DEMO_DOMAIN}",
                offers_phone=f"020 7946 0{rng.randint(100, 999)}",
            )
            providers.append(Organisation.model_validate(data, update={"created_at": at}))
    police = Organisation(
        name="Metropolis Police Modern Slavery Unit (demo)", type=OrganisationType.police, created_at=at
    )
    responder = Organisation(
        name="Riverside Borough Council First Response (demo)", type=OrganisationType.first_responder, created_at=at
    )
    commissioning = Organisation(
        name="London Anti-Trafficking Commissioning Office (demo)", type=OrganisationType.commissioning, created_at=at
    )
    session.add_all([*providers, police, responder, commissioning])
    session.flush()

    # 120 houses: most for women; a few for men; pre-NRM emergency beds only in a handful.
    kinds = ["female"] * 82 + ["family"] * 14 + ["male"] * 15 + ["mixed"] * 9
    rng.shuffle(kinds)
    emergency_orgs = [o for o in providers if o.type == OrganisationType.emergency_accommodation]
    names = [f"{first} {second}" for first in HOUSE_FIRST for second in HOUSE_SECOND]
    rng.shuffle(names)
    houses: list[House] = []
    confirmed_ago: list[tuple[House, timedelta]] = []
    for number, kind in enumerate(kinds):
        emergency = number < 7
        owner = rng.choice(emergency_orgs) if emergency else providers[number % len(providers)]
        details = _house(rng, names[number], rng.randint(1, 199), kind=kind, emergency=emergency)
        house = providers_service.new_house(organisation=owner, data=details)
        age = timedelta(hours=rng.choice((1, 2, 3, 4, 6, 8, 12, 20, 20, 30, 50, 120)))
        house.vacancies_confirmed_at = at - age
        houses.append(house)
        confirmed_ago.append((house, age))
    session.add_all(houses)
    session.flush()

    # Most beds are occupied by people placed before SafeBeds; the history starts from here.
    for house in houses:
        size = rng.randint(2, 3) if NrmStage.pre_nrm in house.nrm_stages else rng.randint(3, 8)
        for bed in providers_service.new_beds(house=house, labels=[f"Room {i}" for i in range(1, size + 1)]):
            bed.status = rng.choices(list(BedStatus), [13, 0, 82, 5])[0]
            bed.status_confirmed_at = house.vacancies_confirmed_at
            bed.status_changed_at = house.vacancies_confirmed_at - timedelta(days=rng.randint(0, 60))
            session.add(bed)
    session.commit()

    provider_home = max(providers, key=lambda o: sum(h.organisation_id == o.id for h in houses))
    return _Provision(
        providers=providers,
        police=police,
        responder=responder,
        commissioning=commissioning,
        provider_home=provider_home,
        confirmed_ago=confirmed_ago,
    )


def _create_logins(session: Session, provision: _Provision) -> list[DemoLogin]:
    """One account per role, with the passwords the console prints."""
    logins = [
        DemoLogin(Role.officer, f"officer@{DEMO_DOMAIN}", "officer-demo-pass"),
        DemoLogin(Role.provider, f"provider@{DEMO_DOMAIN}", "provider-demo-pass"),
        DemoLogin(Role.commissioner, f"commissioner@{DEMO_DOMAIN}", "commissioner-demo-pass"),
        DemoLogin(Role.coordinator, f"coordinator@{DEMO_DOMAIN}", "coordinator-demo-pass"),
        DemoLogin(Role.admin, f"admin@{DEMO_DOMAIN}", "admin-demo-pass"),
    ]
    home = {
        Role.officer: provision.police,
        Role.provider: provision.provider_home,
        Role.commissioner: provision.commissioning,
        Role.coordinator: provision.commissioning,
        Role.admin: provision.commissioning,
    }
    for login in logins:
        organisation_id = home[login.role].id
        assert organisation_id is not None
        accounts.create_user(
            session=session,
            data=accounts.UserCreate(
                email=login.email, password=login.password, role=login.role, organisation_id=organisation_id
            ),
        )
    return logins


def _staff_account(session: Session, email: str, role: Role, organisation: Organisation, password_hash: str) -> User:
    assert organisation.id is not None
    user = User(
        email=email, password_hash=password_hash, role=role, organisation_id=organisation.id, created_at=clock.now()
    )
    session.add(user)
    return user


def _create_staff(
    session: Session, provision: _Provision, logins: list[DemoLogin]
) -> tuple[list[tuple[User, str]], dict[int, User]]:
    """The officers who make the history's requests (each with their unit's reference prefix), and who
    answers holds for each provider (the demo's provider account for its own organisation)."""
    # These accounts cannot be logged into: their password is random and never shown. One hash
    # serves them all, as argon2 takes a tenth of a second per hash by design.
    unusable = accounts.password_hash.hash(secrets.token_urlsafe(32))
    demo_accounts = {login.role: accounts.get_user_by_email(session=session, email=login.email) for login in logins}
    demo_officer, demo_provider = demo_accounts[Role.officer], demo_accounts[Role.provider]
    assert demo_officer is not None and demo_provider is not None
    officers = [(demo_officer, "MSU")]
    officers += [
        (_staff_account(session, f"msu.officer{n}@{DEMO_DOMAIN}", Role.officer, provision.police, unusable), "MSU")
        for n in range(2, 5)
    ]
    officers += [
        (_staff_account(session, f"first.response{n}@{DEMO_DOMAIN}", Role.officer, provision.responder, unusable), "FR")
        for n in range(1, 3)
    ]
    provider_staff: dict[int, User] = {}
    for organisation in provision.providers:
        assert organisation.id is not None
        if organisation.id == provision.provider_home.id:
            provider_staff[organisation.id] = demo_provider
        else:
            email = f"{organisation.name.split()[0].lower()}.staff@{DEMO_DOMAIN}"
            provider_staff[organisation.id] = _staff_account(session, email, Role.provider, organisation, unusable)
    session.commit()
    return officers, provider_staff


def _refuse_real_data(database_url: str) -> None:
    """Raise NotADemoDatabaseError when the database holds organisations or accounts the demo did not make."""
    engine = make_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        foreign = {}
        with Session(engine) as session:
            if "organisation" in tables:
                query = select(func.count()).where(~col(Organisation.name).endswith(DEMO_SUFFIX))
                foreign["organisations"] = session.exec(query).one()
            if "user_account" in tables:
                query = select(func.count()).where(~col(User.email).endswith(f"@{DEMO_DOMAIN}"))
                foreign["accounts"] = session.exec(query).one()
    finally:
        engine.dispose()
    if found := ", ".join(f"{count} {kind}" for kind, count in foreign.items() if count):
        where = make_url(database_url).render_as_string(hide_password=True)
        raise NotADemoDatabaseError(
            f"{where} holds {found} the demo did not make; use --force to replace it, "
            "or point SAFEBEDS_DATABASE_URL elsewhere"
        )


def create(
    *,
    database_url: str,
    force: bool = False,
    seed: int = SEED,
    history_days: int = HISTORY_DAYS,
    settings: Settings | None = None,
) -> Demo:
    """Replace the database with a fresh demo; refuse to wipe data the demo did not make unless forced."""
    if not force:
        _refuse_real_data(database_url)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        for suffix in ("", "-wal", "-shm"):
            Path(url.database + suffix).unlink(missing_ok=True)
    else:
        migrate.downgrade(database_url, "base")
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    if url.get_backend_name() == "sqlite":
        # A demo that is cut short is simply loaded again, so its thousands of small commits need
        # not each wait for the disk.
        event.listen(engine, "connect", _unsynchronised)
    try:
        with Session(engine) as session:
            return build(session, seed=seed, history_days=history_days, settings=settings)
    finally:
        engine.dispose()


def _unsynchronised(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.close()


def describe(*, session: Session) -> str:
    """Say how much there is, for the console."""
    counts = [session.exec(select(func.count()).select_from(table)).one() for table in (Organisation, House, Bed)]
    return f"{counts[0]} organisations, {counts[1]} houses, {counts[2]} beds"
