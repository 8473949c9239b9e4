"""iMIP (RFC 6047) mail around an iTIP calendar: the MIME shape calendar clients act on.

The tree is the one Gmail, Outlook, Apple Mail and Thunderbird all show as an invitation
with RSVP buttons::

    multipart/mixed
    ├── multipart/alternative
    │   ├── text/plain; charset="utf-8"
    │   ├── text/html; charset="utf-8"                  (when html is given)
    │   └── text/calendar; method=REQUEST; charset=UTF-8
    ├── application/ics; name="invite.ics"  (attachment, the same calendar, base64)
    └── further attachments

METHOD appears in both the MIME type and the VCALENDAR (invariant 6); we check they agree.
Every header value is checked before the message exists: a CR or LF in a subject, name or
address raises ``InvalidCalendarData`` instead of becoming a header.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from email.utils import formataddr

from django.core.mail import EmailMultiAlternatives

from .ical import (
    METHODS,
    InvalidCalendarData,
    _choice,
    calendar_method,
    validate_email_address,
)

INVITE_FILENAME = "invite.ics"
_CALENDAR_ALTERNATIVE = "text/calendar"
_HEADER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,75}\Z")
_MIMETYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\Z")
_FORBIDDEN_IN_HEADER = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# The address is the last <...>; the name before it is data and may hold anything printable.
_MAILBOX = re.compile(r"\s*(?P<name>.*?)\s*<(?P<addr>[^<>]*)>\s*\Z", re.S)
# Structural headers are ours; a caller may not replace them.
_RESERVED_HEADERS = frozenset(
    {"content-type", "content-transfer-encoding", "mime-version", "content-disposition"}
)


class IMipMessage(EmailMultiAlternatives):
    """An EmailMultiAlternatives that knows its iTIP method.

    ``mail.mime`` writes its ``text/calendar`` alternative as
    ``text/calendar; method=REQUEST; charset=UTF-8``: clients need the method parameter
    to offer Accept/Decline.
    """

    def __init__(self, *args, itip_method: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.itip_method = itip_method


def _header_text(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidCalendarData(field, "must be text")
    if _FORBIDDEN_IN_HEADER.search(value):
        raise InvalidCalendarData(field, "must not contain line breaks or control characters")
    return value


def format_mailbox(value: object, field: str) -> str:
    """``"Name <a@b.example>"`` or ``"a@b.example"`` → a safely quoted mailbox string.

    The display name may hold any printable text (commas and quotes get quoted, non-ASCII
    becomes an encoded word); the address must pass ``validate_email_address``.
    """
    text = _header_text(value, field)
    match = _MAILBOX.match(text)
    if match:
        name, address = match["name"], match["addr"]
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    else:
        name, address = "", text
    address = validate_email_address(address, field)
    return formataddr((name, address)) if name else address


def _mailboxes(values: object, field: str, *, required: bool) -> list[str]:
    if values is None:
        values = []
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InvalidCalendarData(field, "must be a list of addresses")
    if required and not values:
        raise InvalidCalendarData(field, "at least one address is required")
    return [format_mailbox(v, f"{field}[{i}]") for i, v in enumerate(values)]


def _headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise InvalidCalendarData("headers", "must be a mapping of header names to values")
    checked = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise InvalidCalendarData("headers", f"invalid header name {name!r}")
        if name.lower() in _RESERVED_HEADERS:
            raise InvalidCalendarData(f"headers.{name}", "is set by the iMIP builder")
        if name.lower() in {"from", "to", "cc", "reply-to", "sender"}:
            checked[name] = format_mailbox(value, f"headers.{name}")
        else:
            checked[name] = _header_text(value, f"headers.{name}")
    return checked


def _attachment(item: object, field: str) -> tuple[str, bytes, str]:
    if not isinstance(item, tuple | list) or len(item) != 3:
        raise InvalidCalendarData(field, "must be (filename, content, mimetype)")
    filename, content, mimetype = item
    filename = _header_text(filename, f"{field}.filename")
    if not filename.strip() or len(filename) > 255 or any(c in filename for c in '/\\"'):
        raise InvalidCalendarData(f"{field}.filename", "must be a plain file name")
    if not isinstance(content, bytes | bytearray):
        raise InvalidCalendarData(f"{field}.content", "must be bytes")
    if not isinstance(mimetype, str) or not _MIMETYPE.match(mimetype):
        raise InvalidCalendarData(
            f"{field}.mimetype", "must be a MIME type such as application/pdf"
        )
    return filename, bytes(content), mimetype


def build_imip_message(
    *,
    method: str,
    calendar: bytes,
    subject: str,
    text: str,
    html: str | None,
    from_email: str,
    to: Sequence[str],
    reply_to: Sequence[str] | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> IMipMessage:
    """Wrap ``calendar`` (from ``build_calendar``) in the iMIP mail described above.

    Every header value is checked here; the MIME tree itself is written once, by
    ``mail.mime`` through ``mail.services.prepare_message``, when the message is queued
    or rendered for the outbox.
    """
    method = _choice(method, METHODS, "method")
    if not isinstance(calendar, bytes | bytearray):
        raise InvalidCalendarData("calendar", "must be the bytes from build_calendar")
    body_method = calendar_method(bytes(calendar))
    if body_method is None:
        raise InvalidCalendarData("calendar", "not a VCALENDAR from build_calendar")
    if body_method != method:
        raise InvalidCalendarData(
            "calendar", f"METHOD:{body_method or '(none)'} does not match method={method}"
        )
    calendar_text = bytes(calendar).decode("utf-8")
    subject = _header_text(subject, "subject")
    if not isinstance(text, str):
        raise InvalidCalendarData("text", "must be text")
    if html is not None and not isinstance(html, str):
        raise InvalidCalendarData("html", "must be text")
    sender = format_mailbox(from_email, "from_email")
    recipients = _mailboxes(to, "to", required=True)
    reply_addresses = _mailboxes(reply_to, "reply_to", required=False)
    extra = [_attachment(item, f"attachments[{i}]") for i, item in enumerate(attachments or ())]
    extra_headers = _headers(headers)

    message = IMipMessage(
        subject=subject,
        body=text,
        from_email=sender,
        to=recipients,
        reply_to=reply_addresses or None,
        headers=extra_headers,
        itip_method=method,
    )
    if html:
        message.attach_alternative(html, "text/html")
    message.attach_alternative(calendar_text, _CALENDAR_ALTERNATIVE)
    message.attach(INVITE_FILENAME, bytes(calendar), "application/ics")
    for filename, content, mimetype in extra:
        message.attach(filename, content, mimetype)
    return message
