"""Delivery of outbox rows: claim, talk to the relay, record the outcome.

Delivery is at-least-once and crash-safe without holding a database transaction open
during the SMTP conversation: it first *claims* the row (counts the attempt and pushes
``next_attempt_at`` a lease ahead, with a watchdog task due when the lease ends), then
talks SMTP, then records the outcome. A worker that dies mid-send leaves a row that
becomes due again when the lease runs out.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mail import transport
from mail.models import OutboxMessage
from mail.tasks import deliver_outbox_message_task

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)


class Outcome(enum.StrEnum):
    """What one call of ``deliver_outbox_message`` did."""

    SENT = "sent"
    RETRY = "retry"  # transient failure; another attempt is scheduled
    FAILED = "failed"  # permanent failure or attempts exhausted
    SKIPPED = "skipped"  # missing, not pending, or not yet due


def _lease() -> timedelta:
    """How long a claimed row is left alone: well beyond one SMTP conversation."""
    return timedelta(seconds=max(15 * 60, 10 * settings.SMTP_TIMEOUT))


def backoff_delay(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failed try: base · 2^(attempts-1), at most 6 hours."""
    base = settings.OUTBOX_BACKOFF_SECONDS
    exponent = max(attempts - 1, 0)
    if exponent > 30:  # 2**31 base-seconds is far beyond the cap anyway
        return MAX_BACKOFF
    return min(timedelta(seconds=base * 2**exponent), MAX_BACKOFF)


def _enqueue(message_id: int, run_after: datetime | None = None) -> None:
    task = deliver_outbox_message_task
    if run_after is not None:
        task = task.using(run_after=run_after)
    task.enqueue(message_id)


def deliver_outbox_message(message_id: int) -> Outcome:
    """Try to deliver one outbox row now, if it is pending and due; record the outcome.

    Transient failures schedule another try (exponential back-off, a new task with
    ``run_after``) until ``OUTBOX_MAX_ATTEMPTS``; permanent ones mark the row failed.
    """
    # 1. Claim: a short transaction, so no lock is held while talking SMTP.
    with transaction.atomic():
        row = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        now = timezone.now()
        if row is None or row.status != OutboxMessage.Status.PENDING or row.next_attempt_at > now:
            return Outcome.SKIPPED
        if row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            # Only reachable when earlier attempts died mid-send (the lease ran out).
            return _record_failure(
                row, _("The last delivery attempt was interrupted."), permanent=False, now=now
            )
        row.attempts += 1
        row.next_attempt_at = now + _lease()
        row.save(update_fields=["attempts", "next_attempt_at"])
        # Watchdog: if this process dies before step 3, the row is tried again.
        _enqueue(row.pk, run_after=row.next_attempt_at)

    # 2. Talk to the relay (or write the .eml file).
    recipients = row.undelivered_recipients
    error: transport.DeliveryError | None = None
    refused: transport.Refusals = {}
    try:
        refused = transport.send_raw(
            sender=row.from_email, recipients=recipients, raw=row.raw_bytes, ident=str(row.pk)
        )
    except transport.DeliveryError as exc:
        error = exc
    except Exception as exc:  # a bug or an odd library error: retry rather than lose the mail
        logger.exception("outbox message %s: unexpected error while sending", row.pk)
        error = transport.DeliveryError(repr(exc), permanent=False)

    # 3. Record the outcome.
    with transaction.atomic():
        row = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if row is None or row.status != OutboxMessage.Status.PENDING:
            return Outcome.SKIPPED
        now = timezone.now()
        if error is None:
            return _record_delivery(row, recipients, refused, now)
        return _record_failure(row, str(error), permanent=error.permanent, now=now)


def _record_delivery(
    row: OutboxMessage, recipients: list[str], refused: transport.Refusals, now: datetime
) -> Outcome:
    row.delivered_to = [*row.delivered_to, *(r for r in recipients if r not in refused)]
    bounced = {r: v for r, v in refused.items() if transport.is_permanent_code(v[0])}
    deferred = {r: v for r, v in refused.items() if r not in bounced}
    notes = [f"{r}: {code} {text}" for r, (code, text) in refused.items()]
    if deferred:
        # Some recipients were only put off: try them (and only them) again.
        outcome = _record_failure(
            row, _("Refused: %(list)s") % {"list": "; ".join(notes)}, permanent=False, now=now
        )
        return outcome
    row.status = OutboxMessage.Status.SENT
    row.sent_at = now
    row.last_error = (
        _("Refused permanently: %(list)s") % {"list": "; ".join(notes)} if bounced else ""
    )
    row.save(update_fields=["delivered_to", "status", "sent_at", "last_error"])
    logger.info("outbox message %s sent (%s)", row.pk, row.message_id)
    return Outcome.SENT


def _record_failure(row: OutboxMessage, error: str, *, permanent: bool, now: datetime) -> Outcome:
    fields = ["delivered_to", "status", "next_attempt_at", "last_error"]
    if permanent or row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        row.status = OutboxMessage.Status.FAILED
        row.last_error = (
            error
            if permanent
            else _("Gave up after %(n)d attempts: %(error)s") % {"n": row.attempts, "error": error}
        )
        row.next_attempt_at = now
        row.save(update_fields=fields)
        logger.error("outbox message %s failed: %s", row.pk, row.last_error)
        return Outcome.FAILED
    row.last_error = error
    row.next_attempt_at = now + backoff_delay(row.attempts)
    row.save(update_fields=fields)
    _enqueue(row.pk, run_after=row.next_attempt_at)
    logger.warning(
        "outbox message %s: attempt %d failed, next at %s: %s",
        row.pk,
        row.attempts,
        row.next_attempt_at.isoformat(),
        error,
    )
    return Outcome.RETRY


def deliver_due_messages(limit: int | None = None) -> dict[str, int]:
    """Deliver every pending row that is due: the safety net after a crash or lost task.

    Returns how many rows ended in each outcome.
    """
    due = (
        OutboxMessage.objects.filter(
            status=OutboxMessage.Status.PENDING, next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)
    )
    if limit is not None:
        due = due[:limit]
    counts = {outcome.value: 0 for outcome in Outcome}
    for pk in list(due):
        counts[deliver_outbox_message(pk).value] += 1
    return counts


def retry_failed_messages(ids: Iterable[int]) -> int:
    """Give failed rows a fresh series of attempts, starting now (admin "retry now").

    Recipients that already accepted the message are not sent it again.
    """
    count = 0
    with transaction.atomic():
        rows = OutboxMessage.objects.select_for_update().filter(
            pk__in=list(ids), status=OutboxMessage.Status.FAILED
        )
        now = timezone.now()
        for row in rows:
            row.status = OutboxMessage.Status.PENDING
            row.attempts = 0
            row.next_attempt_at = now
            row.save(update_fields=["status", "attempts", "next_attempt_at"])
            _enqueue(row.pk)
            count += 1
    return count
