"""Fetching from an address an employee typed, without letting it reach inside.

The address is checked where it leads, not only as written: every hop (at most
``MAX_REDIRECTS``) is resolved and each of its addresses must be public (loopback,
private, link-local, shared, reserved and multicast ranges are refused, which covers
the cloud metadata endpoints), and the connection goes to the address that was checked,
so a name that resolves differently a second time (DNS rebinding) gains nothing. Only
``http``, ``https`` and ``webcal`` (read as https); bounded time (``TIMEOUT`` per step,
``DEADLINE`` in all) and size (``MAX_BYTES``). ``OUTBOUND_ALLOW_PRIVATE=true`` lets an
operator reach an intranet server (and the tests, loopback).

Errors are ``FetchError`` with a sentence for the person whose source it is.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

MAX_REDIRECTS = 3
TIMEOUT = 10.0
DEADLINE = 30.0
MAX_BYTES = 10 * 1024 * 1024
USER_AGENT = "Rendezvous (+https://github.com/)"


class FetchError(Exception):
    """Why the address could not be read, in words for its owner."""


@dataclass
class Fetched:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    url: str = ""


def normalize(url: str) -> str:
    """``webcal://`` is https; anything but http(s) is refused."""
    url = url.strip()
    scheme = urlsplit(url).scheme.lower()
    if scheme == "webcal":
        return "https" + url[len("webcal") :]
    if scheme not in ("http", "https"):
        raise FetchError(_("Only http, https and webcal addresses can be read."))
    return url


def _allowed(address: str) -> bool:
    if settings.OUTBOUND_ALLOW_PRIVATE:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise FetchError(
            _("The server name %(host)s could not be found.") % {"host": host}
        ) from None
    addresses = [info[4][0] for info in infos]
    if not addresses or not all(_allowed(a) for a in addresses):
        raise FetchError(
            _("%(host)s is a private or local address; Rendezvous does not connect there.")
            % {"host": host}
        )
    return addresses[0]


def check_destination(url: str) -> None:
    """Refuse, before anything is stored, an address whose server is private or local
    (as ``fetch`` would refuse it at every hop)."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise FetchError(_("The address has no server name."))
    _resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))


class _Pinned(http.client.HTTPConnection):
    """HTTP to the checked address, whatever the name resolves to by now."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    """HTTPS to the checked address; the certificate must name the host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _once(method: str, url: str, headers: dict[str, str], body: bytes | None, started: float):
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host:
        raise FetchError(_("The address has no server name."))
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    address = _resolve(host, port)
    kind = _PinnedTLS if secure else _Pinned
    connection = kind(host, port, address, TIMEOUT)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        length = response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > MAX_BYTES:
            raise FetchError(_("The answer is larger than %(mb)d MB.") % {"mb": MAX_BYTES >> 20})
        chunks, size = [], 0
        while True:
            if time.monotonic() - started > DEADLINE:
                raise FetchError(_("The server took longer than %(s)d seconds.") % {"s": DEADLINE})
            chunk = response.read(65536)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_BYTES:
                raise FetchError(
                    _("The answer is larger than %(mb)d MB.") % {"mb": MAX_BYTES >> 20}
                )
            chunks.append(chunk)
        headers_out = {k.lower(): v for k, v in response.getheaders()}
        return Fetched(response.status, headers_out, b"".join(chunks), url)
    except TimeoutError:
        raise FetchError(
            _("The server did not answer within %(s)d seconds.") % {"s": TIMEOUT}
        ) from None
    except ssl.SSLError as exc:
        raise FetchError(
            _("The secure connection failed: %(reason)s") % {"reason": exc.reason}
        ) from None
    except (OSError, http.client.HTTPException) as exc:
        raise FetchError(
            _("The server could not be reached: %(reason)s") % {"reason": exc}
        ) from None
    finally:
        connection.close()


def fetch(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    auth: tuple[str, str] | None = None,
) -> Fetched:
    """The final answer after redirects (each re-checked); any status is returned, the
    caller decides what it means."""
    url = normalize(url)
    started = time.monotonic()
    origin = urlsplit(url)[:2]
    for _hop in range(MAX_REDIRECTS + 1):
        sent = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity", **(headers or {})}
        # Credentials go to the origin they were given for, never to where it redirects.
        if auth is not None and urlsplit(url)[:2] == origin:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            sent["Authorization"] = f"Basic {token}"
        answer = _once(method, url, sent, body, started)
        location = answer.headers.get("location")
        if answer.status not in (301, 302, 303, 307, 308) or not location:
            return answer
        url = normalize(urljoin(url, location))
        if answer.status == 303:
            method, body = "GET", None
    raise FetchError(_("The address redirects more than %(n)d times.") % {"n": MAX_REDIRECTS})
