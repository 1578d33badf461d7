"""A sheet's "Your next sessions": the client's next booked appointments.

Every booked appointment of the client counts, not only the sessions of the
visit's own series: a client whose visit was a single appointment, or who has
a second series or single sessions booked, used to read "No further sessions
are booked yet" with ten sessions in the diary. A series session reads
"Session 4 of 10", after its service's name when that is not today's service
(the label column is narrow); a single appointment reads as its service.

Reads only (no flush); the day's batch reads every client's in one statement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from clinic.aftercare import pdf
from clinic.extensions import db
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.visits.models import Visit

# A sheet lists this many; the rest are counted ("and 3 more booked").
SHOWN = 5


def appointments_for(
    visits: Sequence[Visit], now: datetime
) -> dict[int, list[Appointment]]:
    """Per client of ``visits``: the sessions of their visits' series (for the
    count remaining) and their booked appointments after the earliest visit,
    in order. One statement for any number of visits: it replaces loading each
    series' sessions, so a print costs no more statements than before."""
    client_ids = sorted({visit.client_id for visit in visits})
    found: dict[int, list[Appointment]] = {client_id: [] for client_id in client_ids}
    if not visits:
        return found
    series_ids = sorted(
        {v.appointment.series_id for v in visits if v.appointment.series_id}
    )
    after = min(max(visit.appointment.starts_at, now) for visit in visits)
    wanted = and_(
        Appointment.status == AppointmentStatus.BOOKED, Appointment.starts_at > after
    )
    if series_ids:
        wanted = or_(wanted, Appointment.series_id.in_(series_ids))
    rows = db.session.scalars(
        select(Appointment)
        .where(Appointment.client_id.in_(client_ids), wanted)
        .options(joinedload(Appointment.service), joinedload(Appointment.series))
        .order_by(Appointment.starts_at, Appointment.id)
    )
    for appointment in rows:
        found[appointment.client_id].append(appointment)
    return found


def label(appointment: Appointment, visit_appointment: Appointment) -> str:
    """ "Session 4 of 10"; the service first when it is not today's
    ("Lymphatic lift · Session 2 of 6"); a single appointment: its service."""
    if appointment.series_id is None:
        return appointment.service.name
    if appointment.service_id == visit_appointment.service_id:
        return appointment.session_label
    return f"{appointment.service.name} \u00b7 {appointment.session_label}"


def next_sessions(
    visit_appointment: Appointment,
    appointments: Sequence[Appointment],
    *,
    now: datetime,
    when: Callable[[datetime], str],
) -> tuple[tuple[pdf.NextSession, ...], int]:
    """The sessions a sheet lists and how many more are booked after them.

    ``appointments``: the client's, from ``appointments_for``; the next are
    those booked after both the visit and ``now``. ``when`` formats a start.
    """
    after = max(visit_appointment.starts_at, now)
    upcoming = [
        a
        for a in appointments
        if a.status is AppointmentStatus.BOOKED
        and a.starts_at > after
        and a.id != visit_appointment.id
    ]
    shown = tuple(
        pdf.NextSession(label=label(a, visit_appointment), when=when(a.starts_at))
        for a in upcoming[:SHOWN]
    )
    return shown, len(upcoming) - len(shown)


def sessions_remaining(
    visit_appointment: Appointment, appointments: Sequence[Appointment]
) -> int | None:
    """Sessions of the visit's series still to come (None outside a series)."""
    series = visit_appointment.series
    if series is None:
        return None
    done = sum(
        1
        for a in appointments
        if a.series_id == series.id
        and (a.status is AppointmentStatus.COMPLETED or a.id == visit_appointment.id)
    )
    return max(series.sessions_total - done, 0)
