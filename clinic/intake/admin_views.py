"""Admin pages for the screening rules and the consent texts."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from clinic.extensions import db
from clinic.intake import catalogue
from clinic.intake.forms import (
    ConsentForm,
    MinimumAgeForm,
    NewRuleForm,
    RuleForm,
    consent_kind_or_none,
)
from clinic.intake.models import ConsentKind, RuleSet
from clinic.intake.screening import RuleClass
from clinic.intake.services import IntakeError, current_consents, current_rule_set


def _rule_fields(form: RuleForm) -> dict:
    rule_class = RuleClass(form.rule_class.data)
    return {
        "label": form.label.data,
        "question": form.question.data,
        "help_text": form.help_text.data or "",
        "rule_class": rule_class,
        "waiting_days": form.waiting_days.data
        if rule_class is RuleClass.TEMPORARY
        else None,
        "requires_clearance": rule_class is RuleClass.RELATIVE
        or bool(form.requires_clearance.data),
        "zones": ",".join(form.zones.data or ()),
        "active": bool(form.active.data),
    }


def rules_overview():
    rule_set = current_rule_set()
    return render_template(
        "intake/admin/rules.html",
        rule_set=rule_set,
        versions=catalogue.rule_versions(),
        age_form=MinimumAgeForm(data={"minimum_age": rule_set.minimum_age}),
    )


def rules_version(version: int):
    rule_set = db.session.scalar(select(RuleSet).where(RuleSet.version == version))
    if rule_set is None:
        abort(404)
    return render_template("intake/admin/rules_version.html", rule_set=rule_set)


def _save_version(form, **kwargs):
    """Write the next rules version, or put the refusal on the form."""
    try:
        rule_set = catalogue.new_rules_version(
            note=form.note.data, by_user_id=current_user.id, **kwargs
        )
    except IntakeError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return None
    db.session.commit()
    flash(f"Saved as rules version {rule_set.version}.", "success")
    return redirect(url_for("intake.rules_overview"))


def rule_edit(code: str):
    rule_set = current_rule_set()
    rule = next((r for r in rule_set.rules if r.code == code), None)
    if rule is None:
        abort(404)
    form = RuleForm(
        data={
            **rule.content(),
            "rule_class": rule.rule_class.value,
            "zones": list(rule.zone_codes),
        }
    )
    if form.validate_on_submit():
        response = _save_version(form, changes={code: _rule_fields(form)})
        if response is not None:
            return response
    status = 422 if form.is_submitted() else 200
    return render_template(
        "intake/admin/rule_form.html", form=form, rule=rule, rule_set=rule_set
    ), status


def rule_new():
    form = NewRuleForm(data={"active": True})
    if form.validate_on_submit():
        new_rule = {"code": form.code.data, **_rule_fields(form)}
        response = _save_version(form, changes={}, new_rule=new_rule)
        if response is not None:
            return response
    status = 422 if form.is_submitted() else 200
    return render_template(
        "intake/admin/rule_form.html",
        form=form,
        rule=None,
        rule_set=current_rule_set(),
    ), status


def minimum_age():
    form = MinimumAgeForm()
    if form.validate_on_submit():
        response = _save_version(form, changes={}, minimum_age=form.minimum_age.data)
        if response is not None:
            return response
    rule_set = current_rule_set()
    return render_template(
        "intake/admin/rules.html",
        rule_set=rule_set,
        versions=catalogue.rule_versions(),
        age_form=form,
    ), 422


def consents_overview():
    return render_template(
        "intake/admin/consents.html",
        current=current_consents(),
        kinds=list(ConsentKind),
    )


def consent_edit(kind: str):
    consent_kind = consent_kind_or_none(kind)
    if consent_kind is None:
        abort(404)
    current = current_consents().get(consent_kind)
    form = ConsentForm(
        data={"title": current.title, "body": current.body} if current else None
    )
    if form.validate_on_submit():
        if current and (form.title.data, form.body.data) == (
            current.title,
            current.body,
        ):
            form.form_errors.append("Nothing changed.")
        else:
            document = catalogue.new_consent_version(
                consent_kind,
                title=form.title.data,
                body=form.body.data,
                by_user_id=current_user.id,
            )
            db.session.commit()
            flash(f"Saved as version {document.version}.", "success")
            return redirect(url_for("intake.consents_overview"))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "intake/admin/consent_form.html",
        form=form,
        kind=consent_kind,
        versions=catalogue.consent_versions(consent_kind),
    ), status
