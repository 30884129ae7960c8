"""A pilot's measurements from a spreadsheet, in Chromium: download the template, fill two weeks
as a spreadsheet program would (a real XLSX), upload, read the preview, confirm, see the values.
And the API docs page loads from the app itself."""

import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from pilots.choices import MeasurementSource
from pilots.models import Measurement
from tests.factories import UserFactory
from tests.pilots.helpers import metric, monday, running_pilot
from tests.support.spreadsheets import xlsx_bytes

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_template_filled_in_excel_is_previewed_and_confirmed(page, screenshot, tmp_path):
    today = timezone.localdate()
    UserFactory(username="erin", groups=["editor"])
    pilot = running_pilot(today=today, weeks_running=3)
    accuracy = metric(pilot, name="Refund accuracy", unit="%", target=Decimal("98"))
    sign_in(page, "erin")
    page.goto(pilot.get_absolute_url())
    page.click("text=Import spreadsheet")
    with page.expect_download() as download:
        page.click("text=Template (XLSX)")
    rows = [
        list(r)
        for r in load_workbook(io.BytesIO(download.value.path().read_bytes())).active.iter_rows(values_only=True)
    ]
    last, before = (monday(today) - datetime.timedelta(weeks=n) for n in (1, 2))
    labels = {f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}": v for d, v in ((last, 96.5), (before, 99.1))}
    for row in rows[2:]:
        if row[0] in labels:
            row[1] = labels[row[0]]
    path = tmp_path / "weekly-report.xlsx"
    path.write_bytes(xlsx_bytes({"Measurements": rows}))

    page.set_input_files("input[type=file]", str(path))
    page.click("text=Upload and preview")
    page.wait_for_selector("#import-summary")
    assert "2 new" in page.inner_text("#import-summary")
    assert page.locator("#import-lines tbody tr").count() == 2
    screenshot("import-preview")
    assert not Measurement.objects.exists()

    page.click("text=Confirm and apply")
    page.wait_for_selector(".message.success")
    assert "weekly-report.xlsx applied: 2 new" in page.inner_text(".message.success")
    assert "weekly-report.xlsx" in page.inner_text("#imports")
    screenshot("import-applied")
    stored = {m.period_start: m for m in Measurement.objects.filter(metric=accuracy)}
    assert stored[last].value == Decimal("96.5") and stored[before].value == Decimal("99.1")
    assert {m.source for m in stored.values()} == {MeasurementSource.IMPORT}


def test_the_api_docs_load_from_the_app(page, live_server):
    UserFactory(username="vera", groups=["viewer"])
    sign_in(page, "vera")
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert page.locator(".opblock").count() >= 15
    assert outside == [] and not [e for e in errors if "Content Security Policy" in e]
