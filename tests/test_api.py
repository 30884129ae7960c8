"""The REST API as a BI tool or a script uses it: personal tokens, the web's permissions, the bulk
upsert of measurements (all or nothing, every row reported) and lifecycle actions that answer with
the services' own refusals."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config.models import ApiToken, token_hash
from config.tokens import token_create
from pilots.choices import MeasurementSource, PilotStatus
from pilots.models import Measurement
from tests.conftest import logged_in_client
from tests.factories import FlagFactory, MeasurementFactory, ProviderFactory, UserFactory, WorkItemFactory
from tests.pilots.helpers import metric, monday, running_pilot

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def api(secret: str | None = None) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}") if secret else Client()


def token_for(role: str, **kwargs) -> tuple[ApiToken, str]:
    user = UserFactory(groups=[role] if role in {"viewer", "editor"} else [], **kwargs)
    return token_create(user=user, name=f"{role} script")


def week(weeks_ago: int) -> str:
    year, number, _ = (monday(TODAY) - datetime.timedelta(weeks=weeks_ago)).isocalendar()
    return f"{year}-W{number:02d}"


# --- Tokens -----------------------------------------------------------------------------------


def test_a_token_is_created_on_its_page_shown_once_stored_hashed_used_and_revoked(editor):
    client = logged_in_client(editor)
    response = client.post(reverse("api-tokens"), {"name": "BI dashboard", "expires_in_days": "30"})
    page = response.content.decode()
    secret = page.split('id="token-secret">')[1].split("<")[0]
    assert secret.startswith("pgt_") and len(secret) > 40 and response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get()
    assert token.key_hash == token_hash(secret) and secret not in str(token.__dict__)
    assert (token.expires_at - timezone.now()).days in {29, 30}
    assert secret not in client.get(reverse("api-tokens")).content.decode()  # never shown again

    assert api(secret).get("/api/pilots/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None

    assert client.post(reverse("api-token-revoke", args=[token.pk])).status_code == 302
    assert api(secret).get("/api/pilots/").status_code == 401
    assert token.history.latest().history_change_reason == "Revoked"


def test_expired_revoked_wrong_and_inactive_tokens_are_refused_alike():
    _, expired = token_for("viewer")
    ApiToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    _, inactive = token_for("viewer", is_active=False)
    for secret in (expired, inactive, "pgt_wrong", "x" * 5000):
        response = api(secret).get("/api/pilots/")
        assert response.status_code == 401 and response.json() == {"detail": "Invalid token."}
    assert api().get("/api/pilots/").status_code == 401
    assert api().get("/api/nothing-here/").status_code == 401  # no hint which addresses exist


def test_a_changed_password_revokes_the_users_tokens_and_no_one_elses(admin_client):
    token, secret = token_for("editor")
    _, others = token_for("editor")
    user = token.user
    user.first_name = "Renamed"
    user.save()  # an ordinary change keeps the tokens
    assert api(secret).get("/api/pilots/").status_code == 200
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": "a-new-Passphrase-2026", "password2": "a-new-Passphrase-2026", "usable_password": "true"},
    )
    assert response.status_code == 302
    assert api(secret).get("/api/pilots/").status_code == 401
    token.refresh_from_db()
    assert token.state == "revoked" and token.history.latest().history_change_reason == "Revoked: the password changed"
    assert api(others).get("/api/pilots/").status_code == 200


def test_someone_elses_token_cannot_be_revoked_but_an_administrator_revokes_any(admin_client):
    token, secret = token_for("editor")
    other = logged_in_client(UserFactory(groups=["editor"]))
    assert other.post(reverse("api-token-revoke", args=[token.pk])).status_code == 404
    response = admin_client.post(
        reverse("admin:config_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    assert api(secret).get("/api/pilots/").status_code == 401


# --- Permissions: the web's -------------------------------------------------------------------


@pytest.fixture
def objects():
    pilot = running_pilot(today=TODAY, weeks_running=4)
    m = metric(pilot, name="Accuracy", unit="%", target=Decimal("98"))
    MeasurementFactory(metric=m, period_start=monday(TODAY) - datetime.timedelta(weeks=2), value=Decimal("99"))
    flag = FlagFactory(pilot=pilot, metric=m)
    return {"pilot": pilot, "metric": m, "flag": flag, "item": pilot.work_items.get(), "provider": pilot.provider}


def endpoints(o) -> list[tuple[str, str, dict | None, dict]]:
    """(method, url, body, {role: status})."""
    reads = {"viewer": 200, "editor": 200, "none": 403}
    writes = {"viewer": 403, "none": 403}
    return [
        ("get", "/api/providers/", None, reads),
        ("get", f"/api/providers/{o['provider'].pk}/", None, reads),
        ("post", "/api/providers/", {"name": "Acme BPO", "headquarters_country": "GB"}, {**writes, "editor": 201}),
        ("patch", f"/api/providers/{o['provider'].pk}/", {"description": "Ops"}, {**writes, "editor": 200}),
        ("post", f"/api/providers/{o['provider'].pk}/actions/block/", {}, {**writes, "editor": 400}),  # no reason
        ("get", "/api/work-items/", None, reads),
        ("get", f"/api/work-items/{o['item'].pk}/", None, reads),
        ("get", f"/api/work-items/{o['item'].pk}/ranking/", None, reads),
        ("get", "/api/candidates/", None, reads),
        ("get", "/api/pilots/", None, reads),
        ("get", f"/api/pilots/{o['pilot'].pk}/", None, reads),
        ("post", f"/api/pilots/{o['pilot'].pk}/actions/expand/", {}, {**writes, "editor": 400}),
        ("get", "/api/measurements/", None, reads),
        (
            "post",
            "/api/measurements/bulk/",
            {"rows": [{"metric": o["metric"].pk, "period": week(1), "value": 98.5}]},
            {**writes, "editor": 200},
        ),
        ("get", "/api/flags/", None, reads),
        ("post", f"/api/flags/{o['flag'].pk}/acknowledge/", None, {**writes, "editor": 200}),
        ("get", "/api/schema/", None, {"viewer": 200, "editor": 200, "none": 200}),
        ("get", "/api/docs/", None, {"viewer": 200, "editor": 200, "none": 200}),
    ]


@pytest.mark.parametrize("role", ["viewer", "editor", "none"])
def test_every_endpoint_answers_each_role_as_the_web_does(objects, role):
    _, secret = token_for(role)
    client = api(secret)
    failures = []
    for method, url, body, expected in endpoints(objects):
        response = getattr(client, method)(url, body, content_type="application/json")
        if response.status_code != expected[role]:
            failures.append(f"{method.upper()} {url}: {response.status_code}, expected {expected[role]}")
        anonymous = getattr(api(), method)(url, body, content_type="application/json")
        if anonymous.status_code != 401:
            failures.append(f"anonymous {method.upper()} {url}: {anonymous.status_code}")
    assert failures == []


def test_unknown_and_malformed_objects_are_404_never_500(objects):
    _, secret = token_for("editor")
    client = api(secret)
    for url in ("/api/pilots/987654/", "/api/providers/99999999999999999999/", "/api/pilots/x/", "/api/flags/0/"):
        assert client.get(url).status_code == 404, url
    assert client.post("/api/pilots/987654/actions/start/", {}, content_type="application/json").status_code == 404
    assert client.post(f"/api/pilots/{objects['pilot'].pk}/actions/explode/").status_code == 404
    assert client.get("/api/providers/?service_line=99999999999999999999999").status_code in {200, 400}
    assert client.get("/api/measurements/?period_from=2026-13-45").status_code == 400


def test_writes_through_the_api_are_recorded_as_the_tokens_user(objects):
    token, secret = token_for("editor")
    response = api(secret).post(
        "/api/providers/", {"name": "Northwind Ops", "headquarters_country": "IN"}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["name"] == "Northwind Ops" and created["status"] == "prospect"
    history = ProviderFactory._meta.model.objects.get(pk=created["id"]).history.get()
    assert history.history_user == token.user and history.history_change_reason == "Created via the API"
    refused = (
        api(secret)
        .post(
            "/api/providers/", {"name": "Northwind Ops", "headquarters_country": "ZZ"}, content_type="application/json"
        )
        .json()
    )
    assert "name" in refused and "headquarters_country" in refused  # the web form's own messages


# --- Measurements: bulk upsert ----------------------------------------------------------------


def test_the_bulk_upsert_records_corrects_and_reports_every_row(objects):
    token, secret = token_for("editor")
    m = objects["metric"]
    rows = [
        {"metric": m.pk, "period": week(1), "value": 97.2, "sample_size": 400},
        {"metric": m.pk, "period": week(2), "value": "99.5", "note": "recount"},  # corrects 99
        {"metric": m.pk, "period": week(3), "value": 98},
    ]
    response = api(secret).post("/api/measurements/bulk/", {"rows": rows}, content_type="application/json")
    body = response.json()
    assert response.status_code == 200 and body["applied"] is True
    assert body["counts"] == {"new": 2, "correction": 1, "unchanged": 0, "error": 0}
    assert [r["outcome"] for r in body["rows"]] == ["new", "correction", "new"]
    assert body["rows"][1]["old_value"] == "99.0000"
    stored = Measurement.objects.get(metric=m, period_start=monday(TODAY) - datetime.timedelta(weeks=2))
    assert stored.value == Decimal("99.5") and stored.source == MeasurementSource.API
    assert stored.history.latest().history_user == token.user
    assert [h.value for h in stored.history.order_by("history_date")] == [Decimal("99"), Decimal("99.5")]
    again = api(secret).post("/api/measurements/bulk/", {"rows": rows}, content_type="application/json").json()
    assert again["counts"] == {"new": 0, "correction": 0, "unchanged": 3, "error": 0}


def test_one_bad_row_and_nothing_is_written(objects):
    _, secret = token_for("editor")
    m = objects["metric"]
    rows = [
        {"metric": m.pk, "period": week(1), "value": 97.2},
        {"metric": m.pk, "period": week(-3), "value": 97},  # the future
        {"metric": 987654, "period": week(1), "value": 1},
        {"metric": m.pk, "period": "soon", "value": "12,5"},
    ]
    response = api(secret).post("/api/measurements/bulk/", {"rows": rows}, content_type="application/json")
    body = response.json()
    assert response.status_code == 400 and body["applied"] is False
    assert [r["outcome"] for r in body["rows"]] == ["new", "error", "error", "error"]
    assert body["rows"][1]["problems"] == ["period: That period has not started yet."]
    assert "there is no metric 987654" in body["rows"][2]["problems"][0]
    assert len(body["rows"][3]["problems"]) == 2
    assert Measurement.objects.count() == 1  # only the one there before


def test_the_bulk_upsert_takes_at_most_5000_rows_and_checks_their_shape(objects):
    _, secret = token_for("editor")
    row = {"metric": objects["metric"].pk, "period": week(1), "value": 1}
    too_many = api(secret).post("/api/measurements/bulk/", {"rows": [row] * 5001}, content_type="application/json")
    assert too_many.status_code == 400 and "rows" in too_many.json()
    for bad in ({"rows": []}, {"rows": "x"}, {"rows": [{"metric": "a"}]}, [1, 2], {"rows": [{**row, "metric": 2**70}]}):
        assert api(secret).post("/api/measurements/bulk/", bad, content_type="application/json").status_code == 400
    assert not Measurement.objects.filter(period_start=monday(TODAY) - datetime.timedelta(weeks=1)).exists()


# --- Pilots: gate and actions -----------------------------------------------------------------


def test_a_pilot_reads_with_its_gate_and_an_action_answers_with_the_services_refusal(objects):
    _, secret = token_for("editor")
    pilot = objects["pilot"]
    body = api(secret).get(f"/api/pilots/{pilot.pk}/").json()
    assert body["gate"]["state"] == "closed" and body["gate"]["reasons"]
    assert body["metrics"][0]["name"] == "Accuracy" and body["open_flags"][0]["id"] == objects["flag"].pk
    refused = api(secret).post(
        f"/api/pilots/{pilot.pk}/actions/decide/",
        {"outcome": "expand", "rationale": "Looks good"},
        content_type="application/json",
    )
    assert refused.status_code == 400
    paused = api(secret).post(
        f"/api/pilots/{pilot.pk}/actions/pause/", {"reason": "Holiday"}, content_type="application/json"
    )
    assert paused.status_code == 200, paused.content
    assert paused.json()["pilot"]["status"] == PilotStatus.PAUSED


def test_acknowledging_a_flag_through_the_api(objects):
    token, secret = token_for("editor")
    client = api(secret)
    url, as_json = f"/api/flags/{objects['flag'].pk}/acknowledge/", "application/json"
    refused = client.post(url, {"note": ["a list"]}, content_type=as_json)
    assert refused.status_code == 400 and refused.json() == {"note": ["Send the note as text."]}
    body = client.post(url, {"note": "On it"}, content_type=as_json).json()
    assert body["acknowledged_by"] == token.user.pk and body["acknowledged_at"]
    assert body["acknowledgement_note"] == "On it"


# --- Lists: stable pages, bounded queries ------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/api/providers/", "/api/work-items/", "/api/pilots/", "/api/measurements/", "/api/flags/"]
)
def test_list_query_counts_do_not_grow_with_page_size(url):
    for _ in range(6):
        pilot = running_pilot(today=TODAY, weeks_running=4)
        m = metric(pilot, name="Accuracy", unit="%")
        MeasurementFactory(metric=m, period_start=monday(TODAY) - datetime.timedelta(weeks=1), value=Decimal("97"))
        FlagFactory(pilot=pilot, metric=m)
        WorkItemFactory()
    _, secret = token_for("viewer")
    client = api(secret)
    client.get(url)  # the token's first use is recorded once
    counts = []
    for size in (2, 6):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{url}?page_size={size}")
        assert response.status_code == 200 and len(response.json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_pages_follow_a_cursor_and_never_repeat_a_row():
    for _ in range(7):
        ProviderFactory()
    _, secret = token_for("viewer")
    client, seen, url = api(secret), [], "/api/providers/?page_size=3"
    while url:
        body = client.get(url).json()
        seen += [p["id"] for p in body["results"]]
        url = body["next"]
        if len(seen) == 3:
            ProviderFactory()  # a row added meanwhile shifts nothing
    assert len(seen) == len(set(seen)) == 8


def test_attack_leftovers_answer_as_the_api_should(objects):
    """A token holder asking for an address that does not exist gets 404 (not "sign in"); HEAD and
    OPTIONS need the view permission like GET; JSON nested too deep is a 400."""
    _, secret = token_for("viewer")
    _, none = token_for("none")
    assert api(secret).get("/api/nothing-here/").status_code == 404
    assert api(secret).get("/api/providers/1.5/").status_code == 404
    assert api("pgt_wrong").get("/api/nothing-here/").status_code == 401
    for method in ("head", "options"):
        assert getattr(api(none), method)("/api/measurements/").status_code == 403, method
        assert getattr(api(secret), method)("/api/measurements/").status_code == 200, method
    _, editor = token_for("editor")
    deep = '{"rows":' + "[" * 5000 + "]" * 5000 + "}"
    response = api(editor).post("/api/measurements/bulk/", deep, content_type="application/json")
    assert response.status_code == 400
