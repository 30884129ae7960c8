import django_tables2 as tables

from config.formatting import badge, figure, person_name

from .models import WorkItem
from .readiness import readiness_problems


class WorkItemTable(tables.Table):
    title = tables.Column(linkify=True)
    status = tables.Column()
    volume = tables.Column(empty_values=(), order_by=("monthly_volume",), verbose_name="Monthly volume")
    readiness = tables.Column(empty_values=(), orderable=False)

    class Meta:
        model = WorkItem
        fields = ["title", "kind", "status", "service_line", "industry", "data_sensitivity", "volume", "owner"]
        sequence = [
            "title",
            "kind",
            "status",
            "service_line",
            "industry",
            "data_sensitivity",
            "volume",
            "readiness",
            "owner",
        ]
        attrs = {"class": "data"}
        order_by = ["title"]

    def render_status(self, value, record):
        return badge(record.status, value)

    def render_kind(self, value, record):
        return value.split(" ")[-1].strip("()")

    def render_volume(self, record):
        if not record.monthly_volume:
            return "—"
        return figure(record.monthly_volume, record.volume_unit)

    def render_readiness(self, record):
        count = len(readiness_problems(record))
        if not count:
            return badge("ready", "Ready")
        return badge("missed", f"{count} problem{'s' if count > 1 else ''}")

    def value_readiness(self, record):
        return "; ".join(readiness_problems(record)) or "ready"

    def render_owner(self, value):
        return person_name(value)
