"""Real servers for the busy-source tests: a local HTTP server serving calendar feeds
(answers set per test: a feed with an ETag, a 500, a hang, a redirect), and Radicale, a
real CalDAV server, on loopback with a password."""

from __future__ import annotations

import contextlib
import hashlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class FeedServer:
    """Serves ``answers[path]`` (a list: one answer per request, the last one repeats)."""

    answers: dict[str, list[Answer]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, *answers: Answer) -> str:
        self.answers[path] = list(answers)
        return self.url(path)

    def feed(self, path: str, body: bytes) -> str:
        """A feed with an ETag that answers 304 to it."""
        return self.serve(
            path, Answer(200, body, {"ETag": f'"{hashlib.sha256(body).hexdigest()[:16]}"'})
        )


def _handler(server: FeedServer):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            server.requests.append((self.path, dict(self.headers)))
            queue = server.answers.get(self.path) or [Answer(404, b"missing")]
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
            if answer.delay:
                time.sleep(answer.delay)
            etag = answer.headers.get("ETag")
            if etag and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            # The client may stop reading (a size limit): what that test wants.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(answer.body)

        def do_REPORT(self) -> None:
            """A CalDAV REPORT: answered from ``<path>#free-busy`` or ``<path>#query``."""
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            kind = "#free-busy" if b"free-busy-query" in body else "#query"
            server.requests.append((self.path + kind, dict(self.headers)))
            queue = server.answers.get(self.path + kind) or [Answer(404, b"missing")]
            answer = queue[0]
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, *args) -> None:
            pass

    return Handler


@pytest.fixture
def feeds(settings) -> Iterator[FeedServer]:
    settings.OUTBOUND_ALLOW_PRIVATE = True  # the server is on loopback
    server = FeedServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    httpd.daemon_threads = True
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    httpd.shutdown()
    httpd.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RadicaleServer:
    port: int
    process: subprocess.Popen
    user: str = "maria"
    password: str = "radicale-test-password"

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def request(self, method: str, path: str, body: bytes = b"", headers=None) -> int:
        import base64
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        connection.request(method, "/" + path, body=body,
                           headers={"Authorization": f"Basic {token}", **(headers or {})})  # fmt: skip
        status = connection.getresponse().status
        connection.close()
        return status

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


def start_radicale(folder: Path, port: int) -> RadicaleServer:
    users = folder / "users"
    users.write_text("maria:radicale-test-password\n")
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}",
         "--storage-filesystem-folder", str(folder / "collections"),
         "--auth-type", "htpasswd", "--auth-htpasswd-filename", str(users),
         "--auth-htpasswd-encryption", "plain", "--rights-type", "owner_only",
         "--logging-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    server = RadicaleServer(port, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if server.request("PROPFIND", "maria/", headers={"Depth": "0"}) in (207, 404):
                return server
        except OSError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError("Radicale did not start")


@pytest.fixture
def radicale(settings, tmp_path) -> Iterator[RadicaleServer]:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    server = start_radicale(tmp_path, free_port())
    yield server
    server.stop()
