"""Error pages in the site layout: no stack traces, a way back."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from clinic.extensions import db

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


def render_error(status: int, title: str | None = None, message: str | None = None):
    default_title, default_message = _MESSAGES.get(status, _MESSAGES[500])
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=title or default_title,
            message=message or default_message,
        ),
        status,
    )


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


def _internal_error(_exc):
    db.session.rollback()
    return render_error(500)


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _internal_error)
