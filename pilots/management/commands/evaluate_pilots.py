from django.core.management.base import BaseCommand

from pilots.evaluation import evaluate_pilots


class Command(BaseCommand):
    help = "Evaluate every running pilot now and print the flags opened, kept and resolved."

    def handle(self, *args, **options):
        result = evaluate_pilots()
        self.stdout.write(
            f"Evaluated {result.pilots} pilots: {result.opened} flags opened, {result.kept} kept, "
            f"{result.resolved} resolved."
        )
