"""What the HTTP benchmarks share: a fresh database, gunicorn on a loopback port, timing.

Every benchmark builds its database in its own process (Django is set up once per
process), serves it with gunicorn and measures over real HTTP with a new connection per
request, as a browser without keep-alive would. Figures are median and p95 in ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def load_average() -> str:
    """The 1/5/15-minute load average, printed beside every figure (the machine is shared)."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def machine_line(repeat: int, seed: int) -> str:
    return (
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"repeat={repeat}, seed={seed}; {load_average()}"
    )


# ------------------------------------------------------------------------------ database


def recreate_postgres(url: str) -> None:
    """Drop and create the database named in ``url`` (the benchmark's own, never a real one)."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.startswith("rdv_"):
        raise SystemExit(f"refusing to drop {name!r}: benchmark databases are named rdv_*")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def server_env(database_url: str, data_dir: str, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "DATA_DIR": data_dir,
            "SECRET_KEY": "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "ENCRYPTION_KEY": "bench-encryption-key-0123456789-abcdefghijklmnop",
            "DEBUG": "false",
            "BASE_URL": f"http://127.0.0.1:{port}",
            "DEFAULT_FROM_EMAIL": "Rendezvous <noreply@bench.rendezvous.test>",
            "BOOKING_SLOTS_RATE": "100000000/m",
            "BOOKING_BOOKINGS_RATE": "100000000/m",
        }
    )
    return env


def setup_django(env: dict[str, str]) -> None:
    """Set Django up in this process against the benchmark database and migrate it."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "rendezvous.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def analyze() -> None:
    """Refresh PostgreSQL's planner statistics after a bulk load (autovacuum would, later).

    SQLite is left as a deployment leaves it: Django never runs ANALYZE there.
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def close_connections() -> None:
    from django.db import connections

    connections.close_all()


@dataclass
class Database:
    label: str
    url: str


def make_database(db: str, pg_url: str, data_dir: str) -> Database:
    if db == "sqlite":
        return Database("SQLite (WAL)", f"sqlite:///{data_dir}/bench.sqlite3")
    recreate_postgres(pg_url)
    return Database("PostgreSQL", pg_url)


def forwarded_args(args: argparse.Namespace) -> list[str]:
    """Every option this process was given (except ``--db``), for a child run of the same script."""
    return [
        f"--{name.replace('_', '-')}={value}"
        for name, value in vars(args).items()
        if name != "db" and value is not None
    ]


def run_per_database(module: str, args: argparse.Namespace) -> None:
    """``--db both``: one process per database (Django is set up once per process)."""
    passed = forwarded_args(args)
    for db in ("sqlite", "postgres"):
        subprocess.run([sys.executable, "-m", module, f"--db={db}", *passed], cwd=ROOT, check=True)


# ------------------------------------------------------------------------------ HTTP


class Server:
    """gunicorn serving the benchmark database on a loopback port."""

    def __init__(self, env: dict[str, str], port: int, workers: int, log: Path) -> None:
        self.port = port
        self.log = log.open("ab")  # 409s are logged as warnings; keep them off the report
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "rendezvous.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "300",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _ = self.request("GET", "/api/v1/openapi.json")
                if status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not start; see {log}")

    def request(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        return http_request(self.port, method, path, body, headers)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def http_request(
    port: int,
    method: str,
    path: str,
    body: dict | bytes | str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """One request on a new connection; JSON-encodes a dict body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        sent = dict(headers or {})
        if isinstance(body, dict):
            sent.setdefault("Content-Type", "application/json")
            body = json.dumps(body)
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@dataclass
class Timing:
    median: float
    p95: float
    body: bytes
    load: str
    note: str = ""

    def cell(self) -> str:
        return f"{self.median:7.1f} / {self.p95:7.1f}"


#: Requests sent before timing: enough for each gunicorn worker to have served one
#: (a worker's first request pays for imports and its database connection).
WARM_UP = 8

Call = Callable[[int], tuple[int, bytes]]


def _check(status: int, body: bytes, what: str) -> None:
    if status != 200:
        raise RuntimeError(f"{what}: HTTP {status}: {body[:300]!r}")


def _sample(call: Call, i: int, what: str) -> tuple[float, bytes]:
    t0 = time.perf_counter()
    status, body = call(i)
    elapsed = (time.perf_counter() - t0) * 1000
    _check(status, body, what)
    return elapsed, body


def timed_calls(call: Call, repeat: int, what: str) -> Timing:
    """Median and p95 (ms) of ``repeat`` calls after a warm-up; every answer must be 200.

    ``call(i)`` makes the i-th request (so callers can rotate tokens or users).
    """
    for i in range(WARM_UP):
        _check(*call(-1 - i), what)
    samples, body = [], b""
    for i in range(repeat):
        elapsed, body = _sample(call, i, what)
        samples.append(elapsed)
    return Timing(statistics.median(samples), percentile(samples, 0.95), body, load_average())


def timed_pair(a: Call, b: Call, repeat: int, what: str) -> tuple[Timing, Timing]:
    """The same as ``timed_calls`` for two calls, interleaved (a b, b a, a b, ...).

    Comparing two servers this way exposes both to the same load at the same time: on a
    shared machine, timing one after the other would mostly measure the load's drift.
    """
    for i in range(WARM_UP):
        _check(*a(-1 - i), what)
        _check(*b(-1 - i), what)
    samples: dict[str, list[float]] = {"a": [], "b": []}
    bodies = {"a": b"", "b": b""}
    for i in range(repeat):
        order = (("a", a), ("b", b)) if i % 2 == 0 else (("b", b), ("a", a))
        for key, call in order:
            elapsed, bodies[key] = _sample(call, i, what)
            samples[key].append(elapsed)
    load = load_average()
    return tuple(  # type: ignore[return-value]
        Timing(statistics.median(samples[k]), percentile(samples[k], 0.95), bodies[k], load)
        for k in ("a", "b")
    )


@dataclass
class Case:
    """One timed request: ``call(server, i)`` makes it, ``describe(body)`` checks the
    answer and says what it held ("45 slots")."""

    name: str
    call: Callable[[Server, int], tuple[int, bytes]]
    describe: Callable[[bytes], str]


def run_cases(server: Server, cases: list[Case], repeat: int) -> dict[str, Timing]:
    out = {}
    for case in cases:
        t = timed_calls(lambda i, c=case: c.call(server, i), repeat, case.name)
        t.note = case.describe(t.body)
        out[case.name] = t
    return out


def run_case_pairs(
    a: Server, b: Server, cases: list[Case], repeat: int
) -> dict[str, tuple[Timing, Timing]]:
    out = {}
    for case in cases:
        pair = timed_pair(
            lambda i, c=case: c.call(a, i), lambda i, c=case: c.call(b, i), repeat, case.name
        )
        for t in pair:
            t.note = case.describe(t.body)
        out[case.name] = pair
    return out


def timed(
    server: Server, path: str, repeat: int, headers: dict[str, str] | None = None
) -> tuple[float, float, bytes]:
    """GET ``path`` ``repeat`` times; median and p95 in ms and the last body."""
    t = timed_calls(lambda _i: server.request("GET", path, headers=headers), repeat, path)
    return t.median, t.p95, t.body
