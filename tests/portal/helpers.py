"""What the provider-link tests share: weeks, and a browser session opened by a link's secret."""

import datetime
import re

from django.test import Client
from django.utils import timezone

from tests.pilots.helpers import monday

TODAY = timezone.localdate()


def week(weeks_ago: int) -> datetime.date:
    return monday(TODAY) - datetime.timedelta(weeks=weeks_ago)


def secret_from(message) -> str:
    return re.search(r"/provider/(pgl_[A-Za-z0-9_-]+)/", message.body)[1]


def provider_client(secret: str) -> Client:
    client = Client()
    response = client.get(f"/provider/{secret}/")
    assert response.status_code == 302 and response.url == "/provider/"
    return client
