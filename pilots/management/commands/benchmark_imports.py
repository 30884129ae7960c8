"""Evidence in at volume, timed: a measurement import's preview and confirm, the API's bulk upsert
and the API's list pages. Everything it writes is rolled back at the end.

    manage.py benchmark_imports --rows 50000 --bulk 5000 --repeat 20
"""

import datetime
import statistics
import time
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import Client
from django.utils import timezone

from config.tokens import token_create
from config.warmup import prepare_process
from pilots.imports import MeasurementImportFlow
from pilots.models import MeasurementImport, Pilot, PilotMetric
from pilots.periods import period_label, period_start
from scope.choices import Cadence, Direction

LISTS = ["/api/providers/", "/api/work-items/", "/api/pilots/", "/api/measurements/", "/api/flags/"]


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time a measurement import, the API bulk upsert and the API list pages (nothing is kept)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=50_000, help="values in the imported file")
        parser.add_argument("--bulk", type=int, default=5_000, help="rows in one bulk upsert")
        parser.add_argument("--repeat", type=int, default=20, help="requests per list page and depth")
        parser.add_argument(
            "--only", choices=["imports", "bulk", "lists"], action="append", help="run only these parts (repeatable)"
        )

    def handle(self, *args, rows, bulk, repeat, only, **options):
        parts = set(only or ["imports", "bulk", "lists"])
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        user = get_user_model().objects.filter(is_superuser=True).first()
        try:
            with transaction.atomic():
                if "imports" in parts:
                    self.imports(user, rows)
                if "bulk" in parts:
                    self.bulk(user, bulk)
                if "lists" in parts:
                    self.lists(user, repeat)
                raise Rollback
        except Rollback:
            pass

    def bench_pilot(self, metrics: int, weeks: int) -> Pilot:
        template = Pilot.objects.filter(status="running").first()
        today = timezone.localdate()
        pilot = Pilot.objects.create(
            name=f"Benchmark {time.time()}",
            provider=template.provider,
            starts_on=period_start(today, Cadence.WEEKLY) - datetime.timedelta(weeks=weeks),
            ends_on=today + datetime.timedelta(days=30),
            volume_share=Decimal(10),
            status="running",
        )
        PilotMetric.objects.bulk_create(
            PilotMetric(pilot=pilot, name=f"Metric {i:03d}", unit="%", direction=Direction.HIGHER_IS_BETTER, target=90)
            for i in range(metrics)
        )
        return pilot

    def imports(self, user, rows: int) -> None:
        weeks = 250
        pilot = self.bench_pilot(max(1, rows // weeks), weeks)
        first = pilot.starts_on
        lines = ["Metric,Period,Value,Sample size"]
        for metric in pilot.metrics.order_by("name"):
            for week in range(weeks):
                day = first + datetime.timedelta(weeks=week)
                lines.append(f"{metric.name},{period_label(day, Cadence.WEEKLY)},{90 + week % 10}.5,{100 + week}")
        content = "\n".join(lines[: rows + 1]).encode()
        flow = MeasurementImportFlow()
        record = MeasurementImport(pilot=pilot, file_name="benchmark.csv", uploaded_by=user)
        record.file.save("benchmark.csv", ContentFile(content), save=False)
        record.save()
        try:
            started = time.perf_counter()
            plan = flow.plan(record, record.read())
            preview = time.perf_counter() - started
            started = time.perf_counter()
            applied = flow.apply(record, by=user, expected=plan.fingerprint)
            confirm = time.perf_counter() - started
        finally:
            record.file.delete(save=False)
        self.stdout.write(
            f"import of {len(lines) - 1:,} values ({len(content) / 1e6:.1f} MB CSV): preview {preview:.1f} s, "
            f"confirm {confirm:.1f} s, together {preview + confirm:.1f} s; {applied.counts}"
        )

    def bulk(self, user, count: int) -> None:
        weeks = 100
        pilot = self.bench_pilot(max(1, count // weeks), weeks)
        _, secret = token_create(user=user, name="benchmark")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
        body = [
            {"metric": metric.pk, "period": (pilot.starts_on + datetime.timedelta(weeks=w)).isoformat(), "value": 95}
            for metric in pilot.metrics.all()
            for w in range(weeks)
        ][:count]
        for label in ("new", "again (unchanged)"):
            started = time.perf_counter()
            response = client.post("/api/measurements/bulk/", {"rows": body}, content_type="application/json")
            elapsed = time.perf_counter() - started
            self.stdout.write(
                f"bulk upsert of {len(body):,} rows, {label}: {elapsed:.2f} s, {response.status_code} "
                f"{response.json().get('counts')}"
            )

    def lists(self, user, repeat: int) -> None:
        prepare_process()  # as the web server's process is before its first request (config.wsgi)
        _, secret = token_create(user=user, name="benchmark lists")
        client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
        for url in LISTS:
            timings, page_url, pages = [], f"{url}?page_size=50", 0
            while page_url and pages < repeat:  # walking the cursor: each page as deep as the last
                started = time.perf_counter()
                response = client.get(page_url)
                timings.append((time.perf_counter() - started) * 1000)
                page_url = response.json().get("next")
                pages += 1
            p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0]
            self.stdout.write(
                f"{url}: {len(timings)} pages, median {statistics.median(timings):.0f} ms, p95 {p95:.0f} ms"
            )
