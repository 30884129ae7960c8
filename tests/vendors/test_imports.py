"""The team's vendor list from a spreadsheet: every row previewed as new, correction, unchanged or
error, then confirmed all or nothing; corrections are history edits, never duplicates."""

import datetime
import time

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.spreadsheets import read
from tests.conftest import logged_in_client
from tests.factories import ContactFactory, DeliveryCenterFactory, ProviderFactory
from tests.support.forms import form_data
from tests.support.spreadsheets import csv_bytes, read_xlsx, upload, xlsx_bytes, zip_bomb
from vendors.batches import plan_import
from vendors.choices import ProviderStatus
from vendors.models import (
    CertificationType,
    Contact,
    DeliveryCenter,
    Industry,
    IndustryExperience,
    Provider,
    ProviderCertification,
    ProviderImport,
)
from vendors.sheets import tables

pytestmark = pytest.mark.django_db

IMPORT = reverse("vendors:provider-import")
TEMPLATE = reverse("vendors:provider-import-template")
HEADER = ["Name", "Website", "HQ country", "Status", "Service lines", "Languages", "Pricing models", "Description"]
CENTRES = ["Provider", "Country", "City", "Headcount", "Time zone"]
CERTIFICATIONS = ["Provider", "Certification type", "Certificate ID", "Issuer", "Issued on", "Expires on"]
EXPERIENCE = ["Provider", "Industry", "Years", "Reference clients"]
CONTACTS = ["Provider", "Name", "Email", "Role"]


def send(client, name: str, content: bytes):
    """Upload a file; the preview page (following the redirect) and its URL, or the refusal."""
    response = client.post(IMPORT, {"file": upload(name, content)})
    if response.status_code == 302:
        return client.get(response.url), response.url
    return response, None


def confirm(client, preview, url):
    return client.post(url, form_data(preview) | {"confirm": "1"})


def text(response) -> str:
    return response.content.decode().replace("&#x27;", "'").replace("&lt;", "<").replace("&gt;", ">")


def acme(**overrides):
    provider = ProviderFactory(name="Acme Offshore", website="https://acme.example", headquarters_country="IN")
    for name, value in overrides.items():
        setattr(provider, name, value)
    provider.save()
    return provider


def test_each_row_is_new_a_correction_unchanged_or_an_error_and_errors_block_everything(editor):
    acme()
    ProviderFactory(name="Northwind Shared Services", headquarters_country="GB")
    content = csv_bytes(
        [
            HEADER,
            ["ACME offshore", "https://acme-bpo.example", "India", "", "", "", "", ""],  # correction, any case
            ["Northwind  Shared Services", "", "GB", "Prospect", "", "", "", ""],  # unchanged
            ["Manila Bay Contact Centers", "manila.example", "PHL", "", "Customer support; payroll", "en, tl", "", ""],
            ["Atlantis Outsourcing", "", "Atlantis", "", "", "", "", ""],  # no such country
            ["Klingon Desk", "", "DE", "", "", "Klingon", "", ""],  # no such language
            ["Piloting Co", "", "US", "Piloting", "", "", "", ""],  # a status that follows from pilots
            ["Bad Site", "not a url", "US", "", "", "", "", ""],
            ["manila bay contact centers", "", "PH", "", "", "", "", ""],  # the same provider twice
        ]
    )
    client = logged_in_client(editor)
    preview, url = send(client, "vendors.csv", content)
    page = text(preview)
    assert preview.status_code == 200, page
    assert "1 new" in page and "1 correction" in page and "1 unchanged" in page and "5 errors" in page
    assert "website: https://acme.example → https://acme-bpo.example" in page
    for reason in (
        "headquarters country: 'Atlantis' is not a country",
        "languages: 'Klingon' is not a language (valid: Arabic, Chinese, Dutch, English",
        "status: a new provider starts as Prospect, Shortlisted, Offboarded, Blocked; Piloting follows from its pilots",
        "website: Enter a valid URL.",
        "name: row 4 already gives this provider",
    ):
        assert reason in page, reason
    assert "Confirm and apply" not in page
    response = confirm(client, preview, url)
    assert response.status_code == 400 and "Nothing was applied" in text(response)
    assert "Row 5 of 'vendors': headquarters country" in text(response)
    assert (
        Provider.objects.count() == 2 and Provider.objects.get(name="Acme Offshore").website == "https://acme.example"
    )
    assert ProviderImport.objects.get().status == "previewed"


def test_a_workbook_creates_providers_with_their_children_then_a_second_import_corrects_and_changes_nothing(editor):
    workbook = {
        "Providers": [
            ["# A note above the header is skipped"],
            HEADER,
            ["Acme Offshore", "acme.example", "IN", "Shortlisted", "Customer support", "English; Hindi", "Per FTE", ""],
        ],
        "Delivery centres": [CENTRES, ["Acme Offshore", "India", "Pune", 400, "Asia/Kolkata"]],
        "Certifications": [
            CERTIFICATIONS,
            ["acme offshore", "ISO27001", "IS 12345", "BSI", datetime.date(2025, 1, 1), datetime.date(2028, 1, 1)],
        ],
        "Industry experience": [EXPERIENCE, ["Acme Offshore", "Banking", 7, 2]],
        "Contacts": [CONTACTS, ["Acme Offshore", "Priya Rao", "priya@acme.example", "Account lead"]],
    }
    client = logged_in_client(editor)
    preview, url = send(client, "vendors.xlsx", xlsx_bytes(workbook))
    page = text(preview)
    assert "5 new" in page and "0 errors" in page, page
    assert "Acme Offshore — Pune, India" in page and "Acme Offshore — Priya Rao <priya@acme.example>" in page
    assert not Provider.objects.exists()  # nothing before confirm
    response = confirm(client, preview, url)
    assert response.status_code == 302 and response.url == reverse("vendors:provider-list")

    provider = Provider.objects.get()
    assert (provider.website, provider.headquarters_country.code, provider.status) == (
        "https://acme.example",
        "IN",
        ProviderStatus.SHORTLISTED,
    )
    assert sorted(provider.languages.values_list("name", flat=True)) == ["English", "Hindi"]
    assert [p.code for p in provider.pricing_models.all()] == ["per_fte"]
    centre = DeliveryCenter.objects.get()
    assert (centre.provider, centre.city, centre.headcount, centre.time_zone) == (provider, "Pune", 400, "Asia/Kolkata")
    certificate = ProviderCertification.objects.get()
    assert (certificate.certificate_id, certificate.expires_on, certificate.verified_at) == (
        "IS 12345",
        datetime.date(2028, 1, 1),
        None,  # an import never verifies evidence
    )
    assert IndustryExperience.objects.get().years == 7 and Contact.objects.get().email == "priya@acme.example"
    created = provider.history.get()
    assert created.history_user == editor and created.history_change_reason == "Created (import of vendors.xlsx)"
    record = ProviderImport.objects.get()
    assert (record.status, record.new_count, record.uploaded_by, record.file_name) == (
        "applied",
        5,
        editor,
        "vendors.xlsx",
    )

    # The same file again: nothing to apply, nothing written.
    histories = provider.history.count(), centre.history.count(), certificate.history.count()
    preview, url = send(client, "vendors.xlsx", xlsx_bytes(workbook))
    page = text(preview)
    assert "0 new" in page and "0 corrections" in page and "5 unchanged" in page and "nothing to apply" in page
    assert (provider.history.count(), centre.history.count(), certificate.history.count()) == histories

    # Corrections: history edits of the same rows, never duplicates.
    workbook["Providers"][2] = ["acme offshore", "", "", "", "", "English", "", ""]  # blank cells keep
    workbook["Delivery centres"][1] = ["Acme Offshore", "IN", "pune", 650, ""]
    workbook["Contacts"][1] = ["Acme Offshore", "Priya Rao", "PRIYA@acme.example", "Delivery head"]
    preview, url = send(client, "fix.xlsx", xlsx_bytes(workbook))
    page = text(preview)
    assert "3 corrections" in page and "2 unchanged" in page, page
    assert "languages: English, Hindi → English" in page
    assert "headcount: 400 → 650" in page and "Pune → pune" not in page  # what a row matches on stays
    assert "role: Account lead → Delivery head" in page
    assert confirm(client, preview, url).status_code == 302
    provider.refresh_from_db()
    assert provider.name == "Acme Offshore" and provider.website == "https://acme.example"
    assert [language.name for language in provider.languages.all()] == ["English"]
    assert Provider.objects.count() == 1 and DeliveryCenter.objects.count() == 1 and Contact.objects.count() == 1
    assert DeliveryCenter.objects.get().headcount == 650 and Contact.objects.get().role == "Delivery head"
    latest = provider.history.latest()
    assert latest.history_user == editor and latest.history_change_reason == "Corrected (import of fix.xlsx): languages"
    assert DeliveryCenter.objects.get().history.latest().history_change_reason == (
        "Corrected (import of fix.xlsx): headcount"
    )


def test_the_import_page_lists_the_applied_imports_with_their_files(editor, viewer):
    client = logged_in_client(editor)
    content = csv_bytes([HEADER, ["Acme Offshore", "", "IN", "", "", "", "", ""]])
    preview, url = send(client, "team list.csv", content)
    assert confirm(client, preview, url).status_code == 302
    record = ProviderImport.objects.get()
    page = text(client.get(IMPORT))
    assert "team list.csv" in page and record.file_url() in page
    original = client.get(record.file_url())
    assert original.status_code == 200 and b"".join(original.streaming_content) == content
    assert logged_in_client(viewer).get(record.file_url()).status_code == 200  # viewers read imports
    assert client.post(url, {"confirm": "1"}).status_code == 404  # applied once only
    listing = text(client.get(reverse("vendors:provider-list")))
    assert f'href="{IMPORT}"' in listing
    assert f'href="{IMPORT}"' not in text(logged_in_client(viewer).get(reverse("vendors:provider-list")))


def test_a_stored_providers_status_changes_through_its_actions_not_an_import(editor):
    acme(status=ProviderStatus.PROSPECT)
    content = csv_bytes([["Name", "Status"], ["Acme Offshore", "Active"]])
    preview, _ = send(logged_in_client(editor), "status.csv", content)
    assert "status: 'Active' here, Prospect stored: a stored provider's status changes through its actions" in text(
        preview
    )
    blocked = csv_bytes([["Name", "Status", "HQ country"], ["Newco", "Blocked", "IN"]])
    preview, _ = send(logged_in_client(editor), "blocked.csv", blocked)
    assert "blocked reason: Say why the provider is blocked." in text(preview)


def test_children_name_stored_providers_and_match_stored_rows_by_natural_key(editor):
    provider = acme()
    DeliveryCenterFactory(provider=provider, country="IN", city="Pune", headcount=100)
    ContactFactory(provider=provider, name="Priya Rao", email="priya@acme.example")
    workbook = {
        "Delivery centres": [
            CENTRES,
            ["acme offshore", "IN", "PUNE", 120, "Asia/Kolkata"],  # the stored centre (any case): a correction
            ["Acme Offshore", "PH", "Manila", 80, "Asia/Manila"],  # new
            ["Acme Offshore", "PH", "Cebu", 80, "Mars/Olympus"],  # no such time zone
            ["Globex", "IN", "Delhi", 10, "Asia/Kolkata"],  # no such provider
        ],
        "Contacts": [CONTACTS, ["Acme Offshore", "Priya Rao", "priya@acme.example", ""]],
        "Certifications": [CERTIFICATIONS, ["Acme Offshore", "ISO 9999", "X", "", "2026-01-01", "2025-01-01"]],
        "Industry experience": [EXPERIENCE, ["Acme Offshore", "Banking", 120, 1]],
    }
    preview, _ = send(logged_in_client(editor), "children.xlsx", xlsx_bytes(workbook))
    page = text(preview)
    assert "1 new" in page and "1 correction" in page and "1 unchanged" in page and "4 errors" in page, page
    assert "headcount: 100 → 120" in page
    for reason in (
        "time zone: 'Mars/Olympus' is not a known time zone",
        "provider: 'Globex' is neither in the Providers sheet nor a stored provider",
        "certification type: 'ISO 9999' is not a certification type (valid: COPC, HIPAA",
        "years: more than 100 years",
    ):
        assert reason in page, reason


BAD_FILES = {
    "wrong encoding": ("vendors.csv", "Name,HQ country\nCafé Services,FR\n".encode("cp1252"), "not UTF-8"),
    "formula": ("vendors.xlsx", xlsx_bytes({"Providers": [["Name"], ["Acme"]]}, formula="A3"), "holds a formula"),
    "merged header": (
        "vendors.xlsx",
        xlsx_bytes({"Providers": [["Name", "Website", ""], ["Acme", "", ""]]}, merge="B1:C1"),
        "merged cells (B1:C1)",
    ),
    "100,000 rows": ("vendors.csv", csv_bytes([["Name"]] + [["Acme"]] * 100_000), "more than 50,000 rows"),
    "empty sheet": ("vendors.xlsx", xlsx_bytes({"Providers": []}), "is empty"),
    "header only": ("vendors.csv", csv_bytes([HEADER]), "no rows below it"),
    "empty file": ("vendors.csv", b"", "The submitted file is empty"),
    "zip bomb": ("vendors.xlsx", zip_bomb(), "refused as unsafe"),
    "html as xlsx": ("vendors.xlsx", b"<html><body><table><tr><td>1</td></tr></table></body></html>", "not an Excel"),
    "pdf as csv": ("vendors.csv", b"%PDF-1.4\n\x00\x01\x02binary", "not a text file"),
    "other type": ("vendors.ods", b"PK\x03\x04", "Upload a .csv or .xlsx file"),
    "unknown column": (
        "vendors.csv",
        csv_bytes([["Name", "Langauges"], ["Acme", "English"]]),
        "the column 'langauges' is not one this import reads",
    ),
    "no name column": ("vendors.csv", csv_bytes([["Website"], ["acme.example"]]), "needs the column Name"),
    "unknown sheet": (
        "vendors.xlsx",
        xlsx_bytes({"Providers": [["Name"], ["Acme"]], "Notes": [["Anything"], ["x"]]}),
        "Sheet 'Notes' is not one this import reads",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_gets_a_clear_message_and_changes_nothing(editor, case):
    name, content, message = BAD_FILES[case]
    response, _ = send(logged_in_client(editor), name, content)
    assert response.status_code == 400
    assert message in text(response)
    assert not ProviderImport.objects.exists() and not Provider.objects.exists()


def test_blank_sheets_and_sheets_of_notes_only_are_left_aside(editor):
    content = xlsx_bytes(
        {
            "Providers": [["Name", "HQ country"], ["Acme", "IN"]],
            "Sheet2": [],
            "Read me": [["# Fill one row per provider."], [], ["# Ask procurement before adding a status."]],
        }
    )
    client = logged_in_client(editor)
    preview, url = send(client, "vendors.xlsx", content)
    assert "1 new" in text(preview) and "0 errors" in text(preview)
    assert confirm(client, preview, url).status_code == 302
    assert Provider.objects.get().name == "Acme"
    response, _ = send(client, "vendors.xlsx", xlsx_bytes({"Providers": [], "Sheet2": [[None]]}))
    assert response.status_code == 400 and "Every sheet is empty" in text(response)


def test_a_write_that_fails_half_way_leaves_nothing_behind(editor, monkeypatch):
    from vendors import batches

    def fail(entries):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(batches, "write_links", fail)  # after the providers are inserted
    client = logged_in_client(editor)
    preview, url = send(client, "vendors.csv", csv_bytes([["Name", "HQ country"], ["Acme", "IN"], ["Globex", "US"]]))
    assert "2 new" in text(preview)
    response = confirm(client, preview, url)
    assert response.status_code == 400 and "Another change was saved at the same moment" in text(response)
    assert not Provider.objects.exists() and not Provider.history.exists()
    assert ProviderImport.objects.get().status == "previewed"


def test_a_preview_gone_stale_is_not_applied(editor):
    provider = acme()
    client = logged_in_client(editor)
    preview, url = send(client, "late.csv", csv_bytes([["Name", "Website"], ["Acme Offshore", "acme-new.example"]]))
    provider.website = "https://acme-meanwhile.example"  # someone edits the provider meanwhile
    provider.save()
    response = confirm(client, preview, url)
    assert response.status_code == 409
    page = text(response)
    assert "changed since this preview" in page and "https://acme-meanwhile.example → https://acme-new.example" in page
    assert Provider.objects.get().website == "https://acme-meanwhile.example"
    assert confirm(client, response, url).status_code == 302
    assert Provider.objects.get().website == "https://acme-new.example"


def test_viewers_cannot_import(viewer):
    client = logged_in_client(viewer)
    assert client.get(IMPORT).status_code == 403
    assert client.post(IMPORT, {"file": upload("a.csv", csv_bytes([["Name"], ["Acme"]]))}).status_code == 403
    assert client.get(TEMPLATE).status_code == 200  # the template is anyone's to read
    assert not ProviderImport.objects.exists()


def test_the_template_and_the_current_providers_in_its_layout(editor):
    client = logged_in_client(editor)
    rows = read_xlsx(client.get(TEMPLATE + "?format=xlsx").content)
    assert rows[0][0].startswith("# One row per provider") and rows[1][0] == "Name"
    csv_text = client.get(TEMPLATE + "?format=csv").content.decode("utf-8-sig")
    assert "Name,Website,Headquarters country,Status,Blocked reason,Service lines" in csv_text
    assert client.get(TEMPLATE + "?format=pdf").status_code == 400

    provider = acme()
    provider.languages.set(provider.languages.model.objects.filter(code__in=["en", "hi"]))
    DeliveryCenterFactory(provider=provider, city="Pune")
    ContactFactory(provider=provider, name="Priya Rao", email="priya@acme.example", phone="+91 20 5555 0101")
    ProviderCertification.objects.create(
        provider=provider,
        certification_type=CertificationType.objects.get(code="ISO27001"),
        certificate_id="IS 1",
        issued_on=datetime.date(2025, 1, 1),
    )
    IndustryExperience.objects.create(provider=provider, industry=Industry.objects.first(), years=3)
    current = client.get(TEMPLATE + "?format=xlsx&current=1").content
    assert read_xlsx(current)[2][:3] == ["Acme Offshore", "https://acme.example", "India"]
    preview, _ = send(client, "current.xlsx", current)  # sending it back changes nothing
    page = text(preview)
    assert "5 unchanged" in page and "0 new" in page and "0 corrections" in page, page


def test_the_plan_reads_the_stored_rows_in_a_fixed_number_of_queries():
    def queries(count: int) -> int:
        for i in range(count):
            DeliveryCenterFactory(provider=ProviderFactory(name=f"Provider {i}"), city="Pune")
        workbook = {
            "Providers": [HEADER]
            + [[f"Provider {i}", f"p{i}.example", "IN", "", "Payroll", "English", "Per FTE", ""] for i in range(count)],
            "Delivery centres": [CENTRES] + [[f"Provider {i}", "IN", "Pune", 5, "Asia/Kolkata"] for i in range(count)],
            "Contacts": [CONTACTS] + [[f"Provider {i}", "Ana", f"ana{i}@p.example", ""] for i in range(count)],
        }
        sheets = read(ContentFile(xlsx_bytes(workbook), name="vendors.xlsx"))
        with CaptureQueriesContext(connection) as captured:
            plan = plan_import(tables(sheets))
        assert not plan.errors and plan.counts["correction"] == 2 * count, plan.counts
        Provider.objects.all().delete()
        return len(captured)

    assert queries(5) == queries(50) <= 10


def test_two_thousand_providers_preview_and_confirm_quickly(editor):
    rows = [HEADER] + [
        [f"Provider {i}", f"p{i}.example", "IN", "", "Payroll; Customer support", "English", "Per FTE", ""]
        for i in range(2000)
    ]
    centres = [CENTRES] + [[f"Provider {i}", "IN", "Pune", 5, "Asia/Kolkata"] for i in range(2000)]
    client = logged_in_client(editor)
    started = time.monotonic()
    preview, url = send(client, "big.xlsx", xlsx_bytes({"Providers": rows, "Delivery centres": centres}))
    previewed = time.monotonic()
    assert confirm(client, preview, url).status_code == 302
    done = time.monotonic()
    print(f"2,000 providers + 2,000 centres: preview {previewed - started:.1f} s, confirm {done - previewed:.1f} s")
    assert Provider.objects.count() == 2000 and DeliveryCenter.objects.count() == 2000
    assert done - started < 30
