import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scope.models import WorkItem
from scope.selectors import rank_providers


class Command(BaseCommand):
    help = "Time the fit ranking of every provider for a work item: median and p95 over several runs, queries."

    def add_arguments(self, parser):
        parser.add_argument("--work-item", type=int, help="Work item id (default: a few demo items).")
        parser.add_argument("--runs", type=int, default=10)

    def handle(self, *args, work_item: int | None, runs: int, **options):
        items = (
            WorkItem.objects.filter(pk=work_item)
            if work_item
            else WorkItem.objects.exclude(title__startswith="Scale")
            .filter(status__in=["ready", "sourcing", "piloting"])
            .order_by("pk")[:4]
        )
        if not items:
            raise CommandError("No work item to rank for: run seed_demo first.")
        for item in items:
            timings = []
            rank_providers(work_item=item)  # warm-up
            for _ in range(runs):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    ranking = rank_providers(work_item=item)
                    timings.append(time.perf_counter() - started)
            timings.sort()
            p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
            total = len(ranking.eligible) + len(ranking.ineligible)
            self.stdout.write(
                f"{item.title[:50]:50} {total} providers, {len(ranking.eligible)} eligible: median "
                f"{statistics.median(timings) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, {len(queries)} queries"
            )
