"""Every URL pattern of the project, for anonymous, viewer and editor, on GET and POST.

A new URL without a rule here fails `test_every_url_has_a_rule`, so none ships unchecked.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from pilots.choices import PilotStatus
from scope.choices import WorkItemStatus
from tests.factories import (
    CandidateFactory,
    FlagFactory,
    PilotFactory,
    PilotMetricFactory,
    ProviderCertificationFactory,
    UserFactory,
    WorkItemFactory,
)

pytestmark = pytest.mark.django_db

ANON, VIEWER, EDITOR = "anonymous", "viewer", "editor"
LOGIN = "login redirect"  # a 302 to the sign-in page

# name: {role: (GET status, POST status)}
APP_RULES = {
    "health": {ANON: (200, 405), VIEWER: (200, 405), EDITOR: (200, 405)},
    "login": {ANON: (200, 200), VIEWER: (302, 302), EDITOR: (302, 302)},
    "logout": {ANON: (405, 302), VIEWER: (405, 302), EDITOR: (405, 302)},
    "dashboard": {ANON: (LOGIN, LOGIN), VIEWER: (200, 405), EDITOR: (200, 405)},
    "vendors:provider-list": {ANON: (LOGIN, LOGIN), VIEWER: (200, 405), EDITOR: (200, 405)},
    "vendors:provider-add": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (200, 200)},
    "vendors:provider-detail": {ANON: (LOGIN, LOGIN), VIEWER: (200, 405), EDITOR: (200, 405)},
    "vendors:provider-edit": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (200, 200)},
    "vendors:provider-action": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (200, 400)},
    "vendors:provider-import": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (200, 400)},
    "vendors:provider-import-template": {ANON: (LOGIN, LOGIN), VIEWER: (200, 405), EDITOR: (200, 405)},
    "vendors:provider-import-preview": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (404, 404)},
    "vendors:provider-import-file": {ANON: (LOGIN, LOGIN), VIEWER: (404, 405), EDITOR: (404, 405)},
    "scope:workitem-action": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (200, 302)},
    "vendors:certification-evidence": {ANON: (LOGIN, LOGIN), VIEWER: (200, 405), EDITOR: (200, 405)},
    "scope:workitem-list": {ANON: (LOGIN, LOGIN), VIEWER: (200, 405), EDITOR: (200, 405)},
    "scope:workitem-add": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (200, 200)},
    "scope:workitem-detail": {ANON: (LOGIN, LOGIN), VIEWER: (200, 405), EDITOR: (200, 405)},
    "scope:workitem-edit": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (200, 200)},
    "scope:workitem-mark-ready": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (405, 302)},
    "scope:workitem-sourcing": {ANON: (LOGIN, LOGIN), VIEWER: (200, 405), EDITOR: (200, 405)},
    "scope:workitem-compare": {ANON: (LOGIN, LOGIN), VIEWER: (200, 405), EDITOR: (200, 405)},
    "scope:workitem-criteria": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (200, 400)},
    "scope:candidate-add": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (405, 404)},
    "scope:candidate-status": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (405, 302)},
    "scope:candidate-score": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (200, 302)},
    "pilots:pilot-list": {ANON: (LOGIN, LOGIN), VIEWER: (200, 405), EDITOR: (200, 405)},
    "pilots:pilot-add": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (200, 200)},
    "pilots:pilot-detail": {ANON: (LOGIN, LOGIN), VIEWER: (200, 405), EDITOR: (200, 405)},
    "pilots:pilot-edit": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (200, 200)},
    "pilots:pilot-measurements": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (200, 400)},
    "pilots:pilot-action": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (200, 400)},
    "pilots:pilot-import": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (200, 400)},
    "pilots:pilot-import-template": {ANON: (LOGIN, LOGIN), VIEWER: (200, 405), EDITOR: (200, 405)},
    "pilots:pilot-import-preview": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (404, 404)},
    "pilots:pilot-import-file": {ANON: (LOGIN, LOGIN), VIEWER: (404, 405), EDITOR: (404, 405)},
    "pilots:digest-settings": {ANON: (LOGIN, LOGIN), VIEWER: (200, 302), EDITOR: (200, 302)},
    "pilots:digest-preview": {ANON: (LOGIN, LOGIN), VIEWER: (403, 405), EDITOR: (403, 405)},
    "pilots:flag-list": {ANON: (LOGIN, LOGIN), VIEWER: (200, 405), EDITOR: (200, 405)},
    "pilots:flag-acknowledge-selected": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (405, 400)},
    "pilots:flag-acknowledge": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (405, 302)},
    "pilots:measurement-dispute": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (405, 404)},
    "pilots:dispute-action": {ANON: (LOGIN, LOGIN), VIEWER: (403, 403), EDITOR: (405, 404)},
    "portal:link-issue": {ANON: (LOGIN, LOGIN), VIEWER: (405, 403), EDITOR: (405, 302)},
    "portal:link-revoke": {ANON: (LOGIN, LOGIN), VIEWER: (405, 403), EDITOR: (405, 404)},
    # A provider link's pages need the session its link opens (tests/portal): without it, 404 for all.
    "portal:pilot": {ANON: (404, 404), VIEWER: (404, 404), EDITOR: (404, 404)},
    "portal:template": {ANON: (404, 405), VIEWER: (404, 405), EDITOR: (404, 405)},
    "portal:upload": {ANON: (404, 404), VIEWER: (404, 404), EDITOR: (404, 404)},
    "portal:upload-preview": {ANON: (404, 404), VIEWER: (404, 404), EDITOR: (404, 404)},
    "portal:dispute": {ANON: (405, 404), VIEWER: (405, 404), EDITOR: (405, 404)},
    "portal:dispute-action": {ANON: (405, 404), VIEWER: (405, 404), EDITOR: (405, 404)},
    "portal:leave": {ANON: (405, 200), VIEWER: (405, 200), EDITOR: (405, 200)},
    "portal:enter": {ANON: (404, 405), VIEWER: (404, 405), EDITOR: (404, 405)},
    "password_change": {ANON: (LOGIN, LOGIN), VIEWER: (200, 200), EDITOR: (200, 200)},
    "password_change_done": {ANON: (LOGIN, LOGIN), VIEWER: (200, 405), EDITOR: (200, 405)},
    "password_reset": {ANON: (200, 200), VIEWER: (200, 200), EDITOR: (200, 200)},
    "password_reset_done": {ANON: (200, 405), VIEWER: (200, 405), EDITOR: (200, 405)},
    "password_reset_confirm": {ANON: (200, 200), VIEWER: (200, 200), EDITOR: (200, 200)},
    "password_reset_complete": {ANON: (200, 405), VIEWER: (200, 405), EDITOR: (200, 405)},
    "api-tokens": {ANON: (LOGIN, LOGIN), VIEWER: (200, 400), EDITOR: (200, 400)},
    "api-token-revoke": {ANON: (LOGIN, LOGIN), VIEWER: (405, 404), EDITOR: (405, 404)},
}
# The API answers anonymous callers 401 everywhere; each role on each endpoint is in tests/test_api.py.
API_RULE = {ANON: (401, 401), VIEWER: None, EDITOR: None}
# The admin is for staff: everyone else is sent to the admin's own sign-in page.
ADMIN_RULE = {ANON: (302, 302), VIEWER: (302, 302), EDITOR: (302, 302)}


def all_patterns(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from all_patterns(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern) and entry.name:
            # Path converters name the parameters; a regex pattern only counts its groups.
            params = (
                list(entry.pattern.converters)
                or list(entry.pattern.regex.groupindex)
                or [f"_{i}" for i in range(entry.pattern.regex.groups)]
            )
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern), params


ADMIN_LOGIN_RULE = {ANON: (200, 200), VIEWER: (200, 200), EDITOR: (200, 200)}


def rule_for(name: str):
    if name == "admin:login":
        return ADMIN_LOGIN_RULE
    if name.startswith("api:"):
        return API_RULE
    return ADMIN_RULE if name.startswith("admin:") else APP_RULES.get(name)


def test_every_url_has_a_rule():
    missing = sorted({name for name, _, _ in all_patterns() if rule_for(name) is None})
    assert missing == [], f"URLs without a permission rule: {missing}"


@pytest.fixture
def objects(tmp_path, settings):
    today = timezone.localdate()
    item = WorkItemFactory(status=WorkItemStatus.READY)
    pilot = PilotFactory(
        status=PilotStatus.RUNNING,
        work_items=[item],
        starts_on=today - datetime.timedelta(weeks=4),
        ends_on=today + datetime.timedelta(weeks=4),
    )
    PilotMetricFactory(pilot=pilot, target=Decimal("90"))
    cert = ProviderCertificationFactory(provider=pilot.provider)
    cert.evidence.save("iso.pdf", ContentFile(b"%PDF-1.4 evidence"), save=True)
    candidate = CandidateFactory(work_item=item, provider=pilot.provider)
    return {
        "provider": pilot.provider,
        "item": item,
        "pilot": pilot,
        "flag": FlagFactory(pilot=pilot),
        "cert": cert,
        "candidate": candidate,
    }


def url_for(name: str, route: str, converters: dict, objects) -> str:
    kwargs = {}
    if name.startswith("api:"):
        values = {"pk": str(objects["pilot"].pk), "name": "start", "format": "json"}
        return reverse(name, kwargs={param: values[param] for param in converters})
    for param in converters:
        if name.startswith("admin:"):
            kwargs[param] = "1" if param in {"object_id", "pk"} else "x"
        elif param == "name":
            kwargs[param] = objects["cert"].evidence.name
        elif param == "action":
            kwargs[param] = (
                "withdraw"
                if "dispute" in name
                else {"vendors": "block", "scope": "retire"}.get(name.split(":")[0], "decide")
            )
        elif param == "format":
            kwargs[param] = "json"
        elif param == "user_id":
            kwargs[param] = objects["pilot"].owner_id  # someone else's digest
        else:
            target = "candidate" if name.startswith("scope:candidate-") and name != "scope:candidate-add" else None
            target = target or {"vendors": "provider", "scope": "item"}.get(name.split(":")[0])
            target = target or ("flag" if "flag" in name else "pilot")
            kwargs[param] = objects[target].pk
    if name == "admin:app_list":
        kwargs = {"app_label": "pilots"}
    if name == "admin:view_on_site":
        kwargs = {"content_type_id": 1, "object_id": 1}
    if any(param.startswith("_") for param in kwargs):
        return reverse(name, args=["1"] * len(kwargs))
    return reverse(name, kwargs=kwargs)


def client_for(role: str) -> Client:
    client = Client()
    if role != ANON:
        user = UserFactory(username=f"{role}-user", groups=[role])
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize("role", [ANON, VIEWER, EDITOR])
def test_each_url_answers_as_its_rule_says(role, objects):
    client = client_for(role)
    failures = []
    for name, route, converters in all_patterns():
        if name in {"logout"}:
            continue  # checked on its own: it would end this client's session
        url = url_for(name, route, converters, objects)
        if rule_for(name)[role] is None:
            continue
        expected_get, expected_post = rule_for(name)[role]
        for method, expected in (("get", expected_get), ("post", expected_post)):
            response = getattr(client, method)(url)
            status = response.status_code
            if expected == LOGIN:
                ok = status == 302 and response["Location"].startswith(reverse("login"))
            else:
                ok = status == expected
            if not ok:
                failures.append(f"{method.upper()} {url} ({name}) → {status}, expected {expected}")
    assert failures == []


@pytest.mark.parametrize("role", [ANON, VIEWER, EDITOR])
def test_logout(role):
    client = client_for(role)
    expected_get, expected_post = APP_RULES["logout"][role]
    assert client.get(reverse("logout")).status_code == expected_get
    assert client.post(reverse("logout")).status_code == expected_post


@pytest.mark.parametrize(
    "name",
    [
        "vendors:provider-detail",
        "vendors:provider-edit",
        "scope:workitem-detail",
        "scope:workitem-edit",
        "pilots:pilot-detail",
        "pilots:pilot-edit",
        "pilots:pilot-measurements",
    ],
)
def test_unknown_objects_answer_404(name):
    client = client_for(EDITOR)
    assert client.get(reverse(name, args=[987654])).status_code == 404


def test_unknown_action_and_evidence_answer_404():
    client = client_for(EDITOR)
    pilot = PilotFactory()
    assert client.get(reverse("pilots:pilot-action", args=[pilot.pk, "explode"])).status_code == 404
    assert client.get(reverse("vendors:provider-action", args=[pilot.provider_id, "restore"])).status_code == 404
    assert client.post(reverse("pilots:flag-acknowledge", args=[987654])).status_code == 404
    assert client.get(reverse("vendors:certification-evidence", args=["../../etc/passwd"])).status_code == 404
    assert client.get("/media/evidence/provider-1/iso.pdf").status_code == 404  # never served publicly
