import django_tables2 as tables
from django.utils.safestring import mark_safe

from config.formatting import badge, moment, number, person_name

from .models import Flag, Pilot


class PilotTable(tables.Table):
    name = tables.Column(linkify=True)
    provider = tables.Column(linkify=True, order_by=("provider__name",))
    status = tables.Column()
    work_items = tables.Column(empty_values=(), orderable=False, verbose_name="Work items")
    worst_flag = tables.Column(empty_values=(), order_by=("-open_critical", "-open_warning"), verbose_name="Flags")
    volume_share = tables.Column(verbose_name="Share", attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    starts_on = tables.DateColumn()  # DATE_FORMAT (config/formats)
    ends_on = tables.DateColumn(verbose_name="Decision date")

    class Meta:
        model = Pilot
        fields = ["name", "provider", "status", "stage", "starts_on", "ends_on", "volume_share", "owner"]
        sequence = [
            "name",
            "provider",
            "work_items",
            "status",
            "worst_flag",
            "stage",
            "starts_on",
            "ends_on",
            "volume_share",
            "owner",
        ]
        attrs = {"class": "data"}
        order_by = ["ends_on"]

    def render_status(self, value, record):
        return badge(record.status, value)

    def render_work_items(self, record):
        return "; ".join(item.title for item in record.work_items.all())

    def render_worst_flag(self, record):
        if record.open_critical:
            return badge("critical", f"{record.open_critical} critical")
        if record.open_warning:
            return badge("warning", f"{record.open_warning} warning")
        return "—"

    def value_worst_flag(self, record):
        return f"{record.open_critical} critical, {record.open_warning} warning"

    def render_volume_share(self, value):
        return f"{number(value)}%"

    def render_owner(self, value):
        return person_name(value)


class FlagTable(tables.Table):
    select = tables.TemplateColumn(
        template_name="pilots/includes/flag_select.html",
        orderable=False,
        # Ticks every box on the page (static/js/app.js); it has no name, so it submits nothing.
        verbose_name=mark_safe(
            '<input type="checkbox" data-select-all="flag" aria-label="Select every open flag on this page">'
        ),
        exclude_from_export=True,
        attrs={"th": {"class": "select-column"}, "td": {"class": "select-column"}},
    )
    kind = tables.Column()
    severity = tables.Column()
    pilot = tables.Column(linkify=True, order_by=("pilot__name",))
    provider = tables.Column(accessor="pilot__provider__name", verbose_name="Provider")
    metric = tables.Column(accessor="metric__name", verbose_name="Metric")
    message = tables.Column(orderable=False)
    state = tables.TemplateColumn(
        template_name="pilots/includes/flag_state.html", orderable=False, verbose_name="State", exclude_from_export=True
    )

    class Meta:
        model = Flag
        fields = ["kind", "severity", "pilot", "provider", "metric", "message", "opened_at", "resolved_at"]
        sequence = ["select", "severity", "kind", "pilot", "provider", "metric", "message", "opened_at", "state"]
        exclude = ["resolved_at"]
        attrs = {"class": "data", "id": "flags"}
        order_by = ["-opened_at"]
        row_attrs = {"id": lambda record: f"flag-{record.pk}"}

    def render_severity(self, value, record):
        return badge(record.severity, value)

    def render_opened_at(self, value):
        return moment(value)
