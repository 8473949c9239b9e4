"""The one way mail leaves Rendezvous: queue it in the outbox, a worker delivers it.

``queue_email`` / ``queue_message`` write an ``OutboxMessage`` row *and* the background
task that delivers it in one transaction, so they belong inside the transaction of the
change that caused the mail: if that change rolls back, neither exists and nothing is sent
(invariant 2). The MIME message is built once, at queue time, with its Message-ID; every
retry sends the same bytes. ``queue_later`` writes rows whose message the worker renders
(fan-out: one insert per guest in the request, the rendering after it). Delivery lives in
``mail.delivery``.
"""

from __future__ import annotations

import copy
import logging
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.addresses import normalize_address
from mail import renderers
from mail.mime import MessageError, message_bytes, split_mailbox
from mail.models import OutboxMessage
from mail.tasks import deliver_outbox_batch_task, deliver_outbox_message_task

logger = logging.getLogger(__name__)

#: Rows of one fan-out handed to one delivery task: each task ends by waiting for its
#: last sends and recording them, so fewer, larger tasks keep a worker busy (100 per
#: task: 2.0x raw smtplib with two workers, 250: 1.6x); 500 guests still go to two.
MESSAGES_PER_TASK = 250

#: Exchange and Outlook send no out-of-office or automatic replies to a message with this
#: (delivery reports still come back).
AUTO_RESPONSE_SUPPRESS = {"X-Auto-Response-Suppress": "OOF, AutoReply"}

# RFC 5322 field name: printable US-ASCII except the colon.
_HEADER_NAME = re.compile(r"[!-9;-~]+\Z")
_MESSAGE_ID = re.compile(r"<[!-;=?-~]+@[!-;=?-~]+>\Z")
_MIMETYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+\Z")
# The writer names headers; errors name the arguments of EmailMessage.
_HEADER_FIELDS = {
    "subject": "subject",
    "from": "from_email",
    "to": "to",
    "cc": "cc",
    "reply-to": "reply_to",
}


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


@dataclass(frozen=True)
class PreparedMessage:
    """A checked message, ready to be stored: envelope, subject and the bytes of DATA."""

    message_id: str
    sender: str
    recipients: list[str]
    subject: str
    raw: bytes
    given_id: bool  # the caller chose the Message-ID (so it may already be in use)


def prepare_message(message: EmailMessage, *, message_id: str | None = None) -> PreparedMessage:
    """Check ``message`` and build its bytes; ``message_id`` overrides any in the headers.

    Raises ``ValidationError({field: [reason]})`` naming what is wrong.
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
    given_id = _clean_extra_headers(message.extra_headers, errors)
    if errors:
        raise ValidationError(errors)

    message = copy.copy(message)
    message.from_email = from_email
    final_id = message_id or given_id or _new_message_id()
    given = {str(k).lower() for k in message.extra_headers}
    message.extra_headers = {
        # Every mail we send is machine mail (RFC 3834): out-of-office responders, and
        # Exchange's for its own header, leave it unanswered.
        **({} if "auto-submitted" in given else {"Auto-Submitted": "auto-generated"}),
        **({} if "x-auto-response-suppress" in given else AUTO_RESPONSE_SUPPRESS),
        **{k: v for k, v in message.extra_headers.items() if str(k).lower() != "message-id"},
        "Message-ID": final_id,
    }
    try:
        raw = message_bytes(message, message_id=final_id)
    except MessageError as exc:  # belt and braces: the checks above should catch it
        field = _HEADER_FIELDS.get(exc.field.lower(), exc.field.split("[")[0] or "headers")
        raise ValidationError({field: [exc.reason]}) from exc
    return PreparedMessage(
        message_id=final_id,
        sender=sender or "",
        recipients=recipients,
        subject=subject,
        raw=raw,
        given_id=bool(given_id) and message_id is None,
    )


def queue_message(message: EmailMessage) -> OutboxMessage:
    """Queue a prebuilt Django ``EmailMessage`` (e.g. an iMIP invitation) for delivery.

    The envelope sender is ``message.from_email`` (a ``From`` in ``extra_headers`` only
    changes the header); the envelope recipients are To + Cc + Bcc. A ``Message-ID`` in
    ``extra_headers`` is kept, otherwise one is generated. The caller's object is not
    modified.
    """
    prepared = prepare_message(message)
    with transaction.atomic():
        # A Message-ID we make is a fresh uuid4: only one the caller gave needs the look-up.
        if (
            prepared.given_id
            and OutboxMessage.objects.filter(message_id=prepared.message_id).exists()
        ):
            raise ValidationError({"headers": [_("This Message-ID has already been used.")]})
        row = OutboxMessage.objects.create(
            message_id=prepared.message_id,
            from_email=prepared.sender,
            recipients=prepared.recipients,
            subject=prepared.subject,
            raw=prepared.raw,
        )
        deliver_outbox_message_task.enqueue(row.pk)
    return row


def queue_later(
    renderer: str, messages: Sequence[tuple[dict[str, Any], list[str]]]
) -> list[OutboxMessage]:
    """Queue messages that the worker will render: ``(render arguments, recipients)`` each.

    For fan-out (an event's invitations): the caller's transaction pays one insert per
    message and one delivery task for all of them; ``renderer`` (registered with
    ``mail.renderers.register``) builds each message just before its first delivery
    attempt, from the arguments (plain JSON) and the database as it is then. Every row
    gets its Message-ID now, so whatever is rendered later, retries resend the same.
    """
    renderers.get(renderer)  # an unknown name fails here, in the caller's request
    if not messages:
        return []
    rows = [
        OutboxMessage(
            message_id=_new_message_id(),
            recipients=list(recipients),
            render_with=renderer,
            render_args=args,
        )
        for args, recipients in messages
    ]
    with transaction.atomic():
        rows = OutboxMessage.objects.bulk_create(rows)
        # Several tasks, so that several workers share a large fan-out (each renders
        # its part while it sends).
        for first in range(0, len(rows), MESSAGES_PER_TASK):
            deliver_outbox_batch_task.enqueue(
                [row.pk for row in rows[first : first + MESSAGES_PER_TASK]]
            )
    return rows


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
        address = split_mailbox(value, field)[1]
        if field == "from_email":
            local, _at, domain = address.rpartition("@")
            if not local or not domain or not address.isascii() or " " in address:
                raise ValueError(address)
        else:
            address = normalize_address(address)
    except (MessageError, ValueError, ValidationError):
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


def _new_message_id() -> str:
    host = urlsplit(settings.BASE_URL).hostname or "localhost"
    return f"<{uuid.uuid4().hex}@{host}>"
