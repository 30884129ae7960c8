"""CSV export of a list page: exactly the rows the filtered, sorted list shows, as plain values,
streamed in batches so a large export starts at once and holds one batch in memory."""

import csv
import html
import itertools
import re

from django.http import StreamingHttpResponse
from django.utils.html import strip_tags
from django.utils.safestring import SafeData

BATCH = 1000
NUMBER = re.compile(r"-?\d+(\.\d+)?")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EMPTY = "—"  # how the pages show "nothing"; a spreadsheet gets an empty cell


def plain(value) -> str:
    """A cell as a spreadsheet should get it: no markup, no "None", and never a formula (a cell a
    spreadsheet would evaluate starts with a quote instead; a negative number stays a number)."""
    if value is None:
        return ""
    if isinstance(value, SafeData):  # markup a column rendered (a badge): its text, unescaped
        text = html.unescape(strip_tags(value))
    else:
        text = str(value)  # what a person typed stays as typed, "<" included
    if text == EMPTY:
        return ""
    if text.startswith(FORMULA_START) and not NUMBER.fullmatch(text):
        text = "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def csv_rows(table_class, queryset, table_kwargs: dict):
    """Header, then the rows, built a batch at a time with the list's own table (its `value_`
    methods), over the list's queryset in its order; prefetches run once per batch."""
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a byte-order mark, so spreadsheet programs read UTF-8
    rows = queryset.iterator(chunk_size=BATCH)
    first = True
    while batch := list(itertools.islice(rows, BATCH)):
        # The batch is in the list's order already: order_by=() keeps the table from sorting it again.
        values = table_class(batch, order_by=(), **table_kwargs).as_values()  # skips exclude_from_export columns
        if not first:
            next(values)  # the header, written once
        for row in values:
            yield writer.writerow([plain(cell) for cell in row])
        first = False
    if first:  # nothing matched: the header alone
        yield writer.writerow([plain(cell) for cell in next(table_class([], **table_kwargs).as_values())])


def csv_response(table, filename: str, table_kwargs: dict | None = None) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_rows(type(table), table.data.data, table_kwargs or {}),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
