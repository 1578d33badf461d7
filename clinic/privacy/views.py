"""Export a client's record (JSON or PDF) and erase (anonymise) a client."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user

from clinic.clients.services import get_client_or_404
from clinic.clock import clinic_today, clinic_tz
from clinic.extensions import db
from clinic.privacy import erasure, pdf, services
from clinic.privacy.forms import EraseForm, ExportForm


def download(data: bytes, fmt: str, name: str) -> Response:
    """An attachment that no cache or browser history keeps."""
    mimetype = "application/pdf" if fmt == "pdf" else "application/json"
    response = Response(data, mimetype=mimetype)
    if fmt == "json":
        response.headers["Content-Type"] = "application/json; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def render(data: dict, fmt: str) -> bytes:
    if fmt == "json":
        return services.to_json(data)
    return pdf.build_pdf(
        data, tz=clinic_tz(), page_size=current_app.config["AFTERCARE_PAGE_SIZE"]
    )


def export_client(client_id: int):
    """Download the whole record (audited); 404 unknown client, 400 bad format."""
    client = get_client_or_404(client_id)
    form = ExportForm()
    if not form.validate_on_submit():
        abort(400)
    fmt = form.format.data
    services.audit_export(client, fmt, via="web")
    data = services.build_export(client, by_user_id=current_user.id)
    body = render(data, fmt)
    name = services.filename(client, fmt, clinic_today())
    db.session.commit()
    return download(body, fmt, name)


def _erase_page(client, form: EraseForm, status: int = 200, problem: str = ""):
    retention = erasure.retention_of(client)
    return render_template(
        "privacy/erase.html",
        client=client,
        form=form,
        retention=retention,
        erasable=retention.over_on(clinic_today()) and not client.erased,
        problem=problem,
    ), status


def erase_client(client_id: int):
    """GET: what erasure does and whether the retention allows it. POST: erase.

    400 for a missing reason or a wrong confirmation word, 409 when the
    retention period is not over (with its end date) or the client is already
    erased; nothing changes in those cases.
    """
    client = get_client_or_404(client_id)
    form = EraseForm()
    if not form.is_submitted():
        return _erase_page(client, form)
    if not form.validate():
        return _erase_page(client, form, 400)
    try:
        counts = erasure.erase_client(client, reason=form.reason.data)
    except erasure.ErasureError as exc:
        db.session.rollback()
        return _erase_page(client, form, 409, str(exc))
    db.session.commit()
    flash(
        f"Client {client_id} was erased (anonymised): {counts['intakes']} intakes, "
        f"{counts['visits']} visits and {counts['aftercare_prints']} aftercare "
        "prints kept without identifying details.",
        "success",
    )
    return redirect(url_for("clients.profile", client_id=client_id))
