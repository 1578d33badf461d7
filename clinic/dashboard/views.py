"""The landing page after sign-in."""

from flask import redirect, render_template, url_for
from flask_login import current_user

from clinic.clock import clinic_now


def index():
    return render_template("dashboard/index.html", now=clinic_now())


def root():
    target = "dashboard.index" if current_user.is_authenticated else "auth.login"
    return redirect(url_for(target))
