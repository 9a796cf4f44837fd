"""The officer's journey in a real browser: from the home page, already logged in, to a held bed."""

import json
import time

from playwright.sync_api import expect

from tests.browser.conftest import ARTEFACTS, DESKTOP, LiveServer, LogIn

# The most interactions (taps, choices, typed fields) a typical urgent request may take to a held bed.
MOST_INTERACTIONS = 6


def record(name: str, figures: dict[str, object]) -> None:
    """Keep a journey's figures beside its screenshots, for bench/RESULTS.md."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / f"{name}.json").write_text(json.dumps(figures, indent=2))


def add_house(server: LiveServer, **details: object) -> None:
    """A provider registers a house with its beds free, as happens when provision opens."""
    with server.api("admin") as admin:
        provider_id = next(o["id"] for o in admin.get("/api/organisations").json() if o["is_provider"])
        house = {"area": "hackney", "address": "1 Test Street (fictional)", "postcode": "ZZ99 1TB"} | details
        created = admin.post(f"/api/organisations/{provider_id}/houses", json=house)
        assert created.status_code == 201, created.text


def test_an_urgent_request_reaches_a_held_bed_in_six_interactions_or_fewer(
    log_in_as: LogIn, live_server: LiveServer
) -> None:
    # Pre-NRM beds for women are scarce in the demo, as in London: tonight one is free.
    add_house(
        live_server,
        display_name="Tonight House",
        genders=["female"],
        nrm_stages=["pre_nrm"],
        languages=["sq"],
        bed_labels=["Room 1"],
    )
    officer = log_in_as("officer")
    page = officer.page
    started = time.perf_counter()
    officer.tap(page.locator("#main").get_by_role("link", name="Find a bed"), "find-a-bed")
    # Tonight, a woman before a Reasonable Grounds decision are the form's starting values.
    officer.choose(page.get_by_label("Languages spoken"), "sq", "speaks-albanian")
    expect(page.locator("#results .matches")).to_contain_text("Tonight House")
    officer.type(page.get_by_label("Case reference"), "MSU-4101", "case-reference")
    officer.tap(page.locator("#results .matches button").first, "hold")
    panel = page.locator("#results .held")
    expect(panel).to_contain_text("Held:")
    expect(panel.locator("time.countdown")).to_contain_text("min left")
    seconds = time.perf_counter() - started
    officer.shot("held")
    assert officer.interactions <= MOST_INTERACTIONS
    record("officer-journey", {"interactions": officer.interactions, "seconds": round(seconds, 2)})

    officer.tap(page.get_by_role("navigation").get_by_role("link", name="My requests"), "my-requests")
    expect(page.locator("table")).to_contain_text("MSU-4101")


def fill_every_bed_for(server: LiveServer, gender: str, stage: str) -> None:
    """Tonight, every bed for these people is taken (as it usually is for men before an RG decision)."""
    with server.api("admin") as admin:
        for house in admin.get("/api/houses").json():
            if gender in house["genders"] and stage in house["nrm_stages"]:
                for bed in admin.get(f"/api/houses/{house['id']}/beds").json():
                    if bed["status"] == "available":
                        admin.patch(f"/api/beds/{bed['id']}", json={"status": "occupied"}).raise_for_status()


def test_when_nothing_fits_the_reason_is_on_screen_after_the_same_steps(
    log_in_as: LogIn, live_server: LiveServer
) -> None:
    fill_every_bed_for(live_server, "male", "pre_nrm")
    officer = log_in_as("officer")
    page = officer.page
    officer.tap(page.locator("#main").get_by_role("link", name="Find a bed"), "find-a-bed")
    officer.choose(page.get_by_label("Gender"), "male", "a-man")
    results = page.locator("#results")
    expect(results).to_contain_text("No house can take this person now")
    expect(results.locator(".ruled-out")).to_be_visible()
    officer.type(page.get_by_label("Case reference"), "MSU-4102", "case-reference")
    officer.choose(page.get_by_label("Where the person goes instead"), "police_station", "fallback")
    officer.tap(page.get_by_role("button", name="Record where they went"), "recorded")
    expect(results).to_contain_text("MSU-4102, who went to a police station")
    assert officer.interactions <= MOST_INTERACTIONS


def test_two_officers_racing_for_the_last_bed_one_holds_it_and_the_other_is_told(
    log_in_as: LogIn, live_server: LiveServer
) -> None:
    add_house(
        live_server, display_name="Last Bed House", genders=["non_binary"], nrm_stages=["move_on"], bed_labels=["Bed"]
    )
    first = log_in_as("officer", viewport=DESKTOP, name="first")
    second = log_in_as("officer", viewport=DESKTOP, name="second")
    for officer, reference in ((first, "MSU-4201"), (second, "MSU-4202")):
        officer.page.goto("/find")
        officer.choose(officer.page.get_by_label("Gender"), "non_binary", "non-binary")
        officer.choose(officer.page.get_by_label("NRM stage"), "move_on", "move-on")
        officer.type(officer.page.get_by_label("Case reference"), reference, "reference")
    holds = [o.page.get_by_role("button", name="Hold Last Bed House") for o in (first, second)]
    for button in holds:
        button.click(no_wait_after=True)
    said = []
    for officer in (first, second):
        result = officer.page.locator("#results .held, #results .error")
        expect(result.first).to_be_visible()
        officer.shot("after-the-race")
        said.append(result.first.inner_text())
    assert sorted("Held: Last Bed House" in text for text in said) == [False, True], said
    assert any("waits in the queue" in text for text in said), said
