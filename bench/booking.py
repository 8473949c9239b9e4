"""Benchmark of the public booking endpoints over real HTTP (gunicorn), SQLite and PostgreSQL.

Run from the repository root::

    .venv/bin/python -m bench.booking                      # both databases, defaults below
    .venv/bin/python -m bench.booking --db sqlite --repeat 200
    .venv/bin/python -m bench.booking --db postgres --pg-url postgres://postgres@127.0.0.1:5432/rdv_booking_bench

For each database a fresh one is made (a temporary SQLite file; the PostgreSQL database
named in ``--pg-url`` is dropped and created again), migrated and filled, then gunicorn
serves it on a loopback port and the measurements go over HTTP:

(a) slots: ``GET /api/v1/public/booking/<token>/slots`` for a 60-day window of an
    employee with ``--events`` single events (default 2,000, busy, seeded) in those 60
    days, and the public page ``/b/<token>`` (month view); median and p95 in ms.
(b) bookings: ``--clients`` threads (default 8) each POST ``--bookings`` bookings of
    distinct free slots as fast as they can; bookings/s over the wall time. Then the same
    clients all race for the same slots (each slot: one 201, the rest 409); decisions/s.

Rate limits are raised for the server (the benchmark is one client address).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Europe/Berlin")
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/rdv_booking_bench"
# (minutes, weight) of the random events, as in bench/engine.py: mostly short meetings.
LENGTHS = [(15, 30), (30, 35), (45, 10), (60, 18), (90, 4), (120, 2.5), (480, 0.3)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


# ------------------------------------------------------------------------------ database


def recreate_postgres(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
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
            "DEBUG": "false",
            "BASE_URL": f"http://127.0.0.1:{port}",
            "DEFAULT_FROM_EMAIL": "Rendezvous <noreply@bench.rendezvous.test>",
            "BOOKING_SLOTS_RATE": "100000000/m",
            "BOOKING_BOOKINGS_RATE": "100000000/m",
        }
    )
    return env


def prepare(args: argparse.Namespace, env: dict[str, str]) -> dict[str, str]:
    """Migrate and fill the database in this process; returns the two link tokens."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "rendezvous.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)

    from accounts.models import User
    from accounts.services import create_account
    from booking.services import configure_link
    from events.models import Attendee, Event

    account, busy, _api_token = create_account(
        "Bench",
        "busy@bench.rendezvous.test",
        plan="paid",
        full_name="Busy Person",
        timezone_name="Europe/Berlin",
    )
    free = User.objects.create_user(
        "free@bench.rendezvous.test", None, account=account, full_name="Free Person",
        timezone="Europe/Berlin",
    )  # fmt: skip

    rng = random.Random(args.seed)
    today = datetime.now(TZ).date()
    first = datetime(today.year, today.month, today.day, tzinfo=TZ) + timedelta(days=1)
    marks = args.days * 24 * 12
    lengths, weights = zip(*LENGTHS, strict=True)
    events = []
    for _ in range(args.events):
        begin = (first + timedelta(minutes=5 * rng.randrange(marks))).astimezone(UTC)
        minutes = rng.choices(lengths, weights)[0]
        events.append(
            Event(
                account=account,
                organizer=busy,
                title="Busy",
                start=begin,
                end=begin + timedelta(minutes=minutes),
                timezone="Europe/Berlin",
            )
        )
    Event.objects.bulk_create(events, batch_size=500)
    created = Event.objects.filter(organizer=busy)
    Attendee.objects.bulk_create(
        [Attendee(event=e, user=busy, status="accepted") for e in created], batch_size=500
    )
    _link, busy_token = configure_link(
        busy, {"min_notice_minutes": 0, "horizon_days": args.days + 1}, switch_on=True
    )
    every_day = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    _link, free_token = configure_link(
        free,
        {"hours": every_day, "duration_minutes": 15, "min_notice_minutes": 0, "horizon_days": 365},
        switch_on=True,
    )
    connections.close_all()
    return {"busy": busy_token, "free": free_token, "first_day": first.date().isoformat()}


# ------------------------------------------------------------------------------ HTTP


class Server:
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
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _ = self.request("GET", "/api/v1/openapi.json")
                if status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not start; see {log}")

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            data = json.dumps(body) if body is not None else None
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def timed(server: Server, path: str, repeat: int) -> tuple[float, float, bytes]:
    server.request("GET", path)  # warm-up (imports, caches, connection)
    samples, body = [], b""
    for _ in range(repeat):
        t0 = time.perf_counter()
        status, body = server.request("GET", path)
        samples.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status}: {body[:200]!r}")
    return statistics.median(samples), percentile(samples, 0.95), body


def run_clients(server: Server, jobs: list[list[dict]], path: str) -> tuple[float, list[int]]:
    """Each list in ``jobs`` is one client's bookings, sent one after another."""
    barrier = threading.Barrier(len(jobs) + 1)
    statuses: list[int] = []
    lock = threading.Lock()

    def client(bodies: list[dict]) -> None:
        barrier.wait()
        for body in bodies:
            status, _ = server.request("POST", path, body)
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=client, args=(bodies,)) for bodies in jobs]
    for thread in threads:
        thread.start()
    barrier.wait()
    t0 = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - t0, statuses


def booker(start: str, n: int) -> dict:
    return {
        "start": start,
        "name": f"Bench Booker {n}",
        "email": f"booker{n}@bench.rendezvous.test",
        "timezone": "Europe/Rome",
    }


def run_one(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="rdv-bench-") as data_dir:
        if args.db == "sqlite":
            database_url = f"sqlite:///{data_dir}/bench.sqlite3"
        else:
            database_url = args.pg_url
            recreate_postgres(database_url)
        port = free_port()
        env = server_env(database_url, data_dir, port)
        info = prepare(args, env)
        label = "SQLite (WAL)" if args.db == "sqlite" else "PostgreSQL"
        print(
            f"== {label}: {args.events} events in {args.days} days, gunicorn {args.workers} workers"
        )

        server = Server(env, port, args.workers, Path(data_dir) / "server.log")
        try:
            first = datetime.fromisoformat(info["first_day"])
            end = (first + timedelta(days=args.days)).date().isoformat()
            slots_path = (
                f"/api/v1/public/booking/{info['busy']}/slots"
                f"?start={first.date().isoformat()}&end={end}&tz=Europe/Berlin"
            )
            median, p95, body = timed(server, slots_path, args.repeat)
            count = len(json.loads(body)["slots"])
            print(
                f"(a) slots API, 60-day window      median {median:7.1f} ms   p95 {p95:7.1f} ms   ({count} slots)"
            )
            median, p95, _ = timed(server, f"/b/{info['busy']}?tz=Europe%2FBerlin", args.repeat)
            print(f"(a) public page /b/<token> (month) median {median:7.1f} ms   p95 {p95:7.1f} ms")

            free_path = f"/api/v1/public/booking/{info['free']}"
            total = args.clients * args.bookings
            starts: list[str] = []
            day = datetime.now(TZ).date() + timedelta(days=2)
            while len(starts) < total * 2:
                status, body = server.request(
                    "GET",
                    f"{free_path}/slots?start={day.isoformat()}&end={(day + timedelta(days=7)).isoformat()}",
                )
                assert status == 200, body
                starts += [s["start"] for s in json.loads(body)["slots"]]
                day += timedelta(days=7)
            distinct = [
                [booker(starts[c * args.bookings + i], c * 1000 + i) for i in range(args.bookings)]
                for c in range(args.clients)
            ]
            seconds, statuses = run_clients(server, distinct, f"{free_path}/bookings")
            ok = statuses.count(201)
            print(
                f"(b) {args.clients} clients, distinct slots  {ok}/{total} booked in {seconds:5.2f} s"
                f"   {ok / seconds:7.1f} bookings/s"
            )
            if ok != total:
                raise RuntimeError(f"unexpected answers: {sorted(set(statuses))}")
            contested = starts[total : total + args.bookings]
            race = [
                [booker(s, 100000 + c * 1000 + i) for i, s in enumerate(contested)]
                for c in range(args.clients)
            ]
            seconds, statuses = run_clients(server, race, f"{free_path}/bookings")
            won = statuses.count(201)
            print(
                f"(b) {args.clients} clients racing each slot  {won} won / {statuses.count(409)} got 409"
                f" in {seconds:5.2f} s   {len(statuses) / seconds:7.1f} decisions/s"
            )
            if won != len(contested) or statuses.count(409) != len(statuses) - won:
                raise RuntimeError("a slot was booked twice or answered oddly")
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--bookings", type=int, default=25, help="per client")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--seed", type=int, default=20260302)
    args = parser.parse_args(argv)
    if args.db == "both":
        print(
            f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
            f"repeat={args.repeat}, seed={args.seed}"
        )
        common = [
            f"--pg-url={args.pg_url}", f"--events={args.events}", f"--days={args.days}",
            f"--repeat={args.repeat}", f"--clients={args.clients}",
            f"--bookings={args.bookings}", f"--workers={args.workers}", f"--seed={args.seed}",
        ]  # fmt: skip
        for db in ("sqlite", "postgres"):
            # One process per database: Django is set up once per process.
            subprocess.run(
                [sys.executable, "-m", "bench.booking", f"--db={db}", *common], cwd=ROOT, check=True
            )
        return
    run_one(args)


if __name__ == "__main__":
    main()
