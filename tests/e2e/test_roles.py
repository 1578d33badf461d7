"""Journey 6: each role sees only its navigation, and the front desk never sees
intake answers (not in the page, and the intake itself is a 403)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.helpers import find_client, nav_labels

CLIENT = "Σοφία Παπαδοπούλου"  # intake: diabetes, details "Type 2"
GRACE = "Grace O'Neil"  # intake: implanted device, details "Pacemaker"
COMMON = {"Dashboard", "Calendar", "Clients"}
ROLES = {
    "owner@demo.clinic": True,  # sees Admin
    "desk@demo.clinic": False,
    "esthetician@demo.clinic": False,
}
# Question wording and answer details that only clinical staff may read.
PRIVATE = ["pacemaker", "implanted", "diabetes", "Type 2", "Do you have"]


def test_navigation_by_role_and_front_desk_privacy(journey):
    pages = {}
    for email, sees_admin in ROLES.items():
        page = journey.sign_in(email)
        pages[email] = page
        labels = set(nav_labels(page))
        journey.step(page, f"menu-{email.split('@')[0]}")
        assert labels >= COMMON, (email, labels)
        assert ("Admin" in labels) is sees_admin, (email, labels)
        journey.goto(page, "/admin", "admin-page", status=200 if sees_admin else 403)

    # The esthetician reads the answers (so the check below means something).
    esthetician = pages["esthetician@demo.clinic"]
    intake_urls = []
    for name, query, detail in (
        (CLIENT, "Σοφία", "Type 2"),
        (GRACE, "Neil", "Pacemaker"),
    ):
        find_client(journey, esthetician, query, name)
        intake_link = (
            esthetician.get_by_role("region", name="Intake history")
            .get_by_role("link")
            .first
        )
        intake_urls.append(intake_link.get_attribute("href"))
        intake_link.click()
        expect(esthetician.locator("main")).to_contain_text(detail)
        journey.step(esthetician, f"intake-esthetician-{query}")

    desk = pages["desk@demo.clinic"]
    for name, query in ((CLIENT, "Σοφία"), (GRACE, "Neil")):
        find_client(journey, desk, query, name)
        history = desk.get_by_role("region", name="Intake history")
        expect(history.locator(".badge")).not_to_have_count(0)
        expect(history.get_by_role("link")).to_have_count(0)
        html = desk.content()
        for word in PRIVATE:
            assert word.lower() not in html.lower(), f"{word!r} on {name}'s profile"
    for url in intake_urls:
        journey.goto(desk, url, "intake-front-desk-403", status=403)
        html = desk.content()
        for word in PRIVATE:
            assert word.lower() not in html.lower(), f"{word!r} on the 403 page"
    journey.finish()
