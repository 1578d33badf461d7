"""Field helpers shared by the forms of several domains."""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta
from wtforms.validators import ValidationError

from clinic.text import clean_line

MAX_AGE_YEARS = 120


def strip_filter(value):
    return value.strip() if isinstance(value, str) else value


def line_filter(value):
    """One-line text: trimmed, inner whitespace collapsed."""
    return clean_line(value) if isinstance(value, str) else value


class NotInFuture:
    """A date that is today or earlier (``today`` is a callable)."""

    def __init__(self, today, message: str = "This date cannot be in the future."):
        self.today = today
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data is not None and field.data > self.today():
            raise ValidationError(self.message)


class PlausibleBirthDate:
    """Not in the future and not more than 120 years ago."""

    def __init__(self, today):
        self.today = today

    def __call__(self, form, field) -> None:
        born: date | None = field.data
        if born is None:
            return
        today = self.today()
        if born > today:
            raise ValidationError("The date of birth cannot be in the future.")
        if born < today - relativedelta(years=MAX_AGE_YEARS):
            raise ValidationError(
                f"The date of birth cannot be more than {MAX_AGE_YEARS} years ago."
            )
