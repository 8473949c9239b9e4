"""``manage.py deliver_outbox``: send every due pending outbox row now.

The db_worker normally does this task by task; this command is the safety net after a
crash, a lost task or a restored backup, and can run from cron.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mail.delivery import deliver_due_messages


class Command(BaseCommand):
    help = "Deliver every pending outbox message that is due (safety net beside db_worker)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limit", type=int, default=None, help="Deliver at most this many messages."
        )

    def handle(self, *args: object, limit: int | None = None, **options: object) -> None:
        if limit is not None and limit < 1:
            raise CommandError("--limit: must be a positive number")
        counts = deliver_due_messages(limit=limit)
        self.stdout.write(
            "sent={sent} retry={retry} failed={failed} skipped={skipped} "
            "obsolete={obsolete}".format(**counts)
        )
