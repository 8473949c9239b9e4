"""Store the occurrences of every series whose stored range is missing or going stale.

The worker does this by itself (a busy read that finds a stale series asks it to); run
this once after an upgrade to fill the store at once rather than on first use.
"""

from django.core.management.base import BaseCommand

from events import occurrence_store


class Command(BaseCommand):
    help = "Store the occurrences of series whose stored range is missing or stale."

    def handle(self, *args, **options) -> None:
        total = 0
        while done := occurrence_store.extend_stale():
            total += done
        self.stdout.write(f"{total} series refreshed")
