"""Benchmark of the public booking endpoints over real HTTP (gunicorn), SQLite and PostgreSQL.

Run from the repository root::

    .venv/bin/python -m bench.booking                      # both databases, defaults below
    .venv/bin/python -m bench.booking --db sqlite --repeat 200
    .venv/bin/python -m bench.booking --db postgres --pg-url postgres://postgres@127.0.0.1:5432/rdv_bench_booking

For each database a fresh one is made (a temporary SQLite file; the PostgreSQL database
named in ``--pg-url`` is dropped and created again), migrated and filled, then gunicorn
serves it on a loopback port and the measurements go over HTTP:

(a) slots: ``GET /api/v1/public/booking/<token>/slots`` for a 60-day window of an
    employee with ``--events`` single events (default 2,000, busy, seeded) in those 60
    days; the same for a second employee whose ``--events`` include ``--series`` weekly
    series (default 300, Europe/Berlin, some every other week or with a COUNT, starting
    before or inside the window; 300 weekly meetings fill every working hour, so this
    person keeps 13:00-14:00 free and the link has slots to offer); and the public page ``/b/<token>`` (month view) of the
    first; median and p95 in ms.
(b) bookings: ``--clients`` threads (default 8) each POST ``--bookings`` bookings of
    distinct free slots as fast as they can; bookings/s over the wall time. Then the same
    clients all race for the same slots (each slot: one 201, the rest 409); decisions/s.
    The floor: the same clients POST to a plain Django view that writes the same rows
    in one transaction and checks nothing (``bench/floor.py``); the real endpoint's
    bookings/s as a fraction of the floor's.
(c) one booking at a time: median and p95 of the POST, and its ratio to (a)'s slots GET.

Rate limits are raised for the server (the benchmark is one client address).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from bench import seed
from bench.common import (
    Server,
    close_connections,
    free_port,
    load_average,
    machine_line,
    make_database,
    percentile,
    run_per_database,
    server_env,
    setup_django,
    timed,
)

TZ = seed.TZ
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/rdv_bench_booking"


def prepare(args: argparse.Namespace, env: dict[str, str]) -> dict[str, str]:
    """Migrate and fill the database in this process; returns the link tokens."""
    setup_django(env)

    from accounts.models import User
    from accounts.services import create_account
    from booking.services import configure_link

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
    first = datetime.now(TZ).date() + timedelta(days=1)
    lo = seed.local_midnight(first)
    seed.write_events(
        account, busy, seed.singles(rng, args.events, lo, lo + timedelta(days=args.days))
    )
    link_settings = {"min_notice_minutes": 0, "horizon_days": args.days + 1}
    _link, busy_token = configure_link(busy, link_settings, switch_on=True)
    tokens = {"busy": busy_token, "first_day": first.isoformat()}
    if args.series:
        weekly = User.objects.create_user(
            "weekly@bench.rendezvous.test", None, account=account, full_name="Weekly Person",
            timezone="Europe/Berlin",
        )  # fmt: skip
        specs = seed.person_calendar(
            random.Random(args.seed + 1),
            first,
            args.days,
            events=args.events,
            series=args.series,
            avoid=seed.quiet_hour(),
        )
        seed.write_events(account, weekly, specs)
        _link, tokens["weekly"] = configure_link(weekly, link_settings, switch_on=True)
    every_day = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    _link, tokens["free"] = configure_link(
        free,
        {"hours": every_day, "duration_minutes": 15, "min_notice_minutes": 0, "horizon_days": 365},
        switch_on=True,
    )
    close_connections()
    return tokens


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
        database = make_database(args.db, args.pg_url, data_dir)
        port = free_port()
        env = server_env(database.url, data_dir, port)
        info = prepare(args, env)
        env["DJANGO_SETTINGS_MODULE"] = "bench.floor_settings"  # the product + the floor view
        print(
            f"== {database.label}: {args.events} events in {args.days} days, "
            f"gunicorn {args.workers} workers; {load_average()}"
        )

        server = Server(env, port, args.workers, Path(data_dir) / "server.log")
        try:
            first = datetime.fromisoformat(info["first_day"])
            end = (first + timedelta(days=args.days)).date().isoformat()
            window = f"?start={first.date().isoformat()}&end={end}&tz=Europe/Berlin"
            median, p95, body = timed(
                server, f"/api/v1/public/booking/{info['busy']}/slots{window}", args.repeat
            )
            count = len(json.loads(body)["slots"])
            slots_median = median
            print(
                f"(a) slots API, 60-day window      median {median:7.1f} ms   p95 {p95:7.1f} ms"
                f"   ({count} slots; {args.events} single events; {load_average()})"
            )
            if args.series:
                median, p95, body = timed(
                    server, f"/api/v1/public/booking/{info['weekly']}/slots{window}", args.repeat
                )
                count = len(json.loads(body)["slots"])
                print(
                    f"(a) slots API, with weekly series median {median:7.1f} ms   p95 {p95:7.1f} ms"
                    f"   ({count} slots; {args.events - args.series} single + {args.series} weekly"
                    f" series; {load_average()})"
                )
            median, p95, _ = timed(server, f"/b/{info['busy']}?tz=Europe%2FBerlin", args.repeat)
            print(f"(a) public page /b/<token> (month) median {median:7.1f} ms   p95 {p95:7.1f} ms")

            free_path = f"/api/v1/public/booking/{info['free']}"
            total = args.clients * args.bookings
            starts: list[str] = []
            day = datetime.now(TZ).date() + timedelta(days=2)
            while len(starts) < total * 2 + args.bookings * args.clients + args.repeat:
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
            floor_jobs = [
                [booker(starts[total + args.bookings + c * args.bookings + i], 50000 + c * 1000 + i)
                 for i in range(args.bookings)]
                for c in range(args.clients)
            ]  # fmt: skip
            floor_seconds, statuses = run_clients(
                server, floor_jobs, f"/bench/floor/{info['free']}"
            )
            if statuses.count(201) != total:
                raise RuntimeError(f"floor view answered {sorted(set(statuses))}")
            print(
                f"(b) the floor: plain view, same rows   {total}/{total} in {floor_seconds:5.2f} s"
                f"   {total / floor_seconds:7.1f} bookings/s   real ÷ floor "
                f"{(ok / seconds) / (total / floor_seconds):5.2f}"
            )
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

            single = starts[total + args.bookings * (args.clients + 1) :][: args.repeat]
            samples = []
            for n, start in enumerate(single):
                t0 = time.perf_counter()
                status, body = server.request(
                    "POST", f"{free_path}/bookings", booker(start, 200000 + n)
                )
                samples.append((time.perf_counter() - t0) * 1000)
                if status != 201:
                    raise RuntimeError(f"booking answered {status}: {body[:200]!r}")
            post = statistics.median(samples)
            print(
                f"(c) one booking POST at a time  median {post:7.1f} ms   p95 "
                f"{percentile(samples, 0.95):7.1f} ms   ÷ slots GET (a) {post / slots_median:5.2f}"
                f"   (target ≤ 2; {len(samples)} bookings; {load_average()})"
            )
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument(
        "--series",
        type=int,
        default=300,
        help="weekly series among --events for a second person (0: skip that case)",
    )
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--bookings", type=int, default=25, help="per client")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--seed", type=int, default=20260302)
    args = parser.parse_args(argv)
    if args.db == "both":
        print(machine_line(args.repeat, args.seed))
        run_per_database("bench.booking", args)
        return
    run_one(args)


if __name__ == "__main__":
    main()
