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
    """Deliver one message in a session of its own (see ``Session``)."""
    with Session() as session:
        return session.send(sender=sender, recipients=recipients, raw=raw, ident=ident)


class Session:
    """One conversation with the relay for as many messages as the caller has.

    A new connection per message is what made 500 invitations take 20 times as long as
    the mail server needs (TCP, EHLO, STARTTLS and AUTH each time). A session connects on
    its first message and keeps the connection for the next ones; a refusal of one
    message leaves it usable (smtplib resets the transaction), a lost connection is
    opened again for the next message. Without ``SMTP_HOST`` each message is written to
    ``MAIL_FILE_DIR/<timestamp>-<ident>.eml`` so development needs no mail server.
    """

    #: Messages sent over one connection before the session opens a new one (relays may
    #: limit it; Postfix's default client reuse and Exchange's limits are about this size).
    MESSAGES_PER_CONNECTION = 100

    def __init__(self) -> None:
        self._conn: smtplib.SMTP | None = None
        self._sent_on_connection = 0

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(self, *, sender: str, recipients: Sequence[str], raw: bytes, ident: str) -> Refusals:
        """Deliver ``raw``; return the recipients refused among accepted ones.

        Raises ``DeliveryError`` for this message alone; the session stays usable.
        """
        if not recipients:
            raise DeliveryError("no recipients", permanent=True)
        if not settings.SMTP_HOST:
            _write_file(sender, list(recipients), raw, ident)
            return {}
        return self._send_smtp(sender, list(recipients), raw)

    def close(self) -> None:
        """Say goodbye; the relay already holds every message it accepted."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            conn.close()

    def _where(self) -> str:
        return f"{settings.SMTP_HOST}:{settings.SMTP_PORT}"

    def _connection(self) -> smtplib.SMTP:
        if self._sent_on_connection >= self.MESSAGES_PER_CONNECTION:
            self.close()
        if self._conn is not None and self._conn.sock is not None:
            return self._conn
        self._conn = None
        self._sent_on_connection = 0
        host, port, timeout = settings.SMTP_HOST, settings.SMTP_PORT, settings.SMTP_TIMEOUT
        security = settings.SMTP_SECURITY
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
            raise DeliveryError(
                f"cannot connect to {self._where()}: {exc!r}", permanent=False
            ) from exc
        try:
            if security == "starttls":
                conn.starttls(context=ssl_context())
            if settings.SMTP_USER:
                conn.login(settings.SMTP_USER, settings.SMTP_PASSWORD or "")
        except (OSError, smtplib.SMTPException) as exc:
            # STARTTLS or AUTH trouble: the relay's configuration, worth another try later.
            conn.close()
            raise DeliveryError(f"{self._where()}: {exc!r}", permanent=False) from exc
        self._conn = conn
        return conn

    def _send_smtp(self, sender: str, recipients: list[str], raw: bytes) -> Refusals:
        conn = self._connection()
        where = self._where()
        self._sent_on_connection += 1
        try:
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
            # Disconnects and timeouts: the relay, not this message. The connection is
            # dropped; the next message opens a new one.
            self._drop()
            raise DeliveryError(f"{where}: {exc!r}", permanent=False) from exc
        return {r: (code, _reply_text(msg)) for r, (code, msg) in refused.items()}

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


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
