"""A person turns on a second factor from their account page, and from then on logs in with a code."""

import time

import pyotp
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer, LogIn, Steps


def log_in_through_the_form(steps: Steps, email: str, password: str) -> None:
    page = steps.page
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    steps.tap(page.get_by_role("button", name="Log in"), "password")


def test_an_officer_turns_on_the_second_factor_and_then_logs_in_with_a_code(
    log_in_as: LogIn, live_server: LiveServer
) -> None:
    login = live_server.new_officer()
    steps = log_in_as("anonymous")
    page = steps.page
    log_in_through_the_form(steps, login.email, login.password)
    steps.tap(page.get_by_role("link", name=login.email), "account")
    expect(page.get_by_role("img", name="QR code for setting up SafeBeds in an authenticator app")).to_be_visible()
    # What a person types into their authenticator app when they cannot scan the QR code.
    secret = "".join(page.locator(".secret").inner_text().split())
    steps.type(page.get_by_label("Code"), "000000", "wrong-code")
    steps.tap(page.get_by_role("button", name="Turn on the second factor"), "refused")
    expect(page.get_by_role("alert")).to_contain_text("That code is not right")
    steps.type(page.get_by_label("Code"), pyotp.TOTP(secret).now(), "code")
    steps.tap(page.get_by_role("button", name="Turn on the second factor"), "turned-on")
    expect(page.locator(".facts")).to_contain_text("On: you log in with a code from your authenticator app")

    steps.tap(page.get_by_role("button", name="Log out"), "logged-out")
    log_in_through_the_form(steps, login.email, login.password)
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    # The code just used is spent, so give the app's next one (the server accepts one step either side).
    steps.type(page.get_by_label("Code"), pyotp.TOTP(secret).at(time.time() + 30), "next-code")
    steps.tap(page.get_by_role("button", name="Log in"), "home")
    expect(page.get_by_role("link", name="Find a bed").first).to_be_visible()
    assert steps.refused == []
