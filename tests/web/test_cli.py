"""The `safebeds` command against a temporary SQLite file, each call as if a fresh process."""

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlmodel import Session, func, select
from typer.testing import CliRunner, Result

from capacity.audit import Action, AuditEvent
from capacity.models import Bed, House, Organisation, User
from matching import reporting
from matching.models import PlacementRequest
from tests.factories import house_csv, house_data
from web import accounts
from web.app import app as web_app
from web.cli import app
from web.db import get_engine, make_engine
from web.settings import get_settings

NEW_PASSWORD = "a long enough pass phrase"
runner = CliRunner()


def forget_configuration() -> None:
    """Drop the cached settings and engine, as a new process would start without them."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    get_settings.cache_clear()


def run(*args: str, input: str | None = None) -> Result:
    forget_configuration()
    try:
        return runner.invoke(app, list(args), input=input)
    finally:
        forget_configuration()


def plain(text: str) -> str:
    """Text without the box a usage error is drawn in, and with its line wrapping undone."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", text).split())


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'safebeds.db'}"
    monkeypatch.setenv("SAFEBEDS_DATABASE_URL", url)
    monkeypatch.setenv("SAFEBEDS_NEW_PASSWORD", NEW_PASSWORD)
    # `safebeds demo` turns the second factor off in its own environment: undone after each test.
    monkeypatch.delenv("SAFEBEDS_SECOND_FACTOR_REQUIRED", raising=False)
    forget_configuration()
    yield url
    forget_configuration()


@contextmanager
def database(url: str) -> Iterator[Session]:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def count(url: str, table: type[Organisation | House | Bed | User | PlacementRequest]) -> int:
    with database(url) as session:
        return session.exec(select(func.count()).select_from(table)).one()


@pytest.fixture
def upgraded(cli_database: str) -> str:
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    return cli_database


@pytest.fixture
def organisation(upgraded: str) -> str:
    result = run("organisations", "create", "--name", "Kestrel Trust", "--type", "ngo_safe_house")
    assert result.exit_code == 0, result.output
    return "Kestrel Trust"


# Database and organisations ---------------------------------------------------------------------


def test_db_upgrade_creates_the_schema(cli_database: str) -> None:
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert result.stdout == "database at head\n"
    engine = make_engine(cli_database)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"organisation", "house", "bed", "user_account", "login_session", "alembic_version"} <= tables
    assert run("db", "upgrade").exit_code == 0


def test_organisations_create(upgraded: str) -> None:
    result = run(
        "organisations",
        "create",
        "--name",
        "Kestrel Trust",
        "--type",
        "ngo_safe_house",
        "--faith-based",
        "--offers-email",
        "offers@kestrel.example.org",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "organisation 1: Kestrel Trust\n"
    with database(upgraded) as session:
        (organisation,) = session.exec(select(Organisation)).all()
    assert (organisation.name, organisation.type, organisation.faith_based) == (
        "Kestrel Trust",
        "ngo_safe_house",
        True,
    )
    assert organisation.offers_email == "offers@kestrel.example.org"


def test_organisations_create_with_a_bad_type_names_the_option(upgraded: str) -> None:
    result = run("organisations", "create", "--name", "Castle Keep", "--type", "castle")
    assert result.exit_code == 2
    assert "Invalid value for '--type'" in plain(result.stderr)
    assert "'castle' is not one of 'ngo_safe_house', 'refuge'" in plain(result.stderr)
    assert count(upgraded, Organisation) == 0


def test_organisations_create_refuses_a_duplicate_name(organisation: str, cli_database: str) -> None:
    result = run("organisations", "create", "--name", organisation, "--type", "refuge")
    assert result.exit_code == 1
    assert result.stderr == f"error: an organisation called {organisation!r} already exists\n"
    assert count(cli_database, Organisation) == 1


def test_organisations_create_refuses_a_bad_offers_email(upgraded: str) -> None:
    result = run("organisations", "create", "--name", "Kestrel", "--type", "refuge", "--offers-email", "nope")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: offers_email: value is not a valid email address")
    assert count(upgraded, Organisation) == 0


# Accounts -----------------------------------------------------------------------------------------


def test_users_create_makes_an_account_that_can_log_in(organisation: str, cli_database: str) -> None:
    result = run(
        "users", "create", "--role", "provider", "--email", "Staff@Kestrel.example.org", "--organisation", organisation
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "user 1: staff@kestrel.example.org (provider) in Kestrel Trust\n"
    with database(cli_database) as session:
        user = accounts.authenticate(session=session, email="staff@kestrel.example.org", password=NEW_PASSWORD)
        assert user is not None
        assert (user.role, user.organisation_id) == ("provider", 1)
        assert user.password_hash.startswith("$argon2")


def test_users_create_makes_a_coordinator(organisation: str, cli_database: str) -> None:
    result = run(
        "users", "create", "--role", "coordinator", "--email", "queue@kestrel.example.org", "--organisation", "1"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "user 1: queue@kestrel.example.org (coordinator) in Kestrel Trust\n"
    with database(cli_database) as session:
        user = accounts.authenticate(session=session, email="queue@kestrel.example.org", password=NEW_PASSWORD)
        assert user is not None and user.role == "coordinator"


def test_users_create_takes_the_organisation_by_id(organisation: str) -> None:
    result = run("users", "create", "--role", "provider", "--email", "staff@kestrel.example.org", "--organisation", "1")
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("in Kestrel Trust\n")


def test_users_create_prompts_for_the_password(
    organisation: str, cli_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SAFEBEDS_NEW_PASSWORD")
    result = run(
        "users",
        "create",
        "--role",
        "provider",
        "--email",
        "staff@kestrel.example.org",
        "--organisation",
        organisation,
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.output
    with database(cli_database) as session:
        assert accounts.authenticate(session=session, email="staff@kestrel.example.org", password=NEW_PASSWORD)


@pytest.mark.parametrize(
    ("options", "password", "message"),
    [
        (
            ["--email", "new@example.org", "--organisation", "Nowhere Trust"],
            NEW_PASSWORD,
            "error: --organisation: no organisation with id or name 'Nowhere Trust'\n",
        ),
        (
            ["--email", "not-an-email", "--organisation", "Kestrel Trust"],
            NEW_PASSWORD,
            "error: email: value is not a valid email address: An email address must have an @-sign.\n",
        ),
        (
            ["--email", "new@example.org", "--organisation", "Kestrel Trust"],
            "too short",
            "error: password: String should have at least 10 characters\n",
        ),
        (
            ["--email", "new@example.org", "--organisation", "Kestrel Trust"],
            "new@example.org",
            "error: must not be the email address\n",
        ),
        (
            ["--email", "existing@example.org", "--organisation", "Kestrel Trust"],
            NEW_PASSWORD,
            "error: an account for existing@example.org already exists\n",
        ),
    ],
    ids=["unknown organisation", "bad email", "short password", "password is the email", "duplicate email"],
)
def test_users_create_refuses_bad_input(
    organisation: str,
    cli_database: str,
    monkeypatch: pytest.MonkeyPatch,
    options: list[str],
    password: str,
    message: str,
) -> None:
    existing = run("users", "create", "--role", "provider", "--email", "existing@example.org", "--organisation", "1")
    assert existing.exit_code == 0, existing.output
    monkeypatch.setenv("SAFEBEDS_NEW_PASSWORD", password)
    result = run("users", "create", "--role", "provider", *options)
    assert result.exit_code == 1
    assert result.stderr == message
    assert result.stdout == ""
    with database(cli_database) as session:
        assert session.exec(select(User.email)).all() == ["existing@example.org"]


def test_users_create_refuses_provider_staff_outside_a_provider(upgraded: str) -> None:
    assert run("organisations", "create", "--name", "Met Unit", "--type", "police").exit_code == 0
    result = run("users", "create", "--role", "provider", "--email", "pc@example.org", "--organisation", "Met Unit")
    assert result.exit_code == 1
    assert result.stderr == "error: Met Unit is not a provider, so it has no provider staff\n"
    assert count(upgraded, User) == 0


def test_users_create_refuses_an_unknown_role(organisation: str, cli_database: str) -> None:
    result = run("users", "create", "--role", "overlord", "--email", "x@example.org", "--organisation", organisation)
    assert result.exit_code == 2
    assert "Invalid value for '--role'" in plain(result.stderr)
    assert count(cli_database, User) == 0


# Importing houses ---------------------------------------------------------------------------------


def write_csv(tmp_path: Path, text: str) -> str:
    path = tmp_path / "houses.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def good_csv() -> str:
    return house_csv(
        house_data(display_name="Aspen House", bed_labels=["Room 1", "Room 2"]),
        house_data(display_name="Linden Lodge", bed_labels=["A", "B", "C"]),
    )


def test_houses_import(organisation: str, cli_database: str, tmp_path: Path) -> None:
    result = run("houses", "import", write_csv(tmp_path, good_csv()), "--organisation", organisation)
    assert result.exit_code == 0, result.output
    assert result.stdout == "imported 2 houses with 5 beds into Kestrel Trust\n"
    with database(cli_database) as session:
        assert sorted(session.exec(select(House.display_name)).all()) == ["Aspen House", "Linden Lodge"]
    assert count(cli_database, Bed) == 5


def test_houses_import_dry_run_writes_nothing(organisation: str, cli_database: str, tmp_path: Path) -> None:
    result = run("houses", "import", write_csv(tmp_path, good_csv()), "--organisation", organisation, "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout == "would import 2 houses with 5 beds into Kestrel Trust\n"
    assert count(cli_database, House) == 0


def test_houses_import_reports_every_bad_row_and_writes_nothing(
    organisation: str, cli_database: str, tmp_path: Path
) -> None:
    text = house_csv(
        house_data(display_name="Aspen House", bed_labels=["Room 1"]),
        house_data(display_name="Elder Place", area="atlantis", bed_labels=["Room 1"]),
        house_data(display_name="Fern Rooms", postcode="nowhere", bed_labels=["Room 1"]),
    )
    result = run("houses", "import", write_csv(tmp_path, text), "--organisation", organisation)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("houses.csv: row 3, area: Input should be 'barking_and_dagenham'")
    assert lines[0].endswith("('atlantis')")
    assert lines[1] == "houses.csv: row 4, postcode: Value error, not a UK postcode (for example 'E1 6AN') ('nowhere')"
    assert lines[2] == "error: 2 problems; nothing was imported"
    assert count(cli_database, House) == 0


def test_houses_import_refuses_a_file_that_is_not_utf8(organisation: str, cli_database: str, tmp_path: Path) -> None:
    path = tmp_path / "houses.csv"
    path.write_bytes("display_name\nCaf\xe9".encode("latin-1"))
    result = run("houses", "import", str(path), "--organisation", organisation)
    assert result.exit_code == 1
    assert result.stderr == "error: the file is not UTF-8 text (byte 16); save it as 'CSV UTF-8'\n"
    assert count(cli_database, House) == 0


def test_houses_import_needs_a_known_organisation(upgraded: str, tmp_path: Path) -> None:
    result = run("houses", "import", write_csv(tmp_path, good_csv()), "--organisation", "Nowhere Trust")
    assert result.exit_code == 1
    assert result.stderr == "error: --organisation: no organisation with id or name 'Nowhere Trust'\n"


def test_houses_import_only_into_a_provider(upgraded: str, tmp_path: Path) -> None:
    assert run("organisations", "create", "--name", "Met Unit", "--type", "police").exit_code == 0
    result = run("houses", "import", write_csv(tmp_path, good_csv()), "--organisation", "Met Unit")
    assert result.exit_code == 1
    assert result.stderr == "error: Met Unit is not a provider organisation\n"
    assert count(upgraded, House) == 0


# The demo -----------------------------------------------------------------------------------------

DEMO_LOGIN = re.compile(r"^ +(officer|provider|commissioner|admin) +(\S+@\S+) +(\S+)$")


def demo_logins(output: str) -> dict[str, tuple[str, str]]:
    """The log-ins the demo printed, by role."""
    found = (DEMO_LOGIN.match(line) for line in output.splitlines())
    return {match[1]: (match[2], match[3]) for match in found if match}


def test_demo_loads_fictional_london_and_its_history_and_prints_a_log_in_per_role(cli_database: str) -> None:
    result = run("demo", "--no-serve", "--history-days", "7")
    assert result.exit_code == 0, result.output
    logins = demo_logins(result.stdout)
    assert list(logins) == ["officer", "provider", "commissioner", "admin"]
    assert re.search(r", 120 houses, \d+ beds\. All of it is fictional\.", result.stdout)
    assert "Second factor: OFF for this demo" in result.stdout
    history = re.search(
        r"^History: (\d+) requests over 7 days: \d+ placed, \d+ unplaced or placed outside", result.stdout, re.M
    )
    assert history, result.stdout
    assert count(cli_database, House) == 120
    assert count(cli_database, PlacementRequest) == int(history[1]) > 0
    with database(cli_database) as session:
        for role, (email, password) in logins.items():
            user = accounts.authenticate(session=session, email=email, password=password)
            assert user is not None, role
            assert user.role == role


def test_demo_refuses_a_database_with_other_accounts_unless_forced(organisation: str, cli_database: str) -> None:
    made = run("users", "create", "--role", "provider", "--email", "real@kestrel.example.org", "--organisation", "1")
    assert made.exit_code == 0, made.output

    refused = run("demo", "--no-serve", "--history-days", "0")
    assert refused.exit_code == 1
    assert refused.stderr.startswith(
        f"error: {cli_database} holds 1 organisations, 1 accounts the demo did not make; use --force"
    )
    with database(cli_database) as session:
        assert session.exec(select(User.email)).all() == ["real@kestrel.example.org"]
    assert count(cli_database, House) == 0

    forced = run("demo", "--no-serve", "--force", "--history-days", "0")
    assert forced.exit_code == 0, forced.output
    assert len(demo_logins(forced.stdout)) == 4
    with database(cli_database) as session:
        assert accounts.get_user_by_email(session=session, email="real@kestrel.example.org") is None
    assert count(cli_database, House) == 120


# Failures a person can act on, never a traceback -------------------------------------------------


def test_a_database_not_yet_set_up_says_to_upgrade(cli_database: str) -> None:
    result = run("organisations", "create", "--name", "Kestrel Trust", "--type", "ngo_safe_house")
    assert result.exit_code == 1
    assert "no such table" in result.output and "safebeds db upgrade" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_revision_is_named(cli_database: str) -> None:
    result = run("db", "upgrade", "bogus")
    assert result.exit_code == 1
    assert "error: Can't locate revision identified by 'bogus'" in result.output


def test_a_bad_setting_is_named(cli_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFEBEDS_STALE_AFTER_HOURS", "abc")
    result = run("db", "upgrade")
    assert result.exit_code == 1
    assert "error: configuration: stale_after_hours:" in result.output


def test_a_bad_database_url_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFEBEDS_DATABASE_URL", "nonsense")
    result = run("db", "upgrade")
    assert result.exit_code == 1
    assert "SAFEBEDS_DATABASE_URL is not a database URL" in result.output


def test_an_unreachable_database_hides_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFEBEDS_DATABASE_URL", "postgresql+psycopg://safebeds:S3cretPw@127.0.0.1:1/safebeds")
    result = run("organisations", "create", "--name", "Kestrel Trust", "--type", "ngo_safe_house")
    assert result.exit_code == 1
    assert "the database could not be used" in result.output
    assert "S3cretPw" not in result.output


def test_serve_believes_forwarded_headers_only_from_trusted_proxies(
    cli_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[dict[str, object]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **options: started.append(options))
    # `safebeds serve` asks the app to purge on a schedule: not the app the other tests use.
    monkeypatch.setattr(web_app.state, "purge_on_schedule", False, raising=False)
    assert run("serve").exit_code == 0
    monkeypatch.setenv("SAFEBEDS_TRUSTED_PROXIES", "10.0.0.2")
    assert run("serve").exit_code == 0
    assert [(s["proxy_headers"], s["forwarded_allow_ips"]) for s in started] == [(False, None), (True, "10.0.0.2")]


# Reports ---------------------------------------------------------------------------------------


def test_report_unmet_writes_one_csv_row_per_group_and_reason_as_the_page_counts_them(cli_database: str) -> None:
    assert run("demo", "--no-serve", "--history-days", "14").exit_code == 0
    with database(cli_database) as session:
        start, end = reporting.default_period()
        figures = reporting.figures(session=session, start=start, end=end, stale_after=get_settings().stale_after)
    expected = reporting.tables(figures)["unmet"]
    assert expected.rows, "the demo's fortnight has people not placed within 24 hours"

    result = run("report", "unmet", "--from", start.isoformat(), "--to", end.isoformat(), "--format", "csv")
    assert result.exit_code == 0, result.output
    header, *rows = list(csv.reader(io.StringIO(result.stdout)))
    assert header == ["group", "reason", "Group", "Main reason", "Requests", "Of which never placed"]
    assert [tuple(row) for row in rows] == [
        (*row.key.split("/"), *(str(cell) for cell in row.cells)) for row in expected.rows
    ]
    assert {row[0] for row in rows} <= set(reporting.Group)
    assert {row[1] for row in rows} <= set(reporting.REASON_ORDER)
    for row in rows:
        for cell in row[4:]:
            assert cell in ("<5", "not shown", "0") or int(cell) >= 5, "counts under 5 are suppressed"
    with database(cli_database) as session:
        (export,) = session.exec(select(AuditEvent).where(AuditEvent.action == Action.export)).all()
    assert "report unmet" in export.detail and export.actor_id is None


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--from", "2026-13-01"], "--from: Give a date as year-month-day"),
        (["--from", "2026-03-02", "--to", "2026-03-01"], "--to: The last day must not be before the first"),
        (["--format", "pdf"], "--format"),
    ],
)
def test_report_unmet_names_the_option_it_cannot_use(upgraded: str, args: list[str], named: str) -> None:
    result = run("report", "unmet", *args)
    assert result.exit_code != 0
    assert named in plain(result.output)
    assert result.stdout == "" or "group,reason" not in result.stdout


def test_whatif_replays_the_period_and_shows_what_added_beds_change(cli_database: str) -> None:
    assert run("demo", "--no-serve", "--history-days", "30").exit_code == 0
    result = run("whatif", "--change", "+4 male pre-NRM beds in Croydon", "-c", "-1 female recovery bed")
    assert result.exit_code == 0, result.output
    assert re.search(r"^What-if, \S+ to \S+: \d+ requests replayed against today's 120 houses", result.stdout, re.M)
    assert "Changes: +4 pre-NRM beds for men in Croydon; -1 recovery bed for women." in result.stdout
    # The fidelity is shown only beside placed counts that are shown.
    fidelity = r"^Fidelity: .* (\d+%|not shown) of requests were placed, or not, as recorded\.$"
    assert re.search(fidelity, result.stdout, re.M)
    for caption in ("What became of the period's requests", "Placed, by group", "The added beds"):
        assert caption in result.stdout
    assert re.search(r"^\+4 pre-NRM beds for men in Croydon +4 +(<5|\d+) +(\d+%|not shown)$", result.stdout, re.M)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--change", "+4 beds in Croydon"], "--change '+4 beds in Croydon': say who the beds are for"),
        (["--change", "-900 male pre-NRM beds"], "--change -900 pre-NRM beds for men: there are only"),
        (["--from", "yesterday"], "--from: Give a date as year-month-day"),
    ],
)
def test_whatif_names_the_option_it_cannot_use(upgraded: str, args: list[str], named: str) -> None:
    result = run("whatif", *args)
    assert result.exit_code == 1
    assert named in plain(result.output)


def test_recommend_says_where_new_beds_help_most_and_replays_them(cli_database: str) -> None:
    assert run("demo", "--no-serve", "--history-days", "30").exit_code == 0
    result = run("recommend", "--beds", "3", "--no-family-rooms", "--gender", "male", "--gender", "female")
    assert result.exit_code == 0, result.output
    assert re.search(r"^Recommended for \S+ to \S+: 3 new beds among \d+ kinds .* CP-SAT models", result.stdout, re.M)
    for caption in ("beds that would have placed the most", "the value of each further bed", "Replayed with"):
        assert caption in result.stdout
    assert re.search(r"^1 bed +(<5|\d+|not shown) +(<5|\+\d+|not shown) +1 × (Men|Women), ", result.stdout, re.M)
    assert (
        "family" not in result.stdout.split("Replayed with")[0]
        and "Non-binary" not in result.stdout.split("Replayed with")[0]
    )


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--beds", "0"], "--beds"),
        (["--beds", "2", "--gender", "alien"], "--gender"),
        (["--beds", "2", "--region", "outside_london"], "--region: new beds are recommended in London's regions only"),
    ],
)
def test_recommend_names_the_option_it_cannot_use(upgraded: str, args: list[str], named: str) -> None:
    result = run("recommend", *args)
    assert result.exit_code != 0
    assert named in plain(result.output)
