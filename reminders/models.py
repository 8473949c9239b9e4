"""The ledger of reminders sent: one row per occurrence, offset and recipient.

Why a ledger and not a queue of planned reminders: what is due is computed from the
events as they are now (a cancelled meeting has nothing due, a moved one is due at its
new time), so nothing has to be re-planned when a meeting changes. The unique row makes
"exactly once" hold across workers and restarts: it is written in the transaction that
queues the mail, and a second worker's insert of the same row fails.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SentReminder(models.Model):
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="+")
    #: The occurrence's start when the reminder went (a moved meeting is a new key).
    occurrence_start = models.DateTimeField()
    minutes_before = models.PositiveIntegerField()
    recipient = models.EmailField(max_length=254)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "occurrence_start", "minutes_before", "recipient"],
                name="reminder_sent_once",
            )
        ]
        indexes = [models.Index(fields=["sent_at"])]

    def __str__(self) -> str:
        return f"{self.event_id} {self.occurrence_start:%Y-%m-%d %H:%M} -{self.minutes_before}m"
