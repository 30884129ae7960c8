import time

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from pilots.digest import send_weekly_digests


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Build and send this week's digests for N extra people (into memory, not a mail server) and report "
        "the time and the queries; everything is rolled back afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=1000)

    def handle(self, *args, users: int, **options):
        User = get_user_model()
        try:
            with transaction.atomic(), override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
                password = make_password(None)
                User.objects.bulk_create(
                    User(username=f"digest-bench-{i:05d}", email=f"digest-bench-{i:05d}@example.com", password=password)
                    for i in range(users)
                )
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    run = send_weekly_digests()
                    elapsed = time.perf_counter() - started
                recipients = run.sent + run.skipped + run.already_done + len(run.failed_user_ids)
                self.stdout.write(
                    f"{recipients} recipients: {run.sent} digests built and sent in {elapsed:.1f} s, "
                    f"{len(queries)} queries ({len(queries) / max(recipients, 1):.1f} per recipient)"
                )
                raise Rollback
        except Rollback:
            self.stdout.write("Rolled back: no delivery recorded, no benchmark user kept.")
