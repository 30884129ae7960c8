"""The team's vendor list from a spreadsheet: its template (and the stored providers in the same
layout), and the import flow the generic import views run. The layout is `vendors.sheets`; what the
rows mean, and writing them, is `vendors.batches`.
"""

import csv
import datetime
import io

from django.db.models import Prefetch
from django.http import HttpResponse
from django.urls import reverse

from config.exports import XLSX_CONTENT_TYPE, plain, text_cell
from config.imports import ImportFlow, PreviewLine

from . import batches
from .models import (
    Contact,
    DeliveryCenter,
    IndustryExperience,
    Language,
    PricingModel,
    Provider,
    ProviderCertification,
    ProviderImport,
    ServiceLine,
)
from .sheets import (
    CENTRES,
    CERTIFICATIONS,
    EXPERIENCE,
    LAYOUT,
    LAYOUTS,
    PROVIDERS,
    Layout,
    country_names,
    starting_statuses,
    tables,
)

MULTI_SEPARATOR = "; "


# --- The template, and the current providers in its layout -------------------------------------


def layout_note(layout: Layout) -> str:
    return layout.note.format(statuses=starting_statuses())


def names(rows) -> str:
    return MULTI_SEPARATOR.join(str(row) for row in rows)


def current_rows(kind: str) -> list[list]:
    """Every stored provider (or its centres, certificates, …) as the template's rows, so sending the
    file back unchanged changes nothing."""
    if kind == PROVIDERS:
        providers = Provider.objects.prefetch_related(
            Prefetch("service_lines", queryset=ServiceLine.objects.order_by("name")),
            Prefetch("languages", queryset=Language.objects.order_by("name")),
            Prefetch("pricing_models", queryset=PricingModel.objects.order_by("name")),
        ).order_by("name")
        return [
            [
                p.name,
                p.website,
                country_names("en")[
                    p.headquarters_country.code
                ],  # as the import reads it, whatever the page's language
                p.get_status_display(),
                p.blocked_reason,
                names(p.service_lines.all()),
                names(p.languages.all()),
                names(p.pricing_models.all()),
                p.description,
            ]
            for p in providers
        ]
    if kind == CENTRES:
        centres = DeliveryCenter.objects.select_related("provider").order_by("provider__name", "country", "city")
        return [
            [c.provider.name, country_names("en")[c.country.code], c.city, c.headcount, c.time_zone] for c in centres
        ]
    if kind == CERTIFICATIONS:
        certificates = ProviderCertification.objects.select_related("provider", "certification_type").order_by(
            "provider__name", "certification_type__code", "certificate_id"
        )
        return [
            [
                c.provider.name,
                c.certification_type.code,
                c.certificate_id,
                c.issuer,
                c.issued_on,
                c.expires_on,
                c.scope_note,
            ]
            for c in certificates
        ]
    if kind == EXPERIENCE:
        experience = IndustryExperience.objects.select_related("provider", "industry").order_by(
            "provider__name", "industry__name"
        )
        return [[e.provider.name, e.industry.name, e.years, e.reference_clients, e.notes] for e in experience]
    contacts = Contact.objects.select_related("provider").order_by("provider__name", "name", "email")
    return [[c.provider.name, c.name, c.email, c.role, c.phone] for c in contacts]


def template_response(file_format: str, *, current: bool) -> HttpResponse:
    """The template (headers, a note on each sheet), or with `current` every stored provider in it.
    A CSV holds the Providers sheet only; the other sheets come in the workbook."""
    filename = f"providers{'' if current else '-template'}.{file_format}"
    if file_format == "csv":
        layout = LAYOUT[PROVIDERS]
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([layout_note(layout)])
        writer.writerow([column.title for column in layout.columns])
        for row in current_rows(PROVIDERS) if current else []:
            writer.writerow([plain(value) for value in row])
        response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(xlsx_workbook(current=current), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def cell(sheet, value):
    """Numbers and dates as themselves; text typed as text, so a cell such as "+91 20 5555" is never
    evaluated and comes back as it was stored (a CSV cannot type its cells: there `plain` quotes it)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None or isinstance(value, int | datetime.date):
        return value
    typed = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", str(value)))
    typed.data_type = "s"
    return typed


def xlsx_workbook(*, current: bool) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for layout in LAYOUTS:
        sheet = workbook.create_sheet(layout.title)
        sheet.freeze_panes = "A3"
        sheet.append([text_cell(sheet, layout_note(layout))])
        sheet.append([text_cell(sheet, column.title, bold) for column in layout.columns])
        for row in current_rows(layout.kind) if current else []:
            sheet.append([cell(sheet, value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- The import flow --------------------------------------------------------------------------


class ProviderImportFlow(ImportFlow):
    record_model = ProviderImport
    permission_required = ("vendors.add_provider", "vendors.change_provider")
    title = "Import providers"

    def check(self, target, sheets):
        tables(sheets)

    def plan(self, record, sheets):
        return batches.plan_import(tables(sheets))

    def lines(self, plan):
        return [
            PreviewLine(row=e.row, outcome=e.outcome, subject=e.subject, detail=e.describe(), sheet=e.sheet)
            for e in plan.entries
        ]

    def apply(self, record, *, by, expected):
        return batches.providers_apply(
            build_tables=lambda: tables(record.read()),
            by=by,
            reason=f"import of {record.file_name}",
            expected=expected,
        )

    def done_url(self, target):
        return reverse("vendors:provider-list")

    def template_url(self, target):
        return reverse("vendors:provider-import-template")

    def templates(self, target):
        current = f"{self.template_url(target)}?format=xlsx&current=1"
        return [*super().templates(target), ("Current providers (XLSX)", current)]

    def help_text(self, target):
        return (
            "Fill in the template: one row per provider on the Providers sheet (a CSV is that sheet alone), and "
            "if you like their delivery centres, certifications, industry experience and contacts on the other "
            "sheets. Providers are matched by name in any case, so a second import corrects rather than "
            "duplicates; a blank cell keeps what is stored and nothing is ever deleted. Nothing changes until "
            "you confirm the preview."
        )
