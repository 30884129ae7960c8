import pytest
from django.test import Client

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
