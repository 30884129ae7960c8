import django_tables2 as tables
from django.utils.html import format_html_join

from config.formatting import badge

from .choices import CertificationStatus, LocationClass, WorkKind
from .models import Provider


class ProviderTable(tables.Table):
    """Set-valued columns read prefetched rows (see the view's queryset), so a page costs a fixed
    number of queries."""

    name = tables.Column(linkify=True)
    status = tables.Column()
    # Read the country's name directly: the field's choices display would rebuild the list of
    # every country for every row (most of an export's time).
    headquarters_country = tables.Column(
        verbose_name="HQ", accessor="headquarters_country__name", order_by=("headquarters_country",)
    )
    delivery = tables.Column(empty_values=(), orderable=False, verbose_name="Delivery")
    kinds = tables.Column(empty_values=(), orderable=False, verbose_name="Service kinds")
    industries = tables.Column(empty_values=(), orderable=False)
    certifications = tables.Column(empty_values=(), orderable=False, verbose_name="Certification health")
    open_pilots = tables.Column(verbose_name="Open pilots", attrs={"td": {"class": "num"}, "th": {"class": "num"}})

    class Meta:
        model = Provider
        fields = ["name", "status", "headquarters_country"]
        sequence = [
            "name",
            "status",
            "headquarters_country",
            "delivery",
            "kinds",
            "industries",
            "certifications",
            "open_pilots",
        ]
        attrs = {"class": "data"}
        order_by = ["name"]

    def render_status(self, value, record):
        return badge(record.status, value)

    def render_delivery(self, record):
        return ", ".join(LocationClass(o).label for o in record.delivery_options) or "—"

    def value_delivery(self, record):
        return self.render_delivery(record)

    def render_kinds(self, record):
        kinds = {line.kind for line in record.service_lines.all()}
        return ", ".join(WorkKind(k).label.split(" ")[0] for k in WorkKind.values if k in kinds) or "—"

    def render_industries(self, record):
        return ", ".join(sorted(e.industry.name for e in record.industry_experience.all())) or "—"

    def render_certifications(self, record):
        counts = certification_counts(record)
        if not counts:
            return "—"
        return format_html_join(
            " ",
            '<span class="badge {}">{} {}</span>',
            ((s, n, CertificationStatus(s).label.lower()) for s, n in counts),
        )

    def value_certifications(self, record):
        return ", ".join(f"{n} {s}" for s, n in certification_counts(record))


def certification_counts(provider) -> list[tuple[str, int]]:
    """(status, count) pairs in the order valid, expiring, expired, unverified."""
    statuses = [cert.status for cert in provider.certifications.all()]
    return [(s, statuses.count(s)) for s in CertificationStatus.values if s in statuses]
