"""The `safebeds` command: serve, demo, database, accounts and imports."""

import logging
import os
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from alembic.util import CommandError
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlmodel import Session
from typer.core import TyperGroup

from capacity import service as capacity_service
from capacity.errors import DomainError
from capacity.models import Organisation, OrganisationCreate
from capacity.vocab import LONDON_REGIONS, Gender, NrmStage, OrganisationType, Region, Role
from matching import reporting, solver, whatif, whatif_tables
from matching.instance import Instance
from matching.recommend import Fundable
from providers import imports
from providers import service as providers_service
from web import accounts, demo, gaps, migrate, plan
from web.db import get_engine
from web.downloads import write_csv
from web.settings import get_settings


class _ClearErrors(TyperGroup):
    """Turns configuration and database failures into one line for a person, never a traceback."""

    def invoke(self, ctx: Any) -> Any:  # typer keeps its own click, whose Context is private
        try:
            return super().invoke(ctx)
        except ValidationError as error:
            raise fail(f"configuration: {explain(error)}") from error
        except ArgumentError as error:
            raise fail(f"SAFEBEDS_DATABASE_URL is not a database URL: {error}") from error
        except OperationalError as error:
            reason = " ".join(str(error.orig).split())
            raise fail(
                f"the database could not be used ({reason}); is it reachable, and has `safebeds db upgrade` run?"
            ) from error
        except (SQLAlchemyError, CommandError) as error:
            raise fail(str(error).splitlines()[0]) from error


app = typer.Typer(
    cls=_ClearErrors,
    help="SafeBeds: safe-house and support beds for people found in trafficking.",
    no_args_is_help=True,
    # Locals in a traceback could include a password being set.
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Accounts.", no_args_is_help=True)
organisations_app = typer.Typer(help="Organisations.", no_args_is_help=True)
houses_app = typer.Typer(help="Houses and beds.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(organisations_app, name="organisations")
app.add_typer(houses_app, name="houses")
report_app = typer.Typer(
    help="Reports for commissioners: counts only, small numbers shown as <5.", no_args_is_help=True
)
app.add_typer(report_app, name="report")

HostOption = Annotated[str, typer.Option(help="Address to listen on")]
PortOption = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")]


def fail(message: str) -> typer.Exit:
    """Print an error for a person and return the exit to raise."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


def explain(error: ValidationError) -> str:
    """Name each bad field of a validation error in one line each."""
    return "\n".join(f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in error.errors())


def find_organisation(session: Session, name_or_id: str) -> Organisation:
    """Return an organisation by id or exact name, or fail naming the option."""
    found = None
    if name_or_id.isdigit():
        found = capacity_service.get_organisation(session=session, organisation_id=int(name_or_id))
    found = found or capacity_service.get_organisation_by_name(session=session, name=name_or_id)
    if found is None:
        raise fail(f"--organisation: no organisation with id or name {name_or_id!r}")
    return found


@app.command()
def serve(host: HostOption = "127.0.0.1", port: PortOption = 8000) -> None:
    """Serve the configured database on http://HOST:PORT."""
    import uvicorn

    from web.app import app as web_app

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    typer.echo(f"SafeBeds on http://{host}:{port}  (API docs at /docs; Ctrl+C to stop)")
    if settings.purge_every_hours:
        typer.echo(
            f"Purging request details {settings.retention_days} days after a request closes, "
            f"every {settings.purge_every_hours:g} hours while serving."
        )
    web_app.state.purge_on_schedule = True
    # SafeBeds' own messages (each scheduled purge says what it did) beside uvicorn's.
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(message)s")
    # Only a trusted proxy's X-Forwarded-* are believed: anyone else could claim any address, or HTTPS.
    trusted = settings.trusted_proxies.strip()
    uvicorn.run(web_app, host=host, port=port, proxy_headers=bool(trusted), forwarded_allow_ips=trusted or None)


@app.command()
def purge() -> None:
    """Remove the details of requests closed more than SAFEBEDS_RETENTION_DAYS ago; reports keep their numbers."""
    from web.retention import purge_now

    typer.echo(purge_now().summary(get_settings().retention))


@app.command(name="demo")
def demo_command(
    serve_app: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the app once loaded")] = True,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    force: Annotated[bool, typer.Option(help="Replace a database that holds data not made by the demo")] = False,
    history_days: Annotated[
        int, typer.Option(min=0, max=730, help="Days of past requests to replay through the matching (0 for none)")
    ] = demo.HISTORY_DAYS,
) -> None:
    """Create a fresh database of fictional London data and its history, print the demo log-ins, and serve it."""
    settings = get_settings()
    try:
        loaded = demo.create(
            database_url=settings.database_url, force=force, history_days=history_days, settings=settings
        )
    except demo.NotADemoDatabaseError as error:
        raise fail(str(error)) from error
    with Session(get_engine()) as session:
        totals = demo.describe(session=session)
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    typer.echo(f"Demo data loaded into {where}: {totals}. All of it is fictional.")
    if loaded.history is not None:
        typer.echo(loaded.history.summary())
    if "SAFEBEDS_SECOND_FACTOR_REQUIRED" not in os.environ:
        # The demo's admin and commissioner would otherwise need an authenticator app before a first look.
        os.environ["SAFEBEDS_SECOND_FACTOR_REQUIRED"] = "false"
        get_settings.cache_clear()
    if not get_settings().second_factor_required:
        typer.echo(
            "Second factor: OFF for this demo, so admins and commissioners log in with a password alone. "
            "It is on by default; a real install keeps SAFEBEDS_SECOND_FACTOR_REQUIRED=true."
        )
    typer.echo("Log in as (each password works only on this demo):")
    for login in loaded.logins:
        typer.echo(f"  {login.role:<13} {login.email:<34} {login.password}")
    if serve_app:
        serve(host=host, port=port)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Bring the database schema up to date."""
    migrate.upgrade(get_settings().database_url, revision)
    typer.echo(f"database at {revision}")


@db_app.command("revision")
def db_revision(message: Annotated[str, typer.Option("-m", "--message", help="What the migration does")]) -> None:
    """Write a migration for the models' changes (for developers)."""
    migrate.revision(get_settings().database_url, message)


@organisations_app.command("create")
def organisations_create(
    name: Annotated[str, typer.Option(help="The organisation's name")],
    type_: Annotated[OrganisationType, typer.Option("--type", help="What kind of organisation")],
    faith_based: Annotated[bool, typer.Option(help="Faith-based provider")] = False,
    offers_email: Annotated[str | None, typer.Option(help="Email that takes placement offers")] = None,
    offers_phone: Annotated[str | None, typer.Option(help="Phone that takes placement offers")] = None,
) -> None:
    """Register an organisation."""
    try:
        data = OrganisationCreate.model_validate(
            {
                "name": name,
                "type": type_,
                "faith_based": faith_based,
                "offers_email": offers_email,
                "offers_phone": offers_phone,
            }
        )
    except ValidationError as error:
        raise fail(explain(error)) from error
    with Session(get_engine()) as session:
        try:
            organisation = providers_service.register_organisation(session=session, data=data)
        except DomainError as error:
            raise fail(error.message) from error
        typer.echo(f"organisation {organisation.id}: {organisation.name}")


@users_app.command("create")
def users_create(
    role: Annotated[Role, typer.Option(help="officer, provider, commissioner, coordinator or admin")],
    email: Annotated[str, typer.Option(help="Log-in email")],
    organisation: Annotated[str, typer.Option(help="Organisation id or exact name")],
) -> None:
    """Create an account; the password is prompted for, or read from SAFEBEDS_NEW_PASSWORD."""
    password = os.environ.get("SAFEBEDS_NEW_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    with Session(get_engine()) as session:
        found = find_organisation(session, organisation)
        try:
            data = accounts.UserCreate.model_validate(
                {"email": email, "password": password, "role": role, "organisation_id": found.id}
            )
            user = accounts.create_user(session=session, data=data)
        except ValidationError as error:
            raise fail(explain(error)) from error
        except DomainError as error:
            raise fail(error.message) from error
        typer.echo(f"user {user.id}: {user.email} ({user.role}) in {found.name}")


@houses_app.command("import")
def houses_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV, one row per house")],
    organisation: Annotated[str, typer.Option(help="Organisation id or exact name")],
    dry_run: Annotated[bool, typer.Option(help="Check the file, write nothing")] = False,
) -> None:
    """Import houses and beds from CSV: all rows, or none."""
    with Session(get_engine()) as session:
        found = find_organisation(session, organisation)
        # Read before the import commits: that expires `found`, and the session is closed when we report.
        name = found.name
        try:
            report = imports.import_houses(
                session=session, organisation=found, text=imports.decode(file.read_bytes()), dry_run=dry_run
            )
        except DomainError as error:
            raise fail(error.message) from error
    for problem in report.problems:
        typer.echo(
            f"{file.name}: row {problem.row}, {problem.field}: {problem.message}"
            + (f" ({problem.value!r})" if problem.value else ""),
            err=True,
        )
    if report.problems:
        raise fail(f"{len(report.problems)} problems; nothing was imported")
    verb = "would import" if dry_run else "imported"
    typer.echo(f"{verb} {report.houses} houses with {report.beds} beds into {name}")


@app.command()
def solve(
    instance_file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Instance JSON (docs/solver-format.md)")
    ],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Where to write the result JSON")] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(min=0.01, help="Seconds the solver may take (else the instance's time_limit_s, else 10)"),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Search workers (at most the machine's cores)")] = 2,
    seed: Annotated[int, typer.Option(help="Random seed of the search")] = 0,
) -> None:
    """Allocate a snapshot of houses and requests offline: no database, the same solver as the app."""
    try:
        instance = Instance.model_validate_json(instance_file.read_bytes())
    except ValidationError as error:
        raise fail(f"{instance_file.name} is not a valid instance:\n{explain(error)}") from error
    result = solver.solve(instance, time_limit_s=time_limit, workers=workers, seed=seed)
    text = result.model_dump_json(indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text)
    placed = len(result.assignments)
    typer.echo(
        f"{result.status}: placed priority {result.placed_priority} (bound {result.bound}), "
        f"{placed} of {placed + len(result.unplaced)} requests placed in {result.wall_time_s:.2f} s",
        err=True,
    )


class ReportFormat(StrEnum):
    csv = "csv"


FromOption = Annotated[
    str, typer.Option("--from", metavar="DATE", help="First day of the period, YYYY-MM-DD (else a year ago)")
]
ToOption = Annotated[str, typer.Option("--to", metavar="DATE", help="Last day of the period, YYYY-MM-DD (else today)")]


def period_option(start: str, end: str, *, default: tuple[date, date] | None = None) -> gaps.Period:
    """The period the options ask for (else the default, else the last twelve months), or fail naming the option."""
    period, problems, _ = gaps.period_from(start, end, default=default)
    if period is None:
        raise fail("\n".join(f"--{name}: {problem}" for name, problem in problems.items()))
    return period


@report_app.command("unmet")
def report_unmet(
    start: FromOption = "",
    end: ToOption = "",
    output_format: Annotated[ReportFormat, typer.Option("--format", help="Output format")] = ReportFormat.csv,
) -> None:
    """The unmet-need table to standard output: one row per group and main reason, counts under 5 as "<5"."""
    period = period_option(start, end)
    settings = get_settings()
    with Session(get_engine()) as session:
        figures = reporting.figures(
            session=session, start=period.start, end=period.end, stale_after=settings.stale_after
        )
        table = reporting.tables(figures)["unmet"]
        rows = ((*row.key.split("/"), *row.cells) for row in table.rows)
        what = f"report unmet {period.start.isoformat()} to {period.end.isoformat()}, {output_format}, command line"
        write_csv(session, sys.stdout, columns=("group", "reason", *table.columns), rows=rows, what=what)


def print_table(table: reporting.Table) -> None:
    """A table as aligned text, for a person at a terminal."""
    rows = [table.columns, *(tuple(str(cell) for cell in row.cells) for row in table.rows)]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(table.columns))]
    typer.echo(f"\n{table.caption}")
    for number, row in enumerate(rows):
        cells = [
            str(cell).ljust(w) if i == 0 else str(cell).rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        typer.echo("  ".join(cells).rstrip())
        if number == 0:
            typer.echo("  ".join("-" * w for w in widths))


ChangeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--change",
        "-c",
        metavar="CHANGE",
        help='Beds to add or remove, as "+4 male pre-NRM beds in Croydon" or "-2 female recovery beds" (repeatable)',
    ),
]


@app.command("whatif")
def whatif_command(start: FromOption = "", end: ToOption = "", change: ChangeOption = None) -> None:
    """Replay the period's requests against today's capacity, and with beds added or removed."""
    changes = []
    for text in change or []:
        try:
            changes.append(whatif.parse_change(text))
        except ValueError as error:
            raise fail(f"--change {error}") from error
    with Session(get_engine()) as session:
        period = period_option(start, end, default=whatif.default_period(session=session))
        try:
            what = whatif.run(session=session, start=period.start, end=period.end, changes=changes)
        except whatif.PeriodPurged as error:
            raise fail(f"--from: {error}") from error
        except whatif.CannotChange as error:
            raise fail(f"--change {error}") from error
    replayed = whatif_tables.tables(what)
    typer.echo(whatif_tables.summary(what, replayed))
    for table in replayed.values():
        if table.rows:
            print_table(table)


@app.command("recommend")
def recommend_command(
    beds: Annotated[
        int, typer.Option("--beds", "-k", min=1, max=plan.MOST_BEDS, help="How many new beds could be funded")
    ],
    start: FromOption = "",
    end: ToOption = "",
    gender: Annotated[
        list[Gender] | None, typer.Option(help="Genders the beds could be for (repeatable; else all)")
    ] = None,
    stage: Annotated[
        list[NrmStage] | None, typer.Option(help="NRM stages they could be for (repeatable; else all)")
    ] = None,
    region: Annotated[
        list[Region] | None, typer.Option(help="Parts of London they could be in (repeatable; else all)")
    ] = None,
    family_rooms: Annotated[
        bool, typer.Option("--family-rooms/--no-family-rooms", help="Family rooms could be funded")
    ] = True,
    step_free: Annotated[
        bool, typer.Option("--step-free/--no-step-free", help="Step-free beds could be funded")
    ] = True,
    time_limit: Annotated[float, typer.Option(min=0.1, max=600, help="Seconds the optimisation may take")] = 10.0,
) -> None:
    """Where K new beds would have placed the most people of the period, and the value of each further bed."""
    if region and Region.outside_london in region:
        raise fail("--region: new beds are recommended in London's regions only")
    fundable = Fundable(
        genders=tuple(gender or Gender),
        stages=tuple(stage or NrmStage),
        family=(False, True) if family_rooms else (False,),
        step_free=(False, True) if step_free else (False,),
        regions=tuple(region or LONDON_REGIONS),
    )
    with Session(get_engine()) as session:
        period = period_option(start, end, default=whatif.default_period(session=session))
        try:
            what = whatif.run(session=session, start=period.start, end=period.end)
        except whatif.PeriodPurged as error:
            raise fail(f"--from: {error}") from error
    found = whatif.recommend_beds(what, budget=beds, fundable=fundable, time_limit_s=time_limit)
    result = found.recommendation
    replayed = whatif_tables.tables(found.what)
    unplaced = whatif_tables.left_unplaced(replayed)
    proven = "optimal" if all(step.optimal for step in result.steps) else "the best found in the time allowed"
    typer.echo(
        f"Recommended for {period.start.isoformat()} to {period.end.isoformat()}: {beds} new beds among "
        f"{result.kinds} kinds that could take someone, for {unplaced} people the replay left "
        f"unplaced ({result.solves} CP-SAT models, {result.wall_time_s:.1f} s, {proven})."
    )
    for table in whatif_tables.recommendation_tables(found).values():
        print_table(table)
    typer.echo("\nReplayed with the recommended beds added:")
    typer.echo(whatif_tables.summary(found.what, replayed))
    for table in replayed.values():
        if table.rows:
            print_table(table)
