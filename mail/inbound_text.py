"""What a person wrote in an inbound mail: its subject, its text, a reply's COMMENT.

A guest who presses "Reply" and writes "I'll be 10 minutes late" sends no calendar at all;
a client's Accept can carry a note (COMMENT). Both are passed on to the organizer
(``events.guest_messages``), so they are read here, bounded and as plain text: the first
text part that is no attachment (or the first HTML part, without its tags), control
characters gone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.message import Message
from html import unescape

from django.utils.html import strip_tags

#: Characters of a message's text kept (what the organizer reads; the original is attached).
MAX_TEXT = 20_000
MAX_SUBJECT = 300
MAX_COMMENT = 2_000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def clean(text: str, limit: int) -> str:
    """Line breaks as \\n, other control characters gone, at most ``limit`` characters."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.strip()[:limit]


def subject_of(message: Message) -> str:
    try:
        value = str(message.get("Subject", "") or "")
    except Exception:  # a header the parser could not decode
        return ""
    return " ".join(clean(value, MAX_SUBJECT * 2).split())[:MAX_SUBJECT]


def human_text(leaves: Iterable[Message]) -> str:
    """The text a person wrote: the first inline text/plain part, else the first HTML."""
    html = None
    for part in leaves:
        if part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain":
            return clean(_decoded(part), MAX_TEXT)
        if kind == "text/html" and html is None:
            html = part
    if html is None:
        return ""
    return clean(unescape(strip_tags(_decoded(html))), MAX_TEXT)


def comment_of(vevent: object) -> str:
    """A REPLY's COMMENT (several are joined), as plain text."""
    get = getattr(vevent, "get", None)
    value = get("COMMENT") if get else None
    if value is None:
        return ""
    values = value if isinstance(value, list) else [value]
    return clean("\n".join(str(v) for v in values), MAX_COMMENT)


def _decoded(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    for charset in (part.get_content_charset(), "utf-8"):
        if not charset:
            continue
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")
