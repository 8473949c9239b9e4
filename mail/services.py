"""The one way mail leaves Rendezvous: queue it in the outbox, a worker delivers it.

``queue_email`` / ``queue_message`` write an ``OutboxMessage`` row *and* the background
task that delivers it in one transaction, so they belong inside the transaction of the
change that caused the mail: if that change rolls back, neither exists and nothing is sent
(invariant 2). The MIME message is built once, at queue time, with its Message-ID; every
retry sends the same bytes.

Delivery (``deliver_outbox_message``) is at-least-once and crash-safe without holding a
database transaction open during the SMTP conversation: it first *claims* the row (counts
the attempt and pushes ``next_attempt_at`` a lease ahead, with a watchdog task due when
the lease ends), then talks SMTP, then records the outcome. A worker that dies mid-send
leaves a row that becomes due again when the lease runs out.
"""

from __future__ import annotations

import copy
import enum
import logging
import re
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, EmailMessage, EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mail import transport
from mail.models import OutboxMessage
from mail.tasks import deliver_outbox_message_task

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)

# RFC 5322 field name: printable US-ASCII except the colon.
_HEADER_NAME = re.compile(r"[!-9;-~]+\Z")
_MESSAGE_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>\Z")
_MIMETYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+\Z")
# Django maps these header names back to EmailMessage arguments in its own errors.
_HEADER_FIELDS = {
    "subject": "subject",
    "from": "from_email",
    "to": "to",
    "cc": "cc",
    "reply-to": "reply_to",
}


class Outcome(enum.StrEnum):
    """What one call of ``deliver_outbox_message`` did."""

    SENT = "sent"
    RETRY = "retry"  # transient failure; another attempt is scheduled
    FAILED = "failed"  # permanent failure or attempts exhausted
    SKIPPED = "skipped"  # missing, not pending, or not yet due


# --------------------------------------------------------------------------- queueing


def queue_email(
    *,
    to: list[str],
    subject: str,
    text: str,
    html: str | None = None,
    from_email: str | None = None,
    reply_to: list[str] | None = None,
    headers: dict | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> OutboxMessage:
    """Queue a text (and optionally HTML) mail; call it inside the causing transaction.

    Raises ``ValidationError({field: [reason]})`` for bad input (an invalid address, a line
    break in a header, a malformed attachment) and then writes nothing.
    """
    errors: dict[str, list[str]] = {}
    if isinstance(to, str) or not isinstance(to, Iterable):
        errors.setdefault("to", []).append(_("Give the recipients as a list of addresses."))
        to = []
    if reply_to is not None and (isinstance(reply_to, str) or not isinstance(reply_to, Iterable)):
        errors.setdefault("reply_to", []).append(_("Give the reply-to addresses as a list."))
        reply_to = []
    if headers is not None and not isinstance(headers, dict):
        errors.setdefault("headers", []).append(_("Give the headers as a mapping."))
        headers = {}
    clean_attachments = _clean_attachments(attachments, errors)
    if errors:
        raise ValidationError(errors)

    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        reply_to=list(reply_to or []),
        headers=dict(headers or {}),
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    for filename, content, mimetype in clean_attachments:
        message.attach(filename, content, mimetype)
    return queue_message(message)


def queue_message(message: EmailMessage) -> OutboxMessage:
    """Queue a prebuilt Django ``EmailMessage`` (e.g. an iMIP invitation) for delivery.

    The envelope sender is ``message.from_email`` (a ``From`` in ``extra_headers`` only
    changes the header); the envelope recipients are To + Cc + Bcc. A ``Message-ID`` in
    ``extra_headers`` is kept, otherwise one is generated. The caller's object is not
    modified.
    """
    errors: dict[str, list[str]] = {}
    from_email = message.from_email or settings.DEFAULT_FROM_EMAIL
    sender = _envelope_address(str(from_email), "from_email", errors)
    recipients: list[str] = []
    for field in ("to", "cc", "bcc"):
        for value in getattr(message, field) or []:
            address = _envelope_address(str(value), field, errors)
            if address and address not in recipients:
                recipients.append(address)
    for value in message.reply_to or []:
        _envelope_address(str(value), "reply_to", errors)
    if not recipients and "to" not in errors and "cc" not in errors and "bcc" not in errors:
        errors.setdefault("to", []).append(_("At least one recipient is required."))
    subject = str(message.subject)
    if _has_line_break(subject):
        errors.setdefault("subject", []).append(_("Line breaks are not allowed in the subject."))
    message_id = _clean_extra_headers(message.extra_headers, errors)
    if errors:
        raise ValidationError(errors)

    message = copy.copy(message)
    message.from_email = from_email
    # A Message-ID we make is a fresh uuid4: only one the caller gave needs the look-up.
    given_id = message_id
    message_id = message_id or _new_message_id()
    message.extra_headers = {
        **{k: v for k, v in message.extra_headers.items() if str(k).lower() != "message-id"},
        "Message-ID": message_id,
    }
    try:
        raw = message.message().as_bytes(linesep="\r\n")
    except BadHeaderError as exc:  # belt and braces: the checks above should catch it
        field = _field_for_bad_header(str(exc))
        raise ValidationError({field: [_("Line breaks are not allowed.")]}) from exc
    except ValueError as exc:  # an address Django's own sanitising refuses
        raise ValidationError({"headers": [str(exc)]}) from exc

    with transaction.atomic():
        if given_id and OutboxMessage.objects.filter(message_id=message_id).exists():
            raise ValidationError({"headers": [_("This Message-ID has already been used.")]})
        row = OutboxMessage.objects.create(
            message_id=message_id,
            from_email=sender,
            recipients=recipients,
            subject=subject,
            raw=raw,
        )
        deliver_outbox_message_task.enqueue(row.pk)
    return row


def _has_line_break(value: str) -> bool:
    return "\r" in value or "\n" in value or "\x00" in value


def _envelope_address(value: str, field: str, errors: dict[str, list[str]]) -> str | None:
    """``"Name <a@b.example>"`` → ``"a@b.example"`` (IDN domains in punycode), or record why not.

    Recipients must pass Django's e-mail validation. The sender is only required to be one
    well-formed mailbox: the default ``noreply@<BASE_URL host>`` may name a bare IP address
    in development, which relays accept but the validator does not.
    """
    if _has_line_break(value):
        errors.setdefault(field, []).append(_("Line breaks are not allowed in an address."))
        return None
    try:
        address = parseaddr(sanitize_address(value, "utf-8"))[1]
        if field == "from_email":
            local, _at, domain = address.rpartition("@")
            if not local or not domain or not address.isascii() or " " in address:
                raise ValueError(address)
        else:
            validate_email(address)
    except (ValueError, ValidationError):
        errors.setdefault(field, []).append(
            _("“%(value)s” is not a valid e-mail address.") % {"value": value}
        )
        return None
    return address


def _clean_extra_headers(headers: dict, errors: dict[str, list[str]]) -> str | None:
    """Refuse header names/values that could start a new header; return a given Message-ID."""
    message_id = None
    for name, value in headers.items():
        name, value = str(name), str(value)
        if not _HEADER_NAME.match(name):
            errors.setdefault("headers", []).append(
                _("“%(name)s” is not a valid header name.") % {"name": name}
            )
        elif _has_line_break(value):
            errors.setdefault("headers", []).append(
                _("Line breaks are not allowed in the header “%(name)s”.") % {"name": name}
            )
        elif name.lower() == "message-id":
            if not _MESSAGE_ID.match(value):
                errors.setdefault("headers", []).append(
                    _("Message-ID must look like <unique@host>.")
                )
            message_id = value
    return message_id


def _clean_attachments(
    attachments: list[tuple[str, bytes, str]] | None, errors: dict[str, list[str]]
) -> list[tuple[str, bytes, str]]:
    clean = []
    for item in attachments or []:
        try:
            filename, content, mimetype = item
        except (TypeError, ValueError):
            errors.setdefault("attachments", []).append(
                _("Each attachment is (filename, content bytes, MIME type).")
            )
            continue
        if not isinstance(filename, str) or not filename or _has_line_break(filename):
            errors.setdefault("attachments", []).append(
                _("An attachment needs a file name without line breaks.")
            )
        elif not isinstance(content, bytes | str):
            errors.setdefault("attachments", []).append(
                _("The content of “%(name)s” must be bytes.") % {"name": filename}
            )
        elif not isinstance(mimetype, str) or not _MIMETYPE.match(mimetype):
            errors.setdefault("attachments", []).append(
                _("“%(name)s” needs a MIME type like application/pdf.") % {"name": filename}
            )
        else:
            clean.append((filename, content, mimetype))
    return clean


def _field_for_bad_header(text: str) -> str:
    match = re.search(r"for header '([^']+)'", text)
    return _HEADER_FIELDS.get(match.group(1).lower(), "headers") if match else "headers"


def _new_message_id() -> str:
    host = urlsplit(settings.BASE_URL).hostname or "localhost"
    return f"<{uuid.uuid4().hex}@{host}>"


# --------------------------------------------------------------------------- delivery


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
