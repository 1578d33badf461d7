"""Error pages in the site layout: no stack traces, a way back."""

from __future__ import annotations

from flask import Flask, current_app, g, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

from clinic.db_errors import Trouble, database_trouble
from clinic.extensions import db, login_manager

_MESSAGES = {
    400: ("Bad request", "The request could not be understood. Please try again."),
    403: ("Not allowed", "Your account does not have access to this page."),
    404: ("Page not found", "There is nothing at this address."),
    405: ("Not allowed", "This page cannot be used that way."),
    410: ("No longer available", "This link has expired or was already used."),
    413: ("Too large", "What you sent is too large. Please send something smaller."),
    429: (
        "Too many attempts",
        "Too many attempts in a short time. Please wait a minute and try again.",
    ),
    500: (
        "Something went wrong",
        "An unexpected error occurred and nothing was saved. Please try again; "
        "if it happens again, tell the clinic's administrator.",
    ),
}

# 503 pages: (title, message, Retry-After in seconds).
_TROUBLE = {
    Trouble.BUSY: (
        "The clinic system is busy",
        "The clinic system is busy, try again in a moment. Nothing was saved.",
        5,
    ),
    Trouble.UNAVAILABLE: (
        "The clinic system is unavailable",
        "The clinic system cannot use its database right now, so nothing was "
        "saved. Try again in a minute; if this goes on, tell the clinic's "
        "administrator.",
        30,
    ),
}


def _as_visitor() -> None:
    """Show a server error's page as to someone not signed in.

    The layout asks ``current_user`` for the menu, which runs the session
    check against the database (or reloads the user the rollback expired):
    when the database is what failed, the error page failed too, and gunicorn
    answered with bare text and none of the security headers. Flask-Login
    keeps the request's user in ``g._login_user``; once it is set, nothing
    loads it again.
    """
    g._login_user = login_manager.anonymous_user()


def render_error(status: int, title: str | None = None, message: str | None = None):
    """The error page; a server error's page as to a visitor, and any other
    one too when the database the menu needs fails meanwhile."""
    default_title, default_message = _MESSAGES.get(status, _MESSAGES[500])
    context = {
        "status": status,
        "title": title or default_title,
        "message": message or default_message,
    }
    if status >= 500:
        _as_visitor()
    try:
        page = render_template("errors/error.html", **context)
    except DBAPIError as exc:
        if database_trouble(exc) is None:
            raise
        db.session.rollback()
        _as_visitor()
        page = render_template("errors/error.html", **context)
    return page, status


def _http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400:
        return exc
    db.session.rollback()
    return render_error(exc.code)


def _csrf_error(_exc: CSRFError):
    db.session.rollback()
    return render_error(
        400,
        "This form has expired",
        "The form was open too long or was sent from elsewhere, so it was not "
        "accepted and nothing was saved. Go back, reload the page and submit "
        "the form again.",
    )


def _database_error(exc: DBAPIError):
    """A lock wait that ran out or a database out of reach: 503 with
    Retry-After, the transaction rolled back. Any other database error is a
    bug and goes on to the 500 page."""
    trouble = database_trouble(exc)
    if trouble is None:
        raise exc
    db.session.rollback()
    log = (
        current_app.logger.warning
        if trouble is Trouble.BUSY
        else current_app.logger.error
    )
    log("database %s: %s", trouble.value, exc)
    title, message, retry_after = _TROUBLE[trouble]
    body, status = render_error(503, title, message)
    return body, status, {"Retry-After": str(retry_after)}


def _internal_error(_exc):
    db.session.rollback()
    return render_error(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(InternalServerError, _internal_error)
