"""The clinic application: ``create_app`` builds it (Flask tutorial style)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from clinic import cli, errors, routing, security
from clinic.auth import passwords
from clinic.config import load_config
from clinic.db import configure_postgresql, configure_sqlite
from clinic.extensions import bootstrap, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; ``test_config`` replaces environment overrides in tests."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("CLINIC_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    load_config(app, test_config)
    passwords.configure(
        app.config["ARGON2_TIME_COST"],
        app.config["ARGON2_MEMORY_COST"],
        app.config["ARGON2_PARALLELISM"],
    )

    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    routing.init_app(app)
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine, app.config["DB_LOCK_TIMEOUT_MS"])
        configure_postgresql(db.engine, app.config["DB_LOCK_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    bootstrap.init_app(app)

    # Import the models of every domain so that Alembic sees the whole schema.
    from clinic import audit  # noqa: F401
    from clinic.admin.routes import bp as admin_bp
    from clinic.aftercare import models as _aftercare_models  # noqa: F401
    from clinic.aftercare.routes import bp as aftercare_bp
    from clinic.auth.routes import bp as auth_bp
    from clinic.catalogue.routes import bp as catalogue_bp
    from clinic.clients.routes import bp as clients_bp
    from clinic.dashboard.routes import bp as dashboard_bp
    from clinic.intake.routes import bp as intake_bp
    from clinic.privacy.routes import bp as privacy_bp
    from clinic.scheduling import models as _scheduling_models  # noqa: F401
    from clinic.scheduling.routes import bp as scheduling_bp
    from clinic.visits.routes import bp as visits_bp

    for blueprint in (
        auth_bp,
        dashboard_bp,
        admin_bp,
        catalogue_bp,
        clients_bp,
        intake_bp,
        scheduling_bp,
        visits_bp,
        aftercare_bp,
        privacy_bp,
    ):
        app.register_blueprint(blueprint)

    security.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    _register_template_helpers(app)

    if not app.config["SESSION_COOKIE_SECURE"] and not app.testing:
        app.logger.setLevel(logging.INFO)
        app.logger.warning(
            "SESSION_COOKIE_SECURE is off: session cookies will be sent over plain "
            "http. Fine for a local trial; never in production (serve over https)."
        )
    return app


def _register_template_helpers(app: Flask) -> None:
    from flask_login import current_user

    from clinic.access import allowed
    from clinic.clock import clinic_today, to_clinic_time, utcnow
    from clinic.roles import Role
    from clinic.zones import format_zones

    def can(endpoint: str) -> bool:
        """Should the navigation show a link to ``endpoint``?"""
        role = current_user.role if current_user.is_authenticated else None
        return allowed(endpoint, role)

    @app.context_processor
    def inject_globals():
        return {
            "clinic_name": app.config["CLINIC_NAME"],
            "can": can,
            "Role": Role,
            "now_utc": utcnow(),
            "today": clinic_today(),
        }

    @app.template_filter("long_date")
    def long_date(value) -> str:
        return "" if value is None else f"{value.day} {value:%B %Y}"

    @app.template_filter("zone_names")
    def zone_names(codes) -> str:
        return format_zones(codes)

    @app.template_filter("local_datetime")
    def local_datetime(value, fmt: str = "%a %d %b %Y, %H:%M"):
        return "" if value is None else to_clinic_time(value).strftime(fmt)
