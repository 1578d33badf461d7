"""The audit log page: what it lists, its filters, their validation, paging."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
import time_machine

from clinic.roles import Role
from tests.admin.audit_support import (
    actions_since,
    browser_for,
    entries,
    head,
    seqs,
    write_rows,
)
from tests.admin.staff import field_error, page_text
from tests.scheduling.support import add_client

URL = "/admin/audit"
# 13:30:05 UTC in July is 14:30:05 in London (British Summer Time).
SUMMER = datetime(2026, 7, 1, 13, 30, 5, tzinfo=UTC)


@pytest.fixture
def reading(app, make_user):
    """Esthetician Esme opened Ada's record on 1 July at 14:30:05 London time."""
    ada = add_client(app, "Ada Lovelace", intake=False)
    esme = make_user(Role.ESTHETICIAN, name="Esme Esthetician")
    with time_machine.travel(SUMMER, tick=False):
        assert browser_for(app, esme).get(f"/clients/{ada}").status_code == 200
    return ada, esme


def test_the_page_shows_who_read_which_clients_record(app, client, admin, reading):
    ada, _esme = reading
    response = client.get(URL)
    assert response.status_code == 200
    viewed = next(e for e in entries(response) if e["action"] == "client.viewed")
    assert viewed == {
        "seq": viewed["seq"],
        "time": "01 Jul 2026 14:30:05",
        "ip": "127.0.0.1",
        "staff": "Esme Esthetician",
        "action": "client.viewed",
        "record": f"client {ada}",
        "client": "Ada Lovelace",
        "details": "",
    }
    assert f'href="/clients/{ada}"' in response.get_data(as_text=True)


def test_newest_first(app, client, admin):
    write_rows(app, 5)
    shown = seqs(client.get(URL))
    assert shown == sorted(shown, reverse=True) and len(shown) >= 5


def test_the_admin_hub_links_to_the_page(client, admin):
    assert f'href="{URL}"' in client.get("/admin").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.ESTHETICIAN])
@pytest.mark.parametrize("url", [URL, f"{URL}/export.csv"])
def test_only_admins_may_read_the_log(client, login_as, role, url):
    login_as(role)
    assert client.get(url).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.location


# --- filters -----------------------------------------------------------------


def test_filter_by_person(app, client, admin, reading):
    _ada, esme = reading
    rows = entries(client.get(f"{URL}?person={esme.id}"))
    assert rows and {row["staff"] for row in rows} == {"Esme Esthetician"}
    assert {row["action"] for row in rows} == {"login", "client.viewed"}


def test_filter_by_nobody_signed_in(app, client, admin, reading):
    """The accounts created by the test fixtures have no author: the CLI way."""
    rows = entries(client.get(f"{URL}?person=none"))
    assert rows and {row["staff"] for row in rows} == {"nobody signed in"}
    assert "client.viewed" not in {row["action"] for row in rows}


def test_filter_by_client_name_or_number(app, client, admin, reading):
    ada, _esme = reading
    other = add_client(app, "Grace Hopper", intake=False)
    write_rows(app, 1, action="client.updated", client_id=other)
    by_name = entries(client.get(f"{URL}?client=lovelace"))
    by_number = entries(client.get(f"{URL}?client=%23{ada}"))
    # The second view also lists the first one's audit.viewed row (Ada's).
    assert by_number[0]["action"] == "audit.viewed" and by_number[1:] == by_name
    assert {row["client"] for row in by_name} == {"Ada Lovelace"}
    assert {row["action"] for row in by_name} == {"client.created", "client.viewed"}


def test_filter_by_action(app, client, admin, reading):
    rows = entries(client.get(f"{URL}?action=client.viewed"))
    assert [row["action"] for row in rows] == ["client.viewed"]


def test_the_action_list_holds_every_logged_action(app, client, admin, reading):
    page = client.get(URL).get_data(as_text=True)
    for action in ("client.created", "client.viewed", "login", "user.created"):
        assert f'<option value="{action}">' in page


def test_dates_are_the_clinics_days_both_ends_included(app, client, admin):
    """23:30 UTC on 30 June is 00:30 on 1 July in London: a 1 July row."""
    for instant, n in [
        (datetime(2026, 6, 30, 22, 59, tzinfo=UTC), 1),  # 23:59 on 30 June
        (datetime(2026, 6, 30, 23, 30, tzinfo=UTC), 2),  # 00:30 on 1 July
        (datetime(2026, 7, 2, 22, 59, tzinfo=UTC), 3),  # 23:59 on 2 July
        (datetime(2026, 7, 2, 23, 0, tzinfo=UTC), 4),  # 00:00 on 3 July
    ]:
        with time_machine.travel(instant, tick=False):
            write_rows(app, 1, action=f"test.at{n}")
    rows = entries(client.get(f"{URL}?date_from=2026-07-01&date_to=2026-07-02"))
    assert [row["action"] for row in rows] == ["test.at3", "test.at2"]
    one_day = entries(client.get(f"{URL}?date_from=2026-06-30&date_to=2026-06-30"))
    assert [row["action"] for row in one_day] == ["test.at1"]


def test_filters_combine(app, client, admin, reading):
    ada, esme = reading
    rows = entries(client.get(f"{URL}?person={esme.id}&client=%23{ada}&action=login"))
    assert rows == []
    assert "No entries match these filters." in page_text(
        client.get(f"{URL}?person={esme.id}&client=%23{ada}&action=login")
    )


# --- validation: a message next to the field, a 422, never a 500 ------------


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("date_from=31/12/2026", "date_from", "Enter a date as YYYY-MM-DD"),
        ("date_to=2026-02-30", "date_to", "Enter a date as YYYY-MM-DD"),
        ("date_from=0001-01-01", "date_from", "no entries before 2000"),
        ("date_to=9999-12-31", "date_to", "no entries after today"),
        ("date_from=2026-03-02&date_to=2026-03-01", "date_to", "before the start"),
        ("person=99999", "person", "Choose a staff member from the list."),
        ("person=abc", "person", "Choose a staff member from the list."),
        ("action=no.such", "action", "Choose an action from the list."),
        ("client=Zebedee", "client", "No client matches “Zebedee”."),
        ("client=%2399999", "client", "No client has the number #99999."),
        ("client=" + "x" * 101, "client", "characters"),
        ("client=a%00b", "client", "control characters"),
    ],
)
def test_a_bad_filter_is_named_next_to_its_field(
    app, client, admin, query, field, message
):
    before = head(app)
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 422
    assert message in field_error(page_text(response), field)
    assert entries(response) == []
    assert actions_since(app, before) == [], "a refused filter shows nothing"


def test_every_problem_is_named_at_once(client, admin):
    response = client.get(f"{URL}?person=999&client=Zebedee&date_from=bad")
    assert response.status_code == 422
    page = page_text(response)
    assert field_error(page, "person") == "Choose a staff member from the list."
    assert field_error(page, "client") == "No client matches “Zebedee”."
    assert field_error(page, "date_from").startswith("Enter a date as YYYY-MM-DD")


def test_the_selects_look_like_selects(client, admin):
    page = client.get(URL).get_data(as_text=True)
    assert '<select class="form-select" id="person"' in page
    assert '<select class="form-select" id="action"' in page


@pytest.mark.parametrize(
    "query",
    ["before=abc", "before=0", "after=-1", "before=5&after=2", "before=" + "9" * 40],
)
def test_a_broken_page_link_is_refused_with_a_way_back(client, admin, query):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 422
    assert "This page link is not valid." in page_text(response)


# --- paging ------------------------------------------------------------------


def test_pages_follow_one_another_without_gaps_or_repeats(app, client, admin):
    """Every view adds a row to the log; pages cut by row number do not shift."""
    write_rows(app, 120)
    response = client.get(f"{URL}?action=test.event")
    pages = [seqs(response)]
    while older := link(response, "Older"):
        assert "action=test.event" in older, "the filter is kept"
        response = client.get(older)
        pages.append(seqs(response))
    assert [len(p) for p in pages] == [50, 50, 20]
    shown = [seq for p in pages for seq in p]
    assert shown == sorted(set(shown), reverse=True) and len(shown) == 120


def link(response, label: str) -> str | None:
    match = re.search(rf'href="([^"]+)">{label}</a>', response.get_data(as_text=True))
    return html.unescape(match.group(1)) if match else None


def test_newer_goes_back_to_the_page_before(app, client, admin):
    write_rows(app, 60)
    newest = seqs(client.get(f"{URL}?action=test.event"))
    older = seqs(client.get(f"{URL}?action=test.event&before={newest[-1]}"))
    back = client.get(f"{URL}?action=test.event&after={older[0]}")
    assert seqs(back) == newest
    assert link(back, "Older") and not link(back, "Newer")


# --- reading the log is itself recorded ---------------------------------------


def test_viewing_the_log_writes_an_audit_row(app, client, admin, reading):
    ada, esme = reading
    before = head(app)
    client.get(f"{URL}?person={esme.id}&client=%23{ada}&date_from=2026-07-01")
    [(action, user_id, client_id, details)] = actions_since(app, before)
    assert (action, user_id, client_id) == ("audit.viewed", admin.id, ada)
    assert details.startswith(f"person={esme.id} clients={ada} from=2026-06-30T23:00")


def test_a_name_matching_several_clients_names_none_in_the_row(app, client, admin):
    add_client(app, "Ada Lovelace", intake=False)
    add_client(app, "Ada Byron", intake=False)
    before = head(app)
    client.get(f"{URL}?client=ada")
    [(_action, _user, client_id, details)] = actions_since(app, before)
    assert client_id is None and details.startswith("clients=")
