"""Planning for commissioners: what-if replays, where new beds help most, and the report as a PDF."""

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response
from sqlmodel import Session

from capacity import audit, clock
from capacity.audit import Action
from capacity.models import User
from capacity.vocab import LONDON_REGIONS, Gender, NrmStage, Region, label
from matching import reporting, whatif, whatif_tables
from matching.disclosure import NOT_SHOWN
from matching.recommend import Fundable
from web.authz import Permission
from web.deps import SessionDep, SettingsDep, is_htmx, require
from web.downloads import csv_download
from web.gaps import Period, drawn, gaps_context, period_from
from web.pages import render, templates

router = APIRouter(include_in_schema=False)
Commissioner = Annotated[User, Depends(require(Permission.read_capacity_report))]
LONGEST_REPLAY = timedelta(days=366)  # whole days, both ends counted: a leap year
MOST_CHANGES = 10
DEFAULT_BEDS = 10
MOST_BEDS = 60
templates.env.globals["default_beds"] = DEFAULT_BEDS  # the gaps page's PDF recommends as many
EXAMPLE_CHANGES = ("+4 male pre-NRM beds in Croydon", "+2 family rooms for women, recovery, anywhere in North London")
ASSUMPTIONS = (
    "Today's houses and beds, with the beds people outside the replay took (placed before the period, or housed "
    "by a provider outside SafeBeds) and beds out of service as recorded.",
    "Each request arrives when it was made. A request that is not planned and not part of a family goes at once "
    "to the best house with room; the rest wait in the queue, which a coordinator allocates with the solver "
    "every weekday at 10:00, families together and co-victims apart.",
    "A person waits as long as they did: until they went elsewhere; until they were placed, and at least the "
    "usual wait for their urgency (none tonight, 72 hours within 72 hours, 14 days planned); or, still waiting, "
    "at least as long as they have so far.",
    "A person stays as long as they did; someone not placed stays the median stay of the period at their NRM "
    "stage. A house's stay limit cuts a stay short.",
    "A provider that declined a person or let a hold lapse refuses them again; every other house accepts, "
    "taking as long to answer as providers took in the period (the median).",
    "A new house takes the gender and NRM stage it is for, is trans-inclusive and not faith-based, and its "
    "staff speak English; a bed in a family room takes one of a family of a parent with up to four children "
    "(who need a bed each).",
)


def _problems_detail(problems: dict[str, str]) -> list[dict[str, Any]]:
    return [{"loc": ["query", field], "msg": message, "type": "value_error"} for field, message in problems.items()]


def replay_period(session: Session, start: str, end: str) -> tuple[Period | None, dict[str, str], dict[str, str]]:
    """The period to replay (by default as much of the last year as still has every request), or the problems."""
    period, problems, form = period_from(start, end, default=whatif.default_period(session=session))
    if period is not None and period.end - period.start + timedelta(days=1) > LONGEST_REPLAY:
        return None, {"to": "Choose a period of at most a year to replay."}, form
    return period, problems, form


def read_changes(texts: list[str]) -> tuple[list[whatif.BedChange], str]:
    """The changes written one to a line, or what is wrong with the first that cannot be read."""
    lines = [line.strip() for text in texts for line in text.splitlines() if line.strip()]
    if len(lines) > MOST_CHANGES:
        return [], f"Give at most {MOST_CHANGES} changes."
    changes = []
    for line in lines:
        try:
            changes.append(whatif.parse_change(line))
        except ValueError as error:
            return [], str(error)
    return changes, ""


@dataclass(frozen=True)
class Bar:
    y: int
    label: str
    title: str
    before: float
    after: float
    before_words: str
    after_words: str


# Each group's name above its two bars, so that the chart reads on a phone too.
BAR_ROW, BAR_WIDTH, CHART_WIDTH = 52, 330, 380


def paired_bars(table: reporting.Table) -> list[Bar]:
    """Each group as two bars, today's capacity and with the changes, scaled to the longest."""
    rows = [(row.cells[0], row.cells[2], row.cells[3]) for row in table.rows]
    longest = max((max(drawn(b), drawn(a)) for _, b, a in rows), default=0) or 1
    return [
        Bar(
            y=line * BAR_ROW,
            label=str(name),
            title=f"{name}: {before} placed with today's capacity, {after} with the changes",
            before=round(BAR_WIDTH * drawn(before) / longest, 1),
            after=round(BAR_WIDTH * drawn(after) / longest, 1),
            before_words=str(before),
            after_words=str(after),
        )
        for line, (name, before, after) in enumerate(rows)
    ]


def whatif_context(session: Session, start: str, end: str, change: list[str]) -> dict[str, Any]:
    period, problems, form = replay_period(session, start, end)
    changes, problem = read_changes(change)
    if problem:
        problems["change"] = problem
    context: dict[str, Any] = {
        "form": form | {"change": "\n".join(line for text in change for line in text.splitlines())},
        "problems": problems,
        "examples": EXAMPLE_CHANGES,
        "assumptions": ASSUMPTIONS,
        "period_words": period.words() if period else "",
    }
    if period is None or problems:
        return context
    try:
        what = whatif.run(session=session, start=period.start, end=period.end, changes=changes)
    except whatif.PeriodPurged as error:
        context["problems"] = {"from": f"The {error}."}
        return context
    except whatif.CannotChange as error:
        context["problems"] = {"change": str(error)}
        return context
    tables = whatif_tables.tables(what)
    return context | {
        "what": what,
        "summary": whatif_tables.summary(what, tables).splitlines(),
        "tables": tables,
        "bars": paired_bars(tables["whatif_groups"]),
        "chart_width": CHART_WIDTH,
        "chart_height": max(1, len(tables["whatif_groups"].rows)) * BAR_ROW,
        "csv_query": period.query() | {"change": [c.words() for c in changes]},
        "csv_route": "whatif_csv",
    }


@router.get("/whatif", name="whatif")
def whatif_page(
    request: Request,
    user: Commissioner,
    session: SessionDep,
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
    change: Annotated[list[str], Query(max_length=MOST_CHANGES)] = [],  # noqa: B006 (FastAPI reads, never changes, it)
) -> Response:
    """Replay a period against today's capacity, as it is and with beds added or removed."""
    context = {"user": user, "partial": is_htmx(request)} | whatif_context(session, start, end, change)
    return render(request, "whatif.html", context, block="results")


@router.get("/whatif/{table}.csv", name="whatif_csv")
def whatif_csv(
    table: str,
    user: Commissioner,
    session: SessionDep,
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
    change: Annotated[list[str], Query(max_length=MOST_CHANGES)] = [],  # noqa: B006
) -> Response:
    """One table of a what-if as CSV; counts under 5 read "<5" here too."""
    context = whatif_context(session, start, end, change)
    if context["problems"]:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, _problems_detail(context["problems"]))
    return _table_csv(session, context["tables"], table, context["csv_query"], what="what-if")


def _table_csv(
    session: Session, tables: dict[str, reporting.Table], table: str, query: dict[str, Any], *, what: str
) -> Response:
    if table not in tables:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no table {table!r}; there are {', '.join(tables)}")
    found = tables[table]
    name = f"safebeds-{table}-{query['from']}-to-{query['to']}.csv"
    rows = (row.cells for row in found.rows)
    return csv_download(session, filename=name, columns=found.columns, rows=rows, what=f"{what} table {table}")


# Recommend ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FundableForm:
    beds: str = str(DEFAULT_BEDS)
    genders: tuple[str, ...] = tuple(Gender)
    stages: tuple[str, ...] = tuple(NrmStage)
    regions: tuple[str, ...] = tuple(LONDON_REGIONS)
    features: tuple[str, ...] = ("family", "step_free")


def read_fundable(form: FundableForm) -> tuple[int, Fundable | None, dict[str, str]]:
    problems: dict[str, str] = {}
    try:
        beds = int(form.beds)
    except ValueError:
        beds = 0
    if not 1 <= beds <= MOST_BEDS:
        problems["beds"] = f"Give a number of beds from 1 to {MOST_BEDS}."
    choices: dict[str, list[Any]] = {"genders": [], "stages": [], "regions": []}
    for field, values, vocabulary in (
        ("genders", form.genders, Gender),
        ("stages", form.stages, NrmStage),
        ("regions", form.regions, Region),
    ):
        try:
            choices[field] = [vocabulary(value) for value in values]
        except ValueError:
            problems[field] = f"Choose from {', '.join(label(v) for v in vocabulary)}."
    if Region.outside_london in choices["regions"]:
        problems["regions"] = "New beds are recommended in London's regions only."
    if unknown := sorted(set(form.features) - {"family", "step_free"}):
        problems["features"] = f"Choose family rooms or step-free, not {', '.join(unknown)}."
    if problems:
        return beds, None, problems
    fundable = Fundable(
        genders=tuple(choices["genders"]),
        stages=tuple(choices["stages"]),
        family=(False, True) if "family" in form.features else (False,),
        step_free=(False, True) if "step_free" in form.features else (False,),
        regions=tuple(choices["regions"]),
    )
    return beds, fundable, {}


def recommend_context(session: Session, start: str, end: str, wanted: FundableForm) -> dict[str, Any]:
    period, problems, form = replay_period(session, start, end)
    beds, fundable, fundable_problems = read_fundable(wanted)
    problems |= fundable_problems
    context: dict[str, Any] = {
        "form": form,
        "wanted": wanted,
        "problems": problems,
        "assumptions": ASSUMPTIONS,
        "period_words": period.words() if period else "",
        "genders": list(Gender),
        "stages": list(NrmStage),
        "regions": list(LONDON_REGIONS),
    }
    if period is None or fundable is None or problems:
        return context
    try:
        what = whatif.run(session=session, start=period.start, end=period.end)
    except whatif.PeriodPurged as error:
        context["problems"] = {"from": f"The {error}."}
        return context
    found = whatif.recommend_beds(what, budget=beds, fundable=fundable)
    tables = whatif_tables.recommendation_tables(found) | whatif_tables.tables(found.what)
    query = period.query() | {
        "beds": str(beds),
        "gender": list(wanted.genders),
        "stage": list(wanted.stages),
        "region": list(wanted.regions),
        "feature": list(wanted.features),
    }
    return context | {
        "found": found,
        "tables": tables,
        "left_unplaced": whatif_tables.left_unplaced(tables),
        "summary": whatif_tables.summary(found.what, tables).splitlines(),
        "steps": budget_bars(tables["recommended_steps"]),
        "step_width": STEP_WIDTH,
        "step_height": STEP_HEIGHT,
        "csv_query": query,
        "csv_route": "recommend_csv",
        "proven": all(step.optimal for step in found.recommendation.steps),
    }


STEP_WIDTH, STEP_HEIGHT = 28, 160


def budget_bars(steps: reporting.Table) -> list[dict[str, Any]]:
    """Each budget as a column: the people its best beds place, as shown (a count under 5 drawn alike).

    The columns usually flatten as the beds that help most are taken first.
    """
    shown = [row.cells[1] for row in steps.rows]
    longest = max((drawn(value) for value in shown), default=0) or 1
    bars = []
    for k, value in enumerate(shown, start=1):
        height = STEP_HEIGHT * drawn(value) / longest
        bars.append(
            {
                "x": (k - 1) * STEP_WIDTH,
                "y": round(STEP_HEIGHT - height, 1),
                "height": round(height, 1),
                "k": k,
                "words": "–" if value == NOT_SHOWN else value,  # the column is too narrow for the words
                "title": f"{k} new bed{'s' if k != 1 else ''}: people placed {value}",
            }
        )
    return bars


Genders = Annotated[list[str], Query(alias="gender", max_length=len(Gender))]
Stages = Annotated[list[str], Query(alias="stage", max_length=len(NrmStage))]
Regions = Annotated[list[str], Query(alias="region", max_length=len(Region))]
Features = Annotated[list[str], Query(alias="feature", max_length=2)]


def fundable_form(
    beds: str, gender: list[str], stage: list[str], region: list[str], feature: list[str]
) -> FundableForm:
    """What the form asked for; a first visit (no number of beds yet) asks for every kind."""
    if not beds:
        return FundableForm()
    every = FundableForm()
    return FundableForm(
        beds,
        tuple(gender) or every.genders,  # none ticked: any, and shown so
        tuple(stage) or every.stages,
        tuple(region) or every.regions,
        tuple(f for f in feature if f),
    )


@router.get("/recommend", name="recommend")
def recommend_page(
    request: Request,
    user: Commissioner,
    session: SessionDep,
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
    beds: Annotated[str, Query(max_length=4)] = "",
    gender: Genders = [],  # noqa: B006
    stage: Stages = [],  # noqa: B006
    region: Regions = [],  # noqa: B006
    feature: Features = [],  # noqa: B006
) -> Response:
    """Where K new beds, of the kinds that could be funded, would have placed the most people of the period."""
    wanted = fundable_form(beds, gender, stage, region, feature)
    context = {"user": user, "partial": is_htmx(request)} | recommend_context(session, start, end, wanted)
    return render(request, "recommend.html", context, block="results")


@router.get("/recommend/{table}.csv", name="recommend_csv")
def recommend_csv(
    table: str,
    user: Commissioner,
    session: SessionDep,
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
    beds: Annotated[str, Query(max_length=4)] = "",
    gender: Genders = [],  # noqa: B006
    stage: Stages = [],  # noqa: B006
    region: Regions = [],  # noqa: B006
    feature: Features = [],  # noqa: B006
) -> Response:
    """One table of a recommendation as CSV; counts under 5 read "<5" here too."""
    context = recommend_context(session, start, end, fundable_form(beds, gender, stage, region, feature))
    if context["problems"]:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, _problems_detail(context["problems"]))
    return _table_csv(session, context["tables"], table, context["csv_query"], what="recommendation")


# The report as a PDF -------------------------------------------------------------------------------

STATIC = Path(__file__).parent / "static"


def refuse_fetch(url: str) -> None:
    """The PDF is drawn from its own HTML alone: nothing is fetched, from the network or from files."""
    raise ValueError(f"the report fetches nothing ({url})")


PANGO_MISSING = (
    "the PDF report needs the Pango text library, which this server lacks "
    "(on Debian or Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
)


def draw_pdf(html: str) -> bytes:
    """The HTML as a PDF, by WeasyPrint; imported here, so that the rest of SafeBeds runs without Pango."""
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
        from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]
    except OSError as error:  # the Python package is there, Pango is not
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, PANGO_MISSING) from error

    class FetchNothing(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: object = None) -> None:
            refuse_fetch(url)

    pdf = HTML(string=html, url_fetcher=FetchNothing()).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf


def replayable(session: Session, period: Period) -> Period | None:
    """The part of a report's period a replay can cover: every request in full, at most the last year of it."""
    start = max(period.start, period.end - LONGEST_REPLAY + timedelta(days=1))
    start = whatif.first_whole_day(session=session, start=start)
    return Period(start, period.end) if start <= period.end else None


@router.get("/gaps/report.pdf", name="gaps_pdf")
def gaps_pdf(
    request: Request,
    user: Commissioner,
    session: SessionDep,
    settings: SettingsDep,
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
    beds: Annotated[int, Query(ge=1, le=MOST_BEDS)] = DEFAULT_BEDS,
) -> Response:
    """The commissioner's report for a period, printable: the gaps, and where new beds would have helped most."""
    period, problems, _ = period_from(start, end)
    if period is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, _problems_detail(problems))
    context = gaps_context(session, settings, period) | {
        "period_words": period.words(),
        "made_at": clock.now(),
        "beds": beds,
        "assumptions": ASSUMPTIONS,
        "style": (STATIC / "safebeds.css").read_text() + (STATIC / "report-pdf.css").read_text(),
        "downloads": False,  # a page of paper has nothing to download
        "kept_for": f"{settings.retention_days} days",
    }
    replay = replayable(session, period)
    if replay is not None:
        found = whatif.recommend_beds(
            whatif.run(session=session, start=replay.start, end=replay.end), budget=beds, fundable=Fundable()
        )
        plan_tables = whatif_tables.recommendation_tables(found) | whatif_tables.tables(found.what, recorded=False)
        context |= {
            "replay_words": replay.words(),
            "found": found,
            "plan_tables": plan_tables,
            "left_unplaced": whatif_tables.left_unplaced(plan_tables),
            "summary": whatif_tables.summary(found.what, plan_tables).splitlines(),
            "steps": budget_bars(plan_tables["recommended_steps"]),
            "step_width": STEP_WIDTH,
            "step_height": STEP_HEIGHT,
        }
    html = templates.get_template("report_pdf.html").render(context | {"request": request})
    pdf = draw_pdf(html)
    name = f"safebeds-report-{period.start.isoformat()}-to-{period.end.isoformat()}.pdf"
    audit.record(session, Action.export, detail=f"report PDF, {beds} beds recommended: {name}")
    session.commit()
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
