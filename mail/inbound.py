"""What happens to one mail that arrived at the inbound address: a plain, testable function.

The SMTP listener (``mail.inbound_smtp``, run by ``manage.py inbound_smtp``) is a thin
adapter that hands every accepted message to ``handle_inbound_message``; tests and other
transports (an MTA pipe, say) can call it directly.

Mail from the internet is hostile until proven otherwise. The function never raises: it
refuses what is too large, lets ``mail.inbound_parse`` read the REPLYs out of the MIME
tree within its limits (bounces and auto-replies are recognised there and ignored), finds
the plus-address token of each recipient at ``INBOUND_DOMAIN`` and asks the registered
``"reply"`` handler (``events.answers.apply_guest_reply``) to apply each REPLY under that
token, which checks that the token is known, that the ATTENDEE in the body is the guest
the token was given to, and that the answer is not older than the last one applied. What
a person wrote without answering (a mail without a calendar, a COUNTER or other method we
do not apply) and the note sent with an answer go to the ``"message"`` handler
(``events.guest_messages``), which keeps it and forwards it to the organizer. Every
message that changes nothing is logged with the reason.
"""

from __future__ import annotations

import email.policy
import logging
from collections.abc import Iterable
from email.parser import BytesHeaderParser

from django.conf import settings

from accounts.text import text_problem

from . import inbound_handlers, inbound_parse

logger = logging.getLogger("mail.inbound")

#: The largest message accepted; the SMTP listener refuses bigger ones with 552 in DATA.
MAX_BYTES = inbound_parse.MAX_BYTES
#: Plus-addresses one message may answer for (an invitation has exactly one).
MAX_TOKENS = 5

#: What a person wrote without answering (no calendar, or a calendar that is no REPLY):
#: passed on to the organizer.
PASSED_ON = frozenset({inbound_parse.NO_CALENDAR, inbound_parse.NOT_A_REPLY})

# Outcomes of this layer (the handlers add their own: applied, forwarded, unknown_token...).
DISABLED = "inbound-disabled"
NO_TOKEN = "no-token"
ERROR = "error"


def handle_inbound_message(raw: bytes, *, mail_from: str, rcpt_tos: list[str]) -> list[str]:
    """Apply the iMIP REPLYs in one inbound mail; return one outcome code per attempt.

    ``mail_from`` is the SMTP envelope sender (``""`` for a bounce), ``rcpt_tos`` the
    envelope recipients. The result is e.g. ``["applied"]``, ``["duplicate"]``, or a single
    reason why the whole message was ignored (``["auto-reply"]``, ``["too-large"]``,
    ``["no-token"]``...). Never raises: an unexpected error is logged and reported as
    ``["error"]``, so a listener calling this keeps serving.
    """
    try:
        return _handle(raw, mail_from, list(rcpt_tos or []))
    except Exception:
        logger.exception(
            "inbound mail failed unexpectedly: from=%r rcpt=%r size=%s",
            mail_from,
            _short(rcpt_tos),
            _size(raw),
        )
        return [ERROR]


def _handle(raw: bytes, mail_from: str, rcpt_tos: list[str]) -> list[str]:
    domain = settings.INBOUND_DOMAIN
    size = _size(raw)
    if not domain:
        _ignored(DISABLED, "INBOUND_DOMAIN is not set", mail_from, rcpt_tos, None, size)
        return [DISABLED]
    raw = bytes(raw)
    if size > MAX_BYTES:
        _rejected(inbound_parse.TOO_LARGE, f"{size} bytes > {MAX_BYTES}", mail_from, rcpt_tos, size)
        return [inbound_parse.TOO_LARGE]

    result = inbound_parse.extract_replies(
        raw,
        envelope_sender=mail_from,
        envelope_recipients=rcpt_tos,
        inbound_domain=domain,
        max_bytes=MAX_BYTES,
    )
    message_id = _message_id(raw)
    if result.reason in PASSED_ON and result.tokens and (result.text or result.subject):
        # Words for the organizer, not an answer: kept and forwarded.
        outcomes = [
            inbound_handlers.get("message")(
                token=token,
                subject=result.subject,
                text=result.text,
                raw=raw,
                message_id=message_id,
            )
            for token in result.tokens[:MAX_TOKENS]
        ]
        if "forwarded" in outcomes:
            logger.info(
                "inbound mail passed on: outcomes=%s from=%r message_id=%r",
                outcomes,
                mail_from,
                message_id,
            )
        else:
            detail = f"{result.reason}, not passed on"
            _ignored(",".join(outcomes), detail, mail_from, rcpt_tos, message_id, size)
        return outcomes
    if result.ignorable:
        if result.outcome == inbound_parse.REJECTED:
            _rejected(result.reason, result.detail, mail_from, rcpt_tos, size)
        else:
            _ignored(result.reason, result.detail, mail_from, rcpt_tos, message_id, size)
        return [result.reason]
    tokens = result.tokens[:MAX_TOKENS]
    if not tokens:
        _ignored(
            NO_TOKEN,
            f"no reply+<token>@{domain} among the recipients",
            mail_from,
            rcpt_tos,
            message_id,
            size,
        )
        return [NO_TOKEN]

    if result.outcome == inbound_parse.COUNTERS:
        outcomes = [
            inbound_handlers.get("counter")(token=token, counter=counter, message_id=message_id)
            for token in tokens
            for counter in result.counters
        ]
        logger.info("inbound COUNTER handled: outcomes=%s from=%r", outcomes, mail_from)
        return outcomes
    if result.outcome == inbound_parse.REFRESHES:
        outcomes = [
            inbound_handlers.get("refresh")(token=token, uid=uid, attendee_email=address)
            for token in tokens
            for uid, address in result.refreshes
        ]
        logger.info("inbound REFRESH handled: outcomes=%s from=%r", outcomes, mail_from)
        return outcomes
    outcomes: list[str] = []
    for token in tokens:
        for reply in result.replies:
            outcomes.append(
                inbound_handlers.get("reply")(token=token, reply=reply, message_id=message_id)
            )
        notes = list(dict.fromkeys(reply.comment for reply in result.replies if reply.comment))
        if notes:  # the note sent with the answer reaches the organizer too
            outcomes.append(
                inbound_handlers.get("message")(
                    token=token,
                    subject=result.subject,
                    text="\n\n".join(notes),
                    raw=raw,
                    message_id=message_id,
                    kind="comment",
                )
            )
    logger.info(
        "inbound mail handled: outcomes=%s from=%r message_id=%r replies=%d problems=%s",
        outcomes,
        mail_from,
        message_id,
        len(result.replies),
        list(result.problems),
    )
    return outcomes


def _message_id(raw: bytes) -> str | None:
    """The Message-ID header (headers only are parsed; the size is already bounded)."""
    try:
        headers = BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
        value = headers.get("Message-ID")
    except Exception:
        return None
    if value is None:
        return None
    text = " ".join(str(value).split())
    if text_problem(text):  # undecodable bytes or NUL: no Message-ID to remember, then
        return None
    return text[:998] or None


def _size(raw: object) -> int:
    try:
        return len(raw)  # type: ignore[arg-type]
    except TypeError:
        return -1


def _short(values: Iterable[str] | None, limit: int = 5) -> list[str]:
    items = list(values or [])
    return [str(v)[:200] for v in items[:limit]] + (
        [f"+{len(items) - limit}"] * (len(items) > limit)
    )


def _ignored(
    reason: str,
    detail: str,
    mail_from: str,
    rcpt_tos: list[str],
    message_id: str | None,
    size: int,
) -> None:
    logger.info(
        "inbound mail ignored: reason=%s (%s) from=%r rcpt=%r message_id=%r size=%d",
        reason,
        detail,
        mail_from,
        _short(rcpt_tos),
        message_id,
        size,
    )


def _rejected(reason: str, detail: str, mail_from: str, rcpt_tos: list[str], size: int) -> None:
    logger.warning(
        "inbound mail refused: reason=%s (%s) from=%r rcpt=%r size=%d",
        reason,
        detail,
        mail_from,
        _short(rcpt_tos),
        size,
    )
