"""Series through the pages: the proposal, changes, and all-or-nothing booking.

DESIGN.md guarantee 3: a series is booked whole or not at all, also when
another booking or another series takes one of its times meanwhile.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import event, func, select

from clinic.audit import AuditEvent
from clinic.extensions import db
from clinic.roles import Role
from clinic.scheduling.models import Series
from tests.helpers import submit
from tests.scheduling.support import (
    REFUSAL_REASONS,
    TZ,
    add_client,
    appointments_of,
    book_directly,
    build_clinic,
    deferred_answers,
    dialect,
    forms_of,
    ineligible_client,
    next_weekday,
    overlaps,
    plain,
    signed_in_browser,
    today,
)

TUE, FRI = 1, 4
WAIT_SECONDS = 120


@pytest.fixture
def clinic(app):
    return build_clinic(app)


@pytest.fixture
def first_day(app):
    return next_weekday(today(app) + timedelta(days=7), TUE)


@pytest.fixture
def clara(app):
    return add_client(app, "Clara Client")


def twice_weekly(clinic) -> int:
    """The seeded "10 sessions, twice a week" protocol (gaps 2-5, ideally 3)."""
    return clinic.protocol_ids[0]


def plan(browser, client_id, clinic, first_day, at="10:00", esthetician=0, **kw):
    """POST the planning form; the response is the proposal page."""
    data = {
        "protocol": str(kw.pop("protocol", twice_weekly(clinic))),
        "esthetician": str(clinic.estheticians[esthetician]),
        "first_day": first_day.isoformat(),
        "weekdays": [str(TUE), str(FRI)],
        "preferred_time": at,
    }
    data.update(kw)
    return submit(browser, f"/clients/{client_id}/series/new", data)


def rows(response) -> list[dict]:
    """The proposal table: number label, day, time, esthetician, mark, note."""
    form = next(f for f in forms_of(response) if f["action"].endswith("/confirm"))
    fields = form["fields"]
    body = response.get_data(as_text=True)
    tbody = re.search(r"<tbody>(.*?)</tbody>", body, re.DOTALL).group(1)
    found = []
    for index, (classes, row) in enumerate(
        re.findall(r'<tr class="([^"]*)">(.*?)</tr>', tbody, re.DOTALL)
    ):
        label = re.search(r'<th scope="row">([^<]*)</th>', row).group(1)
        note = re.sub(
            r"<[^>]+>", " ", re.findall(r"<td>(.*?)</td>", row, re.DOTALL)[-1]
        )
        found.append(
            {
                "label": label,
                "day": date.fromisoformat(fields[f"sessions-{index}-day"]),
                "at": fields[f"sessions-{index}-at"],
                "esthetician": int(fields[f"sessions-{index}-esthetician"]),
                "mark": classes,
                "note": " ".join(note.split()),
            }
        )
    return found


def confirm_fields(response) -> dict:
    """The confirm form's fields as the page holds them (CSRF token included)."""
    form = next(f for f in forms_of(response) if f["action"].endswith("/confirm"))
    return dict(form["fields"])


def confirm(browser, client_id, fields, button="confirm"):
    return browser.post(
        f"/clients/{client_id}/series/confirm", data={**fields, button: "1"}
    )


def series_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Series))


def series_id_from(response) -> int:
    assert response.status_code == 302, response.status_code
    match = re.fullmatch(r"/series/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def local_time(at: datetime) -> str:
    return f"{at.astimezone(TZ):%H:%M}"


def at_local(day: date, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=TZ).astimezone(UTC)


class TestProposal:
    def test_ten_sessions_twice_a_week_on_tuesdays_and_fridays(
        self, app, client, front_desk, clinic, clara, first_day
    ):
        response = plan(client, clara, clinic, first_day)
        assert response.status_code == 200
        proposal = rows(response)
        assert [r["label"] for r in proposal] == [f"{n} of 10" for n in range(1, 11)]
        assert proposal[0]["day"] == first_day
        assert [r["day"].weekday() for r in proposal] == [TUE, FRI] * 5
        assert all(r["at"] == "10:00" for r in proposal)
        assert {r["esthetician"] for r in proposal} == {clinic.estheticians[0]}
        assert all(2 <= (b["day"] - a["day"]).days <= 5 for a, b in pairwise(proposal))
        assert not any(r["mark"] for r in proposal)
        # A proposal books nothing.
        assert appointments_of(app) == []
        assert series_count(app) == 0

    def test_a_taken_preferred_time_is_moved_and_marked(
        self, app, client, front_desk, clinic, clara, first_day
    ):
        before = rows(plan(client, clara, clinic, first_day))
        taken_day = before[2]["day"]
        other = add_client(app, "Olive Other")
        book_directly(
            app,
            other,
            clinic.service_id,
            clinic.estheticians[0],
            at_local(taken_day, "10:00"),
        )

        after = rows(plan(client, clara, clinic, first_day))
        moved = after[2]
        assert moved["mark"] == "table-warning"
        assert moved["note"] == "Moved from the preferred day or time"
        assert (moved["day"], moved["at"]) != (taken_day, "10:00")
        # 10:00-11:15 is taken with the buffer: the nearest free time is 11:15.
        assert (moved["day"], moved["at"]) == (taken_day, "11:15")
        for n in (0, 1, 3, 4, 5, 6, 7, 8, 9):
            assert after[n]["mark"] == ""
            assert (after[n]["day"], after[n]["at"]) == (before[n]["day"], "10:00")

    def test_a_bad_plan_is_a_422(self, app, client, front_desk, clinic, clara):
        response = submit(
            client,
            f"/clients/{clara}/series/new",
            {
                "protocol": "",
                "esthetician": "any",
                "first_day": "",
                "preferred_time": "",
            },
        )
        assert response.status_code == 422
        assert "Give a preferred time." in plain(response)

    def test_unknown_client(self, app, client, front_desk, clinic, first_day):
        assert client.get("/clients/99999/series/new").status_code == 404
        assert plan(client, 99999, clinic, first_day).status_code == 404


class TestConfirm:
    def test_change_one_session_then_all_ten_are_booked(
        self, app, client, front_desk, clinic, clara, first_day
    ):
        proposal_page = plan(client, clara, clinic, first_day)
        proposal = rows(proposal_page)
        fields = confirm_fields(proposal_page)
        fields["sessions-5-at"] = "14:30"  # session 6 in the afternoon instead

        response = confirm(client, clara, fields)
        series_id = series_id_from(response)
        assert series_count(app) == 1

        booked = appointments_of(app, clara)
        assert len(booked) == 10
        assert [a.session_number for a in booked] == list(range(1, 11))
        assert {a.series_id for a in booked} == {series_id}
        assert {a.status for a in booked} == {"booked"}
        expected = [
            at_local(r["day"], "14:30" if n == 5 else "10:00")
            for n, r in enumerate(proposal)
        ]
        assert [a.starts_at for a in booked] == expected
        assert overlaps(app) == []

        series_page = client.get(response.headers["Location"])
        assert "All 10 sessions were booked." in plain(series_page)
        assert "0 of 10 done , 10 booked ahead, 10 remaining." in plain(series_page)

        fourth = client.get(f"/appointments/{booked[3].id}")
        assert fourth.status_code == 200
        assert "Session 4 of 10" in plain(fourth)

        with app.app_context():
            audit = db.session.execute(
                select(AuditEvent.action, AuditEvent.client_id, AuditEvent.entity_id)
                .where(AuditEvent.action.in_(["appointment.booked", "series.booked"]))
                .order_by(AuditEvent.seq)
            ).all()
        assert sorted(
            int(entity) for action, _, entity in audit if action == "appointment.booked"
        ) == sorted(a.id for a in booked)
        assert ("series.booked", clara, str(series_id)) in audit
        assert {client_id for _, client_id, _ in audit} == {clara}

    def test_all_or_nothing_when_session_7_is_taken_meanwhile(
        self, app, client, front_desk, clinic, clara, first_day
    ):
        proposal_page = plan(client, clara, clinic, first_day)
        proposal = rows(proposal_page)
        fields = confirm_fields(proposal_page)
        other = add_client(app, "Olive Other")
        book_directly(
            app,
            other,
            clinic.service_id,
            clinic.estheticians[0],
            at_local(proposal[6]["day"], "10:00"),
        )

        response = confirm(client, clara, fields)
        assert response.status_code == 409
        assert series_count(app) == 0
        assert appointments_of(app, clara) == []
        assert len(appointments_of(app)) == 1
        text = plain(response)
        assert "Nothing was booked. 1 session needs another time" in text
        shown = rows(response)
        assert shown[6]["mark"] == "table-danger"
        assert "Esthetician 1 is already booked at that time." in shown[6]["note"]
        assert [r["mark"] for n, r in enumerate(shown) if n != 6] == [""] * 9
        # The page keeps the desk's values so that only session 7 needs changing.
        assert [(r["day"], r["at"]) for r in shown] == [
            (r["day"], r["at"]) for r in proposal
        ]

        # Check again: still taken, still nothing booked.
        recheck = confirm(client, clara, confirm_fields(response), button="recheck")
        assert recheck.status_code == 409
        assert rows(recheck)[6]["mark"] == "table-danger"
        assert series_count(app) == 0

        fixed = confirm_fields(response)
        fixed["sessions-6-at"] = "12:00"
        series_id_from(confirm(client, clara, fixed))
        assert len(appointments_of(app, clara)) == 10
        assert overlaps(app) == []

    def test_two_sessions_of_one_series_may_not_overlap(
        self, app, client, front_desk, clinic, clara, first_day
    ):
        proposal_page = plan(client, clara, clinic, first_day)
        fields = confirm_fields(proposal_page)
        fields["sessions-1-day"] = fields["sessions-0-day"]
        fields["sessions-1-at"] = "10:30"
        response = confirm(client, clara, fields)
        assert response.status_code == 409
        assert rows(response)[1]["note"] == (
            "overlaps session 1. Session 2 is 0 days after session 1; the "
            "protocol allows 2-5 days."
        )
        assert series_count(app) == 0
        assert appointments_of(app) == []

    def test_one_client_cannot_be_in_two_sessions_at_once(
        self, app, client, front_desk, clinic, clara, first_day
    ):
        """Even with two different estheticians: the client is one person, and
        the series' sessions must not take one room or device twice."""
        proposal_page = plan(client, clara, clinic, first_day)
        fields = confirm_fields(proposal_page)
        fields["sessions-1-day"] = fields["sessions-0-day"]
        fields["sessions-1-at"] = fields["sessions-0-at"]
        fields["sessions-1-esthetician"] = str(clinic.estheticians[1])
        assert fields["sessions-0-esthetician"] != fields["sessions-1-esthetician"]
        response = confirm(client, clara, fields)
        assert response.status_code == 409
        assert rows(response)[1]["note"] == (
            "overlaps session 1. Session 2 is 0 days after session 1; the "
            "protocol allows 2-5 days."
        )
        assert series_count(app) == 0

    def test_booking_reads_a_few_rows_per_session(
        self, app, client, front_desk, clinic, clara, first_day
    ):
        """Each session is checked with one query (time off and bookings of
        the esthetician, the client's other appointments, the first free room
        and device); what does not change between them (the esthetician,
        hours, intake, locks, the audit chain's head, the room and device
        picked) is read once. 10 sessions once cost 170 statements, then 45
        reads. PostgreSQL's locks: one statement for the client and the
        estheticians, one try per room and device picked.
        Inserts are not counted: SQLite gets one per row (in process, cheap),
        PostgreSQL one per table."""
        fields = confirm_fields(plan(client, clara, clinic, first_day))
        statements = []
        with app.app_context():
            engine = db.engine

        def count(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            response = confirm(client, clara, fields)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        series_id_from(response)
        assert len(appointments_of(app, clara)) == 10
        reads = [s for s in statements if not s.lstrip().startswith("INSERT")]
        assert len(reads) <= 10 + 18, "\n".join(s[:80] for s in reads)
        assert sum("FROM audit_event" in s for s in reads) == 1

    def test_a_session_outside_hours_or_in_the_past_refuses_the_series(
        self, app, client, front_desk, clinic, clara, first_day
    ):
        fields = confirm_fields(plan(client, clara, clinic, first_day))
        fields["sessions-2-at"] = "07:00"
        fields["sessions-0-day"] = (today(app) - timedelta(days=3)).isoformat()
        response = confirm(client, clara, fields)
        assert response.status_code == 409
        shown = rows(response)
        assert shown[0]["note"] == "That time is in the past."
        assert "not working for all of that time" in shown[2]["note"]
        assert appointments_of(app) == []
        assert series_count(app) == 0

    def test_a_malformed_session_is_a_422_and_nothing_is_booked(
        self, app, client, front_desk, clinic, clara, first_day
    ):
        fields = confirm_fields(plan(client, clara, clinic, first_day))
        fields["sessions-3-day"] = "not a day"
        response = confirm(client, clara, fields)
        assert response.status_code == 422
        assert appointments_of(app) == []
        assert series_count(app) == 0

    def test_missing_sessions_are_refused(
        self, app, client, front_desk, clinic, clara, first_day
    ):
        fields = confirm_fields(plan(client, clara, clinic, first_day))
        for key in [k for k in fields if k.startswith("sessions-9-")]:
            del fields[key]
        response = confirm(client, clara, fields)
        assert response.status_code == 422
        assert "The protocol has 10 sessions; 9 given." in plain(response)
        assert appointments_of(app) == []
        assert series_count(app) == 0


# --- eligibility on the series path -----------------------------------------


@pytest.mark.parametrize("case", sorted(REFUSAL_REASONS))
def test_ineligible_client_gets_no_series(
    app, client, front_desk, clinic, first_day, case
):
    """The pages say why and offer nothing to press; a confirmation sent
    anyway (by hand) is refused session by session and books nothing."""
    reason = REFUSAL_REASONS[case]
    client_id = ineligible_client(app, case)

    page = client.get(f"/clients/{client_id}/series/new")
    assert page.status_code == 200
    assert f"Cannot plan a series. {reason}" in plain(page)
    assert "Propose the sessions" not in plain(page)
    refused = plan(client, client_id, clinic, first_day)
    assert refused.status_code == 422
    assert f"Cannot plan a series. {reason}" in plain(refused)
    assert "Book all sessions" not in plain(refused)

    token = confirm_fields(plan(client, clara_for(app), clinic, first_day))
    fields = {"csrf_token": token["csrf_token"], "protocol": token["protocol"]}
    for n in range(10):
        fields |= {
            f"sessions-{n}-day": (first_day + timedelta(days=3 * n)).isoformat(),
            f"sessions-{n}-at": "10:00",
            f"sessions-{n}-esthetician": str(clinic.estheticians[0]),
        }
    response = confirm(client, client_id, fields)
    assert response.status_code == 409
    assert f"Cannot book. {reason}" in plain(response)
    assert "Book all sessions" not in plain(response)
    shown = rows(response)
    assert len(shown) == 10
    assert all(r["mark"] == "table-danger" for r in shown)
    assert all(r["note"].startswith(reason) for r in shown)
    assert series_count(app) == 0
    assert appointments_of(app) == []


def clara_for(app) -> int:
    """An eligible client, for a page that carries a CSRF token and protocol."""
    return add_client(app, "Clara Client")


def test_deferred_client_series_starts_on_d_and_not_before(
    app, client, front_desk, clinic
):
    event = today(app) - timedelta(days=1)
    until = event + timedelta(days=14)
    client_id = add_client(app, "Dora Deferred", yes=deferred_answers(event))
    label = f"{until.day} {until:%B %Y}"

    # Asked to start a week from now, the planner starts on D at the earliest.
    proposal_page = plan(
        client,
        client_id,
        clinic,
        today(app) + timedelta(days=7),
        weekdays=[str(d) for d in range(7)],
    )
    proposal = rows(proposal_page)
    assert proposal[0]["day"] == until

    early = confirm_fields(proposal_page)
    early["sessions-0-day"] = (until - timedelta(days=1)).isoformat()
    refused = confirm(client, client_id, early)
    assert refused.status_code == 409
    shown = rows(refused)
    assert shown[0]["note"] == (
        f"Not before {label}: the client is deferred until {label}."
    )
    assert [r["mark"] for r in shown[1:]] == [""] * 9
    assert series_count(app) == 0
    assert appointments_of(app) == []

    series_id_from(confirm(client, client_id, confirm_fields(proposal_page)))
    booked = appointments_of(app, client_id)
    assert len(booked) == 10
    assert booked[0].starts_at.astimezone(TZ).date() == until


# --- two series colliding, confirmed at the same moment --------------------


def race(requests) -> list[tuple[int, str]]:
    barrier = threading.Barrier(len(requests))
    results: list = [None] * len(requests)

    def run(index, request):
        try:
            barrier.wait(timeout=WAIT_SECONDS)
            response = request()
            results[index] = (response.status_code, plain(response))
        except Exception as exc:  # reported as a failed request
            results[index] = (500, f"{type(exc).__name__}: {exc}")

    threads = [
        threading.Thread(target=run, args=(n, r), daemon=True)
        for n, r in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.mark.app_config(LOGIN_RATE_LIMIT="1000 per minute")
@pytest.mark.parametrize("collision", ["same-session", "first-meets-fifth"])
def test_two_colliding_series_at_once_one_whole_the_other_not_at_all(
    app, make_user, clinic, first_day, collision
):
    """Each series is booked by its own browser; they collide on one session.

    "same-session": session 5 of both at one time. "first-meets-fifth": the
    second series starts where the first has its fifth session, so one
    request's first insert meets the other's fifth.
    """
    rounds = 5 if dialect(app) == "postgresql" else 2
    desk = make_user(Role.FRONT_DESK)
    browsers = [signed_in_browser(app, desk.email) for _ in range(2)]
    outcomes = []
    for number in range(rounds):
        start_day = first_day + timedelta(weeks=6 * number)
        ana = add_client(app, f"Ana{number} First")
        ben = add_client(app, f"Ben{number} Second")
        ana_page = plan(browsers[0], ana, clinic, start_day)
        ana_rows = rows(ana_page)
        fifth = ana_rows[4]
        if collision == "same-session":
            ben_page = plan(browsers[1], ben, clinic, start_day, at="14:00")
            ben_fields = confirm_fields(ben_page)
            ben_fields["sessions-4-day"] = fifth["day"].isoformat()
            ben_fields["sessions-4-at"] = fifth["at"]
        else:
            ben_page = plan(browsers[1], ben, clinic, fifth["day"], at="14:00")
            ben_fields = confirm_fields(ben_page)
            assert rows(ben_page)[0]["day"] == fifth["day"]
            ben_fields["sessions-0-at"] = fifth["at"]
        ana_fields = confirm_fields(ana_page)

        results = race(
            [
                lambda a=ana, f=ana_fields: confirm(browsers[0], a, f),
                lambda b=ben, f=ben_fields: confirm(browsers[1], b, f),
            ]
        )
        statuses = sorted(status for status, _ in results)
        outcomes.append(statuses)
        assert statuses == [302, 409], results
        winner, loser = (ana, ben) if results[0][0] == 302 else (ben, ana)
        assert len(appointments_of(app, winner)) == 10
        assert appointments_of(app, loser) == []
        loser_page = results[[ana, ben].index(loser)][1]
        assert "Nothing was booked." in loser_page
        assert any(m in loser_page for m in ("already booked", "just taken"))
        assert overlaps(app) == []
    assert series_count(app) == rounds
    print(f"{dialect(app)} {collision}: {outcomes}")
