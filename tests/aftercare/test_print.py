"""Printing aftercare sheets through the pages: one visit, reprints, the day's
batch, what the sheet says, the record and audit of every print, access."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from pypdf import PdfReader

from clinic import create_app
from clinic.aftercare.models import AftercareBatch, AftercarePrint
from clinic.audit import AuditEvent
from clinic.extensions import db
from clinic.roles import Role
from clinic.zones import ZONES
from tests.aftercare.support import (
    CLINIC_SETTINGS,
    NOW,
    RETINOL,
    SEEDED_ITEMS,
    TODAY,
    audit_events,
    batches,
    book,
    book_series,
    cancel,
    count,
    days_after,
    filename_of,
    form_posting_to,
    frozen_clock,
    long_local,
    page_boxes,
    pdf_pages,
    pdf_text,
    print_day,
    print_sheet,
    print_url,
    prints,
    record_visit,
    sha256,
    visit_on,
)
from tests.clients.support import client_form
from tests.conftest import base_config
from tests.helpers import submit
from tests.scheduling.support import (
    add_client,
    build_clinic,
    local,
    plain,
    sign_new_intake,
    signed_in_browser,
)

# (A test's own app_config replaces this one: conftest reads the closest.)
pytestmark = pytest.mark.app_config(**CLINIC_SETTINGS)

ALL_STAFF = [Role.FRONT_DESK, Role.ESTHETICIAN, Role.ADMIN]


@pytest.fixture(autouse=True)
def _clock():
    with frozen_clock():
        yield


@pytest.fixture
def clinic(app):
    return build_clinic(app)


def pdf_response(response) -> bytes:
    """The body of a served sheet, after checking how it is served."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline;")
    assert response.headers["Cache-Control"] == "no-store"
    return response.data


def until(text: str, end: datetime, hours: int) -> str:
    return f"{text} until {long_local(end + timedelta(hours=hours))}"


# --- one visit's sheet -------------------------------------------------------


def test_a_signed_visit_prints_inline_as_a_pdf_named_by_date_and_initials(
    app, client, clinic, front_desk
):
    client_id = add_client(app, "Jane Doe")
    visit_id = visit_on(app, clinic, client_id)

    response = print_sheet(client, visit_id)

    data = pdf_response(response)
    assert filename_of(response) == "aftercare-2027-03-26-JD.pdf"
    for part in ("Jane", "Doe"):
        assert part not in response.headers["Content-Disposition"]
        assert part not in print_url(visit_id)
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata.title == "Aftercare"
    assert reader.metadata.author == CLINIC_SETTINGS["CLINIC_NAME"]
    assert "Jane Doe" in reader.metadata.subject


def test_the_sheet_names_the_client_the_clinic_the_visit_and_the_zones(
    app, client, clinic, front_desk
):
    client_id = add_client(app, "Jane Doe")
    visit_id = visit_on(
        app,
        clinic,
        client_id,
        zones=("forehead", "cheek_left", "cheek_right", "jaw_left"),
        aftercare_note="Lovely session. Keep up the water!",
    )

    text = pdf_text(pdf_response(print_sheet(client, visit_id)))

    assert "Aftercare" in text
    assert "After your microcurrent facial" in text  # the template's title
    assert "Jane Doe" in text
    for setting in CLINIC_SETTINGS.values():
        assert setting in text
    assert "Friday 26 March 2027" in text
    assert "Esthetician 1" in text
    assert "Microcurrent facial" in text
    treated = ["Jawline and jowl (left)", "Cheek (left)", "Cheek (right)", "Forehead"]
    others = [
        z.label
        for z in ZONES
        if z.code not in {"forehead", "cheek_left", "cheek_right", "jaw_left"}
    ]
    assert f"Zones treated today: {', '.join(treated)}" in text
    assert f"Zones not treated today: {', '.join(others)}" in text
    assert "Lovely session. Keep up the water!" in text
    assert "Microcurrent has no downtime." in text  # the template's notes
    assert "Contact us if redness or irritation lasts more than 24 hours" in text
    assert "DRAFT" not in text


@pytest.mark.parametrize(
    ("day", "at", "retinol_until"),
    [
        # Friday before the clocks go forward: 11:00 GMT + 72 h is 12:00 BST.
        (date(2027, 3, 26), time(10, 0), "Monday 29 March, 12:00"),
        # Friday before the clocks go back: 11:00 BST + 72 h is 10:00 GMT.
        (date(2026, 10, 23), time(10, 0), "Monday 26 October, 10:00"),
        # No change of clocks; counted from the end (15:30), not the start.
        (date(2027, 3, 16), time(14, 30), "Friday 19 March, 15:30"),
    ],
)
def test_each_timed_instruction_becomes_the_local_time_after_the_appointment_ends(
    app, client, clinic, front_desk, day, at, retinol_until
):
    client_id = add_client(app)
    visit_id = visit_on(app, clinic, client_id, day=day, at=at)
    end = local(day, at) + timedelta(minutes=60)  # the seeded 60-minute facial

    text = pdf_text(pdf_response(print_sheet(client, visit_id)))

    assert f"{RETINOL} until {retinol_until}" in text
    for item, hours in SEEDED_ITEMS:
        if hours is None:
            assert item in text
            assert f"{item} until" not in text
        else:
            assert until(item, end, hours) in text


def test_the_sheet_lists_the_next_booked_sessions_of_the_series(
    app, client, clinic, front_desk
):
    client_id = add_client(app)
    days = days_after(TODAY - timedelta(days=10), 0, 10, 20, 30, 40, 50)
    sessions = book_series(app, clinic, client_id, days, at=time(11, 15))
    record_visit(app, sessions[0])
    cancel(app, sessions[3])  # session 4 is no longer booked
    visit_id = record_visit(app, sessions[1])  # today: session 2 of 6

    text = pdf_text(pdf_response(print_sheet(client, visit_id)))

    table = text[text.index("Your next sessions") :]
    expected = [
        f"Session {n} of 6 {long_local(local(days[n - 1], time(11, 15)))}"
        for n in (3, 5, 6)
    ]
    assert " ".join(expected) in table
    assert expected[0] == "Session 3 of 6 Monday 5 April, 11:15"  # BST by then
    for gone in (1, 2, 4):
        assert f"Session {gone} of 6" not in table
    assert "Sessions remaining: 4" in text


def test_a_single_visit_says_no_further_session_is_booked(
    app, client, clinic, front_desk
):
    client_id = add_client(app)
    visit_id = visit_on(app, clinic, client_id)

    text = pdf_text(pdf_response(print_sheet(client, visit_id)))

    assert "No further sessions are booked yet." in text
    assert "Sessions remaining" not in text


def test_a_draft_unsigned_visit_prints_marked_DRAFT(app, client, clinic, front_desk):
    client_id = add_client(app)
    visit_id = visit_on(app, clinic, client_id, sign=False)

    data = pdf_response(print_sheet(client, visit_id))

    pages = pdf_pages(data)
    assert all("DRAFT" in page for page in pages)
    assert "visit not signed" in pages[0]
    [record] = prints(app)
    assert record.draft is True


@pytest.mark.parametrize(
    ("size", "box"),
    [
        pytest.param(
            "A4",
            (595.28, 841.89),
            marks=pytest.mark.app_config(**CLINIC_SETTINGS, AFTERCARE_PAGE_SIZE="A4"),
        ),
        pytest.param(
            "LETTER",
            (612.0, 792.0),
            marks=pytest.mark.app_config(
                **CLINIC_SETTINGS, AFTERCARE_PAGE_SIZE="LETTER"
            ),
        ),
    ],
)
def test_the_page_size_follows_the_setting(app, client, clinic, front_desk, size, box):
    visit_id = visit_on(app, clinic, add_client(app))

    data = pdf_response(print_sheet(client, visit_id))

    for width, height in page_boxes(data):
        assert width == pytest.approx(box[0], abs=0.01)
        assert height == pytest.approx(box[1], abs=0.01)
    assert prints(app)[0].page_size == size


@pytest.mark.app_config(**CLINIC_SETTINGS, AFTERCARE_PAGE_SIZE="LETTER")
def test_a_reprint_keeps_the_page_size_and_clinic_header_it_was_printed_with(
    app, client, clinic, front_desk, database_uri
):
    visit_id = visit_on(app, clinic, add_client(app))
    original = pdf_response(print_sheet(client, visit_id))
    [record] = prints(app)
    # The clinic moves and switches to A4: the same database, new settings.
    moved = {
        "CLINIC_ADDRESS": "3 Marine Parade, Hove BN3 1AA",
        "CLINIC_PHONE": "01273 555 777",
        "AFTERCARE_PAGE_SIZE": "A4",
    }
    a4 = create_app(base_config(database_uri) | CLINIC_SETTINGS | moved)
    browser = signed_in_browser(a4, front_desk.email)

    again = pdf_response(browser.get(f"/aftercare/prints/{record.id}.pdf"))
    fresh = pdf_response(print_sheet(browser, visit_id))

    assert again == original
    assert sha256(again) == record.sha256
    assert page_boxes(again) == [pytest.approx((612.0, 792.0), abs=0.01)]
    assert CLINIC_SETTINGS["CLINIC_PHONE"] in pdf_text(again)
    assert page_boxes(fresh) == [pytest.approx((595.28, 841.89), abs=0.01)]
    text = pdf_text(fresh)
    assert "3 Marine Parade, Hove BN3 1AA" in text
    assert "01273 555 777" in text
    assert CLINIC_SETTINGS["CLINIC_PHONE"] not in text
    with a4.app_context():
        db.engine.dispose()


# --- text that must survive --------------------------------------------------


def test_names_in_three_scripts_round_trip_from_the_form_to_the_sheet(
    app, client, clinic, front_desk
):
    names = [
        ("Σοφία", "Παπαδοπούλου", "X"),
        ("Олена", "Коваленко", "X"),
        ("Nguyễn", "Thị Lan", "NT"),
    ]
    visit_ids = []
    for n, (given, family, _initials) in enumerate(names):
        registered = submit(
            client,
            "/clients/new",
            client_form(given_name=given, family_name=family, email="", phone=""),
        )
        assert registered.status_code == 302, plain(registered)
        client_id = int(registered.headers["Location"].rsplit("/", 1)[1])
        sign_new_intake(app, client_id)
        visit_ids.append(visit_on(app, clinic, client_id, at=time(9 + 2 * n, 0)))

    for (given, family, initials), visit_id in zip(names, visit_ids, strict=True):
        response = print_sheet(client, visit_id)
        text = pdf_text(pdf_response(response))
        assert f"{given} {family}" in text
        assert f"Aftercare \u00b7 {given} {family}" in text  # the footer
        assert filename_of(response) == f"aftercare-2027-03-26-{initials}.pdf"

    pages = pdf_pages(pdf_response(print_day(client, TODAY)))
    assert len(pages) == 3
    for page, (given, family, _initials) in zip(pages, names, strict=True):
        assert f"{given} {family}" in page


def test_markup_in_the_aftercare_note_prints_literally(app, client, clinic, front_desk):
    note = "Use <b>x</b> & <font size=40> twice a day"
    visit_id = visit_on(app, clinic, add_client(app), aftercare_note=note)

    text = pdf_text(pdf_response(print_sheet(client, visit_id)))

    assert note in text


def test_a_very_long_note_flows_onto_numbered_pages(app, client, clinic, front_desk):
    words = [f"word{n}" for n in range(1500)]
    note = " ".join(words)
    visit_id = visit_on(app, clinic, add_client(app, "Jane Doe"), aftercare_note=note)

    pages = pdf_pages(pdf_response(print_sheet(client, visit_id)))

    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert CLINIC_SETTINGS["CLINIC_NAME"] in page  # the header, every page
        assert "Jane Doe" in page  # the footer, every page
    text = " ".join(pages)
    for word in ("word0", "word750", "word1499"):
        assert f" {word} " in f" {text} "


# --- the record, the audit, reprints -----------------------------------------


def test_each_print_is_recorded_with_the_hash_of_the_served_pdf_and_audited(
    app, client, clinic, front_desk
):
    client_id = add_client(app)
    visit_id = visit_on(app, clinic, client_id)
    before = datetime.now(UTC)

    first = pdf_response(print_sheet(client, visit_id))
    second = pdf_response(print_sheet(client, visit_id))

    records = prints(app)
    assert len(records) == 2
    for record, data in zip(records, (first, second), strict=True):
        assert record.visit_id == visit_id
        assert record.client_id == client_id
        assert record.template_version == 1
        assert record.printed_by_id == front_desk.id
        assert before - timedelta(seconds=1) <= record.printed_at
        assert record.printed_at <= datetime.now(UTC) + timedelta(seconds=1)
        assert record.sha256 == sha256(data)
        assert record.batch_id is None
        assert record.draft is False
    events = audit_events(app, "aftercare.printed")
    assert [(e.entity_id, e.client_id, e.user_id) for e in events] == [
        (str(r.id), client_id, front_desk.id) for r in records
    ]
    assert NOW <= records[0].printed_at < NOW + timedelta(minutes=5)


def test_a_reprint_after_a_template_edit_is_identical_and_a_new_print_uses_the_edit(
    app, client, clinic, front_desk, make_user
):
    client_id = add_client(app, "Jane Doe")
    sessions = book_series(
        app, clinic, client_id, days_after(TODAY, 0, 10, 20, 30, 40, 50)
    )
    visit_id = record_visit(app, sessions[0], aftercare_note="See you soon.")
    original = pdf_response(print_sheet(client, visit_id))
    [record] = prints(app)

    # An admin rewrites the retinol advice; the series changes too.
    admin = signed_in_browser(app, make_user(Role.ADMIN).email)
    url = f"/admin/aftercare/{clinic.service_id}"
    items = {
        f"items-{n}-{key}": value
        for n, (text, hours) in enumerate(SEEDED_ITEMS)
        for key, value in (("text", text), ("duration_hours", hours or ""))
    }
    items["items-5-text"] = "Avoid acids, peels and retinol"
    items["items-5-duration_hours"] = "96"
    saved = submit(
        admin,
        url,
        {
            "title": "After your microcurrent facial",
            "general_notes": "Microcurrent has no downtime.",
            "contact_if": "anything worries you.",
            **items,
        },
    )
    assert saved.status_code == 302, plain(saved)
    cancel(app, sessions[2])

    reprint_url = f"/aftercare/prints/{record.id}.pdf"
    again = client.get(reprint_url)

    assert pdf_response(again) == original
    assert sha256(again.data) == record.sha256
    text = pdf_text(again.data)
    end = local(TODAY, time(11, 0))
    assert until(RETINOL, end, 72) in text
    assert "Avoid acids, peels and retinol" not in text
    assert "Session 3 of 6" in text  # as it was printed, though now cancelled
    assert filename_of(again) == "aftercare-2027-03-26-JD.pdf"
    assert len(prints(app)) == 1  # a reprint is not a new print
    [event] = audit_events(app, "aftercare.reprinted")
    assert (event.entity_id, event.client_id, event.user_id) == (
        str(record.id),
        client_id,
        front_desk.id,
    )

    fresh = pdf_response(print_sheet(client, visit_id))
    text = pdf_text(fresh)
    assert until("Avoid acids, peels and retinol", end, 96) in text
    assert RETINOL not in text
    assert "Contact us if anything worries you." in text
    assert "Session 3 of 6" not in text
    newest = prints(app)[-1]
    assert newest.template_version == 2
    assert newest.sha256 == sha256(fresh) != record.sha256


# --- the day's batch ---------------------------------------------------------


def arrange_day(app, clinic) -> list[tuple[int, str]]:
    """Three visits completed today (booked out of order), a visit still in
    progress today, and one completed yesterday; (visit id, name) in time order."""
    plan = [
        ("Carla Third", time(15, 0), 0),
        ("Anna First", time(9, 0), 1),
        ("Bella Second", time(11, 30), 0),
    ]
    done = []
    for name, at, esthetician in plan:
        client_id = add_client(app, name)
        done.append(
            (at, visit_on(app, clinic, client_id, at=at, esthetician=esthetician), name)
        )
    in_progress = book(app, clinic, add_client(app, "Dora Draft"), at=time(16, 30))
    record_visit(app, in_progress, sign=False)
    yesterday = TODAY - timedelta(days=1)
    visit_on(app, clinic, add_client(app, "Yves Yesterday"), day=yesterday)
    return [(visit_id, name) for _at, visit_id, name in sorted(done)]


def test_the_day_page_lists_the_completed_visits_in_appointment_order(
    app, client, clinic, front_desk
):
    expected = arrange_day(app, clinic)

    page = client.get(f"/aftercare?date={TODAY.isoformat()}")

    assert page.status_code == 200
    text = plain(page)
    positions = [text.index(name) for _visit_id, name in expected]
    assert positions == sorted(positions)
    assert "Dora Draft" not in text
    assert "Yves Yesterday" not in text
    for visit_id, _name in expected:
        form_posting_to(page, print_url(visit_id))
    assert "Print all 3 sheets" in text
    heading = "Aftercare sheets, Friday 26 March 2027"
    default = plain(client.get("/aftercare"))  # today by default
    assert default[default.index(heading) :] == text[text.index(heading) :]


def test_the_day_batch_prints_each_client_on_their_own_pages_in_appointment_order(
    app, client, clinic, front_desk
):
    expected = arrange_day(app, clinic)
    page = client.get(f"/aftercare?date={TODAY.isoformat()}")
    fields = form_posting_to(page, "/aftercare/day")

    response = client.post("/aftercare/day", data=fields)

    data = pdf_response(response)
    assert filename_of(response) == "aftercare-2027-03-26-all.pdf"
    pages = pdf_pages(data)
    assert len(pages) == 3
    names = [name for _visit_id, name in expected]
    for page_text, name in zip(pages, names, strict=True):
        assert name in page_text
        assert [other for other in names if other in page_text] == [name]
        assert "Page 1 of 1" in page_text

    [batch] = batches(app)
    assert batch.day == TODAY
    assert batch.printed_by_id == front_desk.id
    assert batch.sha256 == sha256(data)
    records = prints(app)
    assert batch.print_ids == [r.id for r in records]
    assert [(r.visit_id, r.position) for r in records] == [
        (visit_id, n) for n, (visit_id, _name) in enumerate(expected)
    ]
    assert {r.batch_id for r in records} == {batch.id}
    assert {r.sha256 for r in records} == {sha256(data)}
    assert [e.entity_id for e in audit_events(app, "aftercare.printed")] == [
        str(r.id) for r in records
    ]

    again = client.get(f"/aftercare/batches/{batch.id}.pdf")
    assert pdf_response(again) == data
    assert len(audit_events(app, "aftercare.reprinted")) == 3
    assert len(batches(app)) == 1
    listed = client.get(f"/aftercare?date={TODAY.isoformat()}")
    assert f"/aftercare/batches/{batch.id}.pdf" in listed.get_data(as_text=True)

    # One sheet of the batch on its own: that client's pages only.
    alone = pdf_pages(
        pdf_response(client.get(f"/aftercare/prints/{records[1].id}.pdf"))
    )
    assert len(alone) == 1
    assert [name for name in names if name in alone[0]] == [names[1]]


def test_a_day_without_completed_visits_shows_a_message_not_a_pdf(
    app, client, clinic, front_desk
):
    # Only a visit still in progress: nothing was completed today.
    record_visit(app, book(app, clinic, add_client(app)), sign=False)

    page = client.get(f"/aftercare?date={TODAY.isoformat()}")
    assert page.status_code == 200
    assert "No visit was completed on this day" in plain(page)

    response = print_day(client, TODAY)

    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "No visit was completed on 26 March 2027." in plain(response)
    assert count(app, AftercareBatch) == 0
    assert count(app, AftercarePrint) == 0
    assert count(app, AuditEvent, AuditEvent.action.like("aftercare.%")) == 0


@pytest.mark.parametrize(
    "shown", ["2027-02-30", "26/03/2027", "today", "0001-01-01", "9999-12-31"]
)
def test_a_malformed_or_impossible_date_is_a_bad_request(
    app, client, front_desk, shown
):
    assert client.get(f"/aftercare?date={shown}").status_code == 400


@pytest.mark.parametrize("shown", ["2027-02-30", "not a date", ""])
def test_printing_the_day_with_a_malformed_date_prints_nothing(
    app, client, clinic, front_desk, shown
):
    visit_on(app, clinic, add_client(app))

    response = print_day(client, shown)

    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "Choose the day to print." in plain(response)
    assert count(app, AftercareBatch) == 0
    assert count(app, AftercarePrint) == 0


# --- links from the other pages ----------------------------------------------


def test_the_visit_appointment_profile_and_calendar_pages_lead_to_the_sheet(
    app, client, clinic, front_desk
):
    client_id = add_client(app)
    appointment_id = book(app, clinic, client_id)
    visit_id = record_visit(app, appointment_id)
    action = print_url(visit_id)

    for url in (f"/appointments/{appointment_id}", f"/clients/{client_id}"):
        page = client.get(url)
        assert page.status_code == 200, url
        fields = form_posting_to(page, action)
        pdf_response(client.post(action, data=fields))

    calendar = client.get(f"/calendar?date={TODAY.isoformat()}")
    assert f'href="/aftercare?date={TODAY.isoformat()}"' in calendar.get_data(
        as_text=True
    )

    esthetician = signed_in_browser(app, clinic.esthetician_emails[0])
    page = esthetician.get(f"/visits/{visit_id}")
    assert page.status_code == 200
    pdf_response(esthetician.post(action, data=form_posting_to(page, action)))
    assert len(prints(app)) == 3


def test_the_draft_visit_page_offers_a_draft_sheet(app, clinic):
    visit_id = visit_on(app, clinic, add_client(app), sign=False)
    esthetician = signed_in_browser(app, clinic.esthetician_emails[0])

    page = esthetician.get(f"/visits/{visit_id}")

    assert "Print the aftercare sheet (draft)" in plain(page)
    data = pdf_response(
        esthetician.post(
            print_url(visit_id), data=form_posting_to(page, print_url(visit_id))
        )
    )
    assert "DRAFT" in pdf_text(data)


# --- who may print -----------------------------------------------------------


@pytest.mark.parametrize("role", ALL_STAFF)
def test_every_staff_role_can_print_and_reprint(app, clinic, make_user, role):
    client_id = add_client(app)
    visit_id = visit_on(app, clinic, client_id)
    user = make_user(role)
    browser = signed_in_browser(app, user.email)

    data = pdf_response(print_sheet(browser, visit_id))
    [record] = prints(app)
    assert record.printed_by_id == user.id
    assert pdf_response(browser.get(f"/aftercare/prints/{record.id}.pdf")) == data
    batch = pdf_response(print_day(browser, TODAY))
    [made] = batches(app)
    assert pdf_response(browser.get(f"/aftercare/batches/{made.id}.pdf")) == batch
    assert [e.user_id for e in audit_events(app, "aftercare.printed")] == [user.id] * 2


def test_signed_out_visitors_are_sent_to_sign_in_and_nothing_is_printed(
    app, client, clinic, front_desk
):
    visit_id = visit_on(app, clinic, add_client(app))
    pdf_response(print_sheet(client, visit_id))
    pdf_response(print_day(client, TODAY))
    [record, _in_batch] = prints(app)
    [batch] = batches(app)
    anonymous = app.test_client()

    responses = [
        submit(anonymous, print_url(visit_id), page="/login"),
        submit(anonymous, "/aftercare/day", {"day": TODAY.isoformat()}, page="/login"),
        anonymous.get(f"/aftercare/prints/{record.id}.pdf"),
        anonymous.get(f"/aftercare/batches/{batch.id}.pdf"),
        anonymous.get("/aftercare"),
    ]

    for response in responses:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    assert len(prints(app)) == 2
    assert len(batches(app)) == 1
    assert audit_events(app, "aftercare.reprinted") == []


def test_unknown_visits_prints_and_batches_are_not_found(app, client, front_desk):
    assert print_sheet(client, 999999).status_code == 404
    assert client.get("/aftercare/prints/999999.pdf").status_code == 404
    assert client.get("/aftercare/batches/999999.pdf").status_code == 404
    assert count(app, AftercarePrint) == 0


def test_a_post_without_the_csrf_token_is_refused(app, client, clinic, front_desk):
    visit_id = visit_on(app, clinic, add_client(app))

    refused = [
        client.post(print_url(visit_id)),
        client.post(print_url(visit_id), data={"csrf_token": "forged"}),
        client.post("/aftercare/day", data={"day": TODAY.isoformat()}),
    ]

    assert [r.status_code for r in refused] == [400, 400, 400]

    assert count(app, AftercarePrint) == 0
    assert count(app, AftercareBatch) == 0
