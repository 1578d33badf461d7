"""Whether a client may be booked for a service on a day, and from when.

The booking service refuses a placement with ``eligibility_problem`` (DESIGN.md
guarantee 2); the pages ask ``booking_window`` first, so that they offer only
times the service will accept, and say why not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app

from clinic.catalogue.models import Service
from clinic.clients.models import Client
from clinic.db import once_per_transaction
from clinic.extensions import db
from clinic.intake.eligibility import evaluate, format_day, latest_intake


def _intake(client: Client):
    """The client's latest intake, read once per transaction: a page asks the
    booking window first, then a series checks each of its sessions."""
    return once_per_transaction(
        db.session(), ("booking", "intake", client.id), lambda: latest_intake(client.id)
    )


def _refusal(eligibility, day: date) -> str | None:
    """Why a session on ``day`` is refused, in words the front desk may read."""
    if eligibility.may_treat:
        return None
    first_day = eligibility.bookable_from
    if first_day is not None and day < first_day:
        # Lower only the first letter: the month in "Deferred until 9 December".
        label = eligibility.label
        return (
            f"Not before {format_day(first_day)}: the client is "
            f"{label[:1].lower()}{label[1:]}."
        )
    return f"{eligibility.label}: {eligibility.explanation}"


def eligibility_problem(client: Client, service: Service, day: date) -> str | None:
    """Why ``client`` may not have ``service`` on ``day``, or None."""
    if not service.needs_screening:
        return None
    eligibility = evaluate(
        _intake(client), day, current_app.config["INTAKE_VALID_MONTHS"]
    )
    return _refusal(eligibility, day)


@dataclass(frozen=True)
class BookingWindow:
    """From which day ``client`` may be booked for a service, as things stand
    today. ``first_day`` None: not at all until something changes (a
    clearance, a new intake); ``reason`` says why, or why not before
    ``first_day``."""

    first_day: date | None
    reason: str | None = None

    def refuses(self, day: date) -> bool:
        return self.first_day is None or day < self.first_day


def booking_window(client: Client, service: Service, today: date) -> BookingWindow:
    """What the booking pages offer: times from ``first_day`` only, and no
    booking controls at all when there is none."""
    if not service.needs_screening:
        return BookingWindow(today)
    eligibility = evaluate(
        _intake(client), today, current_app.config["INTAKE_VALID_MONTHS"]
    )
    first_day = eligibility.bookable_from
    if first_day is not None and first_day <= today:
        return BookingWindow(today)
    return BookingWindow(first_day, _refusal(eligibility, today))
