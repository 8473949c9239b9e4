"""Booking slots with and without busy sources: the outside calendars must cost no more
than their rows do (they are read like events, never fetched on the request path).

Run from the repository root::

    .venv/bin/python -m bench.sources                  # SQLite, then PostgreSQL
    .venv/bin/python -m bench.sources --db sqlite --repeat 100

Two employees with the same 2,000 seeded events in the 60 days from tomorrow (300 of
them weekly series, ``bench.seed.person_calendar``, keeping 13:00-14:00 free so there
are slots to offer); the second also has two busy sources holding 2,000 busy blocks
each in those days (as the worker stores them after a read: merged, so quarter hours
that do not touch; fresh, not stale; outside the hour the events keep free, so both
links offer the same slots). Timed,
interleaved: ``GET /api/v1/public/booking/<token>/slots`` for the 60 days of each
link (gunicorn, ``--workers``). Target: with sources ≤ 1.2× without.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import seed
from bench.common import (
    Server,
    close_connections,
    free_port,
    load_average,
    machine_line,
    make_database,
    run_per_database,
    server_env,
    setup_django,
    timed_pair,
)

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/rdv_bench_sources"
BLOCKS = 2000


def prepare(args: argparse.Namespace, env: dict[str, str]) -> tuple[str, str, str, int]:
    setup_django(env)
    from django.utils import timezone

    from accounts.models import User
    from accounts.services import create_account
    from booking.services import configure_link
    from events.models import micros
    from sources import busy_days, crypto
    from sources.models import BusyBlock, BusySource

    account, _admin, _token = create_account(
        "Bench", "admin@bench.rendezvous.test", plan="paid", timezone_name="Europe/Berlin"
    )
    first = datetime.now(seed.TZ).date() + timedelta(days=1)
    link_settings = {"min_notice_minutes": 0, "horizon_days": args.days + 1}
    tokens = []
    for key in ("plain", "sources"):
        user = User.objects.create_user(
            f"{key}@bench.rendezvous.test", None, account=account, timezone="Europe/Berlin"
        )
        specs = seed.person_calendar(
            random.Random(args.seed), first, args.days, events=2000, series=300,
            avoid=seed.quiet_hour(),
        )  # fmt: skip
        seed.write_events(account, user, specs)
        _link, token = configure_link(user, link_settings, switch_on=True)
        tokens.append(token)
        if key == "sources":
            rng = random.Random(args.seed + 7)
            lo = seed.local_midnight(first)
            quiet = seed.quiet_hour()
            for n in range(2):
                source = BusySource.objects.create(
                    user=user, name=f"Outside {n}", kind=BusySource.Kind.ICAL,
                    url_secret=crypto.encrypt(f"https://calendar.example/{n}.ics"),
                    url_hint="https://calendar.example", last_success_at=timezone.now(),
                    next_fetch_at=timezone.now() + timedelta(days=1), block_count=BLOCKS,
                )  # fmt: skip
                # As the worker stores a read: merged, so no two blocks touch. 2,000
                # quarter hours among every other quarter hour of the 60 days, outside
                # the hour the events keep free, so both links offer the same slots.
                quarters = rng.sample([q for q in range(0, args.days * 96, 2)
                                       if not quiet(quarter(lo, q), quarter(lo, q + 1))],
                                      BLOCKS)  # fmt: skip
                blocks = [
                    BusyBlock(source=source, user=user,
                              start=micros(quarter(lo, q)), end=micros(quarter(lo, q + 1)))
                    for q in sorted(quarters)
                ]  # fmt: skip
                BusyBlock.objects.bulk_create(blocks, batch_size=1000)
            busy_days.rebuild(user.pk)  # as the worker does after a read
    close_connections()
    return tokens[0], tokens[1], first.isoformat(), args.days


def quarter(midnight: datetime, n: int) -> datetime:
    """The start of the ``n``-th quarter hour of real time after ``midnight``."""
    return (midnight + timedelta(minutes=15 * n)).astimezone(UTC)


def run_one(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="rdv-bench-") as data_dir:
        database = make_database(args.db, args.pg_url, data_dir)
        port = free_port()
        env = server_env(database.url, data_dir, port)
        plain, with_sources, first, days = prepare(args, env)
        server = Server(env, port, args.workers, Path(data_dir) / "server.log")
        try:
            start = datetime.fromisoformat(first).replace(tzinfo=seed.TZ)
            window = f"?start={start.isoformat()}&end={(start + timedelta(days=days)).isoformat()}"
            window = window.replace("+", "%2B")

            def call(token: str):
                return lambda _i: server.request(
                    "GET", f"/api/v1/public/booking/{token}/slots{window}"
                )

            a, b = timed_pair(call(plain), call(with_sources), args.repeat, "slots")
            count_a = len(json.loads(a.body)["slots"])
            count_b = len(json.loads(b.body)["slots"])
            print(f"== {database.label} (gunicorn {args.workers} workers); {load_average()}")
            print(f"{'slots, 60 days, 2,000 events (300 weekly)':<52} {a.cell()}   {count_a} slots")
            print(f"{'  + two sources of 2,000 busy blocks each':<52} {b.cell()}   {count_b} slots")
            print(f"{'  ratio (median)':<52} {b.median / a.median:7.2f}×")
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20260302)
    args = parser.parse_args(argv)
    if args.db == "both":
        print(machine_line(args.repeat, args.seed))
        run_per_database("bench.sources", args)
        return
    run_one(args)


if __name__ == "__main__":
    main()
