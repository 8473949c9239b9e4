"""A local SMTP server for the delivery benchmark, in a process of its own.

It accepts every message, parses its headers (as a mail server reading the envelope and
headers would) and counts it; the count and the time of the last message are shared with
the parent process. Both the outbox and the raw-``smtplib`` baseline talk to this same
server, so the ratio compares our side of the conversation only.
"""

from __future__ import annotations

import multiprocessing
import time
from email.parser import BytesHeaderParser
from email.policy import SMTP


class _Handler:
    def __init__(self, count, last, first) -> None:
        self.count = count
        self.last = last
        self.first = first
        self.parser = BytesHeaderParser(policy=SMTP)

    async def handle_DATA(self, server, session, envelope) -> str:
        self.parser.parsebytes(envelope.original_content or envelope.content)
        with self.count.get_lock():
            self.count.value += 1
            self.last.value = time.monotonic()
            if not self.first.value:
                self.first.value = self.last.value
        return "250 2.0.0 Accepted"


def _serve(port: int, count, last, first, ready) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(_Handler(count, last, first), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


class Sink:
    """``Sink(port)``: start the server; ``.count``; ``.mark()`` and ``.first``;
    ``.wait_for(n)``; ``.stop()``."""

    def __init__(self, port: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.port = port
        self._count = context.Value("q", 0)
        self._last = context.Value("d", 0.0)
        self._first = context.Value("d", 0.0)
        ready = context.Event()
        self._process = context.Process(
            target=_serve, args=(port, self._count, self._last, self._first, ready), daemon=True
        )
        self._process.start()
        if not ready.wait(30):
            raise RuntimeError("the SMTP sink did not start")

    @property
    def count(self) -> int:
        return self._count.value

    def mark(self) -> None:
        """Forget the first arrival: ``first`` is then the next message's time."""
        self._first.value = 0.0

    @property
    def first(self) -> float:
        """The monotonic time of the first message since ``mark()`` (0.0: none yet)."""
        return self._first.value

    def wait_for(self, total: int, timeout: float = 600) -> float:
        """Block until ``total`` messages arrived; the monotonic time of the last one."""
        deadline = time.monotonic() + timeout
        while self._count.value < total:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {self._count.value} of {total} messages arrived")
            time.sleep(0.005)
        return self._last.value

    def stop(self) -> None:
        self._process.terminate()
        self._process.join(10)
