"""Our CalDAV server next to Radicale on the same calendar: a 60-day calendar-query and an
incremental sync-collection after one change.

Run from the repository root::

    .venv/bin/python -m bench.caldav                   # SQLite, then PostgreSQL
    .venv/bin/python -m bench.caldav --db sqlite --repeat 30

The calendar is ``bench.radicale``'s person A: 2,000 events in the 60 days from tomorrow,
300 of them weekly series (``bench.seed``), given to both servers the way that benchmark
gives it (our rows; Radicale one PUT per event). Radicale (``bench/.venv-radicale``,
pinned there) runs in one process on loopback; ours is gunicorn (``--workers``), signed in
with an app password, Radicale with none.

Timed, interleaved (ours, Radicale, Radicale, ours, ...):

* ``calendar-query``: REPORT with a VEVENT time-range filter over the 60 days asking for
  ``getetag`` and ``calendar-data``, what Thunderbird and Evolution send; both answers must
  name the same number of objects. The very first one is also printed alone: ours renders
  every object then (later ones read the renderings kept per object version).
* ``sync-collection`` after one change: before each timed REPORT, one event is changed on
  that server by a PUT (not timed); the REPORT from the previous token must report
  exactly that one object, and its new token is used next time.
"""

from __future__ import annotations

import argparse
import base64
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import seed
from bench.common import (
    Server,
    analyze,
    close_connections,
    free_port,
    load_average,
    machine_line,
    make_database,
    percentile,
    run_per_database,
    server_env,
    setup_django,
)
from bench.radicale import RADICALE, Radicale, calendar_object, ensure_radicale

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/rdv_bench_caldav"
WARM_UP = 8

QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/><C:calendar-data/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
<C:time-range start="{start:%Y%m%dT%H%M%SZ}" end="{end:%Y%m%dT%H%M%SZ}"/>
</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"""

SYNC = """<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:"><D:sync-token>{token}</D:sync-token>
<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"""

XML = {"Content-Type": "application/xml; charset=utf-8", "Depth": "1"}


def responses(body: bytes) -> int:
    return len(re.findall(rb"<(?:\w+:)?response[ >]", body))


def sync_token(body: bytes) -> str:
    found = re.search(rb"<(?:\w+:)?sync-token>([^<]*)<", body)
    if not found:
        raise RuntimeError(f"no sync-token in {body[:300]!r}")
    return found.group(1).decode()


class Side:
    """One server as the benchmark drives it."""

    def __init__(self, name: str, request: Callable, calendar: str, change_path: str) -> None:
        self.name, self.request, self.calendar, self.change_path = (
            name, request, calendar, change_path,
        )  # fmt: skip
        self.token = ""

    def report(self, body: str) -> bytes:
        status, answer = self.request("REPORT", self.calendar, body, XML)
        if status != 207:
            raise RuntimeError(f"{self.name} REPORT: {status} {answer[:300]!r}")
        return answer

    def change(self, uid: str, spec: seed.Spec, organizer: str, n: int) -> None:
        data = calendar_object([(spec, uid)], organizer).replace(
            b"SUMMARY:Busy", f"SUMMARY:Busy {n}".encode()
        )
        status, answer = self.request(
            "PUT", self.change_path, data, {"Content-Type": "text/calendar; charset=utf-8"}
        )
        if status not in (201, 204):
            raise RuntimeError(f"{self.name} PUT: {status} {answer[:300]!r}")


def interleaved(sides: list[Side], repeat: int, step: Callable[[Side, int], Callable[[], bytes]]):
    """Median and p95 per side; ``step(side, i)`` does the untimed part and returns the
    timed call."""
    samples: dict[str, list[float]] = {s.name: [] for s in sides}
    bodies: dict[str, bytes] = {}
    for i in range(-WARM_UP, repeat):
        for side in sides if i % 2 == 0 else reversed(sides):
            call = step(side, i)
            t0 = time.perf_counter()
            bodies[side.name] = call()
            if i >= 0:
                samples[side.name].append((time.perf_counter() - t0) * 1000)
    return {
        name: (statistics.median(values), percentile(values, 0.95), bodies[name])
        for name, values in samples.items()
    }


def run_one(args: argparse.Namespace) -> None:
    python = ensure_radicale(args.radicale)
    with tempfile.TemporaryDirectory(prefix="rdv-bench-") as data_dir:
        database = make_database(args.db, args.pg_url, data_dir)
        port, radicale_port = free_port(), free_port()
        env = server_env(database.url, data_dir, port)
        setup_django(env)
        from accounts.models import User
        from accounts.services import create_account
        from dav.app_passwords import create_app_password
        from events.models import Event

        account, admin, _token = create_account(
            "Bench", "admin@bench.rendezvous.test", plan="paid", timezone_name="Europe/Berlin"
        )
        today = datetime.now(seed.TZ).date()
        first = today + timedelta(days=1)
        specs = seed.person_calendar(
            random.Random(args.seed), first, 60, events=2000, series=300, avoid=seed.quiet_hour()
        )
        start = seed.local_midnight(first).astimezone(UTC)
        end = seed.local_midnight(first + timedelta(days=60)).astimezone(UTC)
        user = User.objects.create_user(
            "person-a@bench.rendezvous.test", None, account=account, timezone="Europe/Berlin"
        )
        seed.write_events(account, user, specs)
        _row, password = create_app_password(user, "bench")
        single = next(i for i, s in enumerate(specs) if not s.rule)
        our_uid = (
            Event.objects.filter(organizer=user, recurrence__isnull=True, start=specs[single].start)
            .values_list("uid", flat=True)
            .first()
        )
        radicale = Radicale(
            python, Path(data_dir) / "radicale", radicale_port, Path(data_dir) / "radicale.log"
        )
        try:
            path = radicale.make_calendar("person-a")
            uids = [f"bench-a-{n}@bench" for n in range(len(specs))]
            t0 = time.perf_counter()
            radicale.put_all(
                path,
                [
                    (f"event-{n}", calendar_object([(spec, uid)], admin.email))
                    for n, (spec, uid) in enumerate(zip(specs, uids, strict=True))
                ],
            )
            print(
                f"   Radicale: {len(uids)} events, one PUT each, in {time.perf_counter() - t0:.0f} s"
            )
            analyze()
            close_connections()
            server = Server(env, port, args.workers, Path(data_dir) / "server.log")
            auth = "Basic " + base64.b64encode(f"{user.email}:{password}".encode()).decode()
            try:
                ours = Side(
                    "ours",
                    lambda m, p, b=None, h=None: server.request(m, p, b, {**(h or {}), "Authorization": auth}),
                    f"/dav/calendars/{user.pk}/calendar/",
                    f"/dav/calendars/{user.pk}/calendar/{our_uid}.ics",
                )  # fmt: skip
                theirs = Side("radicale", radicale.request, path, f"{path}event-{single}.ics")
                uid_of = {"ours": our_uid, "radicale": uids[single]}
                print(
                    f"== {database.label} (gunicorn {args.workers} workers) vs Radicale "
                    f"{args.radicale.split('==')[-1]} (one process); {load_average()}"
                )
                print(
                    f"{'request':<44} {'ours median / p95':>19} {'Radicale median / p95':>23} {'ratio':>7}  objects: ours / Radicale"
                )
                query = QUERY.format(start=start, end=end)
                cold = {}
                for side in (ours, theirs):
                    t0 = time.perf_counter()
                    side.report(query)
                    cold[side.name] = (time.perf_counter() - t0) * 1000
                print(
                    f"{'calendar-query, the first (nothing rendered)':<44} {cold['ours']:7.1f}"
                    f"{'':>12}{cold['radicale']:9.1f}"
                )

                def query_step(side: Side, _i: int):
                    return lambda: side.report(query)

                timings = interleaved([ours, theirs], args.repeat, query_step)
                line("calendar-query, 60 days, with data", timings, responses)

                for side in (ours, theirs):
                    side.token = sync_token(side.report(SYNC.format(token="")))

                def sync_step(side: Side, i: int):
                    organizer = user.email if side is ours else admin.email
                    side.change(uid_of[side.name], specs[single], organizer, i + 100)

                    def call() -> bytes:
                        body = side.report(SYNC.format(token=side.token))
                        if responses(body) != 1:
                            raise RuntimeError(f"{side.name}: {responses(body)} changes, not 1")
                        side.token = sync_token(body)
                        return body

                    return call

                timings = interleaved([ours, theirs], args.repeat, sync_step)
                line("sync-collection after one change", timings, responses)
            finally:
                server.stop()
        finally:
            radicale.stop()


def line(label: str, timings: dict, count: Callable[[bytes], int]) -> None:
    (om, op, ob), (rm, rp, rb) = timings["ours"], timings["radicale"]
    print(
        f"{label:<44} {om:7.1f} / {op:7.1f}   {rm:9.1f} / {rp:9.1f}   {rm / om:5.1f}×  "
        f"{count(ob)} / {count(rb)}; {load_average()}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--radicale", default=RADICALE, help="pip requirement for Radicale")
    parser.add_argument("--seed", type=int, default=20260302)
    args = parser.parse_args(argv)
    if args.db == "both":
        ensure_radicale(args.radicale)
        print(machine_line(args.repeat, args.seed))
        run_per_database("bench.caldav", args)
        return
    run_one(args)


if __name__ == "__main__":
    main()
