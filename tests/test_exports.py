"""List exports (CSV and XLSX): plain values, formulas neutralised, exactly the listed rows in the
listed order, the same cells in both formats, refused formats, and a fixed number of queries."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config import exports
from config.exports import number, plain, sheet_title
from tests.conftest import logged_in_client
from tests.factories import FlagFactory, PilotFactory, ProviderFactory, UserFactory, WorkItemFactory
from tests.support.exports import export_rows, export_text, export_workbook
from tests.test_list_queries import PAGES

pytestmark = pytest.mark.django_db

LISTS = ("vendors:provider-list", "scope:workitem-list", "pilots:pilot-list", "pilots:flag-list")


def rows(client, url):
    return list(csv.reader(io.StringIO(export_text(client.get(url)))))


def viewer_client():
    return logged_in_client(UserFactory(groups=["viewer"]))


def assert_same_cells(csv_rows: list[list], xlsx_rows: list[list]) -> None:
    """The XLSX holds the CSV's cells, row for row; a number cell holds the CSV's number."""
    assert len(xlsx_rows) == len(csv_rows), (len(csv_rows), len(xlsx_rows))
    for csv_row, xlsx_row in zip(csv_rows, xlsx_rows, strict=True):
        numeric = [isinstance(cell, int | float) for cell in xlsx_row]
        assert [Decimal(c) if n else c for c, n in zip(csv_row, numeric, strict=True)] == [
            Decimal(str(x)) if n else x for x, n in zip(xlsx_row, numeric, strict=True)
        ]


def test_cells_that_would_be_formulas_are_neutralised_and_markup_never_leaks():
    client = viewer_client()
    for name in ['=HYPERLINK("http://evil")', "+cmd", "-2+3", "@SUM(A1)", "Plain Ltd"]:
        ProviderFactory(name=name)
    exported = rows(client, reverse("vendors:provider-list") + "?_export=csv&per_page=1")
    names = [row[0] for row in exported[1:]]
    assert sorted(names) == sorted(["'+cmd", "'-2+3", '\'=HYPERLINK("http://evil")', "'@SUM(A1)", "Plain Ltd"])
    text = "\n".join(",".join(row) for row in exported)
    assert "<" not in text and "None" not in text  # badges and empty cells come out as plain text


def test_the_export_has_exactly_the_filtered_sorted_rows_whatever_the_page():
    client = viewer_client()
    for i in range(30):
        ProviderFactory(name=f"Provider {i:02}", status="shortlisted" if i % 3 == 0 else "prospect")
    url = reverse("vendors:provider-list") + "?status=shortlisted&sort=-name&page=2&per_page=3&_export=csv"
    names = [row[0] for row in rows(client, url)[1:]]
    assert names == [f"Provider {i:02}" for i in sorted(range(0, 30, 3), reverse=True)]


def providers():
    for i in range(12):
        provider = ProviderFactory(name=f"Provider {i:02}", status="shortlisted" if i % 3 else "prospect")
        for _ in range(i % 4):
            PilotFactory(provider=provider)  # planned: open, so "Open pilots" counts it


def work_items():
    for i in range(12):
        WorkItemFactory(
            title=f"Item {i:02}", monthly_volume=(i % 5) * 1000 + i + 1, data_sensitivity=("internal", "public")[i % 2]
        )


def pilots():
    acme, beta = ProviderFactory(name="Acme"), ProviderFactory(name="Beta")
    for i in range(12):
        PilotFactory(name=f"Pilot {i:02}", provider=(acme, beta)[i % 3 == 0], volume_share=Decimal(i + 1) / 4)


def flags():
    for i in range(12):
        FlagFactory(pilot=PilotFactory(name=f"Pilot {i:02}"), severity=("critical", "warning")[i % 2])


# list, rows to build, a filtered and sorted query that shows some of them (over two pages), how many
FILTERED = [
    ("vendors:provider-list", providers, "?status=shortlisted&sort=-open_pilots&sort=-name&per_page=3&page=2", 8),
    ("scope:workitem-list", work_items, "?data_sensitivity=internal&sort=-volume&per_page=2", 6),
    ("pilots:pilot-list", pilots, "?provider=acme&sort=-name&per_page=5", 8),
    ("pilots:flag-list", flags, "?severity=critical&sort=-pilot&per_page=2", 6),
]


@pytest.mark.parametrize(("name", "build", "query", "count"), FILTERED, ids=[f[0] for f in FILTERED])
def test_xlsx_holds_exactly_the_csv_cells_for_a_filtered_sorted_list(name, build, query, count, monkeypatch):
    monkeypatch.setattr(exports, "BATCH", 3)  # several batches, the last one short
    client = viewer_client()
    build()
    url = reverse(name) + query
    csv_rows, xlsx_rows = export_rows(client, url, "csv"), export_rows(client, url, "xlsx")
    assert len(csv_rows) == count + 1  # the header, then every filtered row: not one page of them
    listed = client.get(url).context["table"]  # every row of the list (all its pages), in its order
    assert csv_rows == [[plain(cell) for cell in row] for row in listed.as_values()]
    assert_same_cells(csv_rows, xlsx_rows)


def test_xlsx_rows_follow_the_list_order():
    client = viewer_client()
    providers()
    xlsx_rows = export_rows(client, reverse("vendors:provider-list") + "?status=shortlisted&sort=-name", "xlsx")
    assert [row[0] for row in xlsx_rows[1:]] == [f"Provider {i:02}" for i in range(11, -1, -1) if i % 3]


def test_xlsx_cells_are_text_never_formulas_or_errors():
    client = viewer_client()
    names = ['=HYPERLINK("http://evil")', "+cmd", "-2+3", "@SUM(A1)", "#N/A", "\x01=cmd", "007", "Plain Ltd"]
    for name in names:
        ProviderFactory(name=name)
    workbook = export_workbook(client.get(reverse("vendors:provider-list"), {"_export": "xlsx"}))
    sheet = workbook.active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in cells), [(c.value, c.data_type) for c in cells]
    assert sorted(cell.value for cell in cells) == sorted(
        ['\'=HYPERLINK("http://evil")', "'+cmd", "'-2+3", "'@SUM(A1)", "#N/A", "'=cmd", "007", "Plain Ltd"]
    )
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type in {"f", "e"}]


def test_xlsx_numbers_are_number_cells_and_the_header_is_bold_and_frozen():
    client = viewer_client()
    provider = ProviderFactory(name="-12")  # a name that is a number: a number, as a spreadsheet reads the CSV
    for _ in range(3):
        PilotFactory(provider=provider)
    response = client.get(reverse("vendors:provider-list"), {"_export": "xlsx"})
    assert response["Content-Disposition"] == 'attachment; filename="providers.xlsx"'
    sheet = export_workbook(response).active
    header, row = list(sheet.iter_rows())
    assert sheet.title == "Providers" and sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in header)
    open_pilots = [cell.value for cell in header].index("Open pilots")
    assert (row[0].value, row[0].data_type) == (-12, "n")
    assert (row[open_pilots].value, row[open_pilots].data_type) == (3, "n")


def test_numbers_a_spreadsheet_would_change_stay_text():
    assert number("42") == 42 and number("-12") == -12 and number("0") == 0
    assert number("1.50") == Decimal("1.50") and number("-0.25") == Decimal("-0.25")
    for text in ["007", "12345678901234567", "١٢", "1,000", "1e8", "12%", "", "-"]:
        assert number(text) is None, text


def test_sheet_titles_are_ones_a_spreadsheet_accepts():
    assert sheet_title("Flags") == "Flags"
    title = sheet_title("'Flags: [open]/closed? *\\ with a title far longer than a sheet allows")
    assert len(title) <= 31 and not set(title) & set("[]:*?/\\") and not title.startswith("'")
    assert sheet_title("[]") == "Export"


@pytest.mark.parametrize("fmt", ["json", "latex", "", "CSV", "XLSX", "xls", "ods", "csv\x00", "xlsx "])
def test_formats_that_are_not_offered_are_refused(fmt):
    client = viewer_client()
    PilotFactory()
    for name in LISTS:
        response = client.get(reverse(name), {"_export": fmt})
        assert response.status_code == 400, (name, fmt)
        assert b"CSV or XLSX" in response.content


def test_the_list_offers_both_exports_of_what_it_shows():
    client = viewer_client()
    for name in LISTS:
        page = client.get(reverse(name), {"status": "prospect"}).content.decode()
        assert "Export CSV" in page and "Export XLSX" in page, name
        assert "_export=xlsx" in page and "_export=csv" in page, name


@pytest.mark.parametrize("name", LISTS)
def test_viewers_export_and_others_may_not(name):
    url = reverse(name) + "?_export=xlsx"
    assert viewer_client().get(url).status_code == 200
    assert logged_in_client(UserFactory()).get(url).status_code == 403
    assert Client().get(url).status_code == 302  # to the sign-in page


LIST_PAGES = [page for page in PAGES if page[0] in LISTS]


@pytest.mark.parametrize(("name", "build", "variants", "expected"), LIST_PAGES, ids=[p[0] for p in LIST_PAGES])
def test_xlsx_export_queries_do_not_grow_with_rows_and_match_csv(name, build, variants, expected):
    """The builders and filtered queries of tests/test_list_queries.py, exported in both formats."""
    client = logged_in_client(UserFactory(groups=["editor"]))
    queries = [
        f"{variant}{'&' if variant else '?'}_export={fmt}" for variant in variants[:2] for fmt in ("csv", "xlsx")
    ]
    counts = {}
    build(5)
    for size in (5, 50):
        if size == 50:
            build(45)
        for query in queries:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(reverse(name) + query)
                assert response.status_code == 200
                b"".join(response.streaming_content)  # an export reads its rows as it streams
            counts[(size, query)] = len(captured)
    for query in queries:
        assert counts[(5, query)] == counts[(50, query)], (query, counts)
        assert counts[(50, query)] == counts[(50, query.replace("xlsx", "csv"))], (query, counts)
