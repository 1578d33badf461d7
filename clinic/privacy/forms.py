"""Export and erasure forms."""

from __future__ import annotations

from wtforms import RadioField, SelectChoice, StringField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError

from clinic.forms_common import ClinicForm, line_filter
from clinic.privacy.erasure import CONFIRMATION_WORD
from clinic.privacy.services import FORMATS


class ExportForm(ClinicForm):
    format = RadioField(
        "Format",
        choices=[
            SelectChoice("pdf", "PDF (readable, to give to the client)"),
            SelectChoice("json", "JSON (machine-readable)"),
        ],
        default="pdf",
        validators=[DataRequired("Choose JSON or PDF.")],
    )
    submit = SubmitField("Export record")

    def validate_format(self, field) -> None:
        if field.data not in FORMATS:
            raise ValidationError("Choose JSON or PDF.")


class EraseForm(ClinicForm):
    reason = StringField(
        "Reason",
        validators=[
            DataRequired("Say why the record is erased (e.g. the client's request)."),
            Length(max=200),
        ],
        filters=[line_filter],
        description="For example: the client's written request of 3 May. "
        "Do not write the client's name here.",
    )
    confirmation = StringField(
        f"Type {CONFIRMATION_WORD} to confirm",
        validators=[DataRequired(f"Type {CONFIRMATION_WORD} to confirm.")],
        filters=[line_filter],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
        description="Erasure cannot be undone.",
    )
    submit = SubmitField("Erase (anonymise) this client")

    def validate_confirmation(self, field) -> None:
        if field.data != CONFIRMATION_WORD:
            raise ValidationError(
                f"Type {CONFIRMATION_WORD} in capital letters to confirm."
            )
