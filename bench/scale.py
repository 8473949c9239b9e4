"""Does a long history cost anything? The window queries with 10× more events outside the window.

Run from the repository root::

    .venv/bin/python -m bench.scale                      # SQLite, then PostgreSQL
    .venv/bin/python -m bench.scale --db sqlite --repeat 50 --outside 10

The seeded database is copied (SQLite backup / PostgreSQL ``CREATE DATABASE … TEMPLATE``)
and ``--outside`` times as many events again (default 10×) are added to the copy,
*outside* the windows. Both are served by gunicorn at once and every query is timed on
both, interleaved (a b, b a, ...), so a load change on the shared machine hits both
sides alike. The queries:

- the booking person: 2,000 events in the 60 days from tomorrow (300 weekly series,
  13:00-14:00 kept free), its booking link asked for those 60 days
  (``/api/v1/public/booking/<token>/slots``) and ``/freebusy`` for that person alone;
- the team: 100 people × 200 events in one week (30 weekly series each), ``/freebusy``
  for 50 of them (one request; MAX_FREEBUSY_USERS is 50), for all 100 (two requests),
  and ``/planner/find`` for all 100 (30 minutes, limit 50).

The added events never touch the windows: single events in the two years before and
the year after, finished series (COUNT or UNTIL before the window) and series that
start after it (see ``bench.seed.outside``). The window queries should barely move;
each answer must be the same on both sides (printed). PostgreSQL's statistics are
refreshed (ANALYZE) after each load, as autovacuum would.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import date, datetime, timedelta
from pathlib import Path

from bench import seed
from bench.common import (
    ROOT,
    Case,
    Server,
    analyze,
    close_connections,
    forwarded_args,
    free_port,
    load_average,
    machine_line,
    make_database,
    run_case_pairs,
    run_per_database,
    server_env,
    setup_django,
)
from bench.planner import Team, freebusy_path, next_week, seed_team, team_cases

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/rdv_bench_scale"
PERSON_EMAIL = "weekly@bench.rendezvous.test"


def person_cases(info: dict) -> list[Case]:
    first = info["first"]
    end = first + timedelta(days=info["days"])
    slots_path = (
        f"/api/v1/public/booking/{info['token']}/slots"
        f"?start={first.isoformat()}&end={end.isoformat()}&tz=Europe/Berlin"
    )
    freebusy = freebusy_path(
        [info["user_id"]],
        seed.local_midnight(first).isoformat(),
        seed.local_midnight(end).isoformat(),
    )
    headers = {"Authorization": f"Bearer {info['api_token']}"}
    return [
        Case(
            f"slots, 1 person, {info['days']} days",
            lambda server, _i: server.request("GET", slots_path),
            lambda body: f"{len(json.loads(body)['slots'])} slots",
        ),
        Case(
            f"freebusy, 1 person, {info['days']} days",
            lambda server, _i: server.request("GET", freebusy, headers=headers),
            lambda body: f"{len(json.loads(body)['users'][0]['busy'])} busy intervals",
        ),
    ]


def clone(database_url: str, target_url: str) -> None:
    """An exact copy of the seeded database, to which the outside events are then added."""
    if database_url.startswith("sqlite:///"):
        with (
            sqlite3.connect(database_url.removeprefix("sqlite:///")) as source,
            sqlite3.connect(target_url.removeprefix("sqlite:///")) as target,
        ):
            source.backup(target)
        return
    import psycopg

    source = urllib.parse.urlsplit(database_url).path.lstrip("/")
    parts = urllib.parse.urlsplit(target_url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')


def grow(args: argparse.Namespace) -> None:
    """(In its own process, set up against the copy.) Add the events outside the windows."""
    setup_django(server_env(args.grow, args.grow_dir, 8000))
    from accounts.models import User

    first = date.fromisoformat(args.first)
    week = date.fromisoformat(args.week)
    rng = random.Random(args.seed + 1)
    person = User.objects.get(email=PERSON_EMAIL)
    added = seed.write_events(
        person.account, person, seed.outside(rng, args.outside * args.events, first, args.days)
    )
    for user in User.objects.filter(email__startswith="person").order_by("email"):
        specs = seed.outside(rng, args.outside * args.team_events, week, 7)
        added += seed.write_events(user.account, user, specs)
    analyze()
    close_connections()
    print(f"   added {added} events outside the windows to the copy")


def run_one(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="rdv-bench-") as data_dir:
        database = make_database(args.db, args.pg_url, data_dir)
        if args.db == "sqlite":
            grown_url = f"sqlite:///{data_dir}/grown.sqlite3"
        else:
            grown_url = args.pg_url + "_outside"
        port, grown_port = free_port(), free_port()
        env = server_env(database.url, data_dir, port)
        grown_dir = Path(data_dir) / "grown"
        grown_dir.mkdir()
        grown_env = server_env(grown_url, str(grown_dir), grown_port)
        setup_django(env)
        from accounts.services import create_account
        from booking.services import configure_link
        from events.models import Event

        account, person, api_token = create_account(
            "Bench",
            PERSON_EMAIL,
            plan="paid",
            full_name="Weekly Person",
            timezone_name="Europe/Berlin",
        )
        rng = random.Random(args.seed)
        first = datetime.now(seed.TZ).date() + timedelta(days=1)
        specs = seed.person_calendar(
            rng, first, args.days, events=args.events, series=args.series, avoid=seed.quiet_hour()
        )
        seed.write_events(account, person, specs)
        _link, token = configure_link(
            person, {"min_notice_minutes": 0, "horizon_days": args.days + 1}, switch_on=True
        )
        week = next_week(datetime.now(seed.TZ).date())
        team: Team = seed_team(
            account,
            rng,
            week,
            people=args.people,
            events=args.team_events,
            series=args.team_series,
        )
        analyze()
        rows = Event.objects.count()
        close_connections()
        print(
            f"== {database.label}: booking person {args.events} events ({args.series} weekly) in "
            f"{args.days} days; team {args.people} × {args.team_events} ({args.team_series} weekly)"
            f" in the week of {week}; {rows} events; {load_average()}"
        )
        t0 = time.perf_counter()
        clone(database.url, grown_url)
        passed = [
            f"--grow={grown_url}", f"--grow-dir={grown_dir}", f"--first={first}",
            f"--week={week}", *forwarded_args(args),
        ]  # fmt: skip
        subprocess.run([sys.executable, "-m", "bench.scale", *passed], cwd=ROOT, check=True)
        print(f"   copied and grown in {time.perf_counter() - t0:.0f} s; {load_average()}")

        info = {
            "first": first,
            "days": args.days,
            "token": token,
            "user_id": person.pk,
            "api_token": api_token,
        }
        cases = person_cases(info) + team_cases(team, small_group=False)
        server = Server(env, port, args.workers, Path(data_dir) / "server.log")
        try:
            grown = Server(grown_env, grown_port, args.workers, grown_dir / "server.log")
            try:
                results = run_case_pairs(server, grown, cases, args.repeat)
            finally:
                grown.stop()
        finally:
            server.stop()
        head = f"+{args.outside}× outside"
        print(
            f"{'case':<36} {'as seeded: median / p95':>24} {head + ': median / p95':>27} "
            f"{'ratio':>6}  result (both)"
        )
        for name, (a, b) in results.items():
            same = a.note if a.note == b.note else f"{a.note} → {b.note} (DIFFERENT)"
            print(f"{name:<36} {a.cell():>24} {b.cell():>27} {b.median / a.median:>5.2f}×  {same}")
        print(f"   {load_average()}")
        if args.db == "postgres":
            from bench.common import recreate_postgres

            recreate_postgres(grown_url)  # leave an empty database, not 220,000 rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--events", type=int, default=2000, help="booking person, in the window")
    parser.add_argument("--series", type=int, default=300, help="of those, weekly series")
    parser.add_argument("--days", type=int, default=60, help="the booking window")
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--team-events", type=int, default=200, help="per person, in the week")
    parser.add_argument("--team-series", type=int, default=30, help="of those, weekly series")
    parser.add_argument("--outside", type=int, default=10, help="times as many events outside")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--seed", type=int, default=20260302)
    # Internal: the child process that adds the outside events to the copy.
    parser.add_argument("--grow", help=argparse.SUPPRESS)
    parser.add_argument("--grow-dir", help=argparse.SUPPRESS)
    parser.add_argument("--first", help=argparse.SUPPRESS)
    parser.add_argument("--week", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.grow:
        grow(args)
    elif args.db == "both":
        print(machine_line(args.repeat, args.seed))
        run_per_database("bench.scale", args)
    else:
        run_one(args)


if __name__ == "__main__":
    main()
