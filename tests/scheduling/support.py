"""Arrange a small clinic for scheduling tests: rooms, devices, hours, clients.

Everything is created inside short app contexts and returned as plain ids,
so tests can go on sending requests without holding a context open.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import select

from clinic.admin.services import create_user
from clinic.catalogue.models import Device, Protocol, Room, Service
from clinic.clients.services import create_client
from clinic.extensions import db
from clinic.intake import services as intake_services
from clinic.intake.models import EnteredVia
from clinic.intake.screening import Answer
from clinic.roles import Role
from clinic.scheduling.models import WorkingHours
from tests.helpers import DEFAULT_PASSWORD, login, submit

OPEN = [(time(9, 0), time(18, 0))]


@dataclass
class Clinic:
    """Ids of what ``build_clinic`` made."""

    service_id: int
    protocol_ids: list[int]
    estheticians: list[int]
    esthetician_emails: list[str]
    rooms: list[int]
    devices: list[int]
    clients: dict[str, int] = field(default_factory=dict)


# The test clinic's timezone (tests/conftest.py base_config).
TZ = ZoneInfo("Europe/London")


def local(day: date, at: time) -> datetime:
    """A clinic-local wall time as aware UTC."""
    return datetime.combine(day, at, tzinfo=TZ).astimezone(UTC)


def next_weekday(start: date, weekday: int) -> date:
    """The first day on or after ``start`` that is ``weekday`` (0 = Monday)."""
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def submit_intake(client, answers_yes: dict[str, Answer] | None = None, signed_at=None):
    """Store an intake answering "no" to everything but ``answers_yes``."""
    rule_set = intake_services.current_rule_set()
    yes = answers_yes or {}
    answers = tuple(
        yes.get(rule.code, Answer(rule.code, False)) for rule in rule_set.active_rules()
    )
    return intake_services.submit_intake(
        client,
        intake_services.Submission(answers, client.full_name, photo_consent=False),
        rule_set=rule_set,
        consents=intake_services.current_consents(),
        via=EnteredVia.STAFF,
        by_user_id=None,
        ip=None,
        signed_at=signed_at,
    )


def build_clinic(
    app,
    *,
    estheticians: int = 2,
    rooms: int = 2,
    devices: int = 2,
    hours=None,
    weekdays=range(7),
) -> Clinic:
    """Rooms, devices and estheticians working ``hours`` (default 09-18) daily."""
    hours = hours or OPEN
    with app.app_context():
        service = db.session.scalar(select(Service).order_by(Service.id))
        protocols = list(db.session.scalars(select(Protocol.id).order_by(Protocol.id)))
        room_rows = [Room(name=f"Room {n}") for n in range(1, rooms + 1)]
        device_rows = [
            Device(name=f"Device {n}", serial=f"SN-{n:04d}", max_current_ua=500)
            for n in range(1, devices + 1)
        ]
        db.session.add_all(room_rows + device_rows)
        people = []
        for n in range(1, estheticians + 1):
            user = create_user(
                f"esthetician{n}@sched.test.clinic",
                f"Esthetician {n}",
                Role.ESTHETICIAN,
                DEFAULT_PASSWORD,
            )
            people.append(user)
            for weekday in weekdays:
                for start, end in hours:
                    db.session.add(
                        WorkingHours(
                            user_id=user.id,
                            weekday=weekday,
                            start_time=start,
                            end_time=end,
                        )
                    )
        db.session.commit()
        return Clinic(
            service_id=service.id,
            protocol_ids=protocols,
            estheticians=[p.id for p in people],
            esthetician_emails=[p.email for p in people],
            rooms=[r.id for r in room_rows],
            devices=[d.id for d in device_rows],
        )


def add_client(
    app, name: str = "Clara Client", *, intake: bool = True, yes=None, signed_at=None
) -> int:
    """A client with (by default) a clear intake; returns the id."""
    given, _, family = name.partition(" ")
    with app.app_context():
        client = create_client(
            {
                "given_name": given,
                "family_name": family,
                "date_of_birth": date(1985, 6, 15),
                "email": "",
                "phone": "",
            },
            by_user_id=None,
        )
        if intake:
            submit_intake(client, yes, signed_at=signed_at)
        db.session.commit()
        return client.id


def today(app) -> date:
    """The clinic's local date, outside any request."""
    from clinic.clock import clinic_today

    with app.app_context():
        return clinic_today()


# --- booking through the pages (test_booking, test_series, test_lifecycle) --


@dataclass(frozen=True)
class SlotButton:
    """One free-time button of the booking page: the hidden fields it posts."""

    start: datetime
    esthetician_id: int
    room_id: int | None
    device_id: int | None


class _Forms(HTMLParser):
    """Collects every <form> of a page: its action and its field values."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {"action": attrs.get("action") or "", "fields": {}, "classes": []}
            )
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = attrs.get("name")
        if tag == "input" and name:
            if attrs.get("type") in ("checkbox", "radio"):
                if "checked" in attrs:
                    fields.setdefault(name, []).append(attrs.get("value", "on"))
            elif attrs.get("type") != "submit":
                fields[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in attrs:
            fields[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def forms_of(response) -> list[dict]:
    """Every form of the page as ``{"action": ..., "fields": {name: value}}``."""
    parser = _Forms()
    parser.feed(response.get_data(as_text=True))
    return parser.forms


def plain(response) -> str:
    """The page's text: tags removed, entities decoded, whitespace collapsed."""
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(body).split())


def field_error(response, field_id: str) -> str:
    """The error text rendered next to the field ``field_id`` ("" if none)."""
    match = re.search(
        rf'<div id="{re.escape(field_id)}-error"[^>]*>(.*?)</div>',
        response.get_data(as_text=True),
        re.DOTALL,
    )
    if not match:
        return ""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def signed_in_browser(app, email: str, password: str = DEFAULT_PASSWORD):
    """A new test client signed in through the real form as ``email``."""
    browser = app.test_client()
    response = login(browser, email, password)
    assert response.status_code == 302, response.status_code
    return browser


def book_url(client_id: int, service_id: int, day: date, esthetician="any", **extra):
    query = urlencode(
        {"service": service_id, "esthetician": esthetician, "day": day.isoformat()}
        | extra
    )
    return f"/clients/{client_id}/book?{query}"


def free_slots(browser, client_id: int, service_id: int, day: date, **kw):
    """The free-time buttons the booking page shows for ``day``."""
    response = browser.get(book_url(client_id, service_id, day, **kw))
    assert response.status_code == 200, response.status_code
    return slots_on(response)


def slots_on(response) -> list[SlotButton]:
    found = []
    for form in forms_of(response):
        fields = form["fields"]
        if "start" not in fields or "esthetician_id" not in fields:
            continue
        found.append(
            SlotButton(
                start=datetime.fromisoformat(fields["start"]),
                esthetician_id=int(fields["esthetician_id"]),
                room_id=int(fields["room_id"]) if fields.get("room_id") else None,
                device_id=int(fields["device_id"]) if fields.get("device_id") else None,
            )
        )
    return found


def local_starts(slots, esthetician_id: int | None = None) -> list[time]:
    """The clinic-local start times of ``slots`` (of one esthetician if given)."""
    return [
        s.start.astimezone(TZ).time()
        for s in slots
        if esthetician_id is None or s.esthetician_id == esthetician_id
    ]


def book_form(
    service_id: int,
    esthetician_id: int,
    start: datetime | str,
    *,
    room_id="",
    device_id="",
    **extra,
) -> dict:
    """The fields a free-time button posts."""
    return {
        "service_id": str(service_id),
        "esthetician_id": str(esthetician_id),
        "room_id": "" if room_id is None else str(room_id),
        "device_id": "" if device_id is None else str(device_id),
        "start": start if isinstance(start, str) else start.isoformat(),
        **{key: str(value) for key, value in extra.items()},
    }


def post_booking(browser, client_id: int, fields: dict):
    """POST the booking form (CSRF token taken from the dashboard)."""
    return submit(browser, f"/clients/{client_id}/book", fields, page="/dashboard")


def appointment_id_from(response) -> int:
    """The id of the appointment page a successful booking redirects to."""
    assert response.status_code == 302, response.status_code
    match = re.fullmatch(r"/appointments/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def book_directly(
    app,
    client_id: int,
    service_id: int,
    esthetician_id: int,
    start: datetime,
    *,
    by_user_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Arrange a booking through the booking service (no page); returns its id."""
    from clinic.clients.models import Client
    from clinic.scheduling import services as scheduling_services
    from clinic.scheduling.booking import Placement

    with app.app_context():
        appointment = scheduling_services.book_single(
            db.session.get(Client, client_id),
            db.session.get(Service, service_id),
            Placement(start=start, esthetician_id=esthetician_id),
            by_user_id=by_user_id,
            now=now,
        )
        db.session.commit()
        return appointment.id


def add_block(app, kind, resource_id: int, start: datetime, end: datetime, reason=""):
    """Block an esthetician (time off), a room or a device for a period."""
    from clinic.scheduling.models import Block, BlockKind

    column = {
        BlockKind.TIME_OFF: "user_id",
        BlockKind.ROOM: "room_id",
        BlockKind.DEVICE: "device_id",
    }[kind]
    with app.app_context():
        db.session.add(
            Block(
                kind=kind,
                starts_at=start,
                ends_at=end,
                reason=reason,
                **{column: resource_id},
            )
        )
        db.session.commit()


def appointments_of(app, client_id: int | None = None) -> list[SimpleNamespace]:
    """Plain snapshots of the stored appointments (of one client if given)."""
    from clinic.scheduling.models import Appointment

    stmt = select(Appointment).order_by(Appointment.starts_at, Appointment.id)
    if client_id is not None:
        stmt = stmt.where(Appointment.client_id == client_id)
    with app.app_context():
        return [
            SimpleNamespace(
                id=a.id,
                client_id=a.client_id,
                esthetician_id=a.esthetician_id,
                room_id=a.room_id,
                device_id=a.device_id,
                starts_at=a.starts_at,
                status=a.status.value,
                series_id=a.series_id,
                session_number=a.session_number,
                late_cancel=a.late_cancel,
                cancel_reason=a.cancel_reason,
                active_allocations=sorted(
                    (al.resource_kind.value, al.resource_id)
                    for al in a.allocations
                    if al.active
                ),
            )
            for a in db.session.scalars(stmt)
        ]


def overlaps(app) -> list:
    """Pairs of active allocations of one resource that overlap (want none)."""
    from clinic.scheduling.booking import allocations_overlapping_anywhere

    with app.app_context():
        return allocations_overlapping_anywhere()


def dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


# The screening answers that give each refusal (rules of the seeded catalogue).
NOT_ELIGIBLE = {"epilepsy": Answer("epilepsy", True)}
NEEDS_CLEARANCE = {"diabetes": Answer("diabetes", True)}


def deferred_answers(event_day: date) -> dict[str, Answer]:
    """Botulinum toxin on ``event_day``: deferred for 14 days after it."""
    return {"botulinum_toxin": Answer("botulinum_toxin", True, event_date=event_day)}


def sign_new_intake(app, client_id: int, yes=None, signed_at=None) -> None:
    """Store a newer intake for an existing client (changes its eligibility)."""
    from clinic.clients.models import Client

    with app.app_context():
        submit_intake(db.session.get(Client, client_id), yes, signed_at=signed_at)
        db.session.commit()


# Why each kind of client is refused, exactly as the pages say it.
REFUSAL_REASONS = {
    "not-eligible": "Not eligible: The health questionnaire rules out microcurrent.",
    "needs-clearance": "Needs clearance: An esthetician must record a clearance "
    "before microcurrent can be booked.",
    "no-intake": "No intake: No health questionnaire has been submitted yet.",
    "intake-expired": "Intake expired: The last health questionnaire has expired; "
    "a new one is needed.",
}


def ineligible_client(app, case: str, name: str = "Ivy Ineligible") -> int:
    """A client refused today and later for ``case`` (a REFUSAL_REASONS key)."""
    arrange = {
        "not-eligible": {"yes": NOT_ELIGIBLE},
        "needs-clearance": {"yes": NEEDS_CLEARANCE},
        "no-intake": {"intake": False},
        "intake-expired": {"signed_at": datetime.now(UTC) - timedelta(days=400)},
    }[case]
    return add_client(app, name, **arrange)
