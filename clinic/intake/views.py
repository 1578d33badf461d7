"""Intake pages: staff and tablet questionnaires, answers, diff, clearance."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from clinic.clients.services import get_client_or_404
from clinic.clock import clinic_today
from clinic.extensions import db
from clinic.intake import services
from clinic.intake.eligibility import client_eligibility
from clinic.intake.forms import ClearanceForm, questionnaire_form
from clinic.intake.models import ConsentKind, EnteredVia, Intake
from clinic.intake.screening import ScreeningInputError
from clinic.security import is_safe_next


def _get_intake_or_404(intake_id: int) -> Intake:
    intake = db.session.get(Intake, intake_id)
    if intake is None:
        abort(404)
    return intake


def _questionnaire_page(template: str, client, form, consents, status: int, **extra):
    return render_template(
        template,
        client=client,
        form=form,
        consents=consents,
        ConsentKind=ConsentKind,
        **extra,
    ), status


def _submit(client, form, rule_set, consents, via: EnteredVia, by_user_id):
    """Screen and store; None (with a form error) if the engine refuses."""
    try:
        return services.submit_intake(
            client,
            form.to_submission(),
            rule_set=rule_set,
            consents=consents,
            via=via,
            by_user_id=by_user_id,
            ip=request.remote_addr,
        )
    except ScreeningInputError as exc:
        db.session.rollback()
        form.form_errors.append(f"The answers could not be screened: {exc}")
        return None


def staff_intake(client_id: int):
    """An esthetician or admin enters the questionnaire with the client.

    404 for an unknown client, 409 for an archived one (restore it first).
    """
    client = get_client_or_404(client_id)
    if client.archived:
        abort(409)
    rule_set = services.current_rule_set()
    consents = services.current_consents()
    form = questionnaire_form(rule_set, registered_name=client.full_name)
    if form.validate_on_submit():
        intake = _submit(
            client, form, rule_set, consents, EnteredVia.STAFF, current_user.id
        )
        if intake is not None:
            db.session.commit()
            flash("The intake was signed and screened.", "success")
            back = request.args.get("next")
            if is_safe_next(back):  # e.g. back to the visit being started
                return redirect(back)
            return redirect(url_for("intake.intake_detail", intake_id=intake.id))
    status = 422 if form.is_submitted() else 200
    return _questionnaire_page("intake/staff_form.html", client, form, consents, status)


def create_tablet_link(client_id: int):
    """Start a one-time intake link for the client to fill on a tablet."""
    client = get_client_or_404(client_id)
    if client.archived:
        abort(409)
    _link, token = services.create_link(client, by_user_id=current_user.id)
    db.session.commit()
    url = url_for("intake.tablet_intake", token=token, _external=True)
    return render_template("intake/tablet_link.html", client=client, url=url)


def tablet_intake(token: str):
    """The client's own questionnaire; no staff login. 410 once used or expired."""
    link = services.find_usable_link(token)
    if link is None:
        return render_template("intake/tablet_gone.html"), 410
    client = link.client
    rule_set = services.current_rule_set()
    consents = services.current_consents()
    form = questionnaire_form(rule_set, registered_name=client.full_name)
    if form.validate_on_submit():
        intake = _submit(client, form, rule_set, consents, EnteredVia.TABLET, None)
        if intake is not None:
            try:
                services.consume_link(link, intake)
            except services.IntakeError:
                db.session.rollback()
                return render_template("intake/tablet_gone.html"), 410
            db.session.commit()
            return redirect(url_for("intake.tablet_done"))
    status = 422 if form.is_submitted() else 200
    return _questionnaire_page(
        "intake/tablet_form.html", client, form, consents, status
    )


def tablet_done():
    return render_template("intake/tablet_done.html")


def _detail_page(intake: Intake, clearance_form: ClearanceForm, status: int = 200):
    """Render the answers; the view is audited (and committed) first."""
    services.audit_answers_viewed(intake)
    db.session.commit()
    return render_template(
        "intake/detail.html",
        intake=intake,
        client=intake.client,
        history=services.intake_history(intake.client_id),
        eligibility=client_eligibility(intake.client_id),
        clearance_form=clearance_form,
        result=intake.result(),
    ), status


def intake_detail(intake_id: int):
    """The full intake with answers (esthetician/admin); every view is audited."""
    intake = _get_intake_or_404(intake_id)
    return _detail_page(intake, ClearanceForm(data={"cleared_on": clinic_today()}))


def record_clearance(intake_id: int):
    intake = _get_intake_or_404(intake_id)
    form = ClearanceForm()
    if form.validate_on_submit():
        try:
            services.record_clearance(
                intake,
                by_user_id=current_user.id,
                reason=form.reason.data,
                physician_note_ref=form.physician_note_ref.data or "",
                cleared_on=form.cleared_on.data,
            )
        except services.IntakeError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash("The clearance was recorded.", "success")
            return redirect(url_for("intake.intake_detail", intake_id=intake.id))
    return _detail_page(intake, form, 422)


def compare_intakes(client_id: int):
    """What changed between two intakes of one client (?older=ID&newer=ID)."""
    client = get_client_or_404(client_id)
    history = services.intake_history(client.id)
    by_id = {intake.id: intake for intake in history}
    asked = (request.args.get("older", type=int), request.args.get("newer", type=int))
    if any(asked):
        # Ids of another client's intakes are simply not found here.
        older, newer = by_id.get(asked[0]), by_id.get(asked[1])
        if older is None or newer is None:
            abort(404)
    elif len(history) < 2:
        abort(404)
    else:
        newer, older = history[0], history[1]
    if older.submitted_at > newer.submitted_at:
        older, newer = newer, older
    services.audit_answers_viewed(older, "intake.compared")
    services.audit_answers_viewed(newer, "intake.compared")
    db.session.commit()
    return render_template(
        "intake/compare.html",
        client=client,
        older=older,
        newer=newer,
        changes=services.diff_intakes(older, newer),
        history=history,
    )
