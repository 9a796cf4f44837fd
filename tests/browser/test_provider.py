"""The provider's journey in a real browser, on a phone: a hold accepted, a bed changed, a house confirmed."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import LiveServer, LogIn


def a_hold_on_the_providers_house(server: LiveServer) -> tuple[int, str]:
    """An officer holds a bed in one of the demo provider's houses: the hold's id and the house's name."""
    with server.api("provider") as provider:
        own = provider.get("/api/auth/me").json()["organisation_id"]
        houses = [h for h in provider.get("/api/houses").json() if h["organisation_id"] == own]
        house = next(h for h in houses if not h["max_children"] and "female" in h["genders"])
        beds = provider.get(f"/api/houses/{house['id']}/beds").json()
        if not any(bed["status"] == "available" for bed in beds):
            provider.post(f"/api/houses/{house['id']}/beds", json=[{"label": "Spare room"}]).raise_for_status()
    needs = {"urgency": "tonight", "nrm_stage": house["nrm_stages"][0], "nrm_consent": True, "gender": "female"}
    needs |= {"age_band": "25_34", "reference": "MSU-6001"}
    with server.api("officer") as officer:
        made = officer.post("/api/requests", json=needs)
        made.raise_for_status()
        held = officer.post(f"/api/requests/{made.json()['id']}/holds", json={"house_id": house["id"]})
        assert held.status_code == 201, held.text
        return held.json()["id"], house["display_name"]


def test_a_provider_accepts_a_hold_changes_a_bed_and_confirms_a_house(
    log_in_as: LogIn, live_server: LiveServer
) -> None:
    hold_id, house_name = a_hold_on_the_providers_house(live_server)
    provider = log_in_as("provider")
    page = provider.page
    provider.tap(page.get_by_role("navigation").get_by_role("link", name="My houses"), "my-houses")

    waiting = page.locator(f"#incoming-{hold_id}")
    expect(waiting).to_contain_text(house_name)
    expect(waiting.locator("time.countdown")).to_contain_text("min left")
    expect(waiting).not_to_contain_text("MSU-6001")
    provider.tap(waiting.get_by_role("button", name="Accept"), "accepted")
    expect(page.locator(f"#incoming-{hold_id}")).to_contain_text("accepted")

    bed = page.locator("li.bed", has=page.get_by_role("button", name=re.compile(r"^Mark .+ as "))).first
    bed_id = bed.get_attribute("id")
    change = bed.get_by_role("button", name=re.compile(r"^Mark .+ as ")).first
    before = bed.locator(".bed-status").inner_text()
    provider.tap(change, "bed-changed")
    expect(page.locator(f"#{bed_id} .bed-status")).not_to_have_text(before)

    board = page.locator("section.board-house").first
    provider.tap(board.get_by_role("button", name="All still correct"), "confirmed")
    expect(page.locator("section.board-house").first.locator(".confirmed")).to_contain_text("Confirmed just now")

    with live_server.api("officer") as officer:
        accepted = officer.get(f"/api/holds/{hold_id}").json()
    assert accepted["status"] == "accepted" and accepted["address"], "the officer now sees the address"
