from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from pilots.digest import preview_digest, recipients, render_digest, send_weekly_digests


class Command(BaseCommand):
    help = "Send this week's digests now (each person at most once a week), or show them with --dry-run."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="Only this username.")
        parser.add_argument("--dry-run", action="store_true", help="Print the digests; send and record nothing.")

    def handle(self, *args, user: str | None, dry_run: bool, **options):
        user_ids = None
        if user:
            account = get_user_model().objects.filter(username=user).first()
            if account is None:
                raise CommandError(f"No user called '{user}'.")
            user_ids = [account.pk]
        if dry_run:
            for person in recipients(user_ids):
                message = render_digest(preview_digest(person))
                self.stdout.write(f"To: {person.email}\nSubject: {message.subject}\n\n{message.body}\n{'-' * 72}")
            return
        run = send_weekly_digests(user_ids=user_ids)
        self.stdout.write(
            f"Digests: {run.sent} sent, {run.skipped} skipped (all clear), {run.already_done} already sent this week, "
            f"{len(run.failed_user_ids)} failed."
        )
