"""The commissioner's dashboard of unmet need ("the gaps"): aggregates for a period, and each table as CSV."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response
from sqlmodel import Session

from capacity.models import User
from capacity.reporting import SUPPRESSED, SUPPRESSION_THRESHOLD
from capacity.vocab import Area
from matching import reporting
from matching.disclosure import NOT_SHOWN
from web.authz import Permission
from web.deps import SessionDep, SettingsDep, is_htmx, require
from web.downloads import csv_download
from web.pages import in_words, render, templates
from web.settings import Settings

router = APIRouter(include_in_schema=False)
Commissioner = Annotated[User, Depends(require(Permission.read_capacity_report))]
LONGEST_PERIOD = timedelta(days=10 * 366)


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def words(self) -> str:
        return f"{self.start:%-d %B %Y} to {self.end:%-d %B %Y}"

    def query(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def period_from(
    start_text: str, end_text: str, *, default: tuple[date, date] | None = None
) -> tuple[Period | None, dict[str, str], dict[str, str]]:
    """The period the form asks for, or the problems by field; left empty, the default (else the last twelve months)."""
    default_start, default_end = default or reporting.default_period()
    given = {"from": start_text.strip(), "to": end_text.strip()}
    problems: dict[str, str] = {}
    found: dict[str, date] = {}
    for name, text, otherwise in (("from", given["from"], default_start), ("to", given["to"], default_end)):
        try:
            found[name] = date.fromisoformat(text) if text else otherwise
        except ValueError:
            problems[name] = "Give a date as year-month-day, for example 2025-03-01."
    if not problems and found["to"] < found["from"]:
        problems["to"] = "The last day must not be before the first."
    if not problems and found["to"] - found["from"] > LONGEST_PERIOD:
        problems["to"] = "Choose a period of at most ten years."
    if problems:
        return None, problems, given
    period = Period(found["from"], found["to"])
    return period, {}, period.query()


# The 33 London local authorities as a tile grid (column, row), roughly where each lies, with a short name.
TILES: dict[Area, tuple[int, int, str]] = {
    Area.enfield: (3, 0, "Enf"),
    Area.harrow: (1, 1, "Hrw"),
    Area.barnet: (2, 1, "Bar"),
    Area.haringey: (3, 1, "Hgy"),
    Area.waltham_forest: (4, 1, "WFo"),
    Area.redbridge: (5, 1, "Red"),
    Area.havering: (6, 1, "Hav"),
    Area.hillingdon: (0, 2, "Hil"),
    Area.brent: (1, 2, "Brn"),
    Area.camden: (2, 2, "Cam"),
    Area.islington: (3, 2, "Isl"),
    Area.hackney: (4, 2, "Hck"),
    Area.newham: (5, 2, "New"),
    Area.barking_and_dagenham: (6, 2, "B&D"),
    Area.ealing: (0, 3, "Eal"),
    Area.hammersmith_and_fulham: (1, 3, "H&F"),
    Area.kensington_and_chelsea: (2, 3, "K&C"),
    Area.westminster: (3, 3, "Wst"),
    Area.city_of_london: (4, 3, "City"),
    Area.tower_hamlets: (5, 3, "TwH"),
    Area.hounslow: (0, 4, "Hns"),
    Area.richmond_upon_thames: (1, 4, "Rch"),
    Area.wandsworth: (2, 4, "Wns"),
    Area.lambeth: (3, 4, "Lam"),
    Area.southwark: (4, 4, "Sth"),
    Area.lewisham: (5, 4, "Lew"),
    Area.greenwich: (6, 4, "Gre"),
    Area.bexley: (7, 4, "Bex"),
    Area.kingston_upon_thames: (1, 5, "Kng"),
    Area.merton: (2, 5, "Mer"),
    Area.croydon: (4, 5, "Cro"),
    Area.bromley: (5, 5, "Bro"),
    Area.sutton: (3, 6, "Sut"),
}
TILE, GAP = 56, 4
# Shades of unmet need: none, under 5 (suppressed, so one shade for all of them), then these lower bounds.
SHADE_FROM = (5, 10, 20, 40)
SHADE_WORDS = ("None", "<5", "5 to 9", "10 to 19", "20 to 39", "40 or more", "Not shown (–)")
NOT_SHOWN_SHADE = len(SHADE_WORDS) - 1
# The charts' colours, also given to each SVG shape itself, so that a PDF renderer that reads no stylesheet
# draws them the same (safebeds.css says the same for the page).
COLOURS = {
    "ink": "#1b1b1b",
    "line": "#b1b4b6",
    "placed": "#1d4f91",
    "unmet": "#d4351c",
    "today": "#b1b4b6",
    "changed": "#1d4f91",
    "unsplit": "#b1b4b6",
    "shades": ("#f3f2f1", "#fee5d9", "#fcae91", "#fb6a4a", "#cb181d", "#67000d", "#bfc1c3"),
    "on_shades": ("#1b1b1b", "#1b1b1b", "#1b1b1b", "#1b1b1b", "#ffffff", "#ffffff", "#1b1b1b"),
}
templates.env.globals["colours"] = COLOURS


def shade(count: int | str) -> int:
    """The shade of a tile, from a count as shown (so a suppressed count gives nothing away)."""
    if count == SUPPRESSED:
        return 1
    if count == NOT_SHOWN:
        return NOT_SHOWN_SHADE
    assert isinstance(count, int)
    return 0 if count == 0 else 1 + sum(count >= bound for bound in SHADE_FROM)


def map_tiles(table: reporting.Table) -> list[dict[str, Any]]:
    """Each London tile: where it goes, its names, its count of people not placed and its shade."""
    tiles = []
    for row in table.rows:
        column, line, short = TILES[Area(row.key)]
        unmet = row.cells[-1]
        tiles.append(
            {
                "x": column * (TILE + GAP),
                "y": line * (TILE + GAP),
                "short": short,
                "name": row.cells[0],
                "unmet": unmet,
                "count": "–" if unmet == NOT_SHOWN else unmet,  # a tile is too small for the words
                "shade": shade(unmet),
            }
        )
    return tiles


MAP_WIDTH = 8 * (TILE + GAP) - GAP
MAP_HEIGHT = 7 * (TILE + GAP) - GAP
BAR_ROW, BAR_LEFT, BAR_WIDTH = 28, 84, 236
# A count under 5 is drawn as this, whatever it is, so that a bar's length does not reveal it.
DRAWN_WHEN_SUPPRESSED = SUPPRESSION_THRESHOLD / 2


def drawn(count: int | str) -> float:
    """How long to draw a count as shown: one under 5 all alike, and one not shown not at all."""
    if count == NOT_SHOWN:
        return 0.0
    return DRAWN_WHEN_SUPPRESSED if count == SUPPRESSED else float(count)


def month_bars(table: reporting.Table) -> list[dict[str, Any]]:
    """Each month as a bar: placed, then not placed, scaled to the longest month; labels as shown.

    Where the split is not shown (it would give a small count away), the month is one grey bar.
    """
    months = [(row.cells[0], row.cells[1], row.cells[2], row.cells[4]) for row in table.rows]
    longest = max((max(drawn(r), drawn(p) + drawn(u)) for _, r, p, u in months), default=0) or 1
    bars = []
    for line, (month, requests, placed, unmet) in enumerate(months):
        split = NOT_SHOWN not in (placed, unmet)
        placed_width = BAR_WIDTH * drawn(placed) / longest if split else 0.0
        unmet_width = BAR_WIDTH * (drawn(unmet) if split else drawn(requests)) / longest
        bars.append(
            {
                "y": line * BAR_ROW,
                "month": str(month).replace(" (part)", "*"),
                "title": f"{month}: requests {requests}, placed {placed}, not placed {unmet}",
                "placed_width": round(placed_width, 1),
                "unmet_x": round(BAR_LEFT + placed_width, 1),
                "unmet_width": round(unmet_width, 1),
                "label_x": round(BAR_LEFT + placed_width + unmet_width + 4, 1),
                "requests": requests,
                "split": split,
            }
        )
    return bars


def gaps_context(session: Session, settings: Settings, period: Period) -> dict[str, Any]:
    """Every table, the map and the month chart of the gaps report for a period."""
    figures = reporting.figures(session=session, start=period.start, end=period.end, stale_after=settings.stale_after)
    tables = reporting.tables(figures)
    return {
        "tables": tables,
        "tiles": map_tiles(tables["areas"]),
        "bars": (bars := month_bars(tables["months"])),
        "unsplit": not all(bar["split"] for bar in bars),
        "map_size": (MAP_WIDTH, MAP_HEIGHT),
        "chart_height": max(1, len(tables["months"].rows)) * BAR_ROW,
        "bar_left": BAR_LEFT,
        "shade_words": list(enumerate(SHADE_WORDS)),
        "how_reasons_count": reporting.HOW_REASONS_COUNT,
        "how_relaxations_count": reporting.HOW_RELAXATIONS_COUNT,
        "stale_after": in_words(settings.stale_after),
        "csv_query": period.query(),
    }


@router.get("/gaps", name="gaps")
def gaps(
    request: Request,
    user: Commissioner,
    session: SessionDep,
    settings: SettingsDep,
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    """Unmet need for a period: headline, reasons, groups, areas, months, and the providers' beds now."""
    period, problems, form = period_from(start, end)
    context: dict[str, Any] = {
        "user": user,
        "form": form,
        "problems": problems,
        "period_words": period.words() if period else "",
        "partial": is_htmx(request),
    }
    if period is not None:
        context |= gaps_context(session, settings, period)
    return render(request, "gaps.html", context, block="report")


@router.get("/gaps/{table}.csv", name="gaps_csv")
def gaps_csv(
    table: str,
    user: Commissioner,
    session: SessionDep,
    settings: SettingsDep,
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    """One table of the gaps report as CSV, for the same period; counts under 5 read "<5" here too."""
    if table not in reporting.TABLE_NAMES:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"no table {table!r}; there are {', '.join(reporting.TABLE_NAMES)}"
        )
    period, problems, _ = period_from(start, end)
    if period is None:
        detail = [
            {"loc": ["query", field], "msg": message, "type": "value_error"} for field, message in problems.items()
        ]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)
    figures = reporting.figures(session=session, start=period.start, end=period.end, stale_after=settings.stale_after)
    found = reporting.tables(figures)[table]
    name = f"safebeds-{table}-{period.start.isoformat()}-to-{period.end.isoformat()}.csv"
    rows = (row.cells for row in found.rows)
    return csv_download(session, filename=name, columns=found.columns, rows=rows, what=f"gaps table {table}")
