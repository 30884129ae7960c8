"""Reading a list page's export back, in either format, as the rows a spreadsheet would show."""

import csv
import io

from openpyxl import load_workbook

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_text(response) -> str:
    """The text of a streamed CSV export, checked for its byte-order mark and read without it."""
    assert response.status_code == 200, response.status_code
    data = b"".join(response.streaming_content)
    assert data.startswith("\ufeff".encode()), data[:10]
    return data.decode("utf-8-sig")


def export_workbook(response):
    """The workbook of an XLSX export, checked for its type and its file name."""
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == XLSX_CONTENT_TYPE, response["Content-Type"]
    assert response["Content-Disposition"].startswith("attachment; filename="), response["Content-Disposition"]
    assert response["Content-Disposition"].endswith('.xlsx"'), response["Content-Disposition"]
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def export_rows(client, url: str, fmt: str) -> list[list]:
    """The rows of the list at `url` (filters, sort and page in its query string) exported as `fmt`:
    CSV cells as text; XLSX cells as the workbook holds them (numbers as numbers, an empty cell as "")."""
    response = client.get(f"{url}{'&' if '?' in url else '?'}_export={fmt}")
    if fmt == "csv":
        return list(csv.reader(io.StringIO(export_text(response))))
    (sheet,) = export_workbook(response).worksheets
    return [["" if value is None else value for value in row] for row in sheet.iter_rows(values_only=True)]
