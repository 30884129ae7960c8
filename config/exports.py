"""Exports of a list page (CSV and XLSX): exactly the rows the filtered, sorted list shows, as plain
values, read in batches so an export holds one batch of rows in memory.

Both formats write the rows one generator gives (`plain_rows`): the batching, the prefetches and the
neutralising of formulas live there once, and a CSV and an XLSX of the same list hold the same cells."""

import csv
import html
import itertools
import re
import tempfile
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils.html import strip_tags
from django.utils.safestring import SafeData
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

BATCH = 1000
NUMBER = re.compile(r"-?\d+(\.\d+)?")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EMPTY = "—"  # how the pages show "nothing"; a spreadsheet gets an empty cell

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_IN_MEMORY = 4 * 1024 * 1024  # a workbook larger than this is spooled to disk while it is sent
SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SIGNIFICANT_DIGITS = 15  # what a spreadsheet keeps of a number; a longer one stays text


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


def plain_rows(table_class, queryset, table_kwargs: dict):
    """Header, then the rows, as lists of `plain` cells, built a batch at a time with the list's own
    table (its `value_` methods), over the list's queryset in its order; prefetches run once per batch."""
    rows = queryset.iterator(chunk_size=BATCH)
    first = True
    while batch := list(itertools.islice(rows, BATCH)):
        # The batch is in the list's order already: order_by=() keeps the table from sorting it again.
        values = table_class(batch, order_by=(), **table_kwargs).as_values()  # skips exclude_from_export columns
        if not first:
            next(values)  # the header, given once
        for row in values:
            yield [plain(cell) for cell in row]
        first = False
    if first:  # nothing matched: the header alone
        yield [plain(cell) for cell in next(table_class([], **table_kwargs).as_values())]


class _Echo:
    def write(self, value):
        return value


def csv_rows(table_class, queryset, table_kwargs: dict):
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a byte-order mark, so spreadsheet programs read UTF-8
    for row in plain_rows(table_class, queryset, table_kwargs):
        yield writer.writerow(row)


def csv_response(table, filename: str, table_kwargs: dict | None = None, *, title: str = "") -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_rows(type(table), table.data.data, table_kwargs or {}),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def number(text: str) -> int | Decimal | None:
    """The number a plain cell holds, when a spreadsheet can sum it without changing it: ASCII
    digits, no leading zero (an id such as "007" stays text) and no more digits than it keeps."""
    if not (text.isascii() and NUMBER.fullmatch(text)):
        return None
    whole, _, fraction = text.removeprefix("-").partition(".")
    if (len(whole) > 1 and whole.startswith("0")) or len((whole + fraction).lstrip("0")) > SIGNIFICANT_DIGITS:
        return None
    return Decimal(text) if fraction else int(text)


def text_cell(sheet, text: str, font: Font | None = None) -> Cell | None:
    """A string cell, typed as one so no text is ever read as a formula or an error code ("#N/A").
    Control characters a workbook cannot hold are dropped, and what remains is neutralised again
    (it may now start a formula)."""
    text = plain(ILLEGAL_CHARACTERS_RE.sub("", text))
    if not text:
        return None
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell


def xlsx_value(sheet, text: str):
    """A plain number as a number, so a spreadsheet can sum it; anything else as text."""
    value = number(text)
    return value if value is not None else text_cell(sheet, text)


def sheet_title(title: str) -> str:
    """A title a spreadsheet accepts for a sheet: at most 31 characters, none of []:*?/\\, no quote at either end."""
    return SHEET_TITLE_FORBIDDEN.sub("", title).strip("' ")[:31].strip("' ") or "Export"


def xlsx_response(table, filename: str, table_kwargs: dict | None = None, *, title: str = "") -> FileResponse:
    """The workbook is built in write-only mode (rows go to a temporary file as they come) and sent
    from a spooled temporary file: memory stays bounded however many rows the list has."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(title))
    sheet.freeze_panes = "A2"
    rows = plain_rows(type(table), table.data.data, table_kwargs or {})
    header = next(rows)
    for column, name in enumerate(header, 1):  # widths must be set before the first row is written
        sheet.column_dimensions[get_column_letter(column)].width = min(max(len(name) + 4, 12), 60)
    bold = Font(bold=True)
    sheet.append([text_cell(sheet, name, bold) for name in header])
    for row in rows:
        sheet.append([xlsx_value(sheet, text) for text in row])
    file = tempfile.SpooledTemporaryFile(max_size=XLSX_IN_MEMORY)
    try:
        workbook.save(file)
    except BaseException:
        file.close()
        raise
    file.seek(0)
    return FileResponse(file, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


RESPONSES = {"csv": csv_response, "xlsx": xlsx_response}


def export_response(export_format: str, table, *, name: str, title: str, table_kwargs: dict | None = None):
    """The list's table as a download in `export_format` (one of RESPONSES), named `<name>.<format>`."""
    return RESPONSES[export_format](table, f"{name}.{export_format}", table_kwargs, title=title)
