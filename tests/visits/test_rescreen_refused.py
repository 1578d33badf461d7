"""A client the visit's re-screen turns away: no way to treat them, two ways on.

Issue 15, item 6: after a new intake that defers the client, the start page
said "cannot go ahead" next to an active "Start the visit" button, and the
appointment's only way out was "Complete without notes" (a series session
counted as done). Now the pages offer to cancel (client not eligible) or to
move the rest of the series from the day they may be treated again, and no
path starts or completes a visit for them.
"""

from __future__ import annotations

import re
from datetime import date, time
from itertools import pairwise

import pytest

from tests.helpers import submit
from tests.scheduling.support import TZ, appointments_of, forms_of, plain
from tests.visits.support import (
    book_series_of_six,
    browser,
    check_in,
    clinic_with_client,
    count,
    frozen_clock,
    post,
    start_url,
)
from tests.visits.test_visit_flow import yes_then_new_intake

BOTOX = {"botulinum_toxin": {"date": date(2030, 2, 28)}}  # deferred until 14 March
UNTIL = date(2030, 3, 14)


@pytest.fixture(autouse=True)
def _clock():
    with frozen_clock():
        yield


@pytest.fixture
def turned_away(app):
    """Session 1 of six (today 10:00) checked in, then deferred at the re-screen."""
    clinic, client_id = clinic_with_client(app)
    sessions = book_series_of_six(app, clinic, client_id)
    check_in(app, sessions[0])
    user = browser(app, clinic)
    page = yes_then_new_intake(app, user, client_id, sessions[0], BOTOX)
    return clinic, client_id, sessions, user, page


def buttons(page) -> list[str]:
    return [
        " ".join(re.sub(r"<[^>]+>", " ", b).split())
        for b in re.findall(
            r"<(?:button|a)\b[^>]*>(.*?)</(?:button|a)>", page.text, re.S
        )
    ]


def test_the_start_page_offers_cancel_or_move_not_start(app, turned_away):
    page = turned_away[4]
    text = plain(page)
    assert "The visit cannot go ahead" in text
    assert "Deferred until 14 March 2030" in text
    shown = buttons(page)
    assert "Start the visit" not in shown
    assert "Cancel (client not eligible)" in shown
    assert "Move the rest of the series from 14 March 2030" in shown


def test_the_appointment_page_offers_no_visit_and_no_completion(app, turned_away):
    _, _, sessions, user, _ = turned_away
    page = user.get(f"/appointments/{sessions[0]}")
    shown = buttons(page)
    assert "Start the visit" not in shown
    assert "Complete without notes" not in shown
    assert "Cancel (client not eligible)" in shown
    assert "The visit cannot go ahead. Not before 14 March 2030" in plain(page)

    # What the pages no longer offer, the server refuses.
    refused = submit(user, f"/appointments/{sessions[0]}/complete", page="/dashboard")
    assert refused.status_code == 409
    assert "Cancel the appointment or move it instead." in plain(refused)
    started = post(user, start_url(sessions[0]), {"changed": "no"})
    assert started.status_code == 409
    from clinic.visits.models import Visit

    assert count(app, Visit) == 0
    assert appointments_of(app)[0].status == "checked_in"


def test_cancel_client_not_eligible(app, turned_away):
    _, client_id, _, user, page = turned_away
    [form] = [f for f in forms_of(page) if f["action"].endswith("/cancel")]
    response = user.post(form["action"], data=form["fields"])
    assert response.status_code == 302
    [first, *rest] = appointments_of(app, client_id)
    assert first.status == "cancelled"
    assert first.cancel_reason == "Client not eligible at the re-screen"
    assert first.late_cancel is False  # the clinic's call, not the client's
    assert first.active_allocations == []
    assert [a.status for a in rest] == ["booked"] * 5


def test_move_the_rest_of_the_series_from_the_eligible_day(app, turned_away):
    _, client_id, sessions, user, page = turned_away
    [link] = re.findall(r'href="([^"]*/move[^"]*)"', page.text)
    proposal = user.get(link.replace("&amp;", "&"))
    assert proposal.status_code == 200
    [form] = [f for f in forms_of(proposal) if "reason" in f["fields"]]
    fields = form["fields"]
    days = [date.fromisoformat(fields[f"sessions-{n}-day"]) for n in range(6)]
    assert days[0] == UNTIL
    assert all(later > earlier for earlier, later in pairwise(days))

    refused = user.post(proposal.request.path, data=fields | {"confirm": "1"})
    assert refused.status_code == 422  # the reason is required
    moved = user.post(
        proposal.request.path,
        data=fields | {"confirm": "1", "reason": "Deferred after botox"},
    )
    assert moved.status_code == 302, plain(moved)[:500]
    after = appointments_of(app, client_id)
    assert [a.starts_at.astimezone(TZ).date() for a in after] == days
    assert all(a.status == "booked" for a in after)  # session 1's check-in undone
    history = plain(user.get(f"/appointments/{sessions[0]}"))
    assert "Check in undone" in history
    assert "reason: Deferred after botox" in history


def test_moving_outside_the_gaps_needs_its_own_reason(app, turned_away):
    _, client_id, _, user, _ = turned_away
    url = f"/series/{appointments_of(app, client_id)[0].series_id}/move"
    proposal = user.get(url)
    [form] = [f for f in forms_of(proposal) if "reason" in f["fields"]]
    fields = form["fields"] | {"reason": "Deferred", "confirm": "1"}
    fields["sessions-1-day"] = "2030-03-16"  # 2 days after session 1: 8-12 allowed
    refused = user.post(url, data=fields)
    assert refused.status_code == 422
    assert "Session 2 is 2 days after session 1" in plain(refused)
    assert "Give a reason to book outside the protocol's gaps." in plain(refused)
    assert appointments_of(app, client_id)[1].starts_at.astimezone(TZ).time() == (
        time(10, 0)
    )
    moved = user.post(url, data=fields | {"gap_reason": "Client travels"})
    assert moved.status_code == 302
    second = appointments_of(app, client_id)[1]
    assert second.starts_at.astimezone(TZ).date() == date(2030, 3, 16)
