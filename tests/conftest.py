import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client

from pilots.roles import sync_roles
from vendors.models import ServiceLine

from .factories import UserFactory


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def logged_in_client(user) -> Client:
    client = Client()
    # The first backend (django-axes) only guards sign-ins; sessions belong to ModelBackend.
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def admin_client(admin_user):
    return logged_in_client(admin_user)


@pytest.fixture
def viewer(db):
    return UserFactory(username="vera", groups=["viewer"])


@pytest.fixture
def editor(db):
    return UserFactory(username="eddie", groups=["editor"])


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: each test starts with none spent."""
    cache.clear()


@pytest.fixture(autouse=True)
def _data_from_migrations(request):
    """Transactional tests empty every table when they end, including the reference data and the
    groups the migrations load; put them back before the next test that uses the database."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and "db" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db" if marker and marker.kwargs.get("transaction") else "db")
    # Each on its own: a database reused after such a test may have its groups back (a later
    # migration syncs them) but not its reference data.
    if not ServiceLine.objects.exists():
        importlib.import_module("vendors.migrations.0002_reference_data").load(apps, None)
    if not Group.objects.exists():
        sync_roles(apps)
