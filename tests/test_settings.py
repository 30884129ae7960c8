import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent


def run_check(**env):
    # A production environment: without the browser tests' async override.
    base = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings.production", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("secret", ["", "short", "dev-only-insecure-key-never-used-in-production"])
def test_production_refuses_to_start_without_a_real_secret_key(secret):
    result = run_check(SECRET_KEY=secret)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


SECRET = "x" * 20 + "-a-long-random-production-secret-key-value"
SERVICES = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/pilotgate",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@mail.example.com:587",
    "CACHE_URL": "redis://127.0.0.1:6379/2",
    "FILES_BUCKET": "pilotgate-files",
}


def test_production_settings_pass_the_deploy_check():
    result = run_check(SECRET_KEY=SECRET, **SERVICES)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("DATABASE_URL", "sqlite:////tmp/pilotgate.sqlite3", "DATABASE_URL (SQLite)"),
        ("CELERY_BROKER_URL", "filesystem://", "CELERY_BROKER_URL (filesystem or in-memory broker)"),
        ("EMAIL_URL", "filemail:///tmp/mail", "EMAIL_URL (mail written to files or memory)"),
        ("CACHE_URL", "locmemcache://", "CACHE_URL (rate limits counted in one process's memory)"),
        ("FILES_BUCKET", "", "FILES_BUCKET (uploads on one machine's disk)"),
    ],
)
def test_production_refuses_embedded_services_unless_allowed(name, value, named):
    refused = run_check(SECRET_KEY=SECRET, **{**SERVICES, name: value})
    assert refused.returncode != 0 and named in refused.stderr
    allowed = run_check(SECRET_KEY=SECRET, ALLOW_EMBEDDED_SERVICES="true", **{**SERVICES, name: value})
    assert allowed.returncode == 0, allowed.stderr


@pytest.mark.django_db
def test_health_check_needs_no_login_and_pages_do():
    client = Client()
    assert client.get("/health/").json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert client.get("/accounts/login/").status_code == 200
    for path in ("/", "/providers/999999/", "/no-such-page/", "/pilots/1/action/no-such-action/"):
        response = client.get(path)  # anonymous: asked to sign in, never told what exists
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path


@pytest.mark.django_db
def test_anonymous_visitors_are_asked_to_sign_in_even_where_development_would_list_the_urls(settings):
    settings.DEBUG = True  # `make run`: Django's own 404 page would list every URL pattern
    response = Client().get("/no-such-page/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("code", ["eur", "XX<script>", "POUNDS"])
def test_a_currency_that_is_not_an_iso_code_is_refused_at_start(code):
    result = run_check(SECRET_KEY=SECRET, CURRENCY=code, **SERVICES)
    assert result.returncode != 0
    assert "CURRENCY must be an ISO 4217 code" in result.stderr
