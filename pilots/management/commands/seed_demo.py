import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pilots.demo import DEMO_USERS, seed_demo, seed_scale
from vendors.models import Provider


class Command(BaseCommand):
    help = "Load a realistic demo portfolio and demo users (idempotent); --scale N adds benchmark volumes."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=0, help="Add N × (20,000 providers, 5,000 pilots, ...).")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when providers already exist.")

    def handle(self, *args, scale: int, if_empty: bool, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "Demo data is refused under these settings: its logins and passwords are published in the README."
            )
        if if_empty and Provider.objects.exists():
            self.stdout.write("The database already has data; demo data not loaded.")
        else:
            counts = seed_demo()
            created = ", ".join(f"{n} {what}" for what, n in counts.items())
            self.stdout.write(self.style.SUCCESS(f"Demo data: created {created}."))
        if scale:
            started = time.monotonic()
            self.stdout.write(f"Building benchmark data at scale {scale}…")
            seed_scale(scale, stdout=self.stdout)
            self.stdout.write(self.style.SUCCESS(f"Benchmark data built in {time.monotonic() - started:.1f} s."))
        self.stdout.write("Demo logins (username / password):")
        for username, password, full_name, group, _ in DEMO_USERS:
            self.stdout.write(f"  {username} / {password}  ({full_name}, {group or 'administrator'})")
