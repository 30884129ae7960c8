"""Sign-in lockout, the client address behind a proxy, the security headers and how refusals are logged."""

import logging

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from config.settings.base import client_ip

from .conftest import logged_in_client
from .factories import UserFactory

LOGIN = "/accounts/login/"


def sign_in(address: str, username: str, password: str) -> int:
    client = Client(REMOTE_ADDR=address)
    response = client.post(LOGIN, {"username": username, "password": password})
    return response.status_code, client


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3


@pytest.mark.django_db
def test_a_lockout_holds_one_username_from_one_address_only(axes_on):
    UserFactory(username="olivia", password="right-password-123", groups=["viewer"])
    for _ in range(5):  # an attacker fails on purpose, and keeps going during the lockout
        status, _ = sign_in("203.0.113.9", "olivia", "wrong")
        assert status in (200, 429)
    status, client = sign_in("203.0.113.9", "olivia", "right-password-123")
    assert status == 429  # locked from the attacker's address
    status, client = sign_in("198.51.100.7", "olivia", "right-password-123")
    assert status == 302  # olivia, at her own desk, still signs in
    assert client.get("/").status_code == 200
    status, _ = sign_in("203.0.113.9", "someone-else", "wrong")
    assert status == 200  # other names from that address are not locked either


def test_the_client_address_comes_from_the_trusted_proxy_header_when_configured(monkeypatch):
    import config.settings.base as base

    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
    assert client_ip(request) == "10.0.0.2"  # no proxy configured: a forged header is ignored
    monkeypatch.setattr(base, "CLIENT_IP_HEADER", "HTTP_X_FORWARDED_FOR")
    assert client_ip(request) == "198.51.100.7"  # the address the one trusted proxy saw, not the forged one


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_of_the_apps_own_assets(editor):
    response = logged_in_client(editor).get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("style-src-attr")[0]  # no inline scripts or style elements
    assert "https:" not in policy


@pytest.mark.django_db
def test_a_refusal_is_logged_on_one_line(viewer, caplog):
    from config.logging import ForbiddenOnOneLine

    client = logged_in_client(viewer)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(reverse("vendors:provider-add")).status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and all(ForbiddenOnOneLine().filter(r) for r in records)
    assert all(r.exc_info is None for r in records)
    assert "Forbidden" in records[0].getMessage()
