"""Aftercare templates (admin): versions on every edit, validation next to the
field, admin only; a service without a template cannot print."""

from __future__ import annotations

import pytest

from clinic.aftercare.models import AftercarePrint, AftercareTemplate
from clinic.audit import AuditEvent
from clinic.roles import Role
from tests.aftercare.support import (
    CLINIC_SETTINGS,
    SEEDED_ITEMS,
    add_service,
    audit_events,
    count,
    form_posting_to,
    frozen_clock,
    pdf_text,
    print_sheet,
    prints,
    templates_of,
    visit_on,
)
from tests.helpers import submit
from tests.scheduling.support import (
    add_client,
    build_clinic,
    field_error,
    forms_of,
    plain,
    signed_in_browser,
)

pytestmark = pytest.mark.app_config(**CLINIC_SETTINGS)

LIST = "/admin/aftercare"
SEEDED_TITLE = "After your microcurrent facial"


@pytest.fixture(autouse=True)
def _clock():
    with frozen_clock():
        yield


def edit_url(service_id: int) -> str:
    return f"/admin/aftercare/{service_id}"


def seeded_service_id(app) -> int:
    return build_clinic(app, estheticians=1).service_id


def template_form(items, **fields) -> dict:
    """The edit form: ``items`` are (text, hours) rows; "" leaves a cell empty."""
    data = {
        "title": SEEDED_TITLE,
        "general_notes": "Microcurrent has no downtime.",
        "contact_if": "anything worries you.",
        **fields,
    }
    for n, (text, hours) in enumerate(items):
        data[f"items-{n}-text"] = text
        data[f"items-{n}-duration_hours"] = "" if hours is None else str(hours)
    return data


def post_template(browser, service_id: int, data: dict):
    return submit(browser, edit_url(service_id), data)


# --- viewing -----------------------------------------------------------------


def test_the_list_shows_each_service_and_its_current_version(app, client, admin):
    service_id = seeded_service_id(app)
    add_service(app, "Lymphatic lift")

    page = client.get(LIST)

    assert page.status_code == 200
    text = plain(page)
    assert f"Microcurrent facial v1: {SEEDED_TITLE} 6" in text
    assert "Lymphatic lift None: sheets cannot be printed 0" in text
    assert f'href="{edit_url(service_id)}"' in page.get_data(as_text=True)


def test_the_edit_form_shows_the_current_version_and_blank_rows(app, client, admin):
    service_id = seeded_service_id(app)

    page = client.get(edit_url(service_id))

    assert page.status_code == 200
    assert "version 1" in plain(page)
    [form] = [f for f in forms_of(page) if "title" in f["fields"]]
    fields = form["fields"]
    assert fields["title"] == SEEDED_TITLE
    for n, (text, hours) in enumerate(SEEDED_ITEMS):
        assert fields[f"items-{n}-text"] == text
        assert fields[f"items-{n}-duration_hours"] == str(hours or "")
    blank = range(len(SEEDED_ITEMS), len(SEEDED_ITEMS) + 3)
    for n in blank:
        assert fields[f"items-{n}-text"] == ""
        assert fields[f"items-{n}-duration_hours"] == ""


# --- editing makes a new version ---------------------------------------------


def test_editing_makes_version_2_without_the_blank_rows_and_keeps_version_1(
    app, client, admin
):
    service_id = seeded_service_id(app)
    page = client.get(edit_url(service_id))
    fields = form_posting_to(page, "")
    fields.update(
        {
            "title": "After your facial",
            "items-1-text": "",  # drop the cleanser row
            "items-1-duration_hours": "",
            "items-5-text": "Avoid acids, peels and retinol",
            "items-5-duration_hours": "96",
            "items-7-text": "Sleep on your back tonight",  # a blank row filled
            "items-7-duration_hours": "12",
            "contact_if": "you feel unwell.",
        }
    )

    response = client.post(edit_url(service_id), data=fields)

    assert response.status_code == 302
    assert response.headers["Location"] == LIST
    v1, v2 = templates_of(app, service_id)
    assert (v1.version, v1.title, v1.items) == (1, SEEDED_TITLE, SEEDED_ITEMS)
    assert v2.version == 2
    assert v2.title == "After your facial"
    assert v2.contact_if == "you feel unwell."
    assert v2.created_by_id == admin.id
    assert v2.items == [
        SEEDED_ITEMS[0],
        SEEDED_ITEMS[2],
        SEEDED_ITEMS[3],
        SEEDED_ITEMS[4],
        ("Avoid acids, peels and retinol", 96),
        ("Sleep on your back tonight", 12),
    ]
    [event] = audit_events(app, "aftercare_template.new_version")
    assert (event.entity_id, event.user_id) == (str(v2.id), admin.id)
    listed = plain(client.get(LIST))
    assert "Saved as version 2." in listed
    assert "Microcurrent facial v2: After your facial 6" in listed


@pytest.mark.parametrize("hours", ["1", "2160"])
def test_hours_at_the_limits_are_accepted(app, client, admin, hours):
    service_id = seeded_service_id(app)

    response = post_template(client, service_id, template_form([("Rest", hours)]))

    assert response.status_code == 302
    assert templates_of(app, service_id)[-1].items == [("Rest", int(hours))]


# --- refused edits -----------------------------------------------------------


def assert_nothing_saved(app, service_id: int) -> None:
    assert [t.version for t in templates_of(app, service_id)] == [1]
    assert audit_events(app, "aftercare_template.new_version") == []


def test_a_template_without_any_instruction_is_refused_with_a_message(
    app, client, admin
):
    service_id = seeded_service_id(app)

    response = post_template(
        client, service_id, template_form([("", None), ("   ", None), ("", None)])
    )

    assert response.status_code == 422
    assert "Give at least one instruction." in plain(response)
    assert_nothing_saved(app, service_id)


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("0", "between 1 and 2160"),
        ("2161", "between 1 and 2160"),
        ("-24", "between 1 and 2160"),
        ("abc", "Not a valid integer value"),
        ("24h", "Not a valid integer value"),
        ("1.5", "Not a valid integer value"),
    ],
)
def test_hours_out_of_range_or_not_a_whole_number_are_refused_next_to_the_field(
    app, client, admin, hours, message
):
    service_id = seeded_service_id(app)
    rows = [("Drink water", None), ("Avoid retinol", hours), ("Use SPF", 48)]

    response = post_template(client, service_id, template_form(rows))

    assert response.status_code == 422
    assert message in field_error(response, "items-1-duration_hours")
    assert field_error(response, "items-0-duration_hours") == ""
    assert field_error(response, "items-2-duration_hours") == ""
    assert_nothing_saved(app, service_id)


def test_hours_without_an_instruction_are_refused_next_to_the_field(app, client, admin):
    service_id = seeded_service_id(app)
    rows = [("Drink water", None), ("", 24)]

    response = post_template(client, service_id, template_form(rows))

    assert response.status_code == 422
    assert field_error(response, "items-1-duration_hours") == (
        "Write the instruction for this duration."
    )
    assert_nothing_saved(app, service_id)


def test_a_template_without_a_title_is_refused(app, client, admin):
    service_id = seeded_service_id(app)

    response = post_template(
        client, service_id, template_form([("Drink water", None)], title="  ")
    )

    assert response.status_code == 422
    assert field_error(response, "title")
    assert_nothing_saved(app, service_id)


# --- who may edit ------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.ESTHETICIAN])
def test_only_admins_see_or_edit_the_templates(app, make_user, role):
    service_id = seeded_service_id(app)
    browser = signed_in_browser(app, make_user(role).email)

    assert browser.get(LIST).status_code == 403
    assert browser.get(edit_url(service_id)).status_code == 403
    refused = submit(
        browser,
        edit_url(service_id),
        template_form([("Anything", 1)]),
        page="/dashboard",
    )
    assert refused.status_code == 403
    assert_nothing_saved(app, service_id)


def test_signed_out_visitors_are_sent_to_sign_in(app, client):
    service_id = seeded_service_id(app)

    for url in (LIST, edit_url(service_id)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def test_an_unknown_service_is_not_found(app, client, admin):
    assert client.get(edit_url(999999)).status_code == 404
    response = submit(
        client, edit_url(999999), template_form([("Rest", 1)]), page="/dashboard"
    )
    assert response.status_code == 404
    assert count(app, AftercareTemplate) == 1


def test_a_post_without_the_csrf_token_is_refused(app, client, admin):
    service_id = seeded_service_id(app)

    response = client.post(edit_url(service_id), data=template_form([("Rest", 1)]))

    assert response.status_code == 400
    assert_nothing_saved(app, service_id)


# --- a service without a template --------------------------------------------


def test_a_service_without_a_template_cannot_print_until_an_admin_writes_one(
    app, client, make_user
):
    clinic = build_clinic(app, estheticians=1)
    service_id = add_service(app, "Lymphatic lift")
    client_id = add_client(app, "Jane Doe")
    visit_id = visit_on(app, clinic, client_id, service_id=service_id)
    front_desk = signed_in_browser(app, make_user(Role.FRONT_DESK).email)

    refused = print_sheet(front_desk, visit_id)

    assert refused.status_code == 409
    assert refused.mimetype == "text/html"
    text = plain(refused)
    message = (
        "There is no aftercare template for Lymphatic lift; an admin can add one "
        "under Admin, Aftercare templates."
    )
    assert text.count(message) == 1  # said once, not again as a flash
    assert count(app, AftercarePrint) == 0
    assert count(app, AuditEvent, AuditEvent.action.like("aftercare.%")) == 0

    admin = signed_in_browser(app, make_user(Role.ADMIN).email)
    created = post_template(
        admin,
        service_id,
        template_form([("Keep the skin cool", 6)], title="After your lymphatic lift"),
    )
    assert created.status_code == 302
    [template] = templates_of(app, service_id)
    assert template.version == 1

    response = print_sheet(front_desk, visit_id)

    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "After your lymphatic lift" in text
    assert "Keep the skin cool until Friday 26 March, 16:45" in text  # 10:45 + 6 h
    assert [p.template_id for p in prints(app)] == [template.id]
