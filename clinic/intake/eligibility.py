"""Whether a client may receive microcurrent on a given day, and if not, why.

The scheduling and visit services call ``client_eligibility``; whatever path
books or starts a session, the answer comes from here (DESIGN.md, guarantee 2).
The wording of ``label`` is what the badge shows, exactly.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from clinic.clock import clinic_today
from clinic.extensions import db
from clinic.intake.models import Intake
from clinic.intake.screening import Outcome
from clinic.zones import format_zones


class Status(enum.Enum):
    CLEAR = "clear"
    DEFERRED = "deferred"
    NEEDS_CLEARANCE = "needs_clearance"
    NOT_ELIGIBLE = "not_eligible"
    NO_INTAKE = "no_intake"
    INTAKE_EXPIRED = "intake_expired"


def format_day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


@dataclass(frozen=True)
class Eligibility:
    status: Status
    day: date
    eligible_from: date | None = None
    excluded_zones: tuple[str, ...] = ()
    intake_id: int | None = None
    intake_expires_on: date | None = None
    # Not eligible only for being under the minimum age: the birthday that
    # ends it.
    until_minimum_age: date | None = None

    @property
    def may_treat(self) -> bool:
        return self.status is Status.CLEAR

    @property
    def bookable_from(self) -> date | None:
        """The first day a session may be booked for as things stand: ``day``
        when clear, the end of a deferral or of the minimum age; None when
        something must happen first (a clearance, a new intake) or never."""
        if self.status is Status.CLEAR:
            return self.day
        if self.status is Status.DEFERRED:
            return self.eligible_from
        if self.until_minimum_age is not None:
            return max(self.until_minimum_age, self.eligible_from or self.day)
        return None

    @property
    def label(self) -> str:
        if self.status is Status.DEFERRED:
            return f"Deferred until {format_day(self.eligible_from)}"
        if self.until_minimum_age is not None:
            return (
                f"Not eligible until {format_day(self.until_minimum_age)} (minimum age)"
            )
        return {
            Status.CLEAR: "Clear",
            Status.NEEDS_CLEARANCE: "Needs clearance",
            Status.NOT_ELIGIBLE: "Not eligible",
            Status.NO_INTAKE: "No intake",
            Status.INTAKE_EXPIRED: "Intake expired",
        }[self.status]

    @property
    def excluded_label(self) -> str:
        if not self.excluded_zones:
            return ""
        return f"Excluded zones: {format_zones(self.excluded_zones)}"

    @property
    def explanation(self) -> str:
        """Why not, in words the front desk may read (no health details)."""
        if self.until_minimum_age is not None:
            return (
                "Microcurrent can be booked from "
                f"{format_day(self.bookable_from)}, once the client has reached "
                "the minimum age."
            )
        return {
            Status.CLEAR: "Microcurrent may be given.",
            Status.DEFERRED: "Microcurrent can be booked from "
            f"{format_day(self.eligible_from) if self.eligible_from else ''}.",
            Status.NEEDS_CLEARANCE: "An esthetician must record a clearance before "
            "microcurrent can be booked.",
            Status.NOT_ELIGIBLE: "The health questionnaire rules out microcurrent.",
            Status.NO_INTAKE: "No health questionnaire has been submitted yet.",
            Status.INTAKE_EXPIRED: "The last health questionnaire has expired; a new "
            "one is needed.",
        }[self.status]

    @property
    def css(self) -> str:
        return {
            Status.CLEAR: "success",
            Status.DEFERRED: "warning",
            Status.NEEDS_CLEARANCE: "warning",
            Status.NOT_ELIGIBLE: "danger",
            Status.NO_INTAKE: "secondary",
            Status.INTAKE_EXPIRED: "secondary",
        }[self.status]


_FROM_OUTCOME = {
    Outcome.CLEAR: Status.CLEAR,
    Outcome.DEFERRED: Status.DEFERRED,
    Outcome.NEEDS_CLEARANCE: Status.NEEDS_CLEARANCE,
    Outcome.NOT_ELIGIBLE: Status.NOT_ELIGIBLE,
}


def intake_expires_on(intake: Intake, valid_months: int) -> date:
    return intake.screened_on + relativedelta(months=valid_months)


def evaluate(intake: Intake | None, day: date, valid_months: int) -> Eligibility:
    """Eligibility on ``day`` from the client's latest intake (None: no intake)."""
    if intake is None:
        return Eligibility(Status.NO_INTAKE, day)
    expires_on = intake_expires_on(intake, valid_months)
    common = {
        "day": day,
        "intake_id": intake.id,
        "intake_expires_on": expires_on,
        "excluded_zones": intake.excluded_zone_codes,
    }
    if day >= expires_on:
        # The expired questionnaire no longer counts, nor do its zones.
        return Eligibility(Status.INTAKE_EXPIRED, **{**common, "excluded_zones": ()})
    result = intake.result()
    outcome = result.status_on(day, cleared=intake.clearance is not None)
    return Eligibility(
        _FROM_OUTCOME[outcome],
        eligible_from=intake.eligible_from,
        until_minimum_age=result.not_eligible_until(day)
        if outcome is Outcome.NOT_ELIGIBLE
        else None,
        **common,
    )


def latest_intake(client_id: int) -> Intake | None:
    return db.session.scalar(
        select(Intake)
        .where(Intake.client_id == client_id)
        .options(joinedload(Intake.clearance))  # ``evaluate`` reads it
        .order_by(Intake.submitted_at.desc(), Intake.id.desc())
        .limit(1)
    )


def client_eligibility(client_id: int, day: date | None = None) -> Eligibility:
    """May client ``client_id`` receive microcurrent on ``day`` (default today)?"""
    return evaluate(
        latest_intake(client_id),
        day or clinic_today(),
        current_app.config["INTAKE_VALID_MONTHS"],
    )
