"""The bytes of every message we send: a small MIME writer for the shapes we use.

Why not Python's ``email`` generator (through Django's ``message()``): writing the MIME
tree of one invitation took 40 % of rendering it, mostly header folding and encoding
machinery for cases our messages never have; and its folding can break a Subject right
after the colon, which some clients show as a leading space. Our messages are text,
alternatives (HTML, an iTIP calendar) and attachments; this writes exactly that:

- headers: ASCII text as is, folded at spaces; anything else as RFC 2047 encoded words
  (UTF-8, base64), never split inside a character; the first line always carries text;
- addresses: display names quoted or encoded, domains in IDNA form;
- text parts: UTF-8, ``7bit``/``8bit`` (as Django writes them), quoted-printable when a
  line would pass SMTP's 998 octets; everything else base64;
- multipart boundaries random and checked against the content.

``parse`` with ``email.policy.default`` gives back what went in: the tests hold it to that
for hostile values, and to agreement with Django's own writer.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import mimetypes
import re
import secrets
from collections.abc import Iterable, Sequence
from email.header import decode_header, make_header
from email.utils import format_datetime, formataddr, getaddresses
from urllib.parse import quote

from django.core.mail import EmailMessage

#: Lines we write stay within this (RFC 5322's SHOULD), except an address or a word that
#: cannot be broken; none goes past SMTP's 998.
LINE = 78
SMTP_LINE = 998
CALENDAR = "text/calendar"

_ADDRESS_HEADERS = ("from", "to", "cc", "reply-to", "sender")
_OWN_HEADERS = frozenset({*_ADDRESS_HEADERS, "date", "message-id", "subject"})
_ATOM_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+\Z")
_MAILBOX = re.compile(r"(?P<name>.*)<(?P<addr>[^<>\s]+)>\s*\Z", re.S)
_PLAIN_ADDRESS = re.compile(r"[^<>\s\"(),:;@]+@[^<>\s\"(),:;@]+\Z")
_SAFE_FILENAME = re.compile(r"[ !#-\[\]-~]+\Z")  # printable ASCII but " and \
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ENCODED_OVERHEAD = len("=?utf-8?b??=")
_WORD_BYTES = 45  # base64 of 45 octets: 60 characters, an encoded word of 72 on a line of 73


class MessageError(ValueError):
    """A value that cannot be written into a message; ``field`` names it."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


# --------------------------------------------------------------------------- addresses


def split_mailbox(value: str, field: str) -> tuple[str, str]:
    """``"Name" <a@b>`` / ``Name <a@b>`` / ``=?utf-8?…?= <a@b>`` / ``a@b`` → (name, address).

    The address comes back with its domain in IDNA form; its local part must be ASCII.
    """
    text = value.strip()
    match = _MAILBOX.match(text)
    if match:
        name, address = match["name"].strip(), match["addr"]
        if len(name) >= 2 and name[0] == name[-1] == '"':
            name = re.sub(r"\\(.)", r"\1", name[1:-1], flags=re.S).strip()
        elif "=?" in name:  # formataddr encodes a non-ASCII name itself
            name = str(make_header(decode_header(name)))
    else:
        name, address = "", text
    if not _PLAIN_ADDRESS.match(address):
        raise MessageError(field, f"{value!r} is not an e-mail address")
    local, _at, domain = address.rpartition("@")
    if not local.isascii():
        raise MessageError(field, f"{value!r}: the part before the @ must be ASCII")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise MessageError(field, f"{value!r} has an invalid domain") from None
    return name, f"{local}@{domain}"


def _mailbox(value: str, field: str, room: int = LINE - 1) -> list[str]:
    """One mailbox as header tokens: the name's words (or encoded words), then <address>."""
    name, address = split_mailbox(value, field)
    name = " ".join(name.split())  # readers collapse runs of spaces in a name anyway
    if not name:
        return [address]
    if (
        not name.isascii()
        or not name.isprintable()
        or "=?" in name
        or any(len(word) > LINE // 2 for word in name.split())
    ):
        # Encoded words, never inside a quoted string (RFC 2047 §5; some readers decode
        # them there anyway, so a name that looks like one is encoded too); they also
        # break a long word over lines.
        return [*_encoded_words(name, room), f"<{address}>"]
    if _ATOM_PHRASE.match(name) and name == " ".join(name.split()):
        return [*name.split(" "), f"<{address}>"]
    quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return [quoted, f"<{address}>"]


# --------------------------------------------------------------------------- headers


def _encoded_words(text: str, room: int = LINE) -> list[str]:
    """RFC 2047 encoded words for ``text``: UTF-8, base64, whole characters per word.

    The first word fits in ``room`` characters (what its header's name leaves), the others
    on a continuation line. A word ends after a space of the text where it can: readers
    that keep the space between two encoded words (Python's does, in names) then show a
    double space rather than one inside a word.
    """
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    limit = max((room - _ENCODED_OVERHEAD) // 4 * 3, 3)
    for char in text:
        width = len(char.encode("utf-8"))
        if chunk and size + width > limit:
            cut = max((n + 1 for n, c in enumerate(chunk) if c == " "), default=len(chunk))
            words.append("".join(chunk[:cut]))
            chunk = chunk[cut:]
            size = len("".join(chunk).encode("utf-8"))
            limit = _WORD_BYTES
        chunk.append(char)
        size += width
    if chunk:
        words.append("".join(chunk))
    return [f"=?utf-8?b?{base64.b64encode(w.encode('utf-8')).decode('ascii')}?=" for w in words]


def _fold(name: str, tokens: Sequence[str]) -> str:
    """``name: token token …`` with a line break before a token that would pass ``LINE``.

    A token is never first on a line of its own header name, so no line is empty.
    """
    lines, line = [], f"{name}:"
    for index, token in enumerate(tokens):
        if index and len(line) + 1 + len(token) > LINE:
            lines.append(line)
            line = ""
        line += " " + token
    lines.append(line)
    return "\r\n".join(lines)


def _check_header_value(value: str, field: str) -> str:
    if any(c in value for c in "\r\n\x00"):
        raise MessageError(field, "line breaks are not allowed in a header")
    return value


def unstructured(name: str, value: str) -> str:
    """A header of free text (Subject, X-…): as is when it can be, else encoded words.

    Leading and trailing spaces go: readers drop them when they unfold the line anyway.
    """
    value = _check_header_value(str(value), name).strip()
    words = value.split(" ")
    plain = (
        value.isascii()
        and "=?" not in value
        and all(len(word) <= LINE - len(name) - 2 for word in words)
        and value.isprintable()
    )
    if plain:
        return _fold(name, words)
    return _fold(name, _encoded_words(value, LINE - len(name) - 2))


def address_header(name: str, values: Iterable[str]) -> str:
    """``To: Ann <a@x>, "Smith, Bo" <b@y>``: one mailbox after another, folded between
    words."""
    tokens: list[str] = []
    for index, value in enumerate(values):
        room = LINE - len(name) - 2 if index == 0 else LINE - 1
        mailbox = _mailbox(_check_header_value(str(value), name), name, room)
        if index:
            tokens[-1] += ","
        tokens.extend(mailbox)
    return _fold(name, tokens)


def _parameter(key: str, value: str) -> str:
    """``key="value"``, or RFC 2231's ``key*=utf-8''…`` for what a quoted string cannot
    carry."""
    if _SAFE_FILENAME.match(value) and "=?" not in value:
        return f'{key}="{value}"'
    return f"{key}*=utf-8''{quote(value, safe='')}"


# --------------------------------------------------------------------------- parts


def _crlf(text: str) -> str:
    return _LINE_BREAK.sub("\r\n", text)


def _text_part(text: str, content_type: str) -> tuple[str, bytes]:
    """(headers, body) of a UTF-8 text part: 7bit/8bit, quoted-printable for long lines."""
    body = _crlf(text).encode("utf-8")
    if any(len(line) > SMTP_LINE for line in body.split(b"\r\n")):
        encoded = binascii.b2a_qp(body.replace(b"\r\n", b"\n"), istext=True)
        return (
            f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: quoted-printable",
            encoded.replace(b"\n", b"\r\n"),
        )
    encoding = "7bit" if body.isascii() else "8bit"
    return f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: {encoding}", body


def _base64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n").rstrip(b"\r\n")


def _attachment_part(item: object, field: str) -> tuple[str, bytes]:
    try:
        filename, content, mimetype = item  # type: ignore[misc]
    except (TypeError, ValueError):
        raise MessageError(field, "an attachment is (file name, content, MIME type)") from None
    filename = _check_header_value(str(filename), field)
    mimetype = mimetype or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    disposition = f"Content-Disposition: attachment; {_parameter('filename', filename)}"
    main = mimetype.split("/", 1)[0].lower()
    if main == "text" and isinstance(content, bytes):
        try:
            content = content.decode("utf-8")
        except UnicodeDecodeError:
            mimetype = "application/octet-stream"
    if main == "text" and isinstance(content, str):
        headers, body = _text_part(content, f'{mimetype}; charset="utf-8"')
        return f"{headers}\r\n{disposition}", body
    if mimetype.lower() == "message/rfc822" and isinstance(content, bytes):
        body = _crlf(content.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
        encoding = "7bit" if body.isascii() else "8bit"
        return (
            f"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: {encoding}\r\n"
            f"{disposition}",
            body,
        )
    if isinstance(content, str):
        content = content.encode("utf-8")
    if not isinstance(content, bytes | bytearray):
        raise MessageError(field, "the content of an attachment must be bytes or text")
    return (
        f"Content-Type: {mimetype}; {_parameter('name', filename)}\r\n"
        f"Content-Transfer-Encoding: base64\r\n{disposition}",
        _base64(bytes(content)),
    )


def _multipart(subtype: str, parts: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    boundary = f"=_rdv_{secrets.token_hex(12)}"
    marker = boundary.encode("ascii")
    while any(marker in body for _headers, body in parts):  # pragma: no cover - 96 random bits
        boundary = f"=_rdv_{secrets.token_hex(12)}"
        marker = boundary.encode("ascii")
    chunks = []
    for headers, body in parts:
        chunks += [b"--", marker, b"\r\n", headers.encode("ascii"), b"\r\n\r\n", body, b"\r\n"]
    chunks += [b"--", marker, b"--\r\n"]
    return f'Content-Type: multipart/{subtype}; boundary="{boundary}"', b"".join(chunks)


def _alternative_type(message: EmailMessage, mimetype: str) -> str:
    if mimetype.lower() == CALENDAR and getattr(message, "itip_method", None):
        # Unquoted and in this order, as Outlook and Exchange write it themselves: clients
        # need the method parameter to offer Accept/Decline.
        return f"text/calendar; method={message.itip_method}; charset=UTF-8"
    return f'{mimetype}; charset="utf-8"'


def _body(message: EmailMessage) -> tuple[str, bytes]:
    text_type = f'text/{message.content_subtype}; charset="utf-8"'
    body = _text_part(str(message.body or ""), text_type)
    alternatives = getattr(message, "alternatives", None) or []
    if alternatives:
        parts = [body] if message.body else []
        for index, (content, mimetype) in enumerate(alternatives):
            if not isinstance(content, str):
                raise MessageError(f"alternatives[{index}]", "an alternative must be text")
            parts.append(_text_part(content, _alternative_type(message, mimetype)))
        body = _multipart(message.alternative_subtype, parts)
    if message.attachments:
        parts = [body] if message.body or alternatives else []
        parts += [
            _attachment_part(item, f"attachments[{index}]")
            for index, item in enumerate(message.attachments)
        ]
        body = _multipart(message.mixed_subtype, parts)
    return body


# --------------------------------------------------------------------------- messages


def message_bytes(
    message: EmailMessage, *, message_id: str, date: dt.datetime | None = None
) -> bytes:
    """The whole message (headers and body, CRLF line ends), as it goes to the relay.

    ``extra_headers`` may replace From, To, Cc, Reply-To and Date in the headers (not in
    the envelope), as with Django; Bcc never appears. Raises ``MessageError`` naming the
    field that cannot be written.
    """
    extra = {str(k): str(v) for k, v in message.extra_headers.items()}
    given = {k.lower(): v for k, v in extra.items()}
    content_headers, body = _body(message)
    when = date or dt.datetime.now(dt.UTC)
    lines = [content_headers, "MIME-Version: 1.0", unstructured("Subject", str(message.subject))]
    defaults = {
        "From": [message.from_email],
        "To": message.to,
        "Cc": message.cc,
        "Reply-To": message.reply_to,
    }
    for name, values in defaults.items():
        if name.lower() in given:
            values = [formataddr(pair) for pair in getaddresses([given[name.lower()]])]
        if values:
            lines.append(address_header(name, values))
    date_value = given.get("date") or format_datetime(when)
    lines.append(_check_header_value(f"Date: {date_value}", "Date"))
    lines.append(_check_header_value(f"Message-ID: {message_id}", "Message-ID"))
    for name, value in extra.items():
        if name.lower() == "sender":
            lines.append(address_header(name, [value]))
        elif name.lower() not in _OWN_HEADERS:
            lines.append(unstructured(name, value))
    head = "\r\n".join(lines).encode("ascii")
    return head + b"\r\n\r\n" + body + (b"" if body.endswith(b"\r\n") else b"\r\n")
