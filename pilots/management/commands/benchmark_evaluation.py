import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from pilots.evaluation import evaluate_pilots


class StatementTimer:
    """Times every SQL statement run inside it (an execute wrapper, so nothing else changes)."""

    def __init__(self):
        self.timings: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.timings.append((time.perf_counter() - started, sql))


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Time a full evaluation of every running pilot: wall time, number of SQL statements and the "
        "slowest one. Runs twice — a first run that opens flags, then a steady-state run — and rolls "
        "both back unless --keep is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--keep", action="store_true", help="Commit the flags instead of rolling back.")

    def handle(self, *args, keep: bool, **options):
        try:
            with transaction.atomic():
                for label in ("first run", "second run"):
                    self._run(label)
                if not keep:
                    raise Rollback
        except Rollback:
            self.stdout.write("Rolled back: the database is as it was.")

    def _run(self, label: str) -> None:
        timer = StatementTimer()
        started = time.perf_counter()
        with connection.execute_wrapper(timer):
            result = evaluate_pilots(notify=False)
        elapsed = time.perf_counter() - started
        slowest, sql = max(timer.timings) if timer.timings else (0.0, "")
        self.stdout.write(
            f"{label}: {result.pilots} pilots in {elapsed:.2f} s, {len(timer.timings)} queries; "
            f"flags opened {result.opened}, kept {result.kept}, resolved {result.resolved}"
        )
        self.stdout.write(f"  slowest statement {slowest * 1000:.0f} ms: {' '.join(sql.split())[:160]}…")
