"""CSV exports: plain values, formulas neutralised, exactly the listed rows, refused formats."""

import csv
import io

import pytest
from django.urls import reverse

from tests.conftest import logged_in_client
from tests.factories import PilotFactory, ProviderFactory, UserFactory
from tests.support.exports import export_text

pytestmark = pytest.mark.django_db


def rows(client, url):
    return list(csv.reader(io.StringIO(export_text(client.get(url)))))


def test_cells_that_would_be_formulas_are_neutralised_and_markup_never_leaks():
    client = logged_in_client(UserFactory(groups=["viewer"]))
    for name in ['=HYPERLINK("http://evil")', "+cmd", "-2+3", "@SUM(A1)", "Plain Ltd"]:
        ProviderFactory(name=name)
    exported = rows(client, reverse("vendors:provider-list") + "?_export=csv&per_page=1")
    names = [row[0] for row in exported[1:]]
    assert sorted(names) == sorted(["'+cmd", "'-2+3", '\'=HYPERLINK("http://evil")', "'@SUM(A1)", "Plain Ltd"])
    text = "\n".join(",".join(row) for row in exported)
    assert "<" not in text and "None" not in text  # badges and empty cells come out as plain text


def test_the_export_has_exactly_the_filtered_sorted_rows_whatever_the_page():
    client = logged_in_client(UserFactory(groups=["viewer"]))
    for i in range(30):
        ProviderFactory(name=f"Provider {i:02}", status="shortlisted" if i % 3 == 0 else "prospect")
    url = reverse("vendors:provider-list") + "?status=shortlisted&sort=-name&page=2&per_page=3&_export=csv"
    names = [row[0] for row in rows(client, url)[1:]]
    assert names == [f"Provider {i:02}" for i in sorted(range(0, 30, 3), reverse=True)]


@pytest.mark.parametrize("fmt", ["xlsx", "json", "latex", "", "CSV", "csv\x00"])
def test_formats_that_are_not_offered_are_refused(fmt):
    client = logged_in_client(UserFactory(groups=["viewer"]))
    PilotFactory()
    for name in ("vendors:provider-list", "scope:workitem-list", "pilots:pilot-list", "pilots:flag-list"):
        response = client.get(reverse(name), {"_export": fmt})
        assert response.status_code == 400, (name, fmt)


@pytest.mark.parametrize("per_page", ["-1", "0", "100000000", "1e8", "²", "١٢", "abc"])
def test_page_size_and_page_are_bounded(per_page):
    client = logged_in_client(UserFactory(groups=["viewer"]))
    for i in range(3):
        ProviderFactory(name=f"P{i}")
    response = client.get(reverse("vendors:provider-list"), {"per_page": per_page, "page": per_page})
    assert response.status_code == 200
    big = client.get(reverse("vendors:provider-list"), {"per_page": "5000"})
    assert big.status_code == 200 and big.context["table"].paginator.per_page == 25  # over the bound: the default
