"""The vendor list in volume: every row of an import planned as *new*, *correction* (old → new),
*unchanged* or *error* (with its sheet, row and column), then applied in one transaction or not at all.

The rows (read by `vendors.sheets`) are held to the rules the provider form holds a person to: the
model's `full_clean()`, the constraints checked in Python, and statuses as
`vendors.lifecycle` allows (a new provider may start in a status people could give it; a stored
provider's status changes through its actions, never by a cell). A blank cell keeps what is stored;
nothing is deleted. The plan runs set-based: a fixed number of queries for the reference data, the
stored providers the file names, their service lines, languages and pricing models, and their
centres, certificates, experience and contacts, however many rows come in; writes are bulk, with
their history rows.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from config import imports
from config.imports import CORRECTION, ERROR, NEW, UNCHANGED, PlanChanged
from config.lifecycle import REASON_LENGTH

from .choices import ProviderStatus
from .lifecycle import LIFECYCLE, STARTING
from .models import Contact, DeliveryCenter, IndustryExperience, Provider, ProviderCertification
from .sheets import (
    CENTRES,
    CERTIFICATIONS,
    CONTACTS,
    EXPERIENCE,
    M2M_FIELDS,
    PROVIDER,
    PROVIDERS,
    Change,
    Entry,
    References,
    Table,
    key_of,
    read_child,
    read_provider,
    shown,
    starting_statuses,
)

BATCH_SIZE = 1000
# Values per `IN (...)`: far below SQLite's 32,766 bound parameters, above any sheet people send.
CHUNK = 5000
CHILD_MODELS = {
    CENTRES: DeliveryCenter,
    CERTIFICATIONS: ProviderCertification,
    EXPERIENCE: IndustryExperience,
    CONTACTS: Contact,
}
# Fields a row never sets, or that are checked here without a query per row (a foreign key's
# full_clean looks its row up; a country's walks the list of every country).
NOT_CLEANED = {
    PROVIDERS: ["headquarters_country", "owner"],
    CENTRES: ["provider", "country"],
    CERTIFICATIONS: ["provider", "certification_type", "verified_by", "evidence"],
    EXPERIENCE: ["provider", "industry"],
    CONTACTS: ["provider"],
}
FOREIGN_KEYS = {"certification_type_id": "certification_type", "industry_id": "industry"}  # field → column
MAX_YEARS = 100  # the experience_years_plausible constraint


@dataclass
class Plan(imports.Plan):
    entries: list[Entry]

    def of(self, kind: str, *outcomes: str) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind and (not outcomes or e.outcome in outcomes)]

    @property
    def fingerprint(self) -> str:
        """Names exactly what confirming would write, and from which stored rows: if the stored data
        changes between the preview and the confirmation, the confirmation is refused."""
        digest = hashlib.sha256()
        for e in self.entries:
            changes = [(c.field, repr(c.old), repr(c.new)) for c in e.changes]
            stored = e.stored.pk if e.stored is not None else "-"
            owner = e.owner.pk if e.owner is not None else "-"
            digest.update(f"{e.kind}|{e.sheet}|{e.row}|{e.outcome}|{e.key}|{stored}|{owner}|{changes}\n".encode())
        return digest.hexdigest()[:32]


# --- Stored rows, a query per table -----------------------------------------------------------


def chunks(values) -> list[list]:
    values = sorted(values)
    return [values[i : i + CHUNK] for i in range(0, len(values), CHUNK)] if values else []


def stored_providers(names: set[str], *, lock: bool) -> dict[str, list[Provider]]:
    """Stored providers by `key_of(name)`. The database lower-cases the names for the lookup; the
    match itself is the Python one, so a name differs from a file's only as `one_line` and case do."""
    wanted = {key_of(name) for name in names}
    lowered = {variant for name in names for variant in (name.lower(), key_of(name))}
    found: dict[str, list[Provider]] = defaultdict(list)
    for chunk in chunks(lowered):
        providers = Provider.objects.annotate(lowered=Lower("name")).filter(lowered__in=chunk).order_by("pk")
        if lock:
            providers = providers.select_for_update()
        for provider in providers:
            key = key_of(provider.name)
            if key in wanted and provider not in found[key]:
                found[key].append(provider)
    return found


def stored_links(provider_ids: set[int]) -> dict[tuple[str, int], dict[int, int]]:
    """(m2m field, provider) → {linked pk: link row pk}."""
    found: dict[tuple[str, int], dict[int, int]] = defaultdict(dict)
    for name in M2M_FIELDS:
        relation = Provider._meta.get_field(name)
        through = relation.remote_field.through
        source, target = f"{relation.m2m_field_name()}_id", f"{relation.m2m_reverse_field_name()}_id"
        for chunk in chunks(provider_ids):
            for pk, provider_id, linked in through.objects.filter(**{f"{source}__in": chunk}).values_list(
                "pk", source, target
            ):
                found[(name, provider_id)][linked] = pk
    return found


def stored_children(kind: str, provider_ids: set[int]) -> list[models.Model]:
    model = CHILD_MODELS[kind]
    found = []
    for chunk in chunks(provider_ids):
        found += model.objects.filter(provider_id__in=chunk).order_by("pk")
    return found


# --- Planning ---------------------------------------------------------------------------------


def comparable(value):
    if hasattr(value, "code"):  # a Country
        return value.code
    if isinstance(value, str):
        return value.replace("\r\n", "\n").strip()
    return value


def set_values(entry: Entry, instance, values: dict, refs: References, *, new: bool) -> None:
    """Give `instance` the row's values, noting each that differs from what is stored."""
    for name, value in values.items():
        old = None if new else getattr(instance, name)
        if not new and comparable(old) == comparable(value):
            continue
        label = entry.layout.label(FOREIGN_KEYS.get(name, name))
        entry.changes.append(Change(name, label, old, value, shown(name, old, refs), shown(name, value, refs)))
        setattr(instance, name, value)


def clean(entry: Entry, instance) -> None:
    """The model's own rules (as the form applies them), named by the sheet's columns."""
    try:
        instance.full_clean(exclude=NOT_CLEANED[entry.kind], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            column = "" if name == NON_FIELD_ERRORS else label_of(entry, name)
            for message in messages:
                required = message in {"This field cannot be blank.", "This field cannot be null."}
                entry.problem(column, f"no {column}" if required and column else message)


def label_of(entry: Entry, name: str) -> str:
    if any(column.key == name for column in entry.layout.columns):
        return entry.layout.label(name)
    return str(CHILD_MODELS.get(entry.kind, Provider)._meta.get_field(name).verbose_name)


def plan_provider(entry: Entry, matches: list[Provider], links, refs: References) -> None:
    if len(matches) > 1:
        names = ", ".join(f"'{p.name}'" for p in matches)
        entry.cell_problem("name", f"matches several stored providers ({names}): rename them apart first")
        return
    values = dict(entry.values)
    entry.stored = matches[0] if matches else None
    if entry.stored is None:
        entry.instance = Provider()
        status = values.get("status", ProviderStatus.PROSPECT)
        if status not in STARTING:
            entry.cell_problem(
                "status",
                f"a new provider starts as {starting_statuses()}; {LIFECYCLE.label(status)} follows from its pilots",
            )
        if "headquarters_country" not in values and not entry.has_problem("headquarters_country"):
            entry.cell_problem("headquarters_country", "no headquarters country")
    else:
        entry.instance = entry.stored
        entry.subject = entry.stored.name
        values.pop("name")  # what the row is matched on, never a correction: "ACME" finds "Acme"
        for name in ("status", "blocked_reason"):
            given = values.pop(name, None)
            if given is not None and comparable(given) != comparable(getattr(entry.stored, name)):
                actions = ", ".join(t.label for t in LIFECYCLE.available(entry.stored.status))
                entry.cell_problem(
                    name,
                    f"'{shown(name, given, refs)}' here, {shown(name, getattr(entry.stored, name), refs)} "
                    f"stored: a stored provider's status changes through its actions on its page ({actions})",
                )
    set_values(entry, entry.instance, values, refs, new=entry.stored is None)
    for name, pks in entry.sets.items():
        stored = links.get((name, entry.stored.pk), {}) if entry.stored else {}
        entry.links[name] = stored
        if entry.stored is None or frozenset(stored) != pks:
            label = entry.layout.label(name)
            old = frozenset(stored) if entry.stored else None
            entry.changes.append(Change(name, label, old, pks, shown(name, old, refs), shown(name, pks, refs)))
    if entry.changes and not entry.problems:
        clean(entry, entry.instance)


def child_subject(entry: Entry, refs: References) -> str:
    """ "Acme — Pune, India": the provider, then what the row gives (or, where a cell is blank, stores)."""
    provider = entry.owner.name if entry.owner is not None else entry.provider_name

    def value(name):
        if name in entry.values:
            return entry.values[name]
        return getattr(entry.stored, name, "") if entry.stored is not None else ""

    if entry.kind == CENTRES:
        what = f"{value('city')}, {shown('country', value('country'), refs)}"
    elif entry.kind == CERTIFICATIONS:
        what = f"{value('certification_type') or ''} {value('certificate_id')}".strip()
    elif entry.kind == EXPERIENCE:
        what = str(value("industry") or "")
    else:
        email = value("email")
        what = f"{value('name')}{f' <{email}>' if email else ''}"
    return f"{provider} — {what}"


class ChildIndex:
    """The stored children of one kind, by what a row matches them on."""

    def __init__(self, kind: str, rows):
        self.kind = kind
        self.by_key, self.by_name = {}, defaultdict(list)
        for row in rows:
            if kind == CENTRES:
                self.by_key[(row.provider_id, row.country.code, key_of(row.city))] = row
            elif kind == CERTIFICATIONS:
                self.by_key[(row.provider_id, row.certification_type_id, key_of(row.certificate_id))] = row
                self.by_name[(row.provider_id, row.certification_type_id)].append(row)
            elif kind == EXPERIENCE:
                self.by_key[(row.provider_id, row.industry_id)] = row
            else:
                if row.email:
                    self.by_key[(row.provider_id, key_of(row.email))] = row
                self.by_name[(row.provider_id, key_of(row.name))].append(row)

    def match(self, entry: Entry) -> tuple[models.Model | None, object]:
        """The stored row the entry is about (or None), and the key two rows of a file may not share."""
        v, pid = entry.values, entry.owner.pk
        if self.kind == CENTRES:
            natural = (v["country"], key_of(v["city"]))
            return self.by_key.get((pid, *natural)), natural
        if self.kind == CERTIFICATIONS:
            type_pk = v["certification_type"].pk
            if v.get("certificate_id"):
                natural = (type_pk, key_of(v["certificate_id"]))
                return self.by_key.get((pid, *natural)), natural
            same_type = self.by_name.get((pid, type_pk), [])
            if len(same_type) == 1:
                return same_type[0], (type_pk, key_of(same_type[0].certificate_id))
            if same_type:
                entry.cell_problem("certificate_id", "several certificates of this type are stored: give the ID")
            return None, (type_pk, "")
        if self.kind == EXPERIENCE:
            natural = v["industry"].pk
            return self.by_key.get((pid, natural)), natural
        email = key_of(v.get("email", ""))
        if email and (pid, email) in self.by_key:
            return self.by_key[(pid, email)], email
        named = [c for c in self.by_name.get((pid, key_of(v["name"])), []) if not email or not c.email]
        if len(named) == 1:
            return named[0], key_of(named[0].email) or ("name", key_of(named[0].name))
        if named:
            entry.cell_problem("email", f"{len(named)} stored contacts are called {v['name']}: give the email")
        return None, email or ("name", key_of(v["name"]))


def match_fields(entry: Entry) -> tuple[str, ...]:
    if entry.kind == CENTRES:
        return ("country", "city")
    if entry.kind == CERTIFICATIONS:
        return ("certification_type", "certificate_id")
    if entry.kind == EXPERIENCE:
        return ("industry",)
    matched_by_email = entry.values.get("email") and key_of(entry.values["email"]) == key_of(entry.stored.email)
    return ("email",) if matched_by_email else ("name",)


def plan_child(entry: Entry, index: ChildIndex, seen: dict, refs: References) -> None:
    if entry.owner is not None and not entry.problems:
        entry.stored, entry.key = index.match(entry)
        duplicate = (id(entry.owner), entry.key)
        if duplicate in seen:
            entry.problem("", f"row {seen[duplicate]} already gives this {entry.layout.title.lower().rstrip('s')}")
        else:
            seen[duplicate] = entry.row
    entry.subject = child_subject(entry, refs)
    if entry.problems:
        return
    values = dict(entry.values)
    if entry.stored is not None:  # what the row is matched on, never a correction
        for name in match_fields(entry):
            values.pop(name, None)
    for name in ("certification_type", "industry"):
        if name in values:
            values[f"{name}_id"] = values.pop(name).pk
    entry.instance = entry.stored if entry.stored is not None else CHILD_MODELS[entry.kind](provider=entry.owner)
    set_values(entry, entry.instance, values, refs, new=entry.stored is None)
    if not entry.changes:
        return
    clean(entry, entry.instance)
    instance = entry.instance
    if entry.kind == CERTIFICATIONS and instance.issued_on and instance.expires_on:
        if instance.expires_on <= instance.issued_on:
            entry.cell_problem("expires_on", "a certificate must expire after it was issued")
    if entry.kind == EXPERIENCE and instance.years is not None and instance.years > MAX_YEARS:
        entry.cell_problem("years", f"more than {MAX_YEARS} years")


def plan_import(tables: dict[str, Table], *, lock: bool = False) -> Plan:
    """Each row's outcome, with a fixed number of queries. With `lock` (confirming), the stored
    providers the file names are locked first, so what is checked is what is written."""
    refs = References(tables)
    providers = (
        [read_provider(tables[PROVIDERS], row, refs) for row in tables[PROVIDERS].sheet.rows]
        if (PROVIDERS in tables)
        else []
    )
    children = [
        read_child(table, row, refs) for kind, table in tables.items() if kind != PROVIDERS for row in table.sheet.rows
    ]
    names = {e.values["name"] for e in providers if "name" in e.values} | {
        e.provider_name for e in children if e.provider_name
    }
    stored = stored_providers(names, lock=lock)
    in_file: dict[str, Entry] = {}
    for entry in providers:
        if entry.key is None:
            continue
        if entry.key in in_file:
            entry.cell_problem("name", f"row {in_file[entry.key].row} already gives this provider")
        else:
            in_file[entry.key] = entry
    ids = {p.pk for entry in providers if entry.key in in_file for p in stored.get(entry.key, [])}
    links = stored_links(ids) if ids else {}
    for entry in providers:
        if not entry.has_problem("name"):
            plan_provider(entry, stored.get(entry.key, []), links, refs)
    for entry in children:
        if entry.provider_name:
            resolve_owner(entry, in_file, stored)
    owner_ids = {e.owner.pk for e in children if e.owner is not None and e.owner.pk}
    for kind in tables:
        if kind == PROVIDERS:
            continue
        index = ChildIndex(kind, stored_children(kind, owner_ids) if owner_ids else [])
        seen: dict = {}
        for entry in children:
            if entry.kind == kind:
                plan_child(entry, index, seen, refs)
    entries = providers + children
    for entry in entries:
        if entry.problems:
            entry.outcome = ERROR
        elif entry.stored is None:
            entry.outcome = NEW
        else:
            entry.outcome = CORRECTION if entry.changes else UNCHANGED
    return Plan(entries)


def resolve_owner(entry: Entry, in_file: dict[str, Entry], stored: dict[str, list[Provider]]) -> None:
    key = key_of(entry.provider_name)
    parent = in_file.get(key)
    if parent is not None:
        if parent.instance is None:
            entry.cell_problem(PROVIDER, f"row {parent.row} of '{parent.sheet}' has errors")
        entry.owner = parent.instance
        return
    matches = stored.get(key, [])
    if len(matches) == 1:
        entry.owner = matches[0]
    elif matches:
        entry.cell_problem(PROVIDER, f"'{entry.provider_name}' matches several stored providers")
    else:
        entry.cell_problem(PROVIDER, f"'{entry.provider_name}' is neither in the Providers sheet nor a stored provider")


# --- Applying ---------------------------------------------------------------------------------


@transaction.atomic
def providers_apply(*, build_tables, by, reason: str, expected: str | None = None) -> Plan:
    """Plan and write the file, all or nothing. `build_tables()` reads the file again inside the
    transaction; with `expected` (the preview's fingerprint) a plan that differs is refused."""
    plan = plan_import(build_tables(), lock=True)
    if expected is not None and plan.fingerprint != expected:
        raise PlanChanged(plan)
    if plan.errors:
        raise plan.refusal(lambda e: f"Row {e.row} of '{e.sheet}'")
    try:
        with transaction.atomic():
            write(plan, by=by, reason=reason)
    except IntegrityError:
        # Another request saved a row this file also creates, between the plan and the write.
        raise ValidationError("Another change was saved at the same moment; upload the file again.") from None
    return plan


def with_reason(entries: list[Entry], verb: str, reason: str) -> list:
    objects = []
    for entry in entries:
        fields = f": {', '.join(c.label for c in entry.changes)}" if entry.outcome == CORRECTION else ""
        entry.instance._change_reason = f"{verb} ({reason}){fields}"[:REASON_LENGTH]
        objects.append(entry.instance)
    return objects


def create(model, objects: list, *, by) -> None:
    if not objects:
        return
    if hasattr(model._meta, "simple_history_manager_attribute"):
        bulk_create_with_history(objects, model, batch_size=BATCH_SIZE, default_user=by)
    else:
        model.objects.bulk_create(objects, batch_size=BATCH_SIZE)


def update(model, objects: list, fields: set[str], *, by) -> None:
    if not objects:
        return
    if hasattr(model._meta, "simple_history_manager_attribute"):
        bulk_update_with_history(objects, model, sorted(fields), batch_size=BATCH_SIZE, default_user=by)
    elif fields:
        model.objects.bulk_update(objects, sorted(fields), batch_size=BATCH_SIZE)


def write(plan: Plan, *, by, reason: str) -> None:
    now = timezone.now()
    create(Provider, with_reason(plan.of(PROVIDERS, NEW), "Created", reason), by=by)
    corrected = plan.of(PROVIDERS, CORRECTION)
    for entry in corrected:
        entry.instance.updated_at = now  # a changed set alone is a change of the provider, in its history
    update(
        Provider,
        with_reason(corrected, "Corrected", reason),
        {"updated_at", *(name for e in corrected for name in e.changed_fields)},
        by=by,
    )
    write_links(plan.of(PROVIDERS, NEW, CORRECTION))
    for kind, model in CHILD_MODELS.items():
        new = plan.of(kind, NEW)
        for entry in new:
            entry.instance.provider = entry.owner  # a provider new in this file has its key now
        create(model, with_reason(new, "Created", reason), by=by)
        corrected = plan.of(kind, CORRECTION)
        update(
            model, with_reason(corrected, "Corrected", reason), {n for e in corrected for n in e.changed_fields}, by=by
        )


def write_links(entries: list[Entry]) -> None:
    """Service lines, languages and pricing models through their link tables, in bulk."""
    for name in M2M_FIELDS:
        relation = Provider._meta.get_field(name)
        through = relation.remote_field.through
        source, target = f"{relation.m2m_field_name()}_id", f"{relation.m2m_reverse_field_name()}_id"
        removed, added = [], []
        for entry in entries:
            if name not in entry.sets:
                continue
            stored, wanted = entry.links.get(name, {}), entry.sets[name]
            removed += [link for pk, link in stored.items() if pk not in wanted]
            added += [through(**{source: entry.instance.pk, target: pk}) for pk in wanted if pk not in stored]
        for chunk in chunks(removed):
            through.objects.filter(pk__in=chunk).delete()
        through.objects.bulk_create(added, batch_size=BATCH_SIZE)
