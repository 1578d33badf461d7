"""The audit log's CSV export and the page's chain check."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select, update

from clinic import audit
from clinic.admin import audit_log
from clinic.audit import AuditCheckpoint, AuditEvent
from clinic.extensions import db
from clinic.roles import Role
from tests.admin.audit_support import actions_since, head, write_rows
from tests.admin.staff import page_text
from tests.helpers import audit_log_unlocked, submit
from tests.scheduling.support import add_client

URL = "/admin/audit"
EXPORT = f"{URL}/export.csv"


def table(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_export_is_every_filtered_row_newest_first(app, client, admin):
    write_rows(app, 60, action="test.event")
    write_rows(app, 3, action="test.other")
    response = client.get(f"{EXPORT}?action=test.event&before=5")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="audit-log-'
    )
    assert response.headers["Cache-Control"] == "no-store"
    header, *rows = table(response)
    assert header == list(audit_log.CSV_HEADER)
    assert len(rows) == 60, "every page of the filter; the page link is ignored"
    assert {row[4] for row in rows} == {"test.event"}
    numbers = [int(row[0]) for row in rows]
    assert numbers == sorted(numbers, reverse=True)
    assert rows[0][1].endswith("+00:00") or rows[0][1].endswith("+01:00")


def test_the_export_is_recorded_before_it_streams(app, client, admin):
    ada = add_client(app, "Ada Lovelace", intake=False)
    before = head(app)
    response = client.get(f"{EXPORT}?client=%23{ada}")
    [(action, user_id, client_id, details)] = actions_since(app, before)
    assert (action, user_id, client_id, details) == (
        "audit.exported",
        admin.id,
        ada,
        f"clients={ada}",
    )
    assert [row[4] for row in table(response)[1:]] == [
        "audit.exported",
        "client.created",
    ]


def test_a_bad_filter_exports_nothing(app, client, admin):
    before = head(app)
    response = client.get(f"{EXPORT}?date_from=yesterday")
    assert response.status_code == 422 and response.mimetype == "text/html"
    assert "Enter a date as YYYY-MM-DD" in page_text(response)
    assert actions_since(app, before) == []


def test_cells_that_a_spreadsheet_would_run_are_quoted(app, client, admin, make_user):
    """Names come from people (a client can type theirs on the tablet)."""
    evil = make_user(Role.FRONT_DESK, name='=HYPERLINK("http://x.example","hi")')
    clients = [
        add_client(app, name, intake=False)
        for name in ("+SUM(1+1) Plus", "-2+3 Minus", "@cmd At")
    ]
    with app.app_context():
        for client_id in clients:
            audit.record("client.viewed", client_id=client_id, user_id=evil.id)
        audit.record("test.tab", details="\tstarts with a tab", user_id=evil.id)
        audit.record("test.cr", details="\rstarts with a return", user_id=evil.id)
        audit.record("test.safe", details="a=b, -c", user_id=evil.id)
        db.session.commit()
    rows = table(client.get(f"{EXPORT}?person={evil.id}"))[1:]
    staff = {row[2] for row in rows}
    assert staff == {'\'=HYPERLINK("http://x.example","hi")'}
    names = {row[5] for row in rows if row[4] == "client.viewed"}
    assert names == {"'+SUM(1+1) Plus", "'-2+3 Minus", "'@cmd At"}
    details = {row[4]: row[10] for row in rows}
    assert details["test.tab"] == "'\tstarts with a tab"
    assert details["test.cr"] == "'\rstarts with a return"
    assert details["test.safe"] == "a=b, -c", "only the start of a cell matters"
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    assert not any(cell.startswith(dangerous) for row in rows for cell in row)


def test_the_export_reads_in_batches_without_gaps(app, db_session):
    write_rows(app, 7)
    where = audit_log.AuditFilter(action="test.event")
    found = [entry.seq for entry in audit_log.export_entries(where, batch=3)]
    assert found == list(range(7, 0, -1))


# --- the chain check ---------------------------------------------------------


def test_the_page_says_the_log_is_intact(app, client, admin):
    page = page_text(client.get(URL))
    assert "The log is intact" in page
    assert "No whole check has been kept yet" in page


def test_checking_the_whole_log_is_kept_and_shown(app, client, admin):
    write_rows(app, 3)
    response = submit(client, f"{URL}/verify", page=URL, follow_redirects=True)
    assert response.status_code == 200
    page = page_text(response)
    assert "The whole log was checked: " in page and "rows, intact." in page
    assert f"by {admin.name}" in page
    with app.app_context():
        kept = db.session.scalar(select(AuditCheckpoint))
        assert kept.ok and kept.by_user_id == admin.id


def test_a_broken_log_is_shown_as_broken(app, client, admin):
    write_rows(app, 4)
    with app.app_context(), audit_log_unlocked(db.session):
        db.session.execute(
            update(AuditEvent).where(AuditEvent.seq == 3).values(details="forged")
        )
    page = page_text(client.get(URL))
    assert "The log is broken at row 3" in page
    assert "Found as this page loaded." in page
    response = submit(client, f"{URL}/verify", page=URL, follow_redirects=True)
    page = page_text(response)
    assert "The log is broken at row 3: row 3 was changed after it was written." in page
    assert "Found by the whole check" in page


def test_the_check_needs_the_forms_token(client, admin):
    assert client.post(f"{URL}/verify").status_code == 400


def test_the_check_comes_back_to_the_same_filters(client, admin):
    response = submit(client, f"{URL}/verify?action=login&before=9&next=//x", page=URL)
    assert response.status_code == 302
    assert response.location == f"{URL}?action=login"
