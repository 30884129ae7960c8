"""Ready to deploy: the production web server (gunicorn) with the production settings by default,
two web servers sharing one file store (an S3-compatible bucket), and demo logins refused."""

import contextlib
import datetime
import os
import re
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import boto3
import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.factories import UserFactory
from tests.pilots.helpers import metric, monday, running_pilot
from tests.worker import database_url

ROOT = Path(__file__).resolve().parent.parent
SECRET = "a-long-random-production-secret-key-for-the-deploy-test-" + "x" * 20
BUCKET = "pilotgate-files"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.args} exited: {process.stdout.read()}")
        # Refused while the port opens; unanswered while the worker is still importing the app
        # (a request that arrives then waits in the listen queue, past a busy machine's 5 s).
        with contextlib.suppress(requests.ConnectionError, requests.ReadTimeout):
            requests.get(url, timeout=5)
            return
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@contextlib.contextmanager
def running(args: list[str], *, env: dict, probe: str):
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        wait_until_answering(probe, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture
def bucket_server():
    """An S3-compatible server on loopback (moto), with the files bucket created."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    with running([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env=env, probe=url):
        s3 = boto3.client(
            "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
        )
        s3.create_bucket(Bucket=BUCKET)
        yield url, s3


def production_env(**extra) -> dict:
    """A production environment, as a deployment would give it; DJANGO_SETTINGS_MODULE unset on purpose."""
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        SECRET_KEY=SECRET,
        DATABASE_URL=database_url(),
        CELERY_BROKER_URL=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15"),
        CACHE_URL="redis://127.0.0.1:6379/2",
        EMAIL_URL="smtp://127.0.0.1:1",
        WEB_CONCURRENCY="1",
        HOST="127.0.0.1",
        **extra,
    )
    return env


class Browser:
    """A browser behind the TLS-terminating proxy: every request says it came over HTTPS, and the
    session and CSRF cookies (Secure) are sent to whichever web server answers."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, server: str, method: str, path: str, **kwargs) -> requests.Response:
        origin = server.replace("http://", "https://")
        headers = {
            "X-Forwarded-Proto": "https",
            "Origin": origin,
            "Referer": origin + path,
            "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items()),
        }
        response = requests.request(method, server + path, headers=headers, allow_redirects=False, timeout=30, **kwargs)
        self.cookies.update({cookie.name: cookie.value for cookie in response.cookies})
        return response

    def csrf(self, html: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]

    def sign_in(self, server: str, username: str, password: str) -> None:
        form = self.request(server, "GET", "/accounts/login/")
        response = self.request(
            server,
            "POST",
            "/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": self.csrf(form.text)},
        )
        assert response.status_code == 302, response.text[:500]


@pytest.mark.django_db(transaction=True)
def test_two_web_servers_with_their_own_disks_share_uploaded_files(bucket_server, tmp_path):
    endpoint, s3 = bucket_server
    today = timezone.localdate()
    password = "deploy-test-password"
    # Hashed as production checks it (the test settings hash passwords with a fast, weak hasher).
    ann = UserFactory(username="ann", groups=["editor"])
    ann.password = PBKDF2PasswordHasher().encode(password, "deploytestsalt")
    ann.save(update_fields=["password"])
    pilot = running_pilot(today=today, weeks_running=4)
    metric(pilot, name="Refund accuracy", unit="%", target=Decimal("98"))
    year, week, _ = (monday(today) - datetime.timedelta(weeks=1)).isocalendar()
    sheet = f"Period,Refund accuracy\n{year}-W{week:02d},98.5\n".encode()

    static = {"STATIC_ROOT": str(tmp_path / "static")}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env={**production_env(FILES_BUCKET=BUCKET, **static), "DJANGO_SETTINGS_MODULE": "config.settings.production"},
        check=True,
        timeout=120,
    )
    servers, processes = [], []
    with contextlib.ExitStack() as stack:
        for name in ("a", "b"):
            port = free_port()
            env = production_env(
                PORT=str(port),
                MEDIA_ROOT=str(tmp_path / name),
                **static,
                FILES_BUCKET=BUCKET,
                FILES_ENDPOINT_URL=endpoint,
                FILES_REGION="us-east-1",
                AWS_ACCESS_KEY_ID="test",
                AWS_SECRET_ACCESS_KEY="test",
            )
            url = f"http://127.0.0.1:{port}"
            gunicorn = [sys.executable, "-m", "gunicorn", "-c", "python:config.gunicorn"]
            processes.append(stack.enter_context(running(gunicorn, env=env, probe=f"{url}/health/")))
            servers.append(url)
        a, b = servers
        browser = Browser()
        browser.sign_in(a, "ann", password)

        page = browser.request(a, "GET", f"/pilots/{pilot.pk}/import/")
        assert page.status_code == 200 and page.headers["Strict-Transport-Security"].startswith("max-age=")
        uploaded = browser.request(
            a,
            "POST",
            f"/pilots/{pilot.pk}/import/",
            data={"csrfmiddlewaretoken": browser.csrf(page.text)},
            files={"file": ("week.csv", sheet, "text/csv")},
        )
        assert uploaded.status_code == 302, uploaded.text[:500]
        preview_path = uploaded.headers["Location"]

        preview = browser.request(b, "GET", preview_path)  # the other server reads the stored file
        assert preview.status_code == 200 and "1 new" in preview.text
        fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', preview.text)[1]
        confirmed = browser.request(
            b,
            "POST",
            preview_path,
            data={"csrfmiddlewaretoken": browser.csrf(preview.text), "confirm": "1", "fingerprint": fingerprint},
        )
        assert confirmed.status_code == 302
        download = browser.request(a, "GET", f"{preview_path}file/")
        assert download.status_code == 200 and download.content == sheet
        assert browser.request(a, "GET", "/provider/pgl_not-a-real-secret-4242/").status_code == 404

    access_log = processes[0].stdout.read()
    assert "GET /provider/pgl_[hidden]/" in access_log and "not-a-real-secret" not in access_log

    stored = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert len(stored) == 1 and stored[0].startswith("imports/measurementimport/")
    assert not any(path.is_file() for name in "ab" for path in (tmp_path / name).rglob("*"))  # nothing on their disks


def test_server_entry_points_default_to_production_and_manage_py_to_development():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    probe = "import os, {module}; print(os.environ['DJANGO_SETTINGS_MODULE'])"
    for module in ("config.celery",):
        result = subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, "-c", probe.format(module=module)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() == "config.settings.production"
    for module in ("config.wsgi", "config.asgi"):  # without production's environment they refuse to start
        result = subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, "-c", f"import {module}"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.SETTINGS_MODULE)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "config.settings.local"


@pytest.mark.django_db
def test_demo_logins_are_refused_under_production_settings(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="Demo data is refused"):
        call_command("seed_demo")
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="editor").exists()
