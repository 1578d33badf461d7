"""Configuration: defaults here, then ``instance/config.py``, then environment.

Every waiting period, limit and timeout is a setting, never a constant buried
in the code. Environment variables win over the instance file so that a
deployment can be configured without editing files.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask


class Defaults:
    CLINIC_NAME = "Microcurrent Clinic"
    CLINIC_ADDRESS = ""  # printed on aftercare sheets
    CLINIC_PHONE = ""
    AFTERCARE_PAGE_SIZE = "A4"  # or "LETTER"
    CLINIC_TIMEZONE = "Europe/London"

    SQLALCHEMY_DATABASE_URI: str | None = None  # instance/clinic.sqlite3 if unset
    # hide_parameters: a failed statement's error (and so the log) names its
    # SQL but not the values, which are client data (names, health answers).
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    # The longest a request waits for a lock another request holds (SQLite's
    # busy timeout, PostgreSQL's lock_timeout) before it is answered "busy,
    # try again" (503). Well under gunicorn's worker timeout (30 s), which
    # would kill the worker with no answer at all.
    DB_LOCK_TIMEOUT_MS = 5000

    # Sessions and cookies. SESSION_COOKIE_SECURE is on by default: `make run`
    # turns it off for a plain-http local trial and says so in its log.
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "clinic_session"
    SESSION_IDLE_TIMEOUT_MINUTES = 15
    SESSION_ABSOLUTE_LIFETIME_HOURS = 12

    # argon2id parameters (argon2-cffi's defaults, RFC 9106 low-memory profile).
    # Raising them upgrades every password at its next sign-in.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536  # KiB
    ARGON2_PARALLELISM = 4

    # Sign-in protection.
    PASSWORD_MIN_LENGTH = 12
    PASSWORD_MAX_LENGTH = 128
    LOGIN_RATE_LIMIT = "5 per minute"
    LOCKOUT_THRESHOLD = 10
    LOCKOUT_MINUTES = 15
    # memory:// counts in each worker; redis://host:6379/0 shares the counts
    # between every worker and server (README, Production).
    RATELIMIT_STORAGE_URI = "memory://"
    # Redis out of reach: count in each worker's memory meanwhile, so signing
    # in still works (limited per worker), and go back to Redis once it answers.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True

    # Two-factor sign-in (TOTP authenticator app plus recovery codes). Optional
    # for everyone; when this is on, an admin without it is sent to set it up
    # straight after the password and can use no other page until done.
    TWO_FACTOR_REQUIRED_FOR_ADMINS = False
    TWO_FACTOR_PENDING_MINUTES = 5  # time allowed between password and code
    TWO_FACTOR_MAX_CODE_ATTEMPTS = 5  # wrong codes before the password is asked again
    # Key that seals the authenticator secrets in the database. Unset: derived
    # from SECRET_KEY (so changing SECRET_KEY then needs every member to set up
    # two-factor again, or sign in with a recovery code).
    TWO_FACTOR_KEY: str | None = None
    TWO_FACTOR_ISSUER: str | None = None  # name shown in the app; CLINIC_NAME
    RATELIMIT_HEADERS_ENABLED = True

    # Intake and screening.
    INTAKE_VALID_MONTHS = 12
    INTAKE_LINK_MINUTES = 30

    # Scheduling.
    SCHEDULE_GRID_MINUTES = 15
    LATE_CANCEL_HOURS = 24
    # Check-in opens this long before the start, on the appointment's day only;
    # a booked appointment this long past its start without check-in is late.
    CHECK_IN_OPENS_MINUTES = 60
    LATE_AFTER_MINUTES = 15

    # Privacy: clinical records (intakes, visits, appointments) are kept this
    # many years after the client's last clinical activity before a client
    # may be erased (anonymised). 8 years follows the UK NHS Records
    # Management Code of Practice for adult health records; check your
    # country's rule.
    CLINICAL_RECORD_RETENTION_YEARS = 8

    # Number of reverse proxies whose X-Forwarded-* headers are trusted.
    TRUSTED_PROXIES = 0

    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    BOOTSTRAP_SERVE_LOCAL = True


# Environment variables read directly, and how to parse them.
_ENV_SETTINGS = {
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "DB_LOCK_TIMEOUT_MS": ("DB_LOCK_TIMEOUT_MS", int),
    "SECRET_KEY": ("SECRET_KEY", str),
    "CLINIC_NAME": ("CLINIC_NAME", str),
    "CLINIC_TIMEZONE": ("CLINIC_TIMEZONE", str),
    "CLINIC_ADDRESS": ("CLINIC_ADDRESS", str),
    "CLINIC_PHONE": ("CLINIC_PHONE", str),
    "AFTERCARE_PAGE_SIZE": ("AFTERCARE_PAGE_SIZE", str),
    "SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", "bool"),
    "RATELIMIT_STORAGE_URI": ("RATELIMIT_STORAGE_URI", str),
    "TRUSTED_PROXIES": ("TRUSTED_PROXIES", int),
    "CLINICAL_RECORD_RETENTION_YEARS": ("CLINICAL_RECORD_RETENTION_YEARS", int),
    "TWO_FACTOR_REQUIRED_FOR_ADMINS": ("TWO_FACTOR_REQUIRED_FOR_ADMINS", "bool"),
    "TWO_FACTOR_KEY": ("TWO_FACTOR_KEY", str),
}


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected a boolean (true/false), got {raw!r}")


def load_config(app: Flask, test_config: dict | None) -> None:
    """Fill ``app.config``: defaults, instance file, environment, test overrides."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    if test_config is None:
        for env_name, (key, kind) in _ENV_SETTINGS.items():
            raw = os.environ.get(env_name)
            if raw is None or raw == "":
                continue
            try:
                app.config[key] = _parse_bool(raw) if kind == "bool" else kind(raw)
            except ValueError as exc:
                raise RuntimeError(f"invalid {env_name}: {exc}") from exc
    else:
        app.config.update(test_config)

    # An instance file that sets its own engine options keeps the values
    # out of the logs unless it says otherwise.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        "hide_parameters": True,
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
    }

    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        uri = "sqlite:///" + str(Path(app.instance_path) / "clinic.sqlite3")
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(uri)

    try:
        ZoneInfo(app.config["CLINIC_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RuntimeError(
            f"CLINIC_TIMEZONE {app.config['CLINIC_TIMEZONE']!r} is not an IANA "
            "timezone name such as Europe/London"
        ) from exc

    if app.config["AFTERCARE_PAGE_SIZE"] not in ("A4", "LETTER"):
        raise RuntimeError("AFTERCARE_PAGE_SIZE must be A4 or LETTER")

    years = app.config["CLINICAL_RECORD_RETENTION_YEARS"]
    if not isinstance(years, int) or isinstance(years, bool) or not 0 <= years <= 100:
        raise RuntimeError(
            "CLINICAL_RECORD_RETENTION_YEARS must be a whole number of years (0-100)"
        )

    wait = app.config["DB_LOCK_TIMEOUT_MS"]
    if not isinstance(wait, int) or isinstance(wait, bool) or not 1 <= wait <= 20_000:
        raise RuntimeError(
            "DB_LOCK_TIMEOUT_MS must be a whole number of milliseconds (1-20000), "
            "well under gunicorn's worker timeout"
        )

    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that name no driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def instance_secret_key(instance_path: Path) -> str:
    """Read ``instance/secret_key``, creating it once (mode 0600) if missing.

    The key is written to a private temporary file and hard-linked into place,
    so when several server workers start at once exactly one key wins and no
    worker ever reads a half-written file.
    """
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        fd, tmp_name = tempfile.mkstemp(dir=instance_path, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as handle:  # mkstemp creates it 0600
                handle.write(secrets.token_urlsafe(48) + "\n")
            os.link(tmp_name, key_file)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp_name)
    key = key_file.read_text().strip()
    if not key:
        raise RuntimeError(f"{key_file} is empty; delete it to generate a new key")
    return key
