"""The landing page after sign-in."""

from flask import redirect, render_template, url_for
from flask_login import current_user

from clinic.access import CLINICAL
from clinic.clock import clinic_now
from clinic.roles import Role
from clinic.scheduling import queries
from clinic.scheduling.forms import ActionForm
from clinic.visits.services import unsigned_older_than


def index():
    """Today: the day's appointments (an esthetician sees their own first)."""
    now = clinic_now()
    start, end = queries.day_bounds(now.date(), now.date())
    mine = current_user.id if current_user.role is Role.ESTHETICIAN else None
    return render_template(
        "dashboard/index.html",
        now=now,
        appointments=queries.appointments_between(
            start, end, esthetician_id=mine, include_cancelled=False
        ),
        mine=mine is not None,
        action_form=ActionForm(),
        unsigned=unsigned_older_than(current_user._get_current_object())
        if current_user.role in CLINICAL
        else [],
    )


def root():
    target = "dashboard.index" if current_user.is_authenticated else "auth.login"
    return redirect(url_for(target))
