"""The measurement form as a busy team uses it: numbers a browser cannot read come back as errors,
a correction is confirmed against the recorded value, and double submits record one value."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pilots.models import Measurement
from pilots.periods import last_complete_period
from tests.conftest import logged_in_client
from tests.factories import UserFactory
from tests.support.forms import form_data
from tests.support.races import clients_of, race

from .helpers import metric, running_pilot

pytestmark = pytest.mark.django_db


def new_pilot():
    pilot = running_pilot(today=timezone.localdate(), weeks_running=3)
    accuracy = metric(pilot, name="Accuracy", unit="%", target=Decimal("95"))
    period = last_complete_period(timezone.localdate(), "weekly")
    return accuracy, period, reverse("pilots:pilot-measurements", args=[pilot.pk])


def test_a_number_the_browser_cannot_parse_arrives_as_typed_and_is_refused(editor):
    accuracy, period, url = new_pilot()
    client = logged_in_client(editor)
    page = client.get(url).content.decode()
    assert f'name="value_{accuracy.pk}"' in page and 'inputmode="decimal"' in page and 'type="number"' not in page
    response = client.post(url, {"period": period, f"value_{accuracy.pk}": "97,5", f"samples_{accuracy.pk}": "3OO"})
    assert response.status_code == 400
    assert "Enter a number." in response.content.decode() and "Enter a whole number." in response.content.decode()
    assert 'value="97,5"' in response.content.decode()  # shown back as typed
    assert not Measurement.objects.exists()


def test_a_second_value_for_a_recorded_period_is_a_correction_to_confirm(editor):
    accuracy, period, url = new_pilot()
    client = logged_in_client(editor)
    first = {"period": period, f"value_{accuracy.pk}": "97.5", f"samples_{accuracy.pk}": "300"}
    assert client.post(url, first).status_code == 302
    assert client.post(url, first).status_code == 302  # the same values again: nothing to confirm
    other = logged_in_client(UserFactory(username="otto", groups=["editor"]))
    response = other.post(url, {"period": period, f"value_{accuracy.pk}": "96"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "recorded already" in page and "97.5% (n = 300)" in page and "Confirm corrections" in page
    assert Measurement.objects.get().value == Decimal("97.5")  # nothing replaced yet
    confirm = form_data(response)
    assert other.post(url, confirm).status_code == 302
    saved = Measurement.objects.get()
    assert (saved.value, saved.sample_size) == (Decimal("96"), 300)  # the sample size not retyped is kept
    assert [h.value for h in saved.history.order_by("history_date")] == [Decimal("97.5"), Decimal("96")]


def test_a_stale_confirmation_is_asked_again():
    accuracy, period, url = new_pilot()
    ann = logged_in_client(UserFactory(username="ann2", groups=["editor"]))
    assert ann.post(url, {"period": period, f"value_{accuracy.pk}": "97"}).status_code == 302
    asked = ann.post(url, {"period": period, f"value_{accuracy.pk}": "96"})
    assert asked.status_code == 409
    bob = logged_in_client(UserFactory(username="bob2", groups=["editor"]))
    assert (
        bob.post(url, {**form_data(bob.post(url, {"period": period, f"value_{accuracy.pk}": "95"}))}).status_code == 302
    )
    again = ann.post(url, form_data(asked))  # Ann confirms against the value Bob has replaced
    assert again.status_code == 409 and "95" in again.content.decode()
    assert Measurement.objects.get().value == Decimal("95")


@pytest.mark.django_db(transaction=True)
def test_double_submits_of_a_new_period_record_one_value_and_never_fail():
    accuracy, period, url = new_pilot()
    user = UserFactory(username="quick", groups=["editor"])
    clients = clients_of(user, 8)
    data = {"period": period.isoformat(), f"value_{accuracy.pk}": "97.5", f"samples_{accuracy.pk}": "300"}
    statuses = race([lambda c=c: c.post(url, data).status_code for c in clients])
    assert statuses == [302] * len(clients), statuses
    assert Measurement.objects.filter(metric=accuracy).count() == 1
    assert Measurement.objects.get().history.count() == 1  # one record, no "corrections" to itself


def test_a_confirmation_applies_only_the_value_that_was_confirmed(editor):
    accuracy, period, url = new_pilot()
    client = logged_in_client(editor)
    assert client.post(url, {"period": period, f"value_{accuracy.pk}": "97"}).status_code == 302
    asked = client.post(url, {"period": period, f"value_{accuracy.pk}": "96"})
    changed_mind = {**form_data(asked), f"value_{accuracy.pk}": "69"}  # typed over after seeing the table
    again = client.post(url, changed_mind)
    assert again.status_code == 409 and "69" in again.content.decode()
    assert Measurement.objects.get().value == Decimal("97")
    assert client.post(url, form_data(again)).status_code == 302
    assert Measurement.objects.get().value == Decimal("69")


def test_the_form_shows_each_metrics_unit_last_value_and_missing_periods_and_opens_on_one(editor):
    accuracy, period, url = new_pilot()
    older = period - datetime.timedelta(weeks=1)
    Measurement.objects.create(metric=accuracy, period_start=older, value=Decimal("12500.5"), sample_size=300)
    page = logged_in_client(editor).get(url).content.decode()
    assert '<span class="unit" aria-hidden="true">%</span>' in page
    assert f"Last: <strong>12,500.5%</strong> for {older.day} {older:%b %Y}" in page
    missing_link = f'href="?period={period.isoformat()}#id_period"'
    assert missing_link in page  # last week has no value yet
    opened = logged_in_client(editor).get(f"{url}?period={period.isoformat()}").content.decode()
    assert f'value="{period.isoformat()}"' in opened
    for hostile in ("2026-13-45", "x" * 300, "0001-01-01T00:00"):
        assert logged_in_client(editor).get(url, {"period": hostile}).status_code == 200
