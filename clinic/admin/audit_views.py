"""The audit log page, its CSV export and the whole-chain check (admins).

Reading the log is itself recorded (``audit.viewed``, ``audit.exported``):
it shows who looked at which client, which is worth knowing about whoever
looks. A filter that does not validate shows nothing and records nothing.
"""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from clinic import audit
from clinic.admin import audit_log
from clinic.admin.forms import AuditFilterForm, ConfirmForm
from clinic.clock import clinic_now
from clinic.extensions import db


def _filter_form(people) -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.set_options(people, audit_log.logged_actions())
    return form


def _read_filter(form: AuditFilterForm) -> audit_log.AuditFilter | None:
    """The filter, or None with the problems next to their fields (the
    client is looked up even when another field is wrong: every problem at
    once)."""
    valid = form.validate()
    clients = []
    if form.client.data and not form.client.errors:
        try:
            clients = audit_log.find_clients(form.client.data)
        except audit_log.FilterError as exc:
            form.client.errors.append(str(exc))
            valid = False
    if not valid:
        return None
    return audit_log.build_filter(
        person=form.person.data,
        clients=clients,
        action=form.action.data,
        first_day=form.date_from.data,
        last_day=form.date_to.data,
    )


def _filter_args() -> dict:
    """The request's filters, without the page position: for links (and for
    the way back from the whole-chain check)."""
    return {
        key: value
        for key, value in request.args.items()
        if value and key in AuditFilterForm.FILTER_FIELDS
    }


def _render(form, people, where=None, page=None, status: int = 200):
    return render_template(
        "admin/audit_log.html",
        form=form,
        where=where,
        page=page,
        chain=audit.chain_status(),
        names={p.id: p.name for p in people},
        filter_args=_filter_args(),
        verify_form=ConfirmForm(),
    ), status


def audit_log_page():
    """The log, newest first, filtered; 422 with the reasons for a bad filter."""
    people = audit_log.people()
    form = _filter_form(people)
    where = _read_filter(form)
    if where is None:
        return _render(form, people, status=422)
    page = audit_log.read_page(where, before=form.before.data, after=form.after.data)
    response = _render(form, people, where, page)
    # Recorded after the chain status was read, so the page's own row is
    # not counted in what it reports.
    audit.record(
        "audit.viewed",
        client_id=where.single_client_id,
        details=where.describe(),
    )
    db.session.commit()
    return response


def audit_export():
    """The filtered rows as CSV (every page of them), newest first."""
    people = audit_log.people()
    form = _filter_form(people)
    where = _read_filter(form)
    if where is None:
        return _render(form, people, status=422)
    audit.record(
        "audit.exported",
        client_id=where.single_client_id,
        details=where.describe(),
    )
    # Committed before the download starts: the rows are read in batches
    # while it streams (audit_log.export_entries).
    db.session.commit()
    lines = audit_log.csv_lines(audit_log.export_entries(where))
    response = Response(stream_with_context(lines), mimetype="text/csv")
    name = f"audit-log-{clinic_now():%Y-%m-%d-%H%M}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def audit_verify():
    """Check the whole chain now and keep the result; 400 without the token."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    checkpoint = audit.check_whole_chain(by_user_id=current_user.id)
    db.session.commit()
    if checkpoint.ok:
        flash(
            f"The whole log was checked: {checkpoint.through_seq:,} rows, intact.",
            "success",
        )
    else:
        flash(
            f"The log is broken at row {checkpoint.first_bad_seq}: "
            f"{checkpoint.problem}.",
            "danger",
        )
    return redirect(url_for("admin.audit_log", **_filter_args()))
