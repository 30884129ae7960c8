"""Reading an uploaded spreadsheet (CSV or XLSX) into rows a person can be told about by number.

Everything a file can do wrong is refused here with a message that says what to change: the wrong
encoding, a formula, merged cells, too many rows, nothing in it, an "XLSX" that is really HTML or
a zip bomb. What comes out is plain: sheets of rows keyed by the header's names, each with the row
number the person sees in their spreadsheet program.
"""

import csv
import datetime
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError

from .fields import one_line

CSV_DELIMITERS = ",;\t"
# An XLSX is a zip of XML; a real workbook of the largest allowed size unpacks to well under this.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_PACKING_RATIO = 200
NOTE_PREFIX = "#"  # rows above the header starting with this are notes (a template's units and targets)
MERGE = re.compile(rb'<mergeCell\s+ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')
# A cell a spreadsheet program would run as a formula when the file is opened again (CSV injection),
# unless it is a plain number such as -5 or +3.
# A sign followed by figures alone ("-5", "+44 20 7946 0000") is data, not a formula.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
SIGNED_FIGURES = re.compile(r"[-+][\d\s.,()/%-]*")
# Cells read per sheet, blank ones included, as a multiple of the rows allowed: what bounds the work
# a file can cause, however its rows are padded.
CELLS_PER_ROW = 60


@dataclass
class Row:
    number: int  # as the spreadsheet program shows it (1 = the first line of the file)
    cells: dict[str, object]

    def text(self, column: str) -> str:
        """The cell as a trimmed string ('' when blank): numbers as they read, dates as ISO."""
        value = self.cells.get(column)
        if value is None:
            return ""
        if isinstance(value, datetime.datetime):
            value = value.date() if value.time() == datetime.time() else value
        if isinstance(value, float):
            value = Decimal(repr(value))
        if isinstance(value, Decimal):
            value = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
        return str(value).strip()


@dataclass
class Sheet:
    name: str
    header: list[str]
    rows: list[Row] = field(default_factory=list)

    def has(self, column: str) -> bool:
        return column in self.header


def normalise_header(text) -> str:
    """Headers match however they are typed: case, spaces, a unit in brackets after the name."""
    return one_line(str(text or "")).casefold()


def size_text(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def read(upload, *, max_rows: int | None = None, max_bytes: int | None = None) -> list[Sheet]:
    """The sheets of an uploaded .csv or .xlsx file, or a ValidationError saying what is wrong."""
    max_rows = max_rows or settings.IMPORT_MAX_ROWS
    max_bytes = max_bytes or settings.IMPORT_MAX_BYTES
    too_large = f"The file is larger than {size_text(max_bytes)}."
    name = (upload.name or "").lower()
    if upload.size is not None and upload.size > max_bytes:
        raise ValidationError(too_large)
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValidationError(too_large)
    if not data.strip():
        raise ValidationError("The file is empty.")
    if name.endswith(".xlsx"):
        sheets = read_xlsx(data, max_rows=max_rows)
    elif name.endswith(".csv"):
        sheets = [read_csv(data, sheet_name=upload.name.rsplit(".", 1)[0], max_rows=max_rows)]
    else:
        raise ValidationError("Upload a .csv or .xlsx file.")
    # A workbook's blank sheets (Excel's "Sheet2") or sheets of notes only are not part of the data.
    used = [sheet for sheet in sheets if sheet.header]
    if not used:
        raise ValidationError(f"Sheet '{sheets[0].name}' is empty." if len(sheets) == 1 else "Every sheet is empty.")
    if not any(sheet.rows for sheet in used):
        raise ValidationError("The file has a header but no rows below it.")
    return used


def read_csv(data: bytes, *, sheet_name: str, max_rows: int) -> Sheet:
    if b"\x00" in data:
        raise ValidationError("This is not a text file: save the sheet as CSV (UTF-8) and upload that.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ValidationError(
            f"The file is not UTF-8 text (line {line}): in your spreadsheet program save it as "
            "'CSV UTF-8', or upload the .xlsx workbook."
        ) from None
    lines = text.splitlines()
    sample = next((line for line in lines if line.strip() and not line.startswith(NOTE_PREFIX)), "")
    try:
        # A bounded sample: the sniffer's quote detection is quadratic in what it is given.
        dialect = csv.Sniffer().sniff(sample[:2048], delimiters=CSV_DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as error:
        raise ValidationError(f"The CSV cannot be read: {error}.") from None
    return build_sheet(sheet_name, ((number, record) for number, record in enumerate(records, 1)), max_rows)


def read_xlsx(data: bytes, *, max_rows: int) -> list[Sheet]:
    from openpyxl import load_workbook  # a heavy import, only for workbooks

    not_a_workbook = ValidationError(
        "This is not an Excel workbook (.xlsx); save the sheet as .xlsx or CSV (UTF-8) and upload that."
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise not_a_workbook from None
    names = {entry.filename for entry in entries}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise not_a_workbook
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > MAX_UNPACKED_BYTES or unpacked > MAX_PACKING_RATIO * max(len(data), 1):
        raise ValidationError("The workbook unpacks to far more than it holds; it is refused as unsafe.")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a broken workbook; all mean the same to a person
        raise not_a_workbook from None
    sheets = []
    try:
        parts = sheet_parts(data, archive)
        for worksheet in workbook.worksheets:
            merged = merged_ranges(archive, parts[worksheet.title]) if worksheet.title in parts else []
            if merged:
                raise ValidationError(
                    f"Sheet '{worksheet.title}' has merged cells ({', '.join(merged[:5])}): unmerge them so "
                    "each column has its own header and each row its own values."
                )
            sheets.append(build_sheet(worksheet.title, xlsx_records(worksheet), max_rows))
    except ValidationError:
        raise
    except Exception:  # a sheet whose XML openpyxl cannot read
        raise not_a_workbook from None
    finally:
        workbook.close()
    return sheets


def sheet_parts(data: bytes, archive: zipfile.ZipFile) -> dict[str, str]:
    """The worksheets' XML parts in workbook order (openpyxl's read-only mode hides merged cells)."""
    from openpyxl.reader.excel import ExcelReader

    reader = ExcelReader(io.BytesIO(data), read_only=True)
    reader.read_manifest()
    reader.read_workbook()
    names = set(archive.namelist())
    return {sheet.name: rel.target for sheet, rel in reader.parser.find_sheets() if rel.target in names}


def merged_ranges(archive: zipfile.ZipFile, part: str) -> list[str]:
    found = []
    with archive.open(part) as stream:
        tail = b""
        while chunk := stream.read(1024 * 1024):
            found += [m.decode() for m in MERGE.findall(tail + chunk)]
            tail = chunk[-200:]
    return sorted(set(found))


MAX_COLUMNS = 500


def xlsx_records(worksheet):
    # The size a workbook declares is not trusted: a tiny file claiming a million rows would
    # otherwise be padded out cell by cell.
    worksheet.reset_dimensions()
    for number, cells in enumerate(worksheet.iter_rows(), 1):
        values = []
        for cell in cells:
            if getattr(cell, "data_type", None) == "f":
                raise ValidationError(
                    f"Cell {cell.coordinate} of sheet '{worksheet.title}' holds a formula: paste values only "
                    "(copy, then paste special → values) and upload again."
                )
            value = cell.value
            if isinstance(value, int | float) and "%" in (getattr(cell, "number_format", "") or ""):
                value = Decimal(repr(value)) * 100  # a cell shown as 98.5% holds 0.985
            values.append(value)
        yield number, values


def formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_LEADS) and not SIGNED_FIGURES.fullmatch(value)


def build_sheet(name: str, records, max_rows: int) -> Sheet:
    """The first row that is not blank or a note is the header; every later non-blank row a row.
    A sheet with no such row is returned without a header. Every cell is checked, also those under
    no header: a file that would run a formula when opened again is refused."""
    header: list[str] | None = None
    sheet = Sheet(name=name, header=[])
    cells_read, max_cells = 0, max_rows * CELLS_PER_ROW
    for number, values in records:
        if len(values) > MAX_COLUMNS:
            raise ValidationError(f"Row {number} of sheet '{name}' has more than {MAX_COLUMNS} columns.")
        cells_read += len(values)
        if cells_read > max_cells:
            raise ValidationError(
                f"Sheet '{name}' has more than {max_cells:,} cells, blank ones included; "
                f"send at most {max_rows:,} rows and delete the empty rows and columns."
            )
        for position, value in enumerate(values, 1):
            if formula_like(value):
                raise ValidationError(
                    f"Row {number}, column {position} of '{name}' starts with '{value[0]}' like a formula: type "
                    "the value itself (start a note with a letter)."
                )
            if isinstance(value, str) and "\x00" in value:
                raise ValidationError(f"Row {number}, column {position} of '{name}' holds a NUL character.")
        if all(value is None or str(value).strip() == "" for value in values):
            continue
        if header is None:
            if isinstance(values[0], str) and values[0].lstrip().startswith(NOTE_PREFIX):
                continue
            header = [normalise_header(value) for value in values]
            while header and not header[-1]:
                header.pop()
            repeated = sorted(h for h, times in Counter(header).items() if h and times > 1)
            if repeated:
                raise ValidationError(f"Sheet '{name}': the column '{repeated[0]}' appears twice in the header.")
            if not any(header):
                raise ValidationError(f"Sheet '{name}' has no header row.")
            sheet.header = header
            continue
        if len(sheet.rows) >= max_rows:
            raise ValidationError(
                f"Sheet '{name}' has more than {max_rows:,} rows; split it into files of at most {max_rows:,} rows."
            )
        cells = {}
        for column, value in zip(header, values, strict=False):
            if column:
                cells[column] = value
        sheet.rows.append(Row(number=number, cells=cells))
    return sheet  # a sheet without a header (blank, or notes only) has none


THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?")


def parse_decimal(text: str) -> Decimal | None:
    """A number as a spreadsheet writes it: '1,234.5' and '98.5%' read as 1234.5 and 98.5. A comma
    that is not a thousands separator ('12,5') is refused, never read as 125."""
    cleaned = text.replace("\u00a0", "").replace(" ", "").removesuffix("%")
    if not cleaned:
        return None
    if "," in cleaned:
        if not THOUSANDS.fullmatch(cleaned):
            raise ValueError(f"'{text}' is not a number (use a point for decimals)")
        cleaned = cleaned.replace(",", "")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"'{text}' is not a number") from None
    if not number.is_finite() or not cleaned.isascii():
        raise ValueError(f"'{text}' is not a number")
    if number and (number.adjusted() > 15 or number.as_tuple().exponent < -10):
        raise ValueError(f"'{text}' is too large or has too many decimals")
    return number


MAX_COUNT = 2_000_000_000  # the forms' limit for a sample size


def parse_count(text: str) -> int | None:
    number = parse_decimal(text)
    if number is None:
        return None
    if not re.fullmatch(r"[\d,. \u00a0]+", text) or number != number.to_integral() or number < 0 or number > MAX_COUNT:
        raise ValueError(f"'{text}' is not a whole number of at least 0")
    return int(number)
