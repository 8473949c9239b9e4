"""Hand finished message bytes to the outside world: an SMTP relay, or ``.eml`` files.

This module knows nothing about the outbox table. It either delivers or raises a
``DeliveryError`` that says whether trying again later can help (``permanent=False``:
relay down, timeouts, 4xx answers, authentication or TLS problems an operator can fix) or
not (``permanent=True``: the relay answered 5xx to this message or to all its recipients).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import smtplib
import ssl
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

# 5xx answers that are about our configuration, not the message: 530 authentication or
# STARTTLS required, 534 mechanism too weak, 538 encryption required (RFC 4954). An
# operator can fix those, so they are retried like an outage instead of failing the mail.
CONFIGURATION_CODES = frozenset({530, 534, 538})

# Per-recipient refusals reported while other recipients were accepted:
# {address: (smtp_code, reply_text)}.
Refusals = dict[str, tuple[int, str]]


class DeliveryError(Exception):
    """Delivery did not happen; ``permanent`` tells whether a retry is pointless."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def is_permanent_code(code: int) -> bool:
    """True for an SMTP reply code that another try cannot fix."""
    return code >= 500 and code not in CONFIGURATION_CODES


def _reply_text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    return str(reply)


def _local_hostname() -> str:
    """EHLO name: the public host of BASE_URL (an address literal for an IP)."""
    host = urlsplit(settings.BASE_URL).hostname or "localhost"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    return f"[IPv6:{ip}]" if ip.version == 6 else f"[{ip}]"


def ssl_context() -> ssl.SSLContext:
    """Certificate and host name are verified against the system's trust store."""
    return ssl.create_default_context()


def send_raw(*, sender: str, recipients: Sequence[str], raw: bytes, ident: str) -> Refusals:
    """Deliver ``raw`` to ``recipients``; return the recipients refused among accepted ones.

    With ``SMTP_HOST`` set the message goes to that relay; otherwise it is written to
    ``MAIL_FILE_DIR/<timestamp>-<ident>.eml`` so development needs no mail server.
    """
    if not recipients:
        raise DeliveryError("no recipients", permanent=True)
    if settings.SMTP_HOST:
        return _send_smtp(sender, list(recipients), raw)
    _write_file(sender, list(recipients), raw, ident)
    return {}


def _send_smtp(sender: str, recipients: list[str], raw: bytes) -> Refusals:
    host, port = settings.SMTP_HOST, settings.SMTP_PORT
    security = settings.SMTP_SECURITY
    timeout = settings.SMTP_TIMEOUT
    where = f"{host}:{port}"
    try:
        if security == "tls":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                host,
                port,
                local_hostname=_local_hostname(),
                timeout=timeout,
                context=ssl_context(),
            )
        else:
            conn = smtplib.SMTP(host, port, local_hostname=_local_hostname(), timeout=timeout)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"cannot connect to {where}: {exc!r}", permanent=False) from exc

    try:
        try:
            if security == "starttls":
                conn.starttls(context=ssl_context())
            if settings.SMTP_USER:
                conn.login(settings.SMTP_USER, settings.SMTP_PASSWORD or "")
            refused = conn.sendmail(sender, recipients, raw)
        except smtplib.SMTPRecipientsRefused as exc:
            details = {r: (code, _reply_text(msg)) for r, (code, msg) in exc.recipients.items()}
            text = "; ".join(f"{r}: {code} {msg}" for r, (code, msg) in details.items())
            permanent = all(is_permanent_code(code) for code, _ in details.values())
            raise DeliveryError(
                f"{where} refused all recipients: {text}", permanent=permanent
            ) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            stage = "sender" if isinstance(exc, smtplib.SMTPSenderRefused) else "message"
            raise DeliveryError(
                f"{where} refused the {stage}: {exc.smtp_code} {_reply_text(exc.smtp_error)}",
                permanent=is_permanent_code(exc.smtp_code),
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            # Disconnects, timeouts, HELO/AUTH/STARTTLS trouble: the relay or its
            # configuration, not this message. Worth another try later.
            raise DeliveryError(f"{where}: {exc!r}", permanent=False) from exc
    except DeliveryError:
        conn.close()
        raise
    # The relay has taken responsibility for the message: trouble saying goodbye must not
    # turn into a retry (that would deliver it twice).
    try:
        conn.quit()
    except (OSError, smtplib.SMTPException):
        conn.close()
    return {r: (code, _reply_text(msg)) for r, (code, msg) in refused.items()}


def _write_file(sender: str, recipients: list[str], raw: bytes, ident: str) -> Path:
    directory = Path(settings.MAIL_FILE_DIR)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = directory / f"{stamp}-{ident}.eml"
    # Like a local delivery agent, record the envelope on top: Bcc recipients are
    # otherwise invisible in the file.
    envelope = (
        f"X-Envelope-From: <{sender}>\r\nX-Envelope-To: {', '.join(recipients)}\r\n"
    ).encode("ascii")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".eml")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(envelope + raw)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise DeliveryError(f"cannot write {path}: {exc!r}", permanent=False) from exc
    logger.info("mail written to %s", path)
    return path
