"""Field helpers shared by the forms of several domains."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date

import wtforms
from dateutil.relativedelta import relativedelta
from flask_wtf import FlaskForm
from wtforms import Field, FieldList, FormField
from wtforms.validators import ValidationError

from clinic.db import INTEGER_LIMIT
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


OUT_OF_RANGE = "This number is too large."


class IntegerField(wtforms.IntegerField):
    """A whole number that fits the database's integer columns.

    Beyond them PostgreSQL refuses the row (a 500), and WTForms' NumberRange
    compares through float(), so a 400-digit number raised OverflowError.
    """

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not -INTEGER_LIMIT <= self.data <= INTEGER_LIMIT:
            self.data = None
            raise ValueError(OUT_OF_RANGE)


class RecordId:
    """A hidden field that carries a record's id (or a session's number): ASCII
    digits naming 1 to INTEGER_LIMIT, or one of ``also`` (such as "any").

    Hidden fields come back as the page wrote them unless someone tampered
    with them; beyond the integer columns the lookup itself fails (a 500 on
    both databases), so a tampered id is refused here and the view answers 400.
    """

    def __init__(self, *, also: Iterable[str] = ()):
        self.also = frozenset(also)

    def __call__(self, form, field) -> None:
        value = field.data
        if value in self.also:
            return
        digits = isinstance(value, str) and value.isascii() and value.isdigit()
        if not (digits and len(value) <= 10 and 0 < int(value) <= INTEGER_LIMIT):
            raise ValidationError("This is not a valid record.")


# C0 control characters other than tab, line feed and carriage return. None
# belongs in a name or a note; NUL is refused by PostgreSQL's text types (a 500
# there), the others garble terminals, CSV exports and PDFs.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CONTROL_CHARACTERS = "Remove the control characters (such as NUL) from this text."


def _leaf_fields(fields: Iterable[Field]) -> Iterator[Field]:
    for field in fields:
        if isinstance(field, FormField):
            yield from _leaf_fields(field.form)
        elif isinstance(field, FieldList):
            yield from _leaf_fields(field.entries)
        else:
            yield field


class ClinicForm(FlaskForm):
    """The base of every form of the app: refuses control characters in any
    submitted value, with the message next to the field, so bad bytes get a
    422 instead of reaching the database."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in _leaf_fields(self):
            sent = field.raw_data or ()
            if any(isinstance(value, str) and _CONTROL.search(value) for value in sent):
                if CONTROL_CHARACTERS not in field.errors:
                    field.errors = [*field.errors, CONTROL_CHARACTERS]
                valid = False
        return valid
