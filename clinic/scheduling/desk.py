"""What the front desk may do with an appointment at a given moment.

Pure: the moment, the clinic's timezone and the two settings come in, so the
pages (which offer only what is allowed) and the services (which refuse the
rest) ask the same questions and get the same answers. Check-in opens
``check_in_opens`` before the start, on the appointment's own day only; an
appointment still booked ``late_after`` past its start is late; a no-show is
recorded after the start; a check-in is undone while no visit has started.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from clinic.scheduling.models import Appointment, AppointmentStatus


@dataclass(frozen=True)
class Desk:
    now: datetime
    tz: ZoneInfo
    check_in_opens: timedelta
    late_after: timedelta

    def check_in_problem(self, appointment: Appointment) -> str | None:
        """Why ``appointment`` cannot be checked in now, or None."""
        if appointment.status is not AppointmentStatus.BOOKED:
            label = appointment.status.label.lower()
            return f"A {label} appointment cannot be checked in."
        start = appointment.starts_at.astimezone(self.tz)
        midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
        opens = max((appointment.starts_at - self.check_in_opens), midnight)
        if self.now.astimezone(self.tz).date() > start.date():
            return "Check-in closed at the end of the appointment's day."
        if self.now < opens:
            opens = opens.astimezone(self.tz)
            return f"Check-in opens at {opens:%H:%M} on {start.day} {start:%B}."
        return None

    def can_check_in(self, appointment: Appointment) -> bool:
        """``check_in_problem(appointment) is None``, cheaply: a calendar asks
        it of every card. Open means from ``check_in_opens`` before the start,
        on the start's own local day (from midnight at the earliest)."""
        return (
            appointment.status is AppointmentStatus.BOOKED
            and self.now >= appointment.starts_at - self.check_in_opens
            and appointment.starts_at.astimezone(self.tz).date() == self.today
        )

    @cached_property
    def today(self):
        return self.now.astimezone(self.tz).date()

    def is_late(self, appointment: Appointment) -> bool:
        """Booked, and ``late_after`` past the start without a check-in."""
        return (
            appointment.status is AppointmentStatus.BOOKED
            and self.now >= appointment.starts_at + self.late_after
        )

    def can_mark_no_show(self, appointment: Appointment) -> bool:
        return (
            appointment.status is AppointmentStatus.BOOKED
            and self.now >= appointment.starts_at
        )

    @staticmethod
    def can_undo_check_in(appointment: Appointment) -> bool:
        """Checked in, and no visit started (``visit``: the visits' backref)."""
        return (
            appointment.status is AppointmentStatus.CHECKED_IN
            and appointment.visit is None
        )
