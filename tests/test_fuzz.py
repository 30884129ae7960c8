"""Generated hostile input on every page's query string and every form, as an editor and as a
viewer: no answer is a 500, and a request that is refused or shown back with errors writes
nothing. FUZZ_EXAMPLES sets the examples per page and method (default 12); raise it for a long run."""

import os
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_url_permissions import EDITOR, VIEWER, all_patterns, client_for, objects, url_for  # noqa: F401

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
SKIP = {"login", "logout", "health"}

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202eevil\u202c",
    "\u2066x\u2069",
    "-1",
    "0",
    "1",
    "2",
    "1e8",
    "100000000",
    "99999999999999999999999",
    "-99999999999999999999999",
    "1.5",
    "1,5",
    "²",
    "١٢",
    "٣",
    "NaN",
    "Infinity",
    "-inf",
    "0001-01-01",
    "9999-12-31",
    "1900-01-01",
    "2026-02-30",
    "2026-W45",
    "../../etc/passwd",
    "//evil.example/x",
    "https://evil.example/",
    "javascript:alert(1)",
    "<script>alert(1)</script>",
    "=HYPERLINK(1)",
    "' OR 1=1 --",
    "%00",
    "[]",
    "csv",
    "xlsx",
    "json",
    "-name",
    "name",
    "on",
    "true",
    "x" * 5000,
]

hostile = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=30),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.dates().map(lambda d: d.isoformat()),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
)
EXTRA_NAMES = ["next", "back", "page", "per_page", "sort", "_export", "confirm", "pk", "id"]


class FormFields(HTMLParser):
    """The names of a page's form fields, by form method."""

    def __init__(self):
        super().__init__()
        self.method = None
        self.fields = {"get": set(), "post": set()}
        self.values = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.method = (attrs.get("method") or "get").lower()
        elif tag in {"input", "select", "textarea"} and self.method and attrs.get("name"):
            if attrs["name"] != "csrfmiddlewaretoken":
                self.fields[self.method].add(attrs["name"])
                if attrs.get("type") == "hidden" and attrs.get("value") is not None:
                    self.values[attrs["name"]] = attrs["value"]

    def handle_endtag(self, tag):
        if tag == "form":
            self.method = None


def page_fields(client, url):
    response = client.get(url)
    parser = FormFields()
    if response.status_code == 200 and "html" in response.get("Content-Type", ""):
        parser.feed(response.content.decode())
    return parser


def table_counts() -> tuple:
    """Row counts of every table of the apps, history included, in one query."""
    tables = [m._meta.db_table for m in apps.get_models() if m._meta.app_label in {"vendors", "scope", "pilots"}]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f'(SELECT count(*) FROM "{t}")' for t in tables))  # noqa: S608
        return cursor.fetchone()


def app_pages():
    for name, route, converters in all_patterns():
        if name.startswith("admin:") or name in SKIP:
            continue
        yield pytest.param(name, route, converters, id=name)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [EDITOR, VIEWER])
@pytest.mark.parametrize(("name", "route", "converters"), list(app_pages()))
def test_hostile_input_never_answers_500_nor_half_writes(name, route, converters, role, objects):  # noqa: F811
    client = client_for(role)
    url = url_for(name, route, converters, objects)
    fields = page_fields(client, url)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def attack(data):
        method = data.draw(st.sampled_from(["get", "post"]), label="method")
        names = sorted(fields.fields[method] | set(EXTRA_NAMES) | (set(fields.values) if method == "post" else set()))
        chosen = data.draw(st.lists(st.sampled_from(names), max_size=8, unique=True), label="fields")
        payload = {key: value for key, value in fields.values.items() if method == "post"}
        payload.update({key: data.draw(hostile, label=key) for key in chosen})
        before = table_counts()
        response = getattr(client, method)(url, payload)
        assert response.status_code < 500, (method, url, payload)
        if response.status_code != 302 or method == "get":
            assert table_counts() == before, f"{method.upper()} {url} wrote rows and answered {response.status_code}"

    attack()
