"""The inbound SMTP listener: a thin aiosmtpd adapter over ``mail.inbound``.

It speaks SMTP for one domain only (``INBOUND_DOMAIN``): a recipient at any other domain
is refused at RCPT (550, so nobody can relay through it), a message above
``mail.inbound.MAX_BYTES`` is refused with 552 at the end of DATA (aiosmtpd counts and
discards the excess without storing it), and everything else is accepted with 250 —
including mail that turns out to be useless (a bounce, an auto-reply, an unknown token):
refusing it would only make the sending server bounce it back to the guest. What
happened to each message is logged by ``handle_inbound_message``.

The work (parsing, database) runs in a small thread pool so one slow message never
stalls the SMTP conversations of others; any error there is logged and the listener
goes on.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.controller import Controller
from django.db import close_old_connections

from .inbound import MAX_BYTES, handle_inbound_message

logger = logging.getLogger("mail.inbound")

#: Recipients one message may have; an invitation's reply goes to exactly one.
MAX_RECIPIENTS = 20
#: Seconds an idle client may keep a connection open.
IDLE_TIMEOUT = 60
_CONTROL = re.compile(r"[\x00-\x1f\x7f\s]")

Handle = Callable[..., list[str]]


def _in_domain(address: str, domain: str) -> bool:
    if not isinstance(address, str) or _CONTROL.search(address) or address.count("@") != 1:
        return False
    local, _at, host = address.partition("@")
    return bool(local) and host.lower().rstrip(".") == domain.lower().rstrip(".")


class InboundHandler:
    """aiosmtpd handler: RCPT checks the domain, DATA passes the bytes to ``handle``."""

    def __init__(
        self,
        domain: str,
        *,
        handle: Handle = handle_inbound_message,
        workers: int = 4,
        max_recipients: int = MAX_RECIPIENTS,
    ) -> None:
        self.domain = domain
        self.handle = handle
        self.max_recipients = max_recipients
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inbound")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if not _in_domain(address, self.domain):
            logger.info(
                "inbound SMTP: refused RCPT %r from %r (not @%s)",
                str(address)[:200],
                session.peer,
                self.domain,
            )
            return f"550 5.7.1 Relaying denied: only mail for @{self.domain} is accepted here"
        if len(envelope.rcpt_tos) >= self.max_recipients:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content
        if raw is None:
            raw = envelope.content if isinstance(envelope.content, bytes) else b""
        mail_from = envelope.mail_from or ""
        rcpt_tos = list(envelope.rcpt_tos)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self.executor, self._work, bytes(raw), mail_from, rcpt_tos)
        except Exception:
            logger.exception("inbound SMTP: handling a message failed; it is dropped")
        return "250 2.0.0 Message accepted"

    def _work(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> list[str]:
        # This thread keeps its database connection between messages: drop it when it is
        # broken or past CONN_MAX_AGE, as Django does around each web request.
        close_old_connections()
        try:
            return self.handle(raw, mail_from=mail_from, rcpt_tos=rcpt_tos)
        finally:
            close_old_connections()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=False)


def make_controller(host: str, port: int, handler: InboundHandler) -> Controller:
    """An aiosmtpd Controller (not yet started) for the inbound listener."""
    return Controller(
        handler,
        hostname=host,
        port=port,
        server_hostname=handler.domain,
        ident="Rendezvous inbound",
        data_size_limit=MAX_BYTES,
        timeout=IDLE_TIMEOUT,
        enable_SMTPUTF8=True,
    )


class Listener:
    """The listener on one address; ``start()`` begins serving, ``stop()`` ends it."""

    def __init__(self, host: str, port: int, domain: str, *, handle: Handle | None = None):
        self.host = host
        self.port = port
        self.handler = InboundHandler(domain, handle=handle or handle_inbound_message)
        self.controller: Controller | None = None

    def start(self, *, attempts: int = 1) -> Listener:
        error: OSError | None = None
        for _ in range(attempts):
            controller = make_controller(self.host, self.port, self.handler)
            try:
                controller.start()
            except OSError as exc:  # the port may still be held briefly after a stop
                error = exc
                controller.stop(no_assert=True)
                time.sleep(0.1)
                continue
            self.controller = controller
            return self
        raise error or OSError(f"cannot listen on {self.host}:{self.port}")

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop(no_assert=True)
            self.controller = None
        self.handler.close()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (for tests and ``--port 0``)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def serve(
    host: str,
    port: int,
    domain: str,
    stop: threading.Event,
    *,
    on_ready: Callable[[Listener], None] | None = None,
) -> None:
    """Listen until ``stop`` is set (the command sets it on SIGINT/SIGTERM)."""
    listener = Listener(host, port, domain).start(attempts=3)
    logger.info("inbound SMTP listening on %s:%s for @%s", host, port, domain)
    try:
        if on_ready is not None:
            on_ready(listener)
        stop.wait()
    finally:
        listener.stop()
        logger.info("inbound SMTP stopped")
