"""Delivery of outbox rows: claim, render, talk to the relay, record the outcome.

Delivery is at-least-once and crash-safe without holding a database transaction open
during the SMTP conversation: it first *claims* rows (counts the attempt and pushes
``next_attempt_at`` a lease ahead, with a watchdog task due when the lease ends), renders
those written before their message existed (once: the bytes are stored), then sends
them over one SMTP connection, then records each outcome. A worker that dies mid-send
leaves rows that become due again when the lease runs out.
"""

from __future__ import annotations

import enum
import logging
import queue
import threading
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mail import renderers, transport
from mail.models import OutboxMessage
from mail.services import PreparedMessage, prepare_message
from mail.tasks import deliver_outbox_batch_task, deliver_outbox_message_task

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)


class Outcome(enum.StrEnum):
    """What one call of ``deliver_outbox_message`` did."""

    SENT = "sent"
    RETRY = "retry"  # transient failure; another attempt is scheduled
    FAILED = "failed"  # permanent failure or attempts exhausted
    SKIPPED = "skipped"  # missing, not pending, or not yet due
    OBSOLETE = "obsolete"  # rendered late and found without a reason to go


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


#: Rows claimed at a time (one UPDATE each), and rows one run takes on: a run claims
#: as it goes, sends over one connection throughout, and records at its end, well within
#: the lease.
CLAIM_SIZE = 100
RUN_SIZE = 1000


def _enqueue(message_ids: Sequence[int], run_after: datetime | None = None) -> None:
    """One task for these rows: the one-row task for one, the batch task for more."""
    task = deliver_outbox_message_task if len(message_ids) == 1 else deliver_outbox_batch_task
    if run_after is not None:
        task = task.using(run_after=run_after)
    task.enqueue(message_ids[0] if len(message_ids) == 1 else list(message_ids))


def deliver_outbox_message(message_id: int) -> Outcome:
    """Try to deliver one outbox row now, if it is pending and due; record the outcome."""
    return _deliver_run([message_id])[message_id]


def deliver_batch(message_ids: Sequence[int]) -> dict[str, int]:
    """Deliver these rows (those pending and due) over one SMTP session.

    Transient failures schedule another try (exponential back-off, a new task with
    ``run_after``) until ``OUTBOX_MAX_ATTEMPTS``; permanent ones mark the row failed. One
    message refused does not stop the others. Several workers may run this on the same
    rows: each row is claimed by exactly one. Returns how many rows ended in each outcome.
    """
    counts = {outcome.value: 0 for outcome in Outcome}
    ids = list(dict.fromkeys(message_ids))
    for first in range(0, len(ids), RUN_SIZE):
        for outcome in _deliver_run(ids[first : first + RUN_SIZE]).values():
            counts[outcome.value] += 1
    return counts


#: Rows rendered and stored per transaction (fewer commits, a short write lock).
RENDER_GROUP = 20

Result = tuple[list[str], transport.Refusals, transport.DeliveryError | None]


def _deliver_run(ids: list[int]) -> dict[int, Outcome]:
    """Claim, render and hand over rows while a courier sends them; then record.

    Rendering here overlaps the relay's time instead of adding to it (each row is stored
    before it is handed over), and the courier never waits for a claim or a record.
    """
    outcomes: dict[int, Outcome] = {}
    sendable: list[OutboxMessage] = []
    courier = _Courier()
    courier.start()
    memo: dict[Any, Any] = {}
    try:
        for first in range(0, len(ids), CLAIM_SIZE):
            rows = _claim(ids[first : first + CLAIM_SIZE], outcomes)
            for group in range(0, len(rows), RENDER_GROUP):
                rendered = _render_group(rows[group : group + RENDER_GROUP], memo)
                for row in rows[group : group + RENDER_GROUP]:
                    outcome = rendered.get(row.pk)
                    if outcome is None:
                        sendable.append(row)
                        courier.inbox.put(row)
                    else:
                        outcomes[row.pk] = outcome
    finally:
        courier.inbox.put(None)
        courier.join()
    if courier.crash is not None:
        raise courier.crash
    if sendable:
        _record_outcomes(sendable, courier.results, outcomes)
    for pk in ids:
        outcomes.setdefault(pk, Outcome.SKIPPED)
    return outcomes


class _Courier(threading.Thread):
    """Sends the rows put in ``inbox`` over one ``transport.Session`` (None: done).

    It never touches the database: outcomes wait in ``results`` for the caller to record.
    """

    def __init__(self) -> None:
        super().__init__(name="outbox-courier", daemon=True)
        self.inbox: queue.SimpleQueue[OutboxMessage | None] = queue.SimpleQueue()
        self.results: dict[int, Result] = {}
        self.crash: BaseException | None = None

    def run(self) -> None:
        try:
            with transport.Session() as session:
                while (row := self.inbox.get()) is not None:
                    self.results[row.pk] = _send(session, row)
        except BaseException as exc:  # handed to the caller's thread, which re-raises it
            self.crash = exc
            while self.inbox.get() is not None:
                pass


def _send(session: transport.Session, row: OutboxMessage) -> Result:
    recipients = row.undelivered_recipients
    try:
        refused = session.send(
            sender=row.from_email, recipients=recipients, raw=row.raw_bytes, ident=str(row.pk)
        )
        return recipients, refused, None
    except transport.DeliveryError as exc:
        return recipients, {}, exc
    except Exception as exc:  # a bug or an odd library error: retry, never lose the mail
        logger.exception("outbox message %s: unexpected error while sending", row.pk)
        return recipients, {}, transport.DeliveryError(repr(exc), permanent=False)


def _record_outcomes(
    sent: list[OutboxMessage], results: dict[int, Result], outcomes: dict[int, Outcome]
) -> None:
    """Record each outcome in one transaction, only where this run still holds the row.

    One "now" for the batch: rows refused together are retried together, by one task.
    """
    now = timezone.now()
    retries: dict[datetime, list[int]] = {}
    changed: list[OutboxMessage] = []
    with transaction.atomic():
        held = {
            row.pk: row
            for row in OutboxMessage.objects.select_for_update()
            .filter(pk__in=[row.pk for row in sent], status=OutboxMessage.Status.PENDING)
            .order_by("pk")  # the order a claim's UPDATE locks them in: no deadlock
        }
        for row in sent:
            recipients, refused, error = results[row.pk]
            current = held.get(row.pk)
            if current is None or current.claim != row.claim:
                outcomes[row.pk] = Outcome.SKIPPED
            elif error is None:
                outcomes[row.pk] = _record_delivery(
                    current, recipients, refused, now, retries, changed
                )
            else:
                outcomes[row.pk] = _record_failure(
                    current,
                    str(error),
                    permanent=error.permanent,
                    now=now,
                    retries=retries,
                    changed=changed,
                )
        # One statement for the batch: a save per row kept the next batch waiting.
        _update_rows(changed, _RECORDED_FIELDS)
        for run_after, pks in retries.items():
            _enqueue(pks, run_after=run_after)


def _claim(ids: list[int], outcomes: dict[int, Outcome]) -> list[OutboxMessage]:
    """Take the pending, due rows among ``ids`` for this run; one UPDATE, so two workers
    never both take a row; a watchdog task is due when the lease ends (a crash mid-send)."""
    now = timezone.now()
    due = OutboxMessage.objects.filter(
        pk__in=ids, status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now
    )
    with transaction.atomic():
        stale = due.filter(attempts__gte=settings.OUTBOX_MAX_ATTEMPTS).order_by("pk")
        for row in stale.select_for_update():
            # Only reachable when earlier attempts died mid-send (the lease ran out).
            outcomes[row.pk] = _record_failure(
                row, _("The last delivery attempt was interrupted."), permanent=False, now=now
            )
    token = uuid.uuid4().hex
    lease_end = now + _lease()
    with transaction.atomic():
        claimed = due.filter(attempts__lt=settings.OUTBOX_MAX_ATTEMPTS).update(
            claim=token, attempts=F("attempts") + 1, next_attempt_at=lease_end
        )
        if not claimed:
            return []
        rows = list(OutboxMessage.objects.filter(claim=token).order_by("pk"))
        _enqueue([row.pk for row in rows], run_after=lease_end)
    return rows


#: What storing a rendered message changes on a row.
_RENDERED_FIELDS = [
    "render_with",
    "render_args",
    "from_email",
    "recipients",
    "subject",
    "raw",
    "status",
    "next_attempt_at",
]


def _render_group(rows: Sequence[OutboxMessage], memo: dict[Any, Any]) -> dict[int, Outcome]:
    """Render the rows written by ``queue_later`` and store the results in one statement.

    Runs once per row: the bytes are stored before the first attempt, so retries send
    them again unchanged. A renderer that finds no reason left to send marks the row
    obsolete. A message that cannot be written (a ``ValueError``: bad data, a refused
    address) fails with the reason (an operator can retry); anything else (the database,
    a bug) is tried again later, like a failed send: the mail is never lost to it. Rows
    this run no longer holds are skipped. Returns the outcome of each row that will not
    be sent; the others are ready (their fields updated in place).
    """
    now = timezone.now()
    outcomes: dict[int, Outcome] = {}
    results: dict[int, PreparedMessage | None] = {}
    for row in rows:
        if not row.needs_rendering:
            continue
        try:
            message = renderers.get(row.render_with)(row.render_args, memo)
            results[row.pk] = (
                prepare_message(message, message_id=row.message_id) if message else None
            )
        except Exception as exc:
            logger.exception("outbox message %s: cannot be rendered", row.pk)
            outcomes[row.pk] = _fail_rendering(row, exc, now)
    if not results:
        return outcomes
    with transaction.atomic():
        held = {
            (pk, claim, render_with)
            for pk, claim, render_with in OutboxMessage.objects.select_for_update()
            .filter(pk__in=list(results))
            .order_by("pk")  # the order a claim's UPDATE locks them in: no deadlock
            .values_list("pk", "claim", "render_with")
        }
        stored = []
        for row in rows:
            if row.pk not in results:
                continue
            if (row.pk, row.claim, row.render_with) not in held:
                outcomes[row.pk] = Outcome.SKIPPED
                continue
            prepared = results[row.pk]
            row.render_with, row.render_args = "", {}
            if prepared is None:
                row.status, row.next_attempt_at = OutboxMessage.Status.OBSOLETE, now
                outcomes[row.pk] = Outcome.OBSOLETE
            else:
                row.from_email, row.recipients = prepared.sender, prepared.recipients
                row.subject, row.raw = prepared.subject, prepared.raw
            stored.append(row)
        _update_rows(stored, _RENDERED_FIELDS)
    return outcomes


def _update_rows(rows: Sequence[OutboxMessage], names: Sequence[str]) -> None:
    """``UPDATE … WHERE id = ?`` for each row, as one prepared statement run many times.

    An ORM ``update()`` per row compiled its query each time (a sixth of rendering an
    invitation); ``bulk_update``'s CASE expressions were slower still.
    """
    if not rows:
        return
    fields = [OutboxMessage._meta.get_field(name) for name in names]
    connection = connections[router.db_for_write(OutboxMessage)]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    table, key = quote(OutboxMessage._meta.db_table), quote("id")
    # Names from the model, quoted by the backend; every value is a parameter.
    sql = f"UPDATE {table} SET {assignments} WHERE {key} = %s"  # noqa: S608
    params = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for field in fields]
        + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _fail_rendering(row: OutboxMessage, exc: Exception, now: datetime) -> Outcome:
    with transaction.atomic():
        current = (
            OutboxMessage.objects.select_for_update()
            .filter(pk=row.pk, claim=row.claim, status=OutboxMessage.Status.PENDING)
            .first()
        )
        if current is None:
            return Outcome.SKIPPED
        return _record_failure(
            current,
            _("The message could not be written: %(error)s") % {"error": exc},
            permanent=isinstance(exc, ValueError | ValidationError),
            now=now,
        )


def render_pending(ids: Iterable[int] | None = None) -> int:
    """Render now every row (or these rows) still waiting for its message; how many.

    What the worker does before sending, without sending: for the admin's preview and
    for tests that read what a request queued.
    """
    rows = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).exclude(render_with="")
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    memo: dict[Any, Any] = {}
    rows = list(rows.order_by("pk"))
    count = 0
    for group in range(0, len(rows), RENDER_GROUP):
        chunk = rows[group : group + RENDER_GROUP]
        outcomes = _render_group(chunk, memo)
        count += sum(1 for row in chunk if row.pk not in outcomes)
    return count


#: What recording an outcome changes on a row.
_RECORDED_FIELDS = ["delivered_to", "status", "sent_at", "last_error", "next_attempt_at"]


def _save(row: OutboxMessage, changed: list[OutboxMessage] | None) -> None:
    """Save the recorded outcome now, or leave it in ``changed`` for one bulk update."""
    if changed is None:
        row.save(update_fields=_RECORDED_FIELDS)
    else:
        changed.append(row)


def _record_delivery(
    row: OutboxMessage,
    recipients: list[str],
    refused: transport.Refusals,
    now: datetime,
    retries: dict[datetime, list[int]],
    changed: list[OutboxMessage] | None = None,
) -> Outcome:
    row.delivered_to = [*row.delivered_to, *(r for r in recipients if r not in refused)]
    bounced = {r: v for r, v in refused.items() if transport.is_permanent_code(v[0])}
    deferred = {r: v for r, v in refused.items() if r not in bounced}
    notes = [f"{r}: {code} {text}" for r, (code, text) in refused.items()]
    if deferred:
        # Some recipients were only put off: try them (and only them) again.
        return _record_failure(
            row,
            _("Refused: %(list)s") % {"list": "; ".join(notes)},
            permanent=False,
            now=now,
            retries=retries,
            changed=changed,
        )
    row.status = OutboxMessage.Status.SENT
    row.sent_at = now
    row.last_error = (
        _("Refused permanently: %(list)s") % {"list": "; ".join(notes)} if bounced else ""
    )
    _save(row, changed)
    logger.info("outbox message %s sent (%s)", row.pk, row.message_id)
    return Outcome.SENT


def _record_failure(
    row: OutboxMessage,
    error: str,
    *,
    permanent: bool,
    now: datetime,
    retries: dict[datetime, list[int]] | None = None,
    changed: list[OutboxMessage] | None = None,
) -> Outcome:
    """Mark the row failed, or schedule its next try (collected in ``retries`` when given,
    so that a batch refused together is retried by one task)."""
    if permanent or row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        row.status = OutboxMessage.Status.FAILED
        row.last_error = (
            error
            if permanent
            else _("Gave up after %(n)d attempts: %(error)s") % {"n": row.attempts, "error": error}
        )
        row.next_attempt_at = now
        _save(row, changed)
        logger.error("outbox message %s failed: %s", row.pk, row.last_error)
        return Outcome.FAILED
    row.last_error = error
    row.next_attempt_at = now + backoff_delay(row.attempts)
    _save(row, changed)
    if retries is None:
        _enqueue([row.pk], run_after=row.next_attempt_at)
    else:
        retries.setdefault(row.next_attempt_at, []).append(row.pk)
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
    return deliver_batch(list(due))


def retry_failed_messages(ids: Iterable[int]) -> int:
    """Give failed rows a fresh series of attempts, starting now (admin "retry now").

    Recipients that already accepted the message are not sent it again.
    """
    retried = []
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
            retried.append(row.pk)
        if retried:
            _enqueue(retried)
    return len(retried)
