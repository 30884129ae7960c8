"""A pilot's measurements from a spreadsheet, as a team sends them: the template filled in, a
preview of every row, then confirm — all or nothing, corrections in the history, bad files refused."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pilots.choices import FlagKind, MeasurementSource, PilotStatus
from pilots.models import Flag, Measurement, MeasurementImport
from pilots.periods import parse_period
from tests.conftest import logged_in_client
from tests.factories import UserFactory
from tests.support.forms import form_data
from tests.support.races import race
from tests.support.spreadsheets import csv_bytes, read_xlsx, upload, xlsx_bytes, zip_bomb
from tests.worker import celery_worker, wait_for

from .helpers import measure, metric, monday, running_pilot

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def week(weeks_ago: int) -> datetime.date:
    return monday(TODAY) - datetime.timedelta(weeks=weeks_ago)


def label(day: datetime.date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def pilot_with_metrics(**kwargs):
    pilot = running_pilot(today=TODAY, weeks_running=6, **kwargs)
    accuracy = metric(pilot, name="Refund accuracy", unit="%", target=Decimal("98"))
    handle = metric(
        pilot, name="Handle time", unit="minutes", target=Decimal("6"), direction="lower_is_better", critical=False
    )
    return pilot, accuracy, handle


def urls(pilot):
    return reverse("pilots:pilot-import", args=[pilot.pk]), reverse("pilots:pilot-import-template", args=[pilot.pk])


def send(client, pilot, name, content):
    """Upload a file; returns the preview page's response (following the redirect) or the refusal."""
    response = client.post(urls(pilot)[0], {"file": upload(name, content)})
    if response.status_code == 302:
        return client.get(response.url), response.url
    return response, None


def test_the_template_has_a_row_per_period_and_a_column_per_metric_with_units_and_targets(editor):
    pilot, accuracy, _handle = pilot_with_metrics()
    measure(accuracy, today=TODAY, weeks_ago=2, value="98.5")
    client = logged_in_client(editor)
    response = client.get(urls(pilot)[1] + "?format=xlsx")
    assert response.status_code == 200 and response["Content-Disposition"].endswith('.xlsx"')
    rows = read_xlsx(response.content)
    assert rows[0][0].startswith(f"# {pilot.name}") and "Refund accuracy: target ≥ 98%" in rows[0][0]
    assert rows[1] == ["Period", "Refund accuracy (%)", "Handle time (minutes)", "Note"]
    periods = [row[0] for row in rows[2:]]
    assert periods[0] == label(week(6)) and periods[-1] == label(week(0))
    recorded = {row[0]: row[1] for row in rows[2:]}
    assert Decimal(str(recorded[label(week(2))])) == Decimal("98.5")  # what is recorded comes filled in
    csv_text = client.get(urls(pilot)[1] + "?format=csv").content.decode("utf-8-sig")
    assert "Period,Refund accuracy (%),Handle time (minutes),Note" in csv_text
    assert client.get(urls(pilot)[1] + "?format=pdf").status_code == 400


def test_two_weeks_filled_in_excel_are_previewed_then_recorded_on_confirm(editor):
    pilot, _accuracy, _handle = pilot_with_metrics()
    client = logged_in_client(editor)
    rows = read_xlsx(client.get(urls(pilot)[1] + "?format=xlsx").content)
    filled = {label(week(2)): [98.7, 5.5], label(week(1)): [97.1, 6.25]}
    for row in rows[2:]:
        if row[0] in filled:
            row[1], row[2] = filled[row[0]]
    content = xlsx_bytes({"Measurements": rows})
    preview, preview_url = send(client, pilot, "week-report.xlsx", content)
    page = preview.content.decode()
    assert preview.status_code == 200, page
    assert "4 new" in page and "0 errors" in page and "Confirm and apply" in page
    assert "Refund accuracy, week of" in page
    assert not Measurement.objects.exists()  # nothing before confirm

    response = client.post(preview_url, form_data(preview) | {"confirm": "1"})
    assert response.status_code == 302 and response.url == pilot.get_absolute_url()
    values = {(m.metric.name, m.period_start): m for m in Measurement.objects.select_related("metric")}
    assert values[("Refund accuracy", week(1))].value == Decimal("97.1")
    assert values[("Handle time", week(2))].value == Decimal("5.5")
    assert {m.source for m in values.values()} == {MeasurementSource.IMPORT}
    assert {m.recorded_by for m in values.values()} == {editor}
    history = values[("Refund accuracy", week(1))].history.get()
    assert history.history_user == editor and history.history_change_reason == "Recorded (import of week-report.xlsx)"
    record = MeasurementImport.objects.get()
    assert (record.status, record.new_count, record.corrected_count, record.file_name) == (
        "applied",
        4,
        0,
        "week-report.xlsx",
    )
    page = client.get(pilot.get_absolute_url()).content.decode()
    assert "week-report.xlsx" in page and record.file_url() in page
    original = client.get(record.file_url())
    assert original.status_code == 200 and b"".join(original.streaming_content) == content
    assert client.post(preview_url, {"confirm": "1"}).status_code == 404  # applied once only


def test_each_row_is_new_a_correction_unchanged_or_an_error_and_errors_block_everything(editor):
    pilot, accuracy, _handle = pilot_with_metrics()
    measure(accuracy, today=TODAY, weeks_ago=3, value="99")
    measure(accuracy, today=TODAY, weeks_ago=2, value="97")
    content = csv_bytes(
        [
            ["Metric", "Period", "Value", "Sample size", "Note"],
            ["refund acc", label(week(3)), "99", "100", ""],  # unchanged (prefix, any case)
            ["Refund accuracy", week(2).isoformat(), "98.2", "", "re-counted"],  # correction
            ["HANDLE", (week(1) + datetime.timedelta(days=3)).isoformat(), "5.9", "400", ""],  # new
            ["Handle time", label(week(-2)), "5", "", ""],  # a future week
            ["Refund accuracy", label(week(1)), "101", "", ""],  # above 100%
            ["Speed", label(week(1)), "3", "", ""],  # no such metric
            ["Handle time", "last week", "4", "", ""],  # not a period
            ["Handle time", label(week(1)), "12,5", "", ""],  # a decimal comma
            ["handle time", label(week(1)), "6.1", "", ""],  # the same metric and week again
        ]
    )
    client = logged_in_client(editor)
    preview, preview_url = send(client, pilot, "mixed.csv", content)
    page = preview.content.decode()
    assert "1 new" in page and "1 correction" in page and "1 unchanged" in page and "6 errors" in page
    assert "97 → 98.2" in page
    for reason in (
        "That period has not started yet.",
        "is above the highest possible value",
        "&#x27;Speed&#x27; is not a metric of this pilot",
        "&#x27;last week&#x27; is not a period",
        "&#x27;12,5&#x27; is not a number",
        "row 4 already gives Handle time for this period",
    ):
        assert reason in page, reason
    assert "Confirm and apply" not in page
    response = client.post(preview_url, form_data(preview) | {"confirm": "1"})
    assert response.status_code == 400 and "Nothing was applied" in response.content.decode()
    assert Measurement.objects.count() == 2 and Measurement.objects.get(period_start=week(2)).value == Decimal("97")
    assert MeasurementImport.objects.get().status == "previewed"


def test_a_correction_is_a_history_edit_and_a_second_identical_import_changes_nothing(editor):
    pilot, accuracy, _handle = pilot_with_metrics()
    measure(accuracy, today=TODAY, weeks_ago=1, value="97")
    rows = [["Period", "Refund accuracy", "Handle time"], [label(week(1)), "98.4", "5.8"]]
    client = logged_in_client(editor)
    for attempt in range(2):
        preview, preview_url = send(client, pilot, "report.csv", csv_bytes(rows))
        page = preview.content.decode()
        if attempt == 0:
            assert "1 new" in page and "1 correction" in page and "97 → 98.4" in page
            assert client.post(preview_url, form_data(preview) | {"confirm": "1"}).status_code == 302
        else:
            assert "0 new" in page and "0 corrections" in page and "2 unchanged" in page
            assert "nothing to apply" in page
    corrected = Measurement.objects.get(metric=accuracy)
    assert corrected.value == Decimal("98.4") and Measurement.objects.count() == 2
    assert [h.value for h in corrected.history.order_by("history_date")] == [Decimal("97"), Decimal("98.4")]
    assert corrected.history.latest().history_change_reason == "Corrected (import of report.csv)"


def test_a_preview_gone_stale_is_not_applied(editor):
    pilot, accuracy, _handle = pilot_with_metrics()
    client = logged_in_client(editor)
    preview, preview_url = send(
        client, pilot, "late.csv", csv_bytes([["Period", "Refund accuracy"], [label(week(1)), "98.9"]])
    )
    measure(accuracy, today=TODAY, weeks_ago=1, value="96")  # someone records the week meanwhile
    response = client.post(preview_url, form_data(preview) | {"confirm": "1"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "changed since this preview" in page and "96 → 98.9" in page
    assert Measurement.objects.get().value == Decimal("96")
    assert client.post(preview_url, form_data(response) | {"confirm": "1"}).status_code == 302
    assert Measurement.objects.get().value == Decimal("98.9")


BAD_FILES = {
    "wrong encoding": ("report.csv", "Period,Refund accuracy,Note\n2026-W01,98,café\n".encode("cp1252"), "not UTF-8"),
    "formula": (
        "report.xlsx",
        xlsx_bytes({"Sheet": [["Period", "Refund accuracy"], ["2026-W01", 98]]}, formula="B3"),
        "holds a formula",
    ),
    "merged header": (
        "report.xlsx",
        xlsx_bytes({"Sheet": [["Period", "Refund accuracy", ""], ["2026-W01", 98, 5]]}, merge="B1:C1"),
        "merged cells (B1:C1)",
    ),
    "100,000 rows": (
        "report.csv",
        csv_bytes([["Metric", "Period", "Value"]] + [["Refund accuracy", "2026-W01", "98"]] * 100_000),
        "more than 50,000 rows",
    ),
    "empty sheet": ("report.xlsx", xlsx_bytes({"Sheet": []}), "is empty"),
    "header only": ("report.csv", csv_bytes([["Period", "Refund accuracy"]]), "no rows below it"),
    "empty file": ("report.csv", b"", "The submitted file is empty"),
    "zip bomb": ("report.xlsx", zip_bomb(), "refused as unsafe"),
    "html as xlsx": ("report.xlsx", b"<html><body><table><tr><td>1</td></tr></table></body></html>", "not an Excel"),
    "pdf as csv": ("report.csv", b"%PDF-1.4\n\x00\x01\x02binary", "not a text file"),
    "other type": ("report.ods", b"PK\x03\x04", "Upload a .csv or .xlsx file"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_gets_a_clear_message_and_changes_nothing(editor, case):
    pilot, _accuracy, _handle = pilot_with_metrics()
    name, content, message = BAD_FILES[case]
    response, _ = send(logged_in_client(editor), pilot, name, content)
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not MeasurementImport.objects.exists() and not Measurement.objects.exists()


def test_viewers_cannot_import_and_a_pilot_that_is_not_running_takes_no_import(viewer, editor):
    pilot, _accuracy, _handle = pilot_with_metrics()
    content = csv_bytes([["Period", "Refund accuracy"], [label(week(1)), "99"]])
    assert logged_in_client(viewer).get(urls(pilot)[0]).status_code == 403
    assert logged_in_client(viewer).post(urls(pilot)[0], {"file": upload("a.csv", content)}).status_code == 403
    planned, *_ = pilot_with_metrics(status=PilotStatus.PLANNED)
    response = logged_in_client(editor).post(urls(planned)[0], {"file": upload("a.csv", content)})
    assert response.status_code == 400 and "measurements are recorded while it runs" in response.content.decode()
    assert not MeasurementImport.objects.exists()
    other = UserFactory(groups=["editor"])
    _preview, preview_url = send(logged_in_client(editor), pilot, "a.csv", content)
    assert logged_in_client(other).get(preview_url.replace(f"/{pilot.pk}/", f"/{planned.pk}/")).status_code == 404


def test_a_preview_is_its_uploaders_until_confirmed_then_the_teams(editor, viewer):
    pilot, _accuracy, _handle = pilot_with_metrics()
    content = csv_bytes([["Period", "Refund accuracy"], [label(week(1)), "99"]])
    client = logged_in_client(editor)
    preview, preview_url = send(client, pilot, "mine.csv", content)
    record = MeasurementImport.objects.get()
    other = logged_in_client(UserFactory(groups=["editor"]))
    assert other.get(preview_url).status_code == 404
    assert other.post(preview_url, form_data(preview) | {"confirm": "1"}).status_code == 404
    assert other.post(preview_url, {"discard": "1"}).status_code == 404
    assert "mine.csv" not in other.get(urls(pilot)[0]).content.decode()
    for stranger in (other, logged_in_client(viewer)):
        assert stranger.get(record.file_url()).status_code == 404
    assert client.get(record.file_url()).status_code == 200
    assert f'href="{preview_url}"' in client.get(urls(pilot)[0]).content.decode()  # back to my preview
    assert not Measurement.objects.exists()

    assert client.post(preview_url, form_data(preview) | {"confirm": "1"}).status_code == 302
    assert logged_in_client(viewer).get(record.file_url()).status_code == 200
    assert "mine.csv" in other.get(urls(pilot)[0]).content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_editors_confirming_the_same_week_at_once_apply_one_and_the_other_is_shown_the_change():
    pilot, accuracy, _handle = pilot_with_metrics()
    confirms = []
    for value in ("98.9", "99.4"):
        client = logged_in_client(UserFactory(groups=["editor"]))
        preview, preview_url = send(
            client, pilot, f"{value}.csv", csv_bytes([["Period", "Refund accuracy"], [label(week(1)), value]])
        )
        data = form_data(preview) | {"confirm": "1"}
        confirms.append(lambda client=client, url=preview_url, data=data: client.post(url, data))
    responses = race(confirms)
    assert sorted(r.status_code for r in responses) == [302, 409]
    stale = next(r for r in responses if r.status_code == 409).content.decode()
    stored = Measurement.objects.get(metric=accuracy)
    assert "changed since this preview" in stale and f"{stored.value.normalize()} →" in stale
    assert MeasurementImport.objects.filter(status="applied").count() == 1
    assert stored.history.count() == 1


@pytest.mark.django_db(transaction=True)
def test_confirming_an_import_re_evaluates_the_pilot(tmp_path):
    owner = UserFactory(email="owner@example.com")
    pilot, accuracy, _handle = pilot_with_metrics(owner=owner)
    editor = UserFactory(groups=["editor"])
    client = logged_in_client(editor)
    with celery_worker(TEST_EMAIL_URL=f"filemail://{tmp_path}"):
        preview, preview_url = send(
            client, pilot, "bad-week.csv", csv_bytes([["Period", "Refund accuracy"], [label(week(1)), "91"]])
        )
        assert client.post(preview_url, form_data(preview) | {"confirm": "1"}).status_code == 302
        flag = wait_for(
            lambda: Flag.objects.open().filter(pilot=pilot, metric=accuracy, kind=FlagKind.TARGET_MISSED).first(),
            timeout=20,
        )
    assert flag is not None and "91" in flag.message


@pytest.mark.parametrize(
    "text, cadence, expected",
    [
        ("2026-11-04", "weekly", datetime.date(2026, 11, 2)),
        ("4/11/2026", "weekly", datetime.date(2026, 11, 2)),
        ("2026-W45", "weekly", datetime.date(2026, 11, 2)),
        ("2026-11", "monthly", datetime.date(2026, 11, 1)),
        ("2026-11-04 00:00:00", "weekly", datetime.date(2026, 11, 2)),
        ("2026-11-04T10:30:00+01:00", "monthly", datetime.date(2026, 11, 1)),
        ("2026-11-04T25:00", "weekly", None),
        ("2026-11-04 and more", "weekly", None),
        ("2026-W54", "weekly", None),
        ("2026-W45", "monthly", None),
        ("2026-13", "monthly", None),
        ("last week", "weekly", None),
    ],
)
def test_a_period_is_a_whole_valid_date_week_or_month(text, cadence, expected):
    if expected is None:
        with pytest.raises(ValueError):
            parse_period(text, cadence)
    else:
        assert parse_period(text, cadence) == expected
