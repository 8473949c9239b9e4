"""A real SMTP peer for tests: aiosmtpd on 127.0.0.1, with switchable refusals.

Fixtures (other apps import them into their own ``tests/conftest.py`` with
``from mail.tests.conftest import smtp_server, smtp_settings, run_worker  # noqa: F401``):

- ``smtp_server``: a running ``SmtpPeer``; ``.port``, ``.messages`` (``ReceivedMail``:
  ``.mail_from``, ``.rcpt_tos``, ``.raw``, ``.message`` parsed as
  ``email.message.EmailMessage``, ``.client`` the connection it came over), ``.refuse_rcpt(reply, addresses=None, times=None)``,
  ``.refuse_data(reply, times=None)``, ``.clear_refusals()``, ``.stop()`` / ``.start()``.
- ``smtp_settings``: points ``settings.SMTP_*`` at ``smtp_server`` (plain SMTP, no login)
  and returns the server.
- ``down_smtp_server``: an ``SmtpPeer`` whose port is reserved but refuses connections
  until ``.start()``; settings already point at it.
- ``smtp_server_factory``: ``make(security="none"|"starttls"|"tls", login=None)`` for TLS
  and AUTH tests (``tls_files`` supplies a self-signed certificate for 127.0.0.1).
- ``run_worker``: runs ``manage.py db_worker --batch`` in-process (needs ``transactional_db``).
"""

from __future__ import annotations

import email
import email.policy
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"


@dataclass
class ReceivedMail:
    """One message as the peer accepted it: envelope plus parsed content."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage
    client: tuple[str, int] = ("", 0)  # the sender's address and port: one per connection

    def __getitem__(self, header: str) -> str | None:
        return self.message[header]


@dataclass
class _Refusal:
    reply: str
    addresses: set[str] | None
    times: int | None  # None: every time


@dataclass
class SmtpPeer:
    """An aiosmtpd server on loopback that records mail and can be told to refuse it."""

    security: str = "none"  # none | starttls | tls
    tls_files: tuple[Path, Path] | None = None  # (certificate, key)
    login: tuple[str, str] | None = None  # require AUTH with this user/password
    host: str = HOST
    port: int = 0
    messages: list[ReceivedMail] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    _rcpt_refusals: list[_Refusal] = field(default_factory=list)
    _data_refusals: list[_Refusal] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None
    _reserved: socket.socket | None = None

    def __post_init__(self) -> None:
        if not self.port:
            self.reserve()

    # -- life cycle -----------------------------------------------------------------
    def reserve(self) -> None:
        """Hold the port with a bound, non-listening socket: connections are refused."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._reserved = sock

    def start(self) -> SmtpPeer:
        if self._controller is not None:
            return self
        if self._reserved is not None:
            self._reserved.close()
            self._reserved = None
        kwargs: dict = {}
        server_ctx = None
        if self.security in ("starttls", "tls"):
            assert self.tls_files, "TLS needs tls_files=(cert, key)"
            server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            server_ctx.load_cert_chain(*self.tls_files)
        if self.security == "starttls":
            kwargs.update(tls_context=server_ctx, require_starttls=True)
        if self.login is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True)
            # aiosmtpd only counts STARTTLS as TLS; implicit TLS is encrypted all the same.
            kwargs["auth_require_tls"] = self.security == "starttls"
        error: OSError | None = None
        for _ in range(50):  # the port may linger briefly after a stop
            controller = Controller(
                _Handler(self),
                hostname=self.host,
                port=self.port,
                ssl_context=server_ctx if self.security == "tls" else None,
                server_hostname="peer.test",
                **kwargs,
            )
            try:
                controller.start()
                break
            except OSError as exc:
                error = exc
                controller.stop(no_assert=True)
                time.sleep(0.05)
        else:
            raise RuntimeError(f"cannot start the SMTP peer on port {self.port}") from error
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._reserved is not None:
            self._reserved.close()
            self._reserved = None

    # -- behaviour ------------------------------------------------------------------
    def refuse_rcpt(
        self, reply: str, *, addresses: Iterable[str] | None = None, times: int | None = None
    ) -> None:
        """Answer ``reply`` (e.g. ``"451 4.3.0 Try later"``) to RCPT TO for these addresses."""
        with self._lock:
            self._rcpt_refusals.append(
                _Refusal(reply, set(addresses) if addresses is not None else None, times)
            )

    def refuse_data(self, reply: str, *, times: int | None = None) -> None:
        """Answer ``reply`` after DATA instead of accepting the message."""
        with self._lock:
            self._data_refusals.append(_Refusal(reply, None, times))

    def clear_refusals(self) -> None:
        with self._lock:
            self._rcpt_refusals.clear()
            self._data_refusals.clear()

    def _refusal(self, rules: list[_Refusal], address: str | None) -> str | None:
        with self._lock:
            for rule in rules:
                if rule.addresses is not None and address not in rule.addresses:
                    continue
                if rule.times is not None:
                    if rule.times <= 0:
                        continue
                    rule.times -= 1
                return rule.reply
        return None

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and self.login is not None:
            user, password = auth_data.login.decode(), auth_data.password.decode()
            if (user, password) == self.login:
                self.logins.append(user)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


class _Handler:
    def __init__(self, peer: SmtpPeer) -> None:
        self.peer = peer

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        reply = self.peer._refusal(self.peer._rcpt_refusals, address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        reply = self.peer._refusal(self.peer._data_refusals, None)
        if reply:
            return reply
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        self.peer.messages.append(
            ReceivedMail(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                raw=raw,
                message=parsed,
                client=tuple(session.peer),
            )
        )
        return "250 2.0.0 Message accepted"


def _point_settings_at(settings, peer: SmtpPeer) -> None:
    settings.SMTP_HOST = peer.host
    settings.SMTP_PORT = peer.port
    settings.SMTP_SECURITY = "none"
    settings.SMTP_USER = None
    settings.SMTP_PASSWORD = None
    settings.SMTP_TIMEOUT = 5


@pytest.fixture
def smtp_server() -> Iterator[SmtpPeer]:
    peer = SmtpPeer().start()
    yield peer
    peer.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server: SmtpPeer) -> SmtpPeer:
    _point_settings_at(settings, smtp_server)
    return smtp_server


@pytest.fixture
def down_smtp_server(settings) -> Iterator[SmtpPeer]:
    peer = SmtpPeer()  # port reserved, not listening
    _point_settings_at(settings, peer)
    yield peer
    peer.stop()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 / localhost (made with the openssl tool)."""
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    try:
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                "-keyout", str(key), "-out", str(cert), "-days", "2",
                "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
    except FileNotFoundError:
        pytest.skip("the openssl tool is not installed")
    return cert, key


@pytest.fixture
def smtp_server_factory(tls_files) -> Iterator[Callable[..., SmtpPeer]]:
    peers: list[SmtpPeer] = []

    def make(security: str = "none", login: tuple[str, str] | None = None) -> SmtpPeer:
        peer = SmtpPeer(security=security, tls_files=tls_files, login=login).start()
        peers.append(peer)
        return peer

    yield make
    for peer in peers:
        peer.stop()


@pytest.fixture
def run_worker() -> Callable[[], None]:
    """Run the real ``db_worker`` until no task is ready (tasks due later stay queued)."""
    from django.core.management import call_command

    def run() -> None:
        saved = {
            sig: signal.getsignal(sig)
            for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGQUIT", signal.SIGINT))
        }
        try:
            call_command(
                "db_worker", batch=True, startup_delay=False, reload=False, interval=0, verbosity=0
            )
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)

    return run
