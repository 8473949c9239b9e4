"""Benchmark of the team queries over real HTTP: ``/freebusy`` and ``/planner/find``.

Run from the repository root::

    .venv/bin/python -m bench.planner                    # SQLite, then PostgreSQL
    .venv/bin/python -m bench.planner --db sqlite --repeat 100
    .venv/bin/python -m bench.planner --db postgres --pg-url postgres://postgres@127.0.0.1:5432/rdv_bench_planner

The data: ``--people`` employees (default 100) in Europe/Berlin with the default working
hours (Mon-Fri 09:00-18:00), each with ``--events`` events (default 200) touching one
week (Monday to Monday, the next whole week from tomorrow): ``--series`` of them (30)
weekly series started before or inside the week (some every other week or with a
COUNT), the rest single events in the week. Every person keeps 13:00-14:00 free, so
the planner has common slots to find (and each one is checked to lie in that hour).

Cases, each a median and p95 in ms over ``--repeat`` requests:

- ``GET /api/v1/freebusy`` for 50 people (MAX_FREEBUSY_USERS = 50 in api/schemas.py
  caps one request), and for all 100 as two requests of 50 back to back (one sample
  is the pair);
- ``POST /api/v1/planner/find`` for all 100 (its cap is 100) and for 10 people,
  30 minutes, ``limit`` 50 (more than the week holds, so the whole week is searched).

Requests rotate over the employees' API tokens (the API limits each to 1,200 a minute).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from bench import seed
from bench.common import (
    Case,
    Server,
    Timing,
    analyze,
    close_connections,
    free_port,
    load_average,
    machine_line,
    make_database,
    run_cases,
    run_per_database,
    server_env,
    setup_django,
)

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/rdv_bench_planner"
MAX_FREEBUSY_USERS = 50  # api/schemas.py; checked against it in prepare()


def next_week(today: date) -> date:
    """The Monday of the first whole week that starts after today."""
    return today + timedelta(days=7 - today.weekday())


@dataclass
class Team:
    """Who the team queries ask about, and with which tokens."""

    user_ids: list[int]
    tokens: list[str]
    week: date
    people: int = field(init=False)

    def __post_init__(self) -> None:
        self.people = len(self.user_ids)


def seed_team(
    account, rng: random.Random, week: date, *, people: int, events: int, series: int
) -> Team:
    """``people`` employees, each with ``events`` events touching the week (``series`` weekly)."""
    from accounts.models import User
    from accounts.services import create_api_token

    ids, tokens = [], []
    quiet = seed.quiet_hour()
    for n in range(people):
        user = User.objects.create_user(
            f"person{n:03d}@bench.rendezvous.test", None, account=account,
            full_name=f"Person {n:03d}", timezone="Europe/Berlin",
        )  # fmt: skip
        specs = seed.person_calendar(rng, week, 7, events=events, series=series, avoid=quiet)
        seed.write_events(account, user, specs)
        _row, raw = create_api_token(user, "bench")
        ids.append(user.pk)
        tokens.append(raw)
    return Team(ids, tokens, week)


def week_bounds(week: date) -> tuple[str, str]:
    lo = seed.local_midnight(week)
    hi = seed.local_midnight(week + timedelta(days=7))
    return lo.isoformat(), hi.isoformat()


def freebusy_path(user_ids: list[int], start: str, end: str) -> str:
    from urllib.parse import urlencode

    query = urlencode({"users": ",".join(map(str, user_ids)), "start": start, "end": end})
    return f"/api/v1/freebusy?{query}"


def team_cases(team: Team, *, small_group: bool = True) -> list[Case]:
    """The team requests; each answer is checked (the right people, slots in the quiet hour)."""
    start, end = week_bounds(team.week)

    def auth(i: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {team.tokens[i % len(team.tokens)]}"}

    chunks = [
        team.user_ids[i : i + MAX_FREEBUSY_USERS]
        for i in range(0, len(team.user_ids), MAX_FREEBUSY_USERS)
    ]
    paths = [freebusy_path(chunk, start, end) for chunk in chunks]

    def freebusy_one(server: Server, i: int) -> tuple[int, bytes]:
        return server.request("GET", paths[0], headers=auth(i))

    def freebusy_all(server: Server, i: int) -> tuple[int, bytes]:
        answers = [server.request("GET", path, headers=auth(i)) for path in paths]
        bad = [a for a in answers if a[0] != 200]
        if bad:
            return bad[0]
        users = [u for _status, body in answers for u in json.loads(body)["users"]]
        return 200, json.dumps({"users": users}).encode()

    def busy_count(ids: list[int]):
        def describe(body: bytes) -> str:
            users = json.loads(body)["users"]
            if [u["user_id"] for u in users] != ids:
                raise RuntimeError("freebusy answered about other people")
            return f"{sum(len(u['busy']) for u in users)} busy intervals"

        return describe

    def planner(people: int):
        body = {
            "users": team.user_ids[:people],
            "duration_minutes": 30,
            "start": start,
            "end": end,
            "limit": 50,
        }
        return lambda server, i: server.request(
            "POST", "/api/v1/planner/find", body, headers=auth(i)
        )

    def common_slots(body: bytes) -> str:
        slots = json.loads(body)["slots"]
        check_quiet(slots)
        return f"{len(slots)} common slots"

    cases = [Case(f"freebusy, {len(chunks[0])} people, 1 request", freebusy_one,
                  busy_count(chunks[0]))]  # fmt: skip
    if len(chunks) > 1:
        cases.append(
            Case(
                f"freebusy, {team.people} people, {len(paths)} requests",
                freebusy_all,
                busy_count(team.user_ids),
            )
        )
    groups = (team.people, min(10, team.people)) if small_group else (team.people,)
    for people in dict.fromkeys(groups):
        cases.append(Case(f"planner/find, {people} people, 30 min", planner(people), common_slots))
    return cases


def check_quiet(slots: list[dict]) -> None:
    """Every common slot must lie in 13:00-14:00 Berlin on a weekday: the only common free time."""
    for slot in slots:
        lo = datetime.fromisoformat(slot["start"]).astimezone(seed.TZ)
        hi = datetime.fromisoformat(slot["end"]).astimezone(seed.TZ)
        if not (lo.weekday() < 5 and lo.hour == 13 and (hi.hour, hi.minute) <= (14, 0)):
            raise RuntimeError(f"planner offered {slot}, outside the only common free hour")
    if not slots:
        raise RuntimeError("planner found no slot, but 13:00-14:00 is free for everyone")


def print_table(results: dict[str, Timing]) -> None:
    print(f"{'case':<40} {'median ms':>10} {'p95 ms':>10}  result; load during the case")
    for name, t in results.items():
        print(f"{name:<40} {t.median:>10.1f} {t.p95:>10.1f}  {t.note}; {t.load}")


def run_one(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="rdv-bench-") as data_dir:
        database = make_database(args.db, args.pg_url, data_dir)
        port = free_port()
        env = server_env(database.url, data_dir, port)
        setup_django(env)
        from accounts.services import create_account
        from api.schemas import MAX_FREEBUSY_USERS as api_cap

        assert api_cap == MAX_FREEBUSY_USERS, f"api/schemas.py now caps /freebusy at {api_cap}"
        account, _admin, _token = create_account(
            "Bench", "admin@bench.rendezvous.test", plan="paid", timezone_name="Europe/Berlin"
        )
        week = next_week(datetime.now(seed.TZ).date())
        team = seed_team(
            account,
            random.Random(args.seed),
            week,
            people=args.people,
            events=args.events,
            series=args.series,
        )
        analyze()
        close_connections()
        print(
            f"== {database.label}: {args.people} people × {args.events} events "
            f"({args.series} weekly series) touching the week of {week}, "
            f"gunicorn {args.workers} workers; {load_average()}"
        )
        server = Server(env, port, args.workers, Path(data_dir) / "server.log")
        try:
            print_table(run_cases(server, team_cases(team), args.repeat))
        finally:
            server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--events", type=int, default=200, help="per person")
    parser.add_argument("--series", type=int, default=30, help="weekly series per person")
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--seed", type=int, default=20260302)
    args = parser.parse_args(argv)
    if args.db == "both":
        print(machine_line(args.repeat, args.seed))
        run_per_database("bench.planner", args)
        return
    run_one(args)


if __name__ == "__main__":
    main()
