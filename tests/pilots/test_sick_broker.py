"""A frozen broker never hangs a request: queuing gives up within seconds and the pilot is
evaluated in the request instead, so its flags still follow the measurement."""

import datetime
import os
import shutil
import signal
import socket
import subprocess
import time
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from kombu import pools

from config.celery import app
from pilots.choices import FlagKind
from pilots.models import Flag
from tests.conftest import logged_in_client
from tests.factories import UserFactory

from .helpers import metric, monday, running_pilot

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def switch_broker(url: str) -> None:
    """Point the app at another broker, dropping the pooled connections and producers (kombu keeps
    a registry of them per broker) so the next publish connects afresh."""
    app.pool.force_close_all()
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url = url


@pytest.fixture
def frozen_broker(settings):
    """A throwaway Redis the app queues to, stopped with SIGSTOP (accepts nothing, answers nothing)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [binary, "--port", str(port), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL
    )
    url = f"redis://127.0.0.1:{port}/0"
    before = app.conf.broker_url
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        switch_broker(url)
        os.kill(server.pid, signal.SIGSTOP)
        yield url
    finally:
        os.kill(server.pid, signal.SIGCONT)
        server.terminate()
        server.wait(5)
        switch_broker(before)


@pytest.mark.django_db(transaction=True)
def test_a_measurement_with_the_broker_frozen_answers_within_seconds_and_still_flags(frozen_broker):
    today = timezone.localdate()
    pilot = running_pilot(today=today, weeks_running=1)
    m = metric(pilot, name="Accuracy", unit="%", target=Decimal("98"), critical=True)
    client = logged_in_client(UserFactory(groups=["editor"]))
    started = time.monotonic()
    response = client.post(
        reverse("pilots:pilot-measurements", args=[pilot.pk]),
        {"period": monday(today) - datetime.timedelta(weeks=1), f"value_{m.pk}": "91"},
    )
    took = time.monotonic() - started
    assert response.status_code == 302
    assert took < 8, took  # queuing gives up after a few seconds (about 3 with the default timeouts)
    assert Flag.objects.open().filter(pilot=pilot, kind=FlagKind.TARGET_MISSED).exists()
