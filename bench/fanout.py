"""Invitation fan-out over real HTTP: ``POST /api/v1/events`` with many external guests.

What an employee waits for after "Save" on an event with a large guest list: today the
request builds one iMIP invitation per guest inside its transaction (the mail is only
*sent* later, by the worker). Prints median and p95 of the POST, and its cost per guest.

    .venv/bin/python -m bench.fanout                     # SQLite, then PostgreSQL
    .venv/bin/python -m bench.fanout --db sqlite --guests 200 --repeat 10
"""

from __future__ import annotations

import argparse
import json
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
    timed_calls,
)

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/rdv_bench_fanout"


def prepare(env: dict[str, str]) -> str:
    """A paid account whose admin has a confirmed sender mailbox; returns its API token."""
    setup_django(env)
    from django.utils import timezone

    from accounts.services import create_account
    from mail.models import SenderMailbox

    _account, owner, token = create_account(
        "Bench", "owner@bench.rendezvous.test", plan="paid", timezone_name="Europe/Berlin"
    )
    SenderMailbox.objects.create(
        account_id=owner.account_id,
        owner=owner,
        name="Owner",
        email="owner@mail.bench.rendezvous.test",
        confirmed_at=timezone.now(),
    )
    close_connections()
    return token


def event_body(i: int, guests: int) -> dict:
    start = seed.local_midnight(datetime.now(seed.TZ).date() + timedelta(days=2 + i % 300))
    start += timedelta(hours=10)
    return {
        "title": f"Fan-out {i}",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=1)).isoformat(),
        "timezone": "Europe/Berlin",
        "guests": [
            {"email": f"guest{n}.{i}@guests.bench.test", "first_name": "Guest", "last_name": f"{n}"}
            for n in range(guests)
        ],
    }


def run_one(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="rdv-bench-") as data_dir:
        database = make_database(args.db, args.pg_url, data_dir)
        port = free_port()
        env = server_env(database.url, data_dir, port)
        token = prepare(env)
        server = Server(env, port, args.workers, Path(data_dir) / "server.log")
        headers = {"Authorization": f"Bearer {token}"}

        def post(i: int) -> tuple[int, bytes]:
            status, body = server.request(
                "POST", "/api/v1/events", event_body(i, args.guests), headers
            )
            return (200 if status == 201 else status), body

        try:
            timing = timed_calls(post, args.repeat, "POST /api/v1/events")
            answered = json.loads(timing.body)
            assert len(answered["attendees"]) == args.guests + 1, answered.get("detail")
            print(
                f"== {database.label}: POST /api/v1/events with {args.guests} guests   "
                f"median {timing.median:7.1f} ms   p95 {timing.p95:7.1f} ms   "
                f"({timing.median / args.guests:.2f} ms per guest; {load_average()})"
            )
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--guests", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--seed", type=int, default=20260302)
    args = parser.parse_args(argv)
    if args.db == "both":
        print(machine_line(args.repeat, args.seed))
        run_per_database("bench.fanout", args)
        return
    run_one(args)


if __name__ == "__main__":
    main()
