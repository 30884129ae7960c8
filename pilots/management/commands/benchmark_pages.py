import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vendors.models import CertificationType, Industry, ServiceLine


# Each list page with the filters and sort orders it offers.
def page_variants() -> dict[str, list[str]]:
    iso = CertificationType.objects.order_by("pk").values_list("pk", flat=True).first()
    industry = Industry.objects.order_by("pk").values_list("pk", flat=True).first()
    line = ServiceLine.objects.order_by("pk").values_list("pk", flat=True).first()
    return {
        "vendors:provider-list": [
            "",
            "?sort=name",
            "?sort=-name",
            "?sort=status",
            "?sort=headquarters_country",
            "?sort=-open_pilots",
            "?status=prospect&status=shortlisted",
            "?location_class=onshore",
            "?location_class=offshore&sort=-name",
            "?country=IN",
            "?kind=knowledge",
            f"?service_line={line}",
            f"?industry={industry}",
            f"?valid_certification={iso}",
            "?q=provider 0123",
            "?page=40",
            f"?location_class=nearshore&valid_certification={iso}&kind=process&sort=-open_pilots",
        ],
        "pilots:pilot-list": [
            "",
            "?sort=name",
            "?sort=-ends_on",
            "?sort=starts_on",
            "?sort=provider",
            "?sort=status",
            "?sort=stage",
            "?sort=-volume_share",
            "?sort=owner",
            "?sort=worst_flag",
            "?status=running",
            "?provider=provider 01",
            "?work_item=00042",
            "?has_open_flags=true",
            "?severity=critical&sort=-ends_on",
            "?decision_due_before=2026-12-31",
            "?q=pilot 0004",
            "?page=100",
        ],
        "pilots:flag-list": [
            "",
            "?state=resolved",
            "?state=",
            "?sort=opened_at",
            "?sort=pilot",
            "?sort=-severity",
            "?sort=kind",
            "?kind=target_missed",
            "?severity=critical",
            "?provider=provider 01",
            "?pilot=pilot 0001",
            "?state=open&kind=missing_data&sort=pilot",
            "?page=50",
        ],
    }


class Command(BaseCommand):
    help = "Time the provider, pilot and flag lists (server time) on every offered filter and sort: median and p95."

    def add_arguments(self, parser):
        parser.add_argument("--runs", type=int, default=5, help="Requests per variant after one warm-up.")
        parser.add_argument("--user", default="editor")

    def handle(self, *args, runs: int, user: str, **options):
        account = get_user_model().objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"No user '{user}': run seed_demo first.")
        client = Client(HTTP_HOST="localhost")
        client.force_login(account, backend="django.contrib.auth.backends.ModelBackend")
        for name, variants in page_variants().items():
            timings, slowest = [], (0.0, "")
            for variant in variants:
                url = reverse(name) + variant
                response = client.get(url)  # warm-up
                if response.status_code != 200:
                    raise CommandError(f"{url} answered {response.status_code}")
                for _ in range(runs):
                    with CaptureQueriesContext(connection) as queries:
                        started = time.perf_counter()
                        client.get(url)
                        elapsed = time.perf_counter() - started
                    timings.append(elapsed)
                    slowest = max(slowest, (elapsed, f"{variant or '(default)'} [{len(queries)} queries]"))
            timings.sort()
            p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
            self.stdout.write(
                f"{name:24} {len(variants):3} variants × {runs}: median {statistics.median(timings) * 1000:6.1f} ms, "
                f"p95 {p95 * 1000:6.1f} ms, slowest {slowest[0] * 1000:6.1f} ms {slowest[1]}"
            )
