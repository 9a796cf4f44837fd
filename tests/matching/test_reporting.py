"""The gaps report: what became of a period's requests, counted by outcome, reason, group, area and month."""

from datetime import date, timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from sqlmodel import Session, select

from capacity.models import Bed, BedUpdate, House, User
from capacity.vocab import Area, BedStatus, Gender, NrmStage, OrganisationType, Region, Role
from matching import holds, reporting
from matching import service as matching_service
from matching.disclosure import NOT_SHOWN
from matching.eligibility import Reason
from matching.models import Fallback, PlacementRequest, RequestReason
from matching.reporting import Group, MainReason, Tally
from providers import service as providers_service
from tests.factories import START, make_house, make_organisation, make_request, make_user
from tests.matching.test_disclosure import assert_nothing_small_pinned_down, keeping

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
LONG = timedelta(days=30)  # holds that never lapse while a test moves the clock on
STALE_AFTER = timedelta(hours=24)


def placed_after(
    session: Session,
    frozen: FrozenDateTimeFactory,
    officer: User,
    provider: User,
    house: House,
    wait: timedelta,
    **needs: Any,
) -> PlacementRequest:
    """A request made now and placed in `house` after `wait`; the clock is back where it was."""
    request = make_request(session, officer, **needs)
    hold = holds.hold(session=session, request=request, house=house, officer=officer, expires_after=LONG)
    frozen.tick(wait)
    holds.accept(session=session, hold=hold, provider=provider)
    frozen.tick(-wait)
    return request


def fall_back(session: Session, officer: User, fallback: Fallback, **needs: Any) -> PlacementRequest:
    request = make_request(session, officer, **needs)
    return holds.record_fallback(session=session, request=request, fallback=fallback)


def period_figures(session: Session, start: date | None = None, end: date | None = None) -> reporting.Figures:
    return reporting.figures(
        session=session, start=start or START.date(), end=end or START.date(), stale_after=STALE_AFTER
    )


def test_the_headline_counts_placed_within_24_hours_inclusive_unplaced_and_fallbacks(
    session: Session, frozen: FrozenDateTimeFactory
) -> None:
    provider_org = make_organisation(session)
    house = make_house(session, provider_org, beds=5, genders=["female"], nrm_stages=["pre_nrm"])
    officer, provider = make_user(session, Role.officer), make_user(session, Role.provider, provider_org)
    placed_after(session, frozen, officer, provider, house, HOUR)
    placed_after(session, frozen, officer, provider, house, timedelta(hours=24))
    placed_after(session, frozen, officer, provider, house, timedelta(hours=24, seconds=1))
    make_request(session, officer)  # still waiting
    fall_back(session, officer, Fallback.hotel, gender="male")
    fall_back(session, officer, Fallback.police_station, gender="male")
    fall_back(session, officer, Fallback.police_station, gender="male")
    fall_back(session, officer, Fallback.none, gender="male")

    figures = period_figures(session)

    assert figures.total == Tally(requests=8, placed=3, placed_quickly=2)
    assert figures.total.unmet == 5
    assert (figures.waiting, figures.gone_elsewhere) == (1, 4)
    assert figures.fallbacks == {
        Fallback.hotel: 1,
        Fallback.police_station: 2,
        Fallback.sofa: 0,
        Fallback.other_accommodation: 0,
        Fallback.none: 1,
    }


def test_the_period_runs_from_the_first_days_midnight_to_the_last_days_end(
    session: Session, frozen: FrozenDateTimeFactory
) -> None:
    officer = make_user(session, Role.officer)
    first, last = date(2025, 3, 3), date(2025, 3, 4)
    midnight = START.replace(hour=0, minute=0)
    for moment in (
        midnight - timedelta(seconds=1),  # the day before: out
        midnight,  # in
        midnight + 2 * DAY - timedelta(seconds=1),  # the last second of the last day: in
        midnight + 2 * DAY,  # the day after: out
    ):
        frozen.move_to(moment)
        make_request(session, officer)
    assert period_figures(session, first, last).total.requests == 2
    assert period_figures(session, first, first).total.requests == 1


def test_every_group_counts_its_requests_and_a_request_counts_in_each_of_its_groups(
    session: Session, frozen: FrozenDateTimeFactory
) -> None:
    officer = make_user(session, Role.officer)
    make_request(session, officer, gender="male", nrm_stage="pre_nrm")
    make_request(session, officer, gender="female", nrm_stage="recovery", children=[4])
    make_request(session, officer, gender="non_binary", nrm_stage="move_on", needs_step_free=True)
    make_request(session, officer, gender="female", languages=["sq"], interpreter_ok=False)
    make_request(session, officer, gender="female", languages=["sq"], interpreter_ok=True)

    groups = {group: tally.requests for group, tally in period_figures(session).groups.items()}

    assert groups == {
        Group.men: 1,
        Group.women: 3,
        Group.non_binary: 1,
        Group.pre_nrm: 3,
        Group.recovery: 1,
        Group.move_on: 1,
        Group.with_children: 1,
        Group.language_without_interpreter: 1,
        Group.step_free: 1,
    }


def test_requests_are_counted_by_where_they_were_found_and_by_month(
    session: Session, frozen: FrozenDateTimeFactory
) -> None:
    officer = make_user(session, Role.officer)
    make_request(session, officer, found_area="camden")
    make_request(session, officer, found_area="camden")
    make_request(session, officer, found_area="wales")
    make_request(session, officer)
    frozen.tick(40 * DAY)
    make_request(session, officer, found_area="newham")

    figures = period_figures(session, date(2025, 3, 1), date(2025, 4, 30))

    assert figures.areas[Area.camden].requests == 2 and figures.areas[Area.newham].requests == 1
    assert figures.areas[Area.westminster].requests == 0, "every London area is counted, even at zero"
    assert figures.areas[Area.wales].requests == 1 and figures.areas[None].requests == 1
    assert Area.scotland not in figures.areas
    assert {month: tally.requests for month, tally in figures.months.items()} == {
        date(2025, 3, 1): 4,
        date(2025, 4, 1): 1,
    }


def test_a_request_made_records_what_ruled_houses_out_and_how_many_could_take_it(
    session: Session, frozen: FrozenDateTimeFactory
) -> None:
    provider_org = make_organisation(session)
    make_house(session, provider_org, beds=1, genders=["female"], nrm_stages=["pre_nrm"])
    full = make_house(session, provider_org, beds=1, genders=["female"], nrm_stages=["pre_nrm"])
    make_house(session, provider_org, beds=1, genders=["male"], nrm_stages=["recovery"])
    (bed,) = session.exec(select(Bed).where(Bed.house_id == full.id)).all()
    providers_service.update_bed(session=session, bed=bed, data=BedUpdate(status=BedStatus.occupied))
    officer = make_user(session, Role.officer)

    man = make_request(session, officer, gender="male", nrm_stage="pre_nrm")
    woman = make_request(session, officer, gender="female", nrm_stage="pre_nrm")

    found = matching_service.reasons(session=session, request_ids=[man.id or 0])
    assert {(r.reason, r.houses, r.houses_with_room) for r in found} == {
        (Reason.GENDER_NOT_SERVED, 2, 1),
        (Reason.NRM_STAGE_NOT_SERVED, 1, 1),
    }
    assert man.houses_matched == 0
    assert woman.houses_matched == 1
    assert {(r.reason, r.houses) for r in matching_service.reasons(session=session, request_ids=[woman.id or 0])} == {
        (Reason.GENDER_NOT_SERVED, 1),
        (Reason.NOT_ENOUGH_BEDS, 1),
    }


def test_a_request_made_records_the_fewest_rules_that_relaxed_would_have_placed_it(
    session: Session, frozen: FrozenDateTimeFactory
) -> None:
    provider_org = make_organisation(session)
    # Free beds: two women-only pre-NRM houses, one of them step-free; a men's recovery house.
    make_house(session, provider_org, beds=1, genders=["female"], nrm_stages=["pre_nrm"])
    make_house(session, provider_org, beds=1, genders=["female"], nrm_stages=["pre_nrm"], step_free=True)
    make_house(session, provider_org, beds=1, genders=["male"], nrm_stages=["recovery"])
    officer = make_user(session, Role.officer)

    man = make_request(session, officer, gender="male", nrm_stage="pre_nrm")
    # Two houses need the gender rule relaxed, one the stage rule: one rule each, the most houses win.
    assert man.relaxation == "GENDER_NOT_SERVED"
    # Step-free: only one women's house is step-free; the men's recovery house fails twice, as does the other.
    assert make_request(session, officer, gender="male", needs_step_free=True).relaxation == "GENDER_NOT_SERVED"
    woman = make_request(session, officer, gender="female", nrm_stage="recovery", needs_step_free=True)
    assert woman.relaxation == "NRM_STAGE_NOT_SERVED"
    assert make_request(session, officer, gender="female", nrm_stage="pre_nrm").relaxation == ""


def test_one_more_bed_counts_as_a_relaxation_and_goes_first_among_equals(
    session: Session, frozen: FrozenDateTimeFactory
) -> None:
    provider_org = make_organisation(session)
    full_men = make_house(session, provider_org, beds=1, genders=["male"], nrm_stages=["recovery"])
    full_women = make_house(session, provider_org, beds=1, genders=["female"], nrm_stages=["pre_nrm"])
    for house in (full_men, full_women):
        (bed,) = session.exec(select(Bed).where(Bed.house_id == house.id)).all()
        providers_service.update_bed(session=session, bed=bed, data=BedUpdate(status=BedStatus.occupied))
    officer = make_user(session, Role.officer)

    assert make_request(session, officer, gender="male", nrm_stage="recovery").relaxation == "NOT_ENOUGH_BEDS"
    man = make_request(session, officer, gender="male", nrm_stage="pre_nrm")
    assert man.relaxation == "NOT_ENOUGH_BEDS+GENDER_NOT_SERVED"  # a tie of two: the earlier rule
    # A free bed in a house that does not take him, or one more bed where he fits: the bed, which can be funded.
    make_house(session, provider_org, beds=1, genders=["female"], nrm_stages=["recovery"])
    assert make_request(session, officer, gender="male", nrm_stage="recovery").relaxation == "NOT_ENOUGH_BEDS"
    assert reporting.relaxation_words("NOT_ENOUGH_BEDS") == "One more free bed in a house that suited them"
    assert (
        reporting.relaxation_words("NOT_ENOUGH_BEDS+GENDER_NOT_SERVED")
        == "One more free bed in a house that took their gender"
    )
    assert (
        reporting.relaxation_words("GENDER_NOT_SERVED+NOT_STEP_FREE")
        == "A house with a free bed that took their gender and was step-free"
    )


def test_unmet_need_is_counted_by_relaxation_by_group_and_reason_by_month_and_by_missing_bed(
    session: Session, frozen: FrozenDateTimeFactory
) -> None:
    provider_org = make_organisation(session)
    house = make_house(session, provider_org, beds=1, genders=["female"], nrm_stages=["pre_nrm"])
    (bed,) = session.exec(select(Bed).where(Bed.house_id == house.id)).all()
    providers_service.update_bed(session=session, bed=bed, data=BedUpdate(status=BedStatus.occupied))
    officer = make_user(session, Role.officer)
    for _ in range(2):
        fall_back(session, officer, Fallback.hotel, gender="female", found_area="camden")
    fall_back(session, officer, Fallback.none, gender="male", found_area="croydon")

    figures = period_figures(session)
    assert figures.relaxations == {"NOT_ENOUGH_BEDS": (2, 2), "NOT_ENOUGH_BEDS+GENDER_NOT_SERVED": (1, 1)}
    assert figures.group_reasons[Group.women, Reason.NOT_ENOUGH_BEDS] == (2, 2)
    assert figures.group_reasons[Group.men, Reason.NOT_ENOUGH_BEDS] == (1, 1)
    assert figures.group_reasons[Group.pre_nrm, Reason.NOT_ENOUGH_BEDS] == (3, 3)
    assert figures.month_reasons == {(START.date().replace(day=1), Reason.NOT_ENOUGH_BEDS): 3}
    women_pre_nrm = reporting.BedKind(Gender.female, NrmStage.pre_nrm)
    men_pre_nrm = reporting.BedKind(Gender.male, NrmStage.pre_nrm)
    assert figures.missing_beds == {
        (women_pre_nrm, Region.central_london): 2,
        (men_pre_nrm, Region.south_london): 1,
    }
    unmet = reporting.tables(figures)["unmet"]
    assert ("Men", REASON_WORDS_FULL, "<5", "<5") in [row.cells for row in unmet.rows]


REASON_WORDS_FULL = reporting.REASON_WORDS[Reason.NOT_ENOUGH_BEDS]


def reason(code: Reason, houses: int, with_room: int) -> RequestReason:
    return RequestReason(request_id=1, reason=code, houses=houses, houses_with_room=with_room)


@pytest.mark.parametrize(
    ("matched", "reasons", "expected"),
    [
        (None, [], MainReason.NOT_RECORDED),
        (2, [reason(Reason.GENDER_NOT_SERVED, 9, 9)], MainReason.HOUSE_FITTED),
        (
            0,
            [reason(Reason.GENDER_NOT_SERVED, 9, 1), reason(Reason.NRM_STAGE_NOT_SERVED, 3, 3)],
            Reason.NRM_STAGE_NOT_SERVED,
        ),
        (
            0,
            [reason(Reason.NRM_STAGE_NOT_SERVED, 3, 2), reason(Reason.GENDER_NOT_SERVED, 2, 2)],
            Reason.GENDER_NOT_SERVED,
        ),
        (0, [reason(Reason.GENDER_NOT_SERVED, 9, 0), reason(Reason.NOT_ENOUGH_BEDS, 2, 0)], Reason.NOT_ENOUGH_BEDS),
        (0, [], Reason.NOT_ENOUGH_BEDS),
    ],
)
def test_a_request_counts_under_the_reason_that_ruled_out_most_houses_with_a_free_bed(
    matched: int | None, reasons: list[RequestReason], expected: str
) -> None:
    assert reporting.main_reason(matched, reasons) == expected


def test_requests_not_placed_within_24_hours_are_counted_once_under_their_main_reason(
    session: Session, frozen: FrozenDateTimeFactory
) -> None:
    provider_org = make_organisation(session)
    house = make_house(session, provider_org, beds=3, genders=["female"], nrm_stages=["pre_nrm"])
    officer, provider = make_user(session, Role.officer), make_user(session, Role.provider, provider_org)
    placed_after(session, frozen, officer, provider, house, HOUR)  # within 24 hours: no reason
    placed_after(session, frozen, officer, provider, house, 2 * DAY)  # a house fitted, placed late
    fall_back(session, officer, Fallback.hotel, gender="male")
    fall_back(session, officer, Fallback.sofa, gender="male")
    make_request(session, officer, gender="male")  # made just now and still waiting: it may yet be placed in time

    assert period_figures(session).reasons == {
        MainReason.HOUSE_FITTED: (1, 0),
        Reason.GENDER_NOT_SERVED: (2, 2),
    }
    frozen.tick(DAY)
    assert period_figures(session).reasons[Reason.GENDER_NOT_SERVED] == (3, 3)


def test_providers_beds_and_stale_houses_are_counted_by_organisation_type(
    session: Session, frozen: FrozenDateTimeFactory
) -> None:
    refuge = make_organisation(session, type=OrganisationType.refuge)
    make_house(session, refuge, beds=3)
    frozen.tick(2 * DAY)
    fresh = make_house(session, make_organisation(session), beds=2)
    (bed, _) = session.exec(select(Bed).where(Bed.house_id == fresh.id)).all()
    providers_service.update_bed(session=session, bed=bed, data=BedUpdate(status=BedStatus.out_of_service))

    providers = reporting.provider_figures(session=session, stale_after=STALE_AFTER)

    assert providers[OrganisationType.refuge] == reporting.ProviderTally(
        houses=1, stale_houses=1, beds=3, occupied=0, held=0, free=3, out_of_service=0
    )
    assert providers[OrganisationType.ngo_safe_house] == reporting.ProviderTally(
        houses=1, stale_houses=0, beds=2, occupied=0, held=0, free=1, out_of_service=1
    )
    assert OrganisationType.police not in providers


def test_every_table_shows_counts_under_5_as_suppressed_and_nothing_that_gives_one_away(
    session: Session, frozen: FrozenDateTimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One man of 7 not placed: requests less placed would tell it, by any table, so neither is shown."""
    provider_org = make_organisation(session)
    house = make_house(session, provider_org, beds=7, genders=["female"], nrm_stages=["pre_nrm"])
    officer, provider = make_user(session, Role.officer), make_user(session, Role.provider, provider_org)
    for _ in range(6):
        placed_after(session, frozen, officer, provider, house, HOUR, found_area="camden")
    fall_back(session, officer, Fallback.hotel, gender="male", found_area="camden")

    kept = keeping(monkeypatch, reporting)
    tables = reporting.tables(period_figures(session))

    (cells,) = kept
    assert_nothing_small_pinned_down(cells)
    headline = {row.key: row.cells[1] for row in tables["headline"].rows}
    assert headline["requests"] == 7, "the total is always shown"
    assert NOT_SHOWN in (headline["placed"], headline["unplaced"]), "7 less 6 placed would tell the 1"
    groups = {row.key: row.cells[1:] for row in tables["groups"].rows}
    assert NOT_SHOWN in groups[Group.women][:2], "7 less 6 women would tell the 1 man"
    assert groups[Group.step_free] == (0, 0, 0, 0, ""), "nothing to protect there"
    for table in ("areas", "months"):
        (row,) = [row.cells[1:4] for row in tables[table].rows if row.cells[1] != 0]
        assert row[0] == 7 and NOT_SHOWN in row[1:], f"{table}: 7 in the only one, and the split not shown"
    every_cell = [cell for table in tables.values() for row in table.rows for cell in row.cells]
    assert not [cell for cell in every_cell if isinstance(cell, int) and 0 < cell < 5]
    assert set(tables) == set(reporting.TABLE_NAMES)


def test_the_default_period_is_the_last_twelve_months_to_today(frozen: FrozenDateTimeFactory) -> None:
    assert reporting.default_period() == (date(2024, 3, 4), date(2025, 3, 3))
    frozen.move_to("2024-02-29 12:00:00")
    assert reporting.default_period() == (date(2023, 3, 1), date(2024, 2, 29))
