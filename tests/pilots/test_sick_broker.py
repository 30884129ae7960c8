"""A frozen broker never hangs a request: queuing gives up within seconds and the pilot is
evaluated where the write happened instead, so its flags still follow the measurement."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from pilots.choices import FlagKind
from pilots.models import Flag
from tests.worker import ROOT, database_url

from .helpers import measure, metric, running_pilot


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def frozen_broker():
    """A throwaway Redis, stopped with SIGSTOP: it accepts connections and answers nothing."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [binary, "--port", str(port), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        os.kill(server.pid, signal.SIGSTOP)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        os.kill(server.pid, signal.SIGCONT)
        server.terminate()
        server.wait(5)


@pytest.mark.django_db(transaction=True)
def test_queuing_an_evaluation_on_a_frozen_broker_gives_up_in_seconds_and_evaluates_in_place(frozen_broker):
    today = timezone.localdate()
    pilot = running_pilot(today=today, weeks_running=1)
    measure(metric(pilot, name="Accuracy", unit="%", target=Decimal("98")), today=today, weeks_ago=1, value="91")
    # A process of its own, configured from the environment as a deployed web process is.
    script = (
        "import time; from pilots.tasks import queue_pilot_evaluation; t = time.monotonic(); "
        f"queue_pilot_evaluation({pilot.pk}); print('took', round(time.monotonic() - t, 2))"
    )
    done = _run_in_deployed_process(script, frozen_broker)
    assert done.returncode == 0, done.stderr[-2000:]
    took = float(done.stdout.split("took")[-1])
    assert took < 8, took  # about 3 s with the default one-second timeouts and one retry
    assert "evaluating now" in done.stderr
    assert Flag.objects.open().filter(pilot=pilot, kind=FlagKind.TARGET_MISSED).exists()


def _run_in_deployed_process(script: str, broker_url: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
    }
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


HEALTH_SCRIPT = (
    "import time, json; from django.test import Client; t = time.monotonic(); "
    "r = Client(HTTP_HOST='localhost').get('/health/'); "
    "print('RESULT', r.status_code, json.dumps(r.json()), round(time.monotonic() - t, 2))"
)


@pytest.mark.django_db(transaction=True)
def test_health_says_503_within_seconds_when_the_broker_is_frozen_or_down(frozen_broker):
    for broker in (frozen_broker, f"redis://127.0.0.1:{free_port()}/0"):  # frozen, then nothing listening
        done = _run_in_deployed_process(HEALTH_SCRIPT, broker)
        assert done.returncode == 0, done.stderr[-2000:]
        _, status, rest = done.stdout.split("RESULT")[-1].split(" ", 2)
        body, took = rest.rsplit(" ", 1)
        assert status == "503"
        assert '"broker": "unreachable"' in body and '"database": "ok"' in body
        assert float(took) < 5, took


RESET_SCRIPT = (
    "import time; from django.test import Client; t = time.monotonic(); "
    "r = Client(HTTP_HOST='localhost').post('/accounts/password/reset/', {'email': 'someone@example.com'}); "
    "print('RESULT', r.status_code, 'cannot send email just now' in r.content.decode(), round(time.monotonic() - t, 2))"
)


@pytest.mark.django_db(transaction=True)
def test_a_password_reset_asked_for_on_a_frozen_or_stopped_broker_says_so_within_seconds(frozen_broker):
    for broker in (frozen_broker, f"redis://127.0.0.1:{free_port()}/0"):
        done = _run_in_deployed_process(RESET_SCRIPT, broker)
        assert done.returncode == 0, done.stderr[-2000:]
        status, said, took = done.stdout.split("RESULT")[-1].split()
        assert (status, said) == ("503", "True")
        assert float(took) < 8, took
