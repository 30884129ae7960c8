"""The vendor list spreadsheet: which sheets and columns an import reads, and what each row says.

A workbook holds a *Providers* sheet (or any first sheet; a CSV is that sheet alone) and, if it
likes, the sheets *Delivery centres*, *Certifications*, *Industry experience* and *Contacts*, whose
*Provider* column names a provider of the file or one stored already. Headers match however they
are cased; a sheet or a column this import does not read is refused by name rather than skipped,
so a misspelt "Langauges" cannot pass unnoticed.

Each row becomes an `Entry`: the values its cells give, read as the provider form reads them
(a website gets its https://, a country is an ISO code or an English name, reference data is
named in any case), with a problem per cell that cannot be read. A blank cell gives nothing, so it
keeps what is stored. `vendors.batches` plans the entries against the stored rows.
"""

import datetime
import functools
import re
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django_countries import countries

from config.fields import one_line
from config.imports import CORRECTION, ERROR, NEW
from config.spreadsheets import Row, Sheet, normalise_header, parse_count

from .choices import ProviderStatus
from .lifecycle import LIFECYCLE, STARTING
from .models import CertificationType, Industry, Language, PricingModel, Provider, ServiceLine

PROVIDERS, CENTRES, CERTIFICATIONS, EXPERIENCE, CONTACTS = (
    "providers",
    "centres",
    "certifications",
    "experience",
    "contacts",
)
PROVIDER = "provider"  # the column of a child sheet that names its provider
M2M_FIELDS = ("service_lines", "languages", "pricing_models")
SEPARATORS = re.compile(r"[;,]")  # between several service lines, languages or pricing models
WEBSITE = forms.URLField(assume_scheme="https")  # as the provider form reads it
SHOWN_LENGTH = 60  # a longer text is shown as "changed" rather than in full


@dataclass(frozen=True)
class Column:
    key: str  # the model field it fills
    title: str  # as the template writes it
    aliases: tuple[str, ...] = ()
    required: bool = False  # the header must have it

    @property
    def names(self) -> set[str]:
        return {normalise_header(self.title), *(normalise_header(a) for a in self.aliases)}


@dataclass(frozen=True)
class Layout:
    kind: str
    title: str
    aliases: tuple[str, ...]
    columns: tuple[Column, ...]
    note: str
    # How a problem names each column: as the header reads, in lower case (asked for every row).
    labels: dict[str, str] = field(init=False, compare=False, hash=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "labels", {c.key: normalise_header(c.title) for c in self.columns})

    @property
    def names(self) -> set[str]:
        return {normalise_header(self.title), *(normalise_header(a) for a in self.aliases)}

    def label(self, key: str) -> str:
        return self.labels[key]


def starting_statuses() -> str:
    return ", ".join(LIFECYCLE.label(s) for s in LIFECYCLE.status_choices.values if s in STARTING)


PROVIDER_COLUMN = Column(PROVIDER, "Provider", ("provider name",), required=True)
LAYOUTS = (
    Layout(
        PROVIDERS,
        "Providers",
        ("provider", "vendors", "vendor list"),
        (
            Column("name", "Name", ("provider", "provider name"), required=True),
            Column("website", "Website", ("web site", "url")),
            Column("headquarters_country", "Headquarters country", ("hq country", "hq", "headquarters", "country")),
            Column("status", "Status"),
            Column("blocked_reason", "Blocked reason", ("block reason", "reason blocked")),
            Column("service_lines", "Service lines", ("service line", "services")),
            Column("languages", "Languages", ("language",)),
            Column("pricing_models", "Pricing models", ("pricing model", "pricing")),
            Column("description", "Description"),
        ),
        "# One row per provider, matched to the stored ones by name (in any case). Country: ISO code or "
        "English name. Several service lines, languages or pricing models: separate them with ';'. A blank "
        "cell keeps what is stored. A new provider's status: {statuses} (blocked needs a reason); a stored "
        "provider's status changes through its actions.",
    ),
    Layout(
        CENTRES,
        "Delivery centres",
        ("delivery centers", "delivery centre", "delivery center", "centres", "centers"),
        (
            PROVIDER_COLUMN,
            Column("country", "Country", required=True),
            Column("city", "City", required=True),
            Column("headcount", "Headcount", ("head count", "seats")),
            Column("time_zone", "Time zone", ("timezone", "tz")),
        ),
        "# One row per centre, matched by provider, country and city. Time zone as in Asia/Kolkata.",
    ),
    Layout(
        CERTIFICATIONS,
        "Certifications",
        ("certification", "certificates"),
        (
            PROVIDER_COLUMN,
            Column("certification_type", "Certification type", ("type", "certification", "code"), required=True),
            Column("certificate_id", "Certificate ID", ("certificate", "certificate number")),
            Column("issuer", "Issuer", ("issued by",)),
            Column("issued_on", "Issued on", ("issued",)),
            Column("expires_on", "Expires on", ("expires", "expiry", "expiry date")),
            Column("scope_note", "Scope note", ("scope",)),
        ),
        "# One row per certificate, matched by provider, type and certificate ID. Dates as 2026-01-31. "
        "Evidence is uploaded and verified on the provider's page.",
    ),
    Layout(
        EXPERIENCE,
        "Industry experience",
        ("experience", "industries"),
        (
            PROVIDER_COLUMN,
            Column("industry", "Industry", required=True),
            Column("years", "Years", ("years of experience",)),
            Column("reference_clients", "Reference clients", ("references",)),
            Column("notes", "Notes", ("note",)),
        ),
        "# One row per provider and industry.",
    ),
    Layout(
        CONTACTS,
        "Contacts",
        ("contact", "people"),
        (
            PROVIDER_COLUMN,
            Column("name", "Name", ("contact", "contact name"), required=True),
            Column("email", "Email", ("e-mail", "email address")),
            Column("role", "Role", ("title", "position")),
            Column("phone", "Phone", ("telephone", "phone number")),
        ),
        "# One row per person, matched by provider and email (or by name when there is no email).",
    ),
)
LAYOUT = {layout.kind: layout for layout in LAYOUTS}


@dataclass
class Table:
    """A sheet read in one layout: each row's cells by the layout's column keys ('' when blank)."""

    layout: Layout
    sheet: Sheet
    keys: dict[str, str]  # header → column key

    def cells(self, row: Row) -> dict[str, str]:
        return {key: row.text(header) for header, key in self.keys.items()}

    def has(self, key: str) -> bool:
        return key in self.keys.values()


def tables(sheets: list[Sheet]) -> dict[str, Table]:
    """The sheets in their layouts, or a ValidationError naming each sheet or column not read."""
    found: dict[str, Table] = {}
    problems = []
    by_name = {name: layout for layout in LAYOUTS for name in layout.names}
    for position, sheet in enumerate(sheets):
        layout = by_name.get(normalise_header(sheet.name))
        if layout is None and position == 0:
            layout = LAYOUT[PROVIDERS]  # a CSV, or a workbook whose first sheet has its own name
        if layout is None:
            problems.append(
                f"Sheet '{sheet.name}' is not one this import reads: name it "
                f"{', '.join(layout.title for layout in LAYOUTS)}, or remove it."
            )
            continue
        if layout.kind in found:
            problems.append(f"Sheet '{sheet.name}' repeats the sheet '{found[layout.kind].sheet.name}'.")
            continue
        table = header_table(layout, sheet, problems)
        if table is not None:
            found[layout.kind] = table
    if problems:
        raise ValidationError(problems)
    if not any(table.sheet.rows for table in found.values()):
        raise ValidationError("The file has headers but no rows below them.")
    return found


def header_table(layout: Layout, sheet: Sheet, problems: list[str]) -> Table | None:
    by_name = {name: column for column in layout.columns for name in column.names}
    keys, unknown = {}, []
    for header in sheet.header:
        if not header:
            continue
        column = by_name.get(header)
        if column is None:
            unknown.append(header)
        elif column.key in keys.values():
            problems.append(f"Sheet '{sheet.name}': the columns {header!r} and another one both give {column.title}.")
        else:
            keys[header] = column.key
    titles = ", ".join(column.title for column in layout.columns)
    for header in unknown:
        problems.append(f"Sheet '{sheet.name}': the column '{header}' is not one this import reads ({titles}).")
    missing = [column.title for column in layout.columns if column.required and column.key not in keys.values()]
    if missing:
        problems.append(f"Sheet '{sheet.name}' needs the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}.")
    return Table(layout, sheet, keys) if not unknown and not missing else None


# --- What a cell may name ---------------------------------------------------------------------


def key_of(text: str) -> str:
    """How names match: the cleaning a stored name had (`one_line`), in any case."""
    return one_line(text).casefold()


class Names:
    """The rows of a reference table, found by any of their names in any case."""

    def __init__(self, rows, noun: str, names_of=lambda row: (row.name,), shown=str):
        self.noun, self.shown = noun, shown
        self.rows = list(rows)
        self.by_key = {}
        for row in self.rows:
            for name in names_of(row):
                self.by_key.setdefault(key_of(str(name)), row)
        self.by_pk = {getattr(row, "pk", row): row for row in self.rows}

    def valid(self) -> str:
        return ", ".join(sorted(self.shown(row) for row in self.rows))

    def find(self, text: str):
        row = self.by_key.get(key_of(text))
        if row is None:
            raise ValueError(f"'{text}' is not a {self.noun} (valid: {self.valid()})")
        return row

    def find_many(self, text: str) -> list:
        parts = [part.strip() for part in SEPARATORS.split(text) if part.strip()]
        unknown = [part for part in parts if key_of(part) not in self.by_key]
        if unknown:
            listed = ", ".join(f"'{part}'" for part in unknown)
            verb = "is not a" if len(unknown) == 1 else "are not"
            noun = self.noun if len(unknown) == 1 else f"{self.noun}s"
            raise ValueError(f"{listed} {verb} {noun} (valid: {self.valid()})")
        return list(dict.fromkeys(self.by_key[key_of(part)] for part in parts))


@functools.cache
def country_names(language: str) -> dict[str, str]:
    with translation.override(language):
        return {code: str(name) for code, name in countries}


@functools.cache
def country_codes(language: str) -> dict[str, str]:
    found = {}
    with translation.override(language):
        for code, name in countries:
            for alias in (code, countries.alpha3(code), name):
                if alias:
                    found.setdefault(key_of(str(alias)), code)
    return found


def country_code(text: str) -> str:
    """An ISO code (IN, IND) or the English name (India)."""
    code = country_codes("en").get(key_of(text))
    if code is None:
        raise ValueError(f"'{text}' is not a country: give its ISO code (IN) or its English name (India)")
    return code


def parse_date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a date (write it as 2026-01-31)") from None


class References:
    """The reference data the sheets present can name: one query per table, once per plan."""

    def __init__(self, kinds):
        if PROVIDERS in kinds:
            self.service_lines = Names(ServiceLine.objects.all(), "service line")
            self.languages = Names(Language.objects.all(), "language", lambda r: (r.name, r.code))
            self.pricing_models = Names(PricingModel.objects.all(), "pricing model", lambda r: (r.name, r.code))
            self.statuses = Names(ProviderStatus, "status", lambda s: (s.value, s.label), lambda s: s.label)
        if EXPERIENCE in kinds:
            self.industries = Names(Industry.objects.all(), "industry", lambda r: (r.name, r.slug))
        if CERTIFICATIONS in kinds:
            self.certification_types = Names(
                CertificationType.objects.all(), "certification type", lambda r: (r.code, r.name)
            )

    def set_names(self, name: str, pks) -> str:
        table = getattr(self, name)
        return ", ".join(sorted(str(table.by_pk[pk]) for pk in pks)) or "—"


def shown(field_name: str, value, refs: References) -> str:
    if value is None or value == "":
        return "—"
    if field_name in {"headquarters_country", "country"}:
        code = value if isinstance(value, str) else value.code
        return country_names(translation.get_language() or "en").get(code, code)
    if field_name == "status":
        return LIFECYCLE.label(value)
    if field_name in M2M_FIELDS:
        return refs.set_names(field_name, value)
    if field_name == "certification_type_id":
        return str(refs.certification_types.by_pk[value])
    if field_name == "industry_id":
        return str(refs.industries.by_pk[value])
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


# --- Entries ----------------------------------------------------------------------------------


@dataclass
class Change:
    field: str
    label: str
    old: object  # as stored (None for a new row)
    new: object
    old_shown: str
    new_shown: str


@dataclass
class Entry:
    """One row of one sheet, then its planned outcome. `values` holds the cells given (a blank
    cell keeps what is stored); `instance` is what confirming writes."""

    kind: str
    sheet: str
    row: int
    subject: str = ""
    key: object = None
    values: dict = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    outcome: str = ""
    stored: models.Model | None = None
    instance: models.Model | None = None
    # Providers: the sets the row gives (m2m field → pks) and the stored links (field → pk → link pk).
    sets: dict[str, frozenset] = field(default_factory=dict)
    links: dict[str, dict[int, int]] = field(default_factory=dict)
    # Children: the name the row gives its provider, and that provider (stored, or new in the file).
    provider_name: str = ""
    owner: Provider | None = None

    @property
    def layout(self):
        return LAYOUT[self.kind]

    def problem(self, column: str, reason: str) -> None:
        self.problems.append((column, reason))

    def cell_problem(self, key: str, reason: str) -> None:
        self.problem(self.layout.label(key), reason)

    def has_problem(self, key: str) -> bool:
        return any(column == self.layout.label(key) for column, _ in self.problems)

    def describe(self) -> str:
        if self.outcome == ERROR:
            return "; ".join(f"{column}: {reason}" if column else reason for column, reason in self.problems)
        if self.outcome == CORRECTION:
            return "; ".join(
                f"{c.label} changed"
                if len(c.old_shown) > SHOWN_LENGTH or len(c.new_shown) > SHOWN_LENGTH
                else f"{c.label}: {c.old_shown} → {c.new_shown}"
                for c in self.changes
            )
        if self.outcome == NEW:
            return "; ".join(
                f"{c.label}: {c.new_shown if len(c.new_shown) <= SHOWN_LENGTH else c.new_shown[:SHOWN_LENGTH] + '…'}"
                for c in self.changes
                if c.field not in {"name"}
            )
        return ""

    @property
    def changed_fields(self) -> list[str]:
        return [c.field for c in self.changes if c.field not in M2M_FIELDS]


# --- Reading the rows -------------------------------------------------------------------------


def read_cell(entry: Entry, cells: dict, key: str, parse) -> None:
    """Parse a given cell into `entry.values[key]`, or note why it cannot be read."""
    text = cells.get(key, "")
    if not text:
        return
    try:
        entry.values[key] = parse(text)
    except (ValueError, ValidationError) as error:
        entry.cell_problem(key, " ".join(getattr(error, "messages", [str(error)])))


def read_provider(table: Table, row, refs: References) -> Entry:
    cells = table.cells(row)
    entry = Entry(kind=PROVIDERS, sheet=table.sheet.name, row=row.number)
    name = one_line(cells.get("name", ""))
    if name:
        entry.values["name"] = name
        entry.subject, entry.key = name, key_of(name)
    else:
        entry.cell_problem("name", "no name")
    read_cell(entry, cells, "website", WEBSITE.to_python)  # https:// added; the model validates it
    read_cell(entry, cells, "headquarters_country", country_code)
    read_cell(entry, cells, "status", lambda text: refs.statuses.find(text).value)
    read_cell(entry, cells, "blocked_reason", str.strip)
    read_cell(entry, cells, "description", str.strip)
    for name in M2M_FIELDS:
        text = cells.get(name, "")
        if text:
            try:
                entry.sets[name] = frozenset(linked.pk for linked in getattr(refs, name).find_many(text))
            except ValueError as error:
                entry.cell_problem(name, str(error))
    return entry


def read_child(table: Table, row, refs: References) -> Entry:
    kind = table.layout.kind
    cells = table.cells(row)
    entry = Entry(kind=kind, sheet=table.sheet.name, row=row.number)
    entry.provider_name = one_line(cells.get(PROVIDER, ""))
    if not entry.provider_name:
        entry.cell_problem(PROVIDER, "no provider")
    if kind == CENTRES:
        read_cell(entry, cells, "country", country_code)
        read_cell(entry, cells, "city", one_line)
        read_cell(entry, cells, "headcount", parse_count)
        read_cell(entry, cells, "time_zone", str.strip)
        required = ("country", "city")
    elif kind == CERTIFICATIONS:
        read_cell(entry, cells, "certification_type", refs.certification_types.find)
        read_cell(entry, cells, "certificate_id", one_line)
        read_cell(entry, cells, "issuer", one_line)
        read_cell(entry, cells, "issued_on", parse_date)
        read_cell(entry, cells, "expires_on", parse_date)
        read_cell(entry, cells, "scope_note", str.strip)
        required = ("certification_type",)
    elif kind == EXPERIENCE:
        read_cell(entry, cells, "industry", refs.industries.find)
        read_cell(entry, cells, "years", parse_count)
        read_cell(entry, cells, "reference_clients", parse_count)
        read_cell(entry, cells, "notes", str.strip)
        required = ("industry",)
    else:
        read_cell(entry, cells, "name", one_line)
        read_cell(entry, cells, "email", str.strip)
        read_cell(entry, cells, "role", one_line)
        read_cell(entry, cells, "phone", one_line)
        required = ("name",)
    for key in required:
        if not cells.get(key) and not entry.has_problem(key):
            entry.cell_problem(key, f"no {entry.layout.label(key)}")
    return entry
