"""Read iMIP REPLYs out of whatever mail arrives at the inbound address. Pure, never raises.

What real clients send varies (see ../shared/interop/README.md): the ``method=`` MIME
parameter may be missing, the calendar may sit deep in nested multiparts in any transfer
encoding, ORGANIZER may lack ``mailto:`` or be absent. So we read METHOD from the
VCALENDAR itself and look at every calendar-looking part.

Mail from the internet is hostile until proven otherwise: size, MIME depth and part count
are bounded before and after parsing; auto-replies and bounces are recognised and ignored
(answering them could loop); a malformed calendar is reported, not raised. The caller (the
SMTP listener and the REPLY service) decides what a reply may change: each
``ParsedReply`` names the attendee written in the calendar, and the caller must check that
it is the invited person the plus-address token belongs to.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from email.message import Message
from email.utils import getaddresses, parseaddr

from icalendar import Calendar

from . import inbound_itip, inbound_text
from .inbound_itip import ParsedCounter
from .inbound_values import delegate, instant, person_address, read_sequence

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 10
MAX_PARTS = 200
MAX_REPLIES = 50
# ATTENDEE lines in all the calendars of one message, counted before parsing: a REPLY
# names its one attendee (some clients echo the guest list: ours has at most 1,000).
MAX_ATTENDEE_LINES = 1200
_ATTENDEE_LINE = re.compile(r"^ATTENDEE[;:]", re.MULTILINE | re.IGNORECASE)
# Components and content lines in all the calendars of one message, also counted before
# parsing. A reply is a few dozen lines; a series with its time zones a few hundred.
MAX_COMPONENTS = 500
MAX_CALENDAR_LINES = 20_000
_BEGIN_LINE = re.compile(r"^BEGIN:", re.MULTILINE | re.IGNORECASE)
# Counted in the raw bytes before parsing, so that a bomb of nested multiparts never
# reaches the (recursive) stdlib parser. Generous: real mail has a handful.
_MAX_MULTIPART_MENTIONS = 500
# Likewise lines starting with "--" (boundary delimiters): 400 000 empty parts in 4 MB
# would keep the parser busy for half a minute before the part count could be checked.
_MAX_DELIMITER_LINES = 2000

# Reason codes (stable, for logs and tests).
OK = "ok"
TOO_LARGE = "too-large"
TOO_DEEP = "too-deep"
TOO_MANY_PARTS = "too-many-parts"
UNPARSEABLE = "unparseable"
AUTO_REPLY = "auto-reply"
BOUNCE = "bounce"
NO_CALENDAR = "no-calendar"
NOT_A_REPLY = "not-a-reply"
MALFORMED_CALENDAR = "malformed-calendar"
NO_USABLE_REPLY = "no-usable-reply"
TOO_MANY_ATTENDEES = "too-many-attendees"
TOO_MANY_COMPONENTS = "too-many-components"
TOO_MANY_LINES = "too-many-lines"

REPLIES = "replies"
REFRESHES = "refresh"  # METHOD:REFRESH: an attendee's client asks for the current event
COUNTERS = "counter"  # METHOD:COUNTER: an attendee proposes another time
IGNORED = "ignored"
REJECTED = "rejected"

PARTSTATS = frozenset({"NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED"})
_CALENDAR_TYPES = frozenset(
    {"text/calendar", "application/ics", "text/x-vcalendar", "application/x-ics"}
)
_REPORT_TYPES = frozenset({"message/delivery-status", "message/disposition-notification"})
_TOKEN = re.compile(r"[a-z2-7]{26,128}\Z")
_ANGLE_ADDRESS = re.compile(r"[^<>]*<(?P<addr>[^<>]*)>\s*\Z")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ParsedReply:
    """One ATTENDEE's answer from a METHOD:REPLY VEVENT."""

    uid: str
    attendee_email: str
    partstat: str
    sequence: int = 0
    dtstamp: dt.datetime | None = None
    # Aware (UTC); naive when the client wrote a floating time: the series' zone places it.
    recurrence_id: dt.datetime | None = None
    organizer_email: str | None = None
    comment: str = ""  # the note a client sends with the answer (COMMENT)
    delegated_to: str = ""  # DELEGATED: the delegate's address (DELEGATED-TO)


@dataclass(frozen=True)
class InboundResult:
    """What one inbound mail amounts to.

    ``outcome`` is ``"replies"`` (``replies`` non-empty), ``"ignored"`` (nothing to do:
    auto-reply, bounce, no calendar, not a REPLY, unreadable calendar) or ``"rejected"``
    (refused for size or structure). ``reason`` is a stable code, ``detail`` a sentence for
    the log, ``problems`` what was skipped along the way. ``tokens`` are the plus-address
    tokens of the recipients at the inbound domain.
    """

    outcome: str
    reason: str
    detail: str = ""
    replies: tuple[ParsedReply, ...] = ()
    tokens: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    sender: str | None = None
    # (UID, attendee address) of each METHOD:REFRESH VEVENT.
    refreshes: tuple[tuple[str, str], ...] = ()
    counters: tuple[ParsedCounter, ...] = ()
    # What a person wrote (``mail.inbound_text``): passed on to the organizer.
    subject: str = ""
    text: str = ""

    @property
    def ignorable(self) -> bool:
        return self.outcome not in (REPLIES, REFRESHES, COUNTERS)


def recipient_token(address: str, inbound_domain: str) -> str | None:
    """``reply+<token>@<inbound_domain>`` → ``<token>``; anything else → None.

    The token is what the invitation put there: lower-case base32 (a–z, 2–7), at least 26
    characters (128 bits). The domain compares case-insensitively; a display name or angle
    brackets around the address are allowed.
    """
    if not isinstance(address, str) or not isinstance(inbound_domain, str) or not inbound_domain:
        return None
    if _CONTROL_OR_BREAK.search(address):
        return None
    match = _ANGLE_ADDRESS.match(address)
    addr = (match["addr"] if match else address).strip()
    if addr.count("@") != 1 or any(c.isspace() for c in addr):
        return None
    local, domain = addr.split("@")
    if domain.lower().rstrip(".") != inbound_domain.lower().rstrip("."):
        return None
    prefix, plus, token = local.partition("+")
    if not plus or prefix.lower() != "reply" or not _TOKEN.match(token):
        return None
    return token


def extract_replies(
    raw: bytes,
    *,
    envelope_sender: str | None = None,
    envelope_recipients: Iterable[str] | None = None,
    inbound_domain: str | None = None,
    max_bytes: int = MAX_BYTES,
) -> InboundResult:
    """Parse one whole inbound mail (or a bare .ics) and return the REPLYs in it.

    ``envelope_sender`` is the SMTP MAIL FROM (``""`` or ``"<>"`` means a bounce; None when
    unknown). Tokens come from ``envelope_recipients`` (RCPT TO), or from the To/Cc/
    Delivered-To headers when no envelope is given. Never raises for any input.
    """
    try:
        return _extract(raw, envelope_sender, envelope_recipients, inbound_domain, max_bytes)
    except RecursionError:
        return InboundResult(REJECTED, TOO_DEEP, "MIME structure nested too deeply to parse")
    except Exception as exc:  # last line of defence: hostile input must not crash the listener
        return InboundResult(IGNORED, UNPARSEABLE, f"could not read the message: {exc!r}")


def _extract(
    raw: bytes,
    envelope_sender: str | None,
    envelope_recipients: Iterable[str] | None,
    inbound_domain: str | None,
    max_bytes: int,
) -> InboundResult:
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    raw = bytes(raw)
    if len(raw) > max_bytes:
        return InboundResult(
            REJECTED, TOO_LARGE, f"message is {len(raw)} bytes; the limit is {max_bytes}"
        )

    if _looks_like_bare_calendar(raw):
        tokens = _tokens(envelope_recipients or (), inbound_domain)
        if _null_sender(envelope_sender):
            return InboundResult(IGNORED, BOUNCE, "null envelope sender (<>)", tokens=tokens)
        return _from_calendars([_decode_text(raw, None)], tokens, [], sender=None)

    multiparts = raw.lower().count(b"multipart")
    if multiparts > _MAX_MULTIPART_MENTIONS:
        return InboundResult(
            REJECTED, TOO_MANY_PARTS, f"{multiparts} multipart declarations; refusing to parse"
        )
    delimiters = raw.count(b"\n--") + raw.startswith(b"--")
    if delimiters > _MAX_DELIMITER_LINES:
        return InboundResult(
            REJECTED, TOO_MANY_PARTS, f"{delimiters} boundary lines; refusing to parse"
        )
    message = email.message_from_bytes(raw, policy=email.policy.default)

    leaves, content_types, structure_error = _walk(message)
    if structure_error is not None:
        return structure_error

    sender = _sender(message)
    if envelope_recipients is None:
        envelope_recipients = _header_recipients(message)
    tokens = _tokens(envelope_recipients, inbound_domain)

    automatic = _automatic(message, envelope_sender, content_types)
    if automatic is not None:
        reason, detail = automatic
        return InboundResult(IGNORED, reason, detail, tokens=tokens, sender=sender)

    problems: list[str] = []
    texts: list[str] = []
    for part in leaves:
        text = _calendar_text(part, problems)
        if text is not None:
            texts.append(text)
    written = {"subject": inbound_text.subject_of(message), "text": inbound_text.human_text(leaves)}
    if not texts:
        return InboundResult(
            IGNORED,
            NO_CALENDAR,
            "no calendar part found",
            tokens=tokens,
            problems=tuple(problems),
            sender=sender,
            **written,
        )
    return replace(_from_calendars(texts, tokens, problems, sender=sender), **written)


# ---------------------------------------------------------------- MIME structure


def _walk(message: Message) -> tuple[list[Message], set[str], InboundResult | None]:
    """Leaf parts outside attached messages and every content type, within the limits.

    Iterative, so that no depth of nesting can exhaust the stack here.

    Calendars inside an attached message (message/rfc822: a forward, the original in a
    bounce) are someone else's, not this sender's answer: counted, never read.
    """
    leaves: list[Message] = []
    content_types: set[str] = set()
    stack: list[tuple[Message, int, bool]] = [(message, 0, False)]
    seen = 0
    while stack:
        part, depth, inside_message = stack.pop()
        seen += 1
        if depth > MAX_DEPTH:
            error = InboundResult(
                REJECTED, TOO_DEEP, f"MIME nesting deeper than {MAX_DEPTH} levels"
            )
            return leaves, content_types, error
        if seen > MAX_PARTS:
            error = InboundResult(REJECTED, TOO_MANY_PARTS, f"more than {MAX_PARTS} parts")
            return leaves, content_types, error
        content_types.add(part.get_content_type())
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            nested = inside_message or part.get_content_maintype() == "message"
            for child in reversed(payload):
                if isinstance(child, Message):
                    stack.append((child, depth + 1, nested))
        elif not inside_message:
            leaves.append(part)
    return leaves, content_types, None


def _automatic(
    message: Message, envelope_sender: str | None, content_types: set[str]
) -> tuple[str, str] | None:
    """Why this mail was written by a machine (auto-reply, bounce), or None.

    Both must be ignored (RFC 3834): answering them can loop, and an out-of-office note
    that quotes our invitation must not count as anyone's answer.
    """
    if _null_sender(envelope_sender):
        return BOUNCE, "null envelope sender (<>)"
    return_path = message.get_all("Return-Path") or []
    if any(str(value).strip() in ("<>", "") for value in return_path):
        return BOUNCE, "null Return-Path (<>)"
    if message.get_content_type() == "multipart/report":
        return BOUNCE, "multipart/report (delivery or read report)"
    reports = sorted(content_types & _REPORT_TYPES)
    if reports:
        return BOUNCE, f"{reports[0]} part"
    auto_submitted = str(message.get("Auto-Submitted", "")).split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return AUTO_REPLY, f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autogenerated"):
        value = str(message.get(name, "")).strip().lower()
        if value and value not in ("no", "false", "0"):
            return AUTO_REPLY, f"{name}: {value}"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in ("bulk", "auto_reply", "junk"):
        return AUTO_REPLY, f"Precedence: {precedence}"
    return None


def _null_sender(envelope_sender: str | None) -> bool:
    """MAIL FROM:<> is how bounces and other delivery reports arrive (RFC 5321 §4.5.5)."""
    return envelope_sender is not None and envelope_sender.strip() in ("", "<>")


def _looks_like_bare_calendar(raw: bytes) -> bool:
    head = raw[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:15].upper() == b"BEGIN:VCALENDAR"


def _calendar_text(part: Message, problems: list[str]) -> str | None:
    """The decoded text of a part if it holds a calendar, else None."""
    content_type = part.get_content_type()
    filename = (part.get_filename() or "").lower()
    candidate = content_type in _CALENDAR_TYPES or filename.endswith((".ics", ".ical", ".ifb"))
    if not candidate and content_type != "text/plain":
        return None
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return None
    if not candidate and not _looks_like_bare_calendar(data):
        return None  # an ordinary text body
    if not data.strip():
        problems.append(f"empty {content_type} part")
        return None
    return _decode_text(data, part.get_content_charset())


def _decode_text(data: bytes, charset: str | None) -> str:
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")


# ---------------------------------------------------------------- addresses and tokens


def _sender(message: Message) -> str | None:
    try:
        _name, addr = parseaddr(str(message.get("From", "")))
    except Exception:
        return None
    return addr.lower() or None


def _header_recipients(message: Message) -> list[str]:
    values: list[str] = []
    for name in ("Delivered-To", "X-Original-To", "To", "Cc"):
        values.extend(str(v) for v in message.get_all(name) or [])
    return [addr for _name, addr in getaddresses(values) if addr]


def _tokens(recipients: Iterable[str], inbound_domain: str | None) -> tuple[str, ...]:
    if not inbound_domain:
        return ()
    found: list[str] = []
    for address in recipients:
        token = recipient_token(address, inbound_domain)
        if token is not None and token not in found:
            found.append(token)
    return tuple(found)


# ---------------------------------------------------------------- calendars


def _from_calendars(
    texts: list[str], tokens: tuple[str, ...], problems: list[str], *, sender: str | None
) -> InboundResult:
    replies: list[ParsedReply] = []
    refreshes: list[tuple[str, str]] = []
    counters: list[ParsedCounter] = []
    seen: set[ParsedReply] = set()
    methods: list[str] = []
    readable = 0
    counts = (
        (TOO_MANY_ATTENDEES, "ATTENDEE lines", MAX_ATTENDEE_LINES,
         sum(len(_ATTENDEE_LINE.findall(t)) for t in texts)),
        (TOO_MANY_COMPONENTS, "components", MAX_COMPONENTS,
         sum(len(_BEGIN_LINE.findall(t)) for t in texts)),
        (TOO_MANY_LINES, "content lines", MAX_CALENDAR_LINES, sum(t.count("\n") for t in texts)),
    )  # fmt: skip
    for reason, what, limit, count in counts:
        if count > limit:
            return InboundResult(
                REJECTED,
                reason,
                f"{count} {what}; the limit is {limit}",
                tokens=tokens,
                problems=tuple(problems),
                sender=sender,
            )
    for text in texts:
        try:
            calendars = Calendar.from_ical(text, multiple=True)
        except Exception as exc:
            problems.append(f"unreadable calendar: {exc}")
            continue
        for calendar in calendars:
            if not isinstance(calendar, Calendar):
                problems.append(f"top-level {getattr(calendar, 'name', '?')} is not a VCALENDAR")
                continue
            readable += 1
            method = str(calendar.get("METHOD", "")).strip().upper()
            methods.append(method or "(none)")
            if method == "REFRESH":
                refreshes.extend(inbound_itip.refreshes(calendar))
                continue
            if method == "COUNTER":
                counters.extend(inbound_itip.counters(calendar, problems))
                continue
            if method != "REPLY":
                continue
            for event in calendar.walk("VEVENT"):
                for reply in _event_replies(event, problems):
                    if reply not in seen:  # a set: a list's "in" made this quadratic
                        seen.add(reply)
                        replies.append(reply)
    common = {"tokens": tokens, "problems": tuple(problems), "sender": sender}
    if len(replies) > MAX_REPLIES:
        problems.append(f"{len(replies)} replies; only the first {MAX_REPLIES} are kept")
        replies = replies[:MAX_REPLIES]
        common["problems"] = tuple(problems)
    if replies:
        return InboundResult(REPLIES, OK, f"{len(replies)} reply(ies)", tuple(replies), **common)
    if refreshes:
        wanted = tuple(dict.fromkeys(refreshes))[:MAX_REPLIES]
        return InboundResult(REFRESHES, OK, "REFRESH", refreshes=wanted, **common)
    if counters:
        proposals = tuple(dict.fromkeys(counters))[:MAX_REPLIES]
        return InboundResult(COUNTERS, OK, "COUNTER", counters=proposals, **common)
    if readable == 0:
        return InboundResult(IGNORED, MALFORMED_CALENDAR, "no readable VCALENDAR", **common)
    if "REPLY" not in methods:
        return InboundResult(
            IGNORED, NOT_A_REPLY, f"METHOD {', '.join(sorted(set(methods)))}", **common
        )
    return InboundResult(IGNORED, NO_USABLE_REPLY, "REPLY without a usable attendee", **common)


def _event_replies(event, problems: list[str]) -> list[ParsedReply]:
    uid = str(event.get("UID", "")).strip()
    if not uid:
        problems.append("VEVENT without UID")
        return []
    organizer_prop = event.get("ORGANIZER")
    if isinstance(organizer_prop, list):
        organizer_prop = organizer_prop[0] if organizer_prop else None
    organizer = person_address(organizer_prop)
    sequence = read_sequence(event.get("SEQUENCE"), problems)
    dtstamp = instant(event.get("DTSTAMP"))
    recurrence_id = instant(event.get("RECURRENCE-ID"), floating=True)
    comment = inbound_text.comment_of(event)
    attendees = event.get("ATTENDEE")
    if attendees is None:
        problems.append(f"REPLY for {uid} names no ATTENDEE")
        return []
    if not isinstance(attendees, list):
        attendees = [attendees]
    replies = []
    for attendee in attendees:
        address = person_address(attendee)
        if address is None:
            problems.append(f"REPLY for {uid}: unusable ATTENDEE {str(attendee)[:100]!r}")
            continue
        params = getattr(attendee, "params", {}) or {}
        partstat = str(params.get("PARTSTAT", "NEEDS-ACTION")).strip().upper()
        if partstat not in PARTSTATS:
            problems.append(f"REPLY for {uid}: unknown PARTSTAT {partstat[:40]!r}")
            continue
        replies.append(
            ParsedReply(
                uid=uid,
                attendee_email=address,
                partstat=partstat,
                sequence=sequence,
                dtstamp=dtstamp,
                recurrence_id=recurrence_id,
                organizer_email=organizer,
                comment=comment,
                delegated_to=delegate(params) if partstat == "DELEGATED" else "",
            )
        )
    return replies
