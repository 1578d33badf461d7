"""The one source of "now" for the application.

Everything that depends on time calls these helpers, so tests can travel in
time (time-machine) and the clinic's timezone is applied in one place.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def clinic_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["CLINIC_TIMEZONE"])


def clinic_now() -> datetime:
    """The current time in the clinic's timezone."""
    return utcnow().astimezone(clinic_tz())


def clinic_today() -> date:
    return clinic_now().date()


def to_clinic_time(value: datetime) -> datetime:
    return value.astimezone(clinic_tz())
