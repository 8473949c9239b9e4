import subprocess
import sys
from pathlib import Path

import pytest

from rendezvous.config import ConfigError, env_bool, env_int, parse_database_url

ROOT = Path(__file__).resolve().parents[2]


def test_sqlite_url_relative_and_absolute():
    assert parse_database_url("sqlite:///data/x.sqlite3")["NAME"] == "data/x.sqlite3"
    assert parse_database_url("sqlite:////tmp/x.sqlite3")["NAME"] == "/tmp/x.sqlite3"


def test_postgres_url_parts():
    db = parse_database_url("postgres://u:p%40ss@db.example:6543/cal")
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == (
        "u",
        "p@ss",
        "db.example",
        "6543",
        "cal",
    )


@pytest.mark.parametrize(
    "url", ["mysql://x/y", "postgres://host:5432/", "sqlite://", "postgres://h:notaport/db"]
)
def test_bad_database_url_names_the_variable(url):
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        parse_database_url(url)


def test_bool_and_int_are_strict(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ConfigError, match="DEBUG: expected true or false"):
        env_bool("DEBUG", False)
    monkeypatch.setenv("SMTP_PORT", "99999")
    with pytest.raises(ConfigError, match="SMTP_PORT: must be between"):
        env_int("SMTP_PORT", 25, minimum=1, maximum=65535)


def _start_with(env: dict) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "DATA_DIR": "/tmp/rendezvous-config-test"}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_start_up_without_secret_key_in_production_fails_naming_it():
    result = _start_with({"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY: required when DEBUG is off" in result.stderr


def test_start_up_without_encryption_key_in_production_fails_naming_it():
    result = _start_with({"DEBUG": "false", "SECRET_KEY": "x" * 50})
    assert result.returncode != 0
    assert "ENCRYPTION_KEY: required when DEBUG is off" in result.stderr
    short = _start_with({"DEBUG": "false", "SECRET_KEY": "x" * 50, "ENCRYPTION_KEY": "short"})
    assert "ENCRYPTION_KEY: at least 32 characters" in short.stderr


def test_start_up_with_bad_smtp_security_fails_naming_it():
    result = _start_with({"DEBUG": "true", "SMTP_SECURITY": "ssl3"})
    assert result.returncode != 0
    assert "SMTP_SECURITY: expected one of none, starttls, tls" in result.stderr
