"""Journey 7: a staff member sets up two-factor sign-in from "Your account"
(the key read from the page, the code made with pyotp), keeps the recovery
codes, and signs in again with the password then a code; a recovery code
works once and a wrong code is refused next to the field.

Mia, an esthetician no other journey signs in as, so the other journeys
(sharing the server of the viewport) keep signing in with a password alone.
A code cannot be used twice (the set-up one neither), so the journey signs
in with a recovery code first and then waits for the next 30-second step.
"""

from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import Journey, click_nav, open_menu

STAFF = "mia@demo.clinic"
NAME = "Mia Moreau"
WRONG_CODE = "That code is not valid."
RECOVERY_CODE = re.compile(r"^[a-z0-9]{4}(-[a-z0-9]{4}){3}$")
STEP = 30  # seconds per TOTP code


def wrong_code(totp: pyotp.TOTP) -> str:
    """Six digits that are none of the codes the server could accept now."""
    now = time.time()
    valid = {totp.at(now + offset * STEP) for offset in range(-2, 3)}
    return next(code for code in ("000000", "111111", "222222") if code not in valid)


def expect_code_error(page: Page, label: str) -> Locator:
    """The error sits under the field and the field points to it."""
    field = page.get_by_label(label)
    expect(field).to_have_attribute("aria-invalid", "true")
    error_id = f"{field.get_attribute('id')}-error"
    expect(field).to_have_attribute("aria-describedby", re.compile(error_id))
    error = page.locator(f"#{error_id}")
    expect(error).to_be_visible()
    return error


def sign_out(journey: Journey, page: Page) -> None:
    open_menu(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.locator(".flash-messages")).to_contain_text("You have signed out.")
    journey.step(page, "signed-out")


def password_step(journey: Journey, page: Page, step: str) -> None:
    """Email and password; the code step follows, nothing is signed in yet."""
    journey.goto(page, "/login", f"{step}-password")
    page.get_by_label("Email").fill(STAFF)
    page.get_by_label("Password").fill(journey.server.passwords[STAFF])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/login/code$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    journey.step(page, f"{step}-code")
    # Only a pending sign-in: no staff page opens yet.
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def enter_code(page: Page, code: str) -> None:
    page.get_by_label("Authentication code").fill(code)
    page.get_by_role("button", name="Verify").click()


def test_two_factor_set_up_and_sign_in(journey):
    page = journey.sign_in(STAFF)
    click_nav(page, "Your account")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    journey.step(page, "account-two-factor-off")
    page.get_by_role("link", name="Set up two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Set up two-factor sign-in"
    )
    expect(page.locator("svg.qr-code")).to_be_visible()
    journey.step(page, "set-up")
    totp = pyotp.TOTP(page.locator("code.otp-secret").inner_text().replace(" ", ""))
    password = journey.server.passwords[STAFF]

    # A wrong code keeps two-factor off and says so next to the field.
    page.get_by_label("Code from the app").fill(wrong_code(totp))
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect_code_error(page, "Code from the app")
    journey.step(page, "set-up-wrong-code")

    now = time.time()
    set_up_step = int(now // STEP)  # the step of the code below
    page.get_by_label("Code from the app").fill(totp.at(now))
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(page.locator(".flash-messages")).to_contain_text("Two-factor sign-in is on.")
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    recovery = [code.strip() for code in codes.all_inner_texts()]
    assert all(RECOVERY_CODE.match(code) for code in recovery), recovery
    journey.step(page, "recovery-codes")
    page.get_by_role("link", name="I have saved my codes").click()
    account = page.get_by_role("region", name="Two-factor sign-in", exact=True)
    expect(account.locator(".badge")).to_have_text("On")
    expect(account).to_contain_text("Unused recovery codes: 10")
    journey.step(page, "account-two-factor-on")
    sign_out(journey, page)

    # A recovery code instead of the app's code signs in, once.
    password_step(journey, page, "recovery")
    enter_code(page, recovery[0])
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator(".flash-messages")).to_contain_text(
        "You used a recovery code; 9 unused code(s) left."
    )
    journey.step(page, "dashboard-after-recovery-code")
    click_nav(page, "Your account")
    expect(
        page.get_by_role("region", name="Two-factor sign-in", exact=True)
    ).to_contain_text("Unused recovery codes: 9")
    journey.step(page, "account-nine-codes")
    sign_out(journey, page)

    password_step(journey, page, "code")
    enter_code(page, recovery[0])  # used already
    error = expect_code_error(page, "Authentication code")
    expect(error).to_contain_text(WRONG_CODE)
    expect(page.get_by_label("Authentication code")).to_have_value("")
    journey.step(page, "recovery-code-used-twice")
    enter_code(page, wrong_code(totp))
    expect(expect_code_error(page, "Authentication code")).to_contain_text(WRONG_CODE)
    journey.step(page, "wrong-code")

    # The set-up code's step is spent: wait for the next one (30 s at most).
    while int(time.time() // STEP) <= set_up_step:
        page.wait_for_timeout(500)
    enter_code(page, totp.now())
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator(".flash-messages")).to_contain_text(f"Welcome, {NAME}.")
    journey.step(page, "dashboard-after-code")
    journey.finish()
