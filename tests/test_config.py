"""The app factory and its configuration sources."""

from __future__ import annotations

import stat

import pytest

from clinic import create_app
from clinic.config import instance_secret_key, normalise_database_url
from tests.conftest import base_config


def test_factory_uses_test_config(app):
    assert app.testing
    assert app.config["CLINIC_NAME"] == "Test Clinic"


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("CLINIC_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite3")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("CLINIC_NAME", "Glow Studio")
    monkeypatch.setenv("CLINIC_TIMEZONE", "America/New_York")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "false")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/env.sqlite3"
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["CLINIC_NAME"] == "Glow Studio"
    assert app.config["CLINIC_TIMEZONE"] == "America/New_York"
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_instance_config_file_is_read(monkeypatch, tmp_path):
    monkeypatch.setenv("CLINIC_INSTANCE_PATH", str(tmp_path))
    for name in ("DATABASE_URL", "SECRET_KEY", "CLINIC_NAME", "CLINIC_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "config.py").write_text('CLINIC_NAME = "From The File"\n')
    app = create_app()
    assert app.config["CLINIC_NAME"] == "From The File"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("clinic.sqlite3")


def test_own_engine_options_still_hide_statement_values(monkeypatch, tmp_path):
    """An instance file that tunes the pool keeps values out of the logs."""
    monkeypatch.setenv("CLINIC_INSTANCE_PATH", str(tmp_path))
    (tmp_path / "config.py").write_text(
        'SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 10}\n'
    )
    config = base_config(f"sqlite:///{tmp_path}/clinic.sqlite3")
    options = create_app(config).config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options == {"pool_size": 10, "hide_parameters": True}


def test_secret_key_is_generated_once_and_private(monkeypatch, tmp_path):
    monkeypatch.setenv("CLINIC_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert first == second == key_file.read_text().strip()
    assert len(first) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert list(tmp_path.glob(".secret_key.*")) == []


def test_empty_secret_key_file_is_an_error(tmp_path):
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(RuntimeError, match="empty"):
        instance_secret_key(tmp_path)


def test_invalid_timezone_fails_at_startup(tmp_path):
    config = base_config(f"sqlite:///{tmp_path}/x.sqlite3")
    config["CLINIC_TIMEZONE"] = "Mars/Olympus_Mons"
    with pytest.raises(RuntimeError, match="CLINIC_TIMEZONE"):
        create_app(config)


def test_lock_wait_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CLINIC_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite3")
    monkeypatch.setenv("DB_LOCK_TIMEOUT_MS", "2500")
    assert create_app().config["DB_LOCK_TIMEOUT_MS"] == 2500


@pytest.mark.parametrize("wait", [0, -1, 60_000, "5000", True])
def test_a_lock_wait_beyond_the_worker_timeout_fails_at_startup(tmp_path, wait):
    config = base_config(f"sqlite:///{tmp_path}/x.sqlite3")
    config["DB_LOCK_TIMEOUT_MS"] = wait
    with pytest.raises(RuntimeError, match="DB_LOCK_TIMEOUT_MS"):
        create_app(config)


def test_invalid_boolean_in_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CLINIC_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "perhaps")
    with pytest.raises(RuntimeError, match="SESSION_COOKIE_SECURE"):
        create_app()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_use_psycopg3(given, expected):
    assert normalise_database_url(given) == expected
