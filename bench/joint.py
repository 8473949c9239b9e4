"""Slots of a joint link ("all of us") of ten people against one person's link.

Run from the repository root::

    .venv/bin/python -m bench.joint                  # SQLite, then PostgreSQL
    .venv/bin/python -m bench.joint --db sqlite --repeat 40

Ten employees, each with 2,000 seeded events in the 60 days from tomorrow (300 of them
weekly series, ``bench.seed.person_calendar``, each with its own random draw, all keeping
13:00-14:00 free so that the joint link has times to offer). The first owns two links:
one for herself alone and one joint link with the nine others. Timed, interleaved:
``GET /api/v1/public/booking/<token>/slots`` for the 60 days of each (gunicorn,
``--workers``), as a booking page is asked again and again (busy time from the cache,
``events.busy_cache``), and once more with every calendar changed before each request
(nothing from the cache). Target: the joint link ≤ 3× the single person's, p50 quoted.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import tempfile
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
    run_per_database,
    server_env,
    setup_django,
    timed_pair,
)

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/rdv_bench_joint"
PEOPLE = 10


def prepare(args: argparse.Namespace, env: dict[str, str]) -> tuple[str, str, str]:
    setup_django(env)
    from accounts.models import User
    from accounts.services import create_account
    from booking.links import configure_link, create_meeting_type

    account, _admin, _token = create_account(
        "Bench", "admin@bench.rendezvous.test", plan="paid", timezone_name="Europe/Berlin"
    )
    first = datetime.now(seed.TZ).date() + timedelta(days=1)
    people = []
    for n in range(args.people):
        user = User.objects.create_user(
            f"p{n}@bench.rendezvous.test", None, account=account, full_name=f"Person {n}",
            timezone="Europe/Berlin",
        )  # fmt: skip
        specs = seed.person_calendar(
            random.Random(args.seed + n), first, args.days, events=args.events, series=args.series,
            avoid=seed.quiet_hour(),
        )  # fmt: skip
        seed.write_events(account, user, specs)
        people.append(user)
    settings = {"min_notice_minutes": 0, "horizon_days": args.days + 1}
    owner = people[0]
    _link, single = configure_link(owner, settings, switch_on=True)
    _joint, joint = create_meeting_type(
        owner, {**settings, "name": "Team", "kind": "all", "member_ids": [p.pk for p in people[1:]]}
    )
    close_connections()
    return single, joint, first.isoformat()


def cold(call):
    """``call`` after renewing every person's busy-time token, as a write to their
    calendar renews it: the request then finds nothing in the cache. (The renewal, one
    UPDATE of ten rows, is inside the timing and costs a fraction of a millisecond.)"""
    from django.db import connection

    def renewed(i: int):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE events_busyversion SET token = %s", [secrets.token_hex(12)])
        return call(i)

    return renewed


def run_one(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="rdv-bench-") as data_dir:
        database = make_database(args.db, args.pg_url, data_dir)
        port = free_port()
        env = server_env(database.url, data_dir, port)
        single, joint, first = prepare(args, env)
        server = Server(env, port, args.workers, Path(data_dir) / "server.log")
        try:
            start = datetime.fromisoformat(first).replace(tzinfo=seed.TZ)
            window = (
                f"?start={start.isoformat()}&end={(start + timedelta(days=args.days)).isoformat()}"
            )
            window = window.replace("+", "%2B")

            def call(token: str):
                return lambda _i: server.request(
                    "GET", f"/api/v1/public/booking/{token}/slots{window}"
                )

            a, b = timed_pair(call(single), call(joint), args.repeat, "slots")
            count_a = len(json.loads(a.body)["slots"])
            count_b = len(json.loads(b.body)["slots"])
            # Cold: every calendar changed since the last request (each person's token
            # renewed, as a write renews it), so nothing is read from the cache.
            cold_a, cold_b = timed_pair(
                cold(call(single)), cold(call(joint)), max(args.repeat // 4, 5), "slots"
            )
            label = f"{args.events:,} events ({args.series} weekly) each"
            joint_label = f"joint link of {args.people}, " + label
            print(f"== {database.label} (gunicorn {args.workers} workers); {load_average()}")
            print(f"{'one person, ' + label:<56} {a.cell()}   {count_a} slots")
            print(f"{joint_label:<56} {b.cell()}   {count_b} slots")
            print(f"{'  ratio (median)':<56} {b.median / a.median:7.2f}×")
            print(f"{'one person, every calendar just changed':<56} {cold_a.cell()}")
            print(f"{'joint link, every calendar just changed':<56} {cold_b.cell()}")
            print(f"{'  ratio (median)':<56} {cold_b.median / cold_a.median:7.2f}×")
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--people", type=int, default=PEOPLE)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--series", type=int, default=300)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20260302)
    args = parser.parse_args(argv)
    if args.db == "both":
        print(machine_line(args.repeat, args.seed))
        run_per_database("bench.joint", args)
        return
    run_one(args)


if __name__ == "__main__":
    main()
