import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scope.lifecycle import SOURCEABLE
from scope.models import WorkItem
from scope.selectors import rank_providers
from scope.views import INELIGIBLE_SHOWN, SHOWN


class Command(BaseCommand):
    help = (
        "Time the fit ranking of every provider for a work item as the sourcing page uses it: rank, then "
        "explain the top of the ranking and give the reasons of the first ineligible. Median and p95 over "
        "several runs, and the queries; --all also times explaining every eligible provider."
    )

    def add_arguments(self, parser):
        parser.add_argument("--work-item", type=int, help="Work item id (default: a few demo items).")
        parser.add_argument("--runs", type=int, default=10)
        parser.add_argument("--all", action="store_true", help="Also explain every eligible provider.")

    def handle(self, *args, work_item: int | None, runs: int, all: bool, **options):
        items = (
            WorkItem.objects.filter(pk=work_item)
            if work_item
            else WorkItem.objects.exclude(title__startswith="Scale")
            .filter(status__in=SOURCEABLE)
            .select_related("industry")
            .order_by("pk")[:4]
        )
        if not items:
            raise CommandError("No work item to rank for: run seed_demo first.")
        for item in items:
            self._time(item, runs, lambda ranking: (ranking.eligible[:SHOWN], ranking.ineligible[:INELIGIBLE_SHOWN]))
            if all:
                self._time(item, max(1, runs // 4), lambda ranking: list(ranking.eligible), label="every eligible")

    def _time(self, item, runs, read, label="page"):
        def once():
            ranking = rank_providers(work_item=item)
            eligible, ineligible = read(ranking) if label == "page" else (read(ranking), [])
            words = [s.explanation for fit in eligible for s in fit.scores]
            words += [reason for fit in ineligible for reason in fit.gate_problems]
            return ranking, words

        once()  # warm-up
        timings = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                ranking, _words = once()
                timings.append(time.perf_counter() - started)
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
        total = len(ranking.eligible) + len(ranking.ineligible)
        self.stdout.write(
            f"{item.title[:50]:50} {label:14} {total} providers, {len(ranking.eligible)} eligible: median "
            f"{statistics.median(timings) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, {len(queries)} queries"
        )
