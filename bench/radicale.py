"""Our ``/freebusy`` next to Radicale's CalDAV ``free-busy-query`` for the same calendar.

Run from the repository root::

    .venv/bin/python -m bench.radicale                   # SQLite, then PostgreSQL
    .venv/bin/python -m bench.radicale --db sqlite --repeat 100
    .venv/bin/python -m bench.radicale --db sqlite --outside 10   # also 10× history

Radicale (a small CalDAV server in Python) is installed from PyPI into the benchmark's
own virtual environment, ``bench/.venv-radicale`` (made on first run, gitignored; the
project's environment is not touched). It runs on a loopback port with a temporary
storage folder and no authentication.

Two people, each given to both servers: (A) the booking person of ``bench.scale``,
2,000 events in the 60 days from tomorrow, 300 of them weekly series, window = those
60 days; (B) a planner person of ``bench.planner``, 200 events touching next week, 30
of them weekly series, window = that week. Our side holds the rows (series with their
RRULE); Radicale gets one calendar (MKCALENDAR) per person and one PUT per event: a
VEVENT with DTSTART/DTEND in TZID Europe/Berlin and its VTIMEZONE, RRULE for a series,
built by ``mail.ical.build_calendar`` (METHOD removed: RFC 4791 §4.1 keeps it out of
stored calendar objects). Past ``--put-limit`` events (2,500) the calendar is sent in
one PUT of the whole VCALENDAR instead (Radicale splits it by UID): its single PUTs get
slower as the collection grows. With ``--outside N``, N times as many events again lie
outside the windows on both servers (``bench.seed.outside``).

Timed, interleaved (ours, Radicale, Radicale, ours, ...) so that both see the same load:
``GET /api/v1/freebusy?users=<id>&start=&end=`` (gunicorn, ``--workers``) and the
``REPORT`` with ``<C:free-busy-query><C:time-range …/>`` (RFC 4791 §7.10) on the
calendar (Radicale's own threaded server, one process). Each server opens a new
connection per request. Sanity: Radicale merges its periods (3.9 does), so its FREEBUSY
periods should be exactly our busy intervals; both counts are printed, and any
difference is listed.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench import seed
from bench.common import (
    ROOT,
    Server,
    analyze,
    close_connections,
    free_port,
    http_request,
    load_average,
    machine_line,
    make_database,
    run_per_database,
    server_env,
    setup_django,
    timed_pair,
)
from bench.planner import freebusy_path, next_week

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/rdv_bench_radicale"
VENV = ROOT / "bench" / ".venv-radicale"
RADICALE = "radicale==3.9.0"  # pinned: figures are for this version
USER = "bench"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{USER}:x".encode()).decode()}


# ------------------------------------------------------------------------------ Radicale


def ensure_radicale(spec: str) -> Path:
    """The Python of ``bench/.venv-radicale``, made and filled on first use."""
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"   making {VENV.relative_to(ROOT)} and installing {spec} from PyPI")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    probe = subprocess.run(
        [str(python), "-c", "import radicale, sys; sys.stdout.write(radicale.VERSION)"],
        capture_output=True,
        text=True,
    )
    wanted = spec.split("==", 1)[1] if "==" in spec else None
    if probe.returncode != 0 or (wanted and probe.stdout.strip() != wanted):
        pip = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", spec], capture_output=True, text=True
        )
        if pip.returncode != 0:
            raise SystemExit(f"pip install {spec} failed:\n{pip.stdout}{pip.stderr}")
    return python


class Radicale:
    """Radicale on a loopback port, storing into ``folder``; no authentication."""

    def __init__(self, python: Path, folder: Path, port: int, log: Path) -> None:
        self.port = port
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [
                str(python), "-m", "radicale",
                "--server-hosts", f"127.0.0.1:{port}",
                "--storage-filesystem-folder", str(folder),
                "--auth-type", "none",
                "--rights-type", "owner_only",
                "--logging-level", "warning",
            ],
            stdout=self.log,
            stderr=self.log,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _ = self.request("PROPFIND", f"/{USER}/", headers={"Depth": "0"})
                if status in (207, 404):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"Radicale did not start; see {log}")

    def request(
        self, method: str, path: str, body: bytes | str | None = None, headers=None
    ) -> tuple[int, bytes]:
        return http_request(self.port, method, path, body, {**AUTH, **(headers or {})})

    def make_calendar(self, name: str) -> str:
        path = f"/{USER}/{name}/"
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            f"<D:set><D:prop><D:displayname>{name}</D:displayname></D:prop></D:set>"
            "</C:mkcalendar>"
        )
        status, answer = self.request("MKCALENDAR", path, body, {"Content-Type": "text/xml"})
        if status != 201:
            raise RuntimeError(f"MKCALENDAR {path}: {status} {answer[:300]!r}")
        return path

    def put_all(self, path: str, objects: list[tuple[str, bytes]]) -> None:
        def put(item: tuple[str, bytes]) -> None:
            name, data = item
            status, answer = self.request(
                "PUT", f"{path}{name}.ics", data, {"Content-Type": "text/calendar; charset=utf-8"}
            )
            if status not in (201, 204):
                raise RuntimeError(f"PUT {name}: {status} {answer[:300]!r}")

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(put, objects))

    def upload(self, path: str, calendar: bytes) -> None:
        """Replace the calendar with one VCALENDAR of many events (Radicale splits it by UID)."""
        status, answer = self.request(
            "PUT", path, calendar, {"Content-Type": "text/calendar; charset=utf-8"}
        )
        if status not in (201, 204):
            raise RuntimeError(f"PUT {path}: {status} {answer[:300]!r}")

    def free_busy(self, path: str, start: datetime, end: datetime) -> tuple[int, bytes]:
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">'
            f'<C:time-range start="{start:%Y%m%dT%H%M%SZ}" end="{end:%Y%m%dT%H%M%SZ}"/>'
            "</C:free-busy-query>"
        )
        return self.request(
            "REPORT", path, body, {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"}
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def calendar_object(specs: list[tuple[seed.Spec, str]], organizer: str) -> bytes:
    """A VCALENDAR with the VTIMEZONE and one VEVENT per (spec, uid), without METHOD."""
    from mail.ical import CalendarEvent, CalendarPerson, build_calendar

    data = build_calendar(
        "PUBLISH",
        [
            CalendarEvent(
                uid=uid,
                sequence=0,
                title="Busy",
                start=spec.start,
                end=spec.end,
                timezone=seed.TZ.key,
                organizer=CalendarPerson(organizer),
                rrule=spec.rule,
            )
            for spec, uid in specs
        ],
        dtstamp=datetime(2026, 1, 1, tzinfo=UTC),
    )
    return b"".join(
        line for line in data.splitlines(keepends=True) if not line.startswith(b"METHOD:")
    )


def free_busy_periods(body: bytes) -> list[tuple[datetime, datetime]]:
    """The FREEBUSY periods (FBTYPE BUSY*) of a VFREEBUSY answer, as UTC pairs."""
    from icalendar import Calendar

    periods = []
    for component in Calendar.from_ical(body).walk("VFREEBUSY"):
        values = component.get("FREEBUSY", [])
        for prop in values if isinstance(values, list) else [values]:
            if not str(prop.params.get("FBTYPE", "BUSY")).startswith("BUSY"):
                continue
            for start, end_or_length in [prop.dt] if hasattr(prop, "dt") else prop.dts:
                end = (
                    end_or_length if isinstance(end_or_length, datetime) else start + end_or_length
                )
                periods.append((start.astimezone(UTC), end.astimezone(UTC)))
    return sorted(periods)


def our_periods(body: bytes) -> list[tuple[datetime, datetime]]:
    busy = json.loads(body)["users"][0]["busy"]
    return [
        (
            datetime.fromisoformat(b["start"]).astimezone(UTC),
            datetime.fromisoformat(b["end"]).astimezone(UTC),
        )
        for b in busy
    ]


# ------------------------------------------------------------------------------ run


def people(args: argparse.Namespace, today: date) -> list[dict]:
    """The two calendars, drawn as bench.scale (A) and bench.planner (B) draw them."""
    quiet = seed.quiet_hour()
    first = today + timedelta(days=1)
    week = next_week(today)
    a = seed.person_calendar(
        random.Random(args.seed), first, 60, events=2000, series=300, avoid=quiet
    )
    b = seed.person_calendar(random.Random(args.seed), week, 7, events=200, series=30, avoid=quiet)
    out = []
    for key, specs, lo, days, label in (
        ("a", a, first, 60, "2,000 events (300 weekly), 60 days"),
        ("b", b, week, 7, "200 events (30 weekly), 1 week"),
    ):
        rng = random.Random(args.seed + 2)
        if args.outside:
            specs = specs + seed.outside(rng, args.outside * len(specs), lo, days)
            label += f", +{args.outside * (2000 if key == 'a' else 200)} outside"
        out.append(
            {
                "key": key,
                "specs": specs,
                "start": seed.local_midnight(lo),
                "end": seed.local_midnight(lo + timedelta(days=days)),
                "label": label,
            }
        )
    return out


def run_one(args: argparse.Namespace) -> None:
    python = ensure_radicale(args.radicale)
    with tempfile.TemporaryDirectory(prefix="rdv-bench-") as data_dir:
        database = make_database(args.db, args.pg_url, data_dir)
        port, radicale_port = free_port(), free_port()
        env = server_env(database.url, data_dir, port)
        setup_django(env)
        from accounts.models import User
        from accounts.services import create_account

        account, admin, api_token = create_account(
            "Bench", "admin@bench.rendezvous.test", plan="paid", timezone_name="Europe/Berlin"
        )
        calendars = people(args, datetime.now(seed.TZ).date())
        radicale = Radicale(
            python, Path(data_dir) / "radicale", radicale_port, Path(data_dir) / "radicale.log"
        )
        try:
            for person in calendars:
                user = User.objects.create_user(
                    f"person-{person['key']}@bench.rendezvous.test", None, account=account,
                    timezone="Europe/Berlin",
                )  # fmt: skip
                seed.write_events(account, user, person["specs"])
                person["user_id"] = user.pk
                t0 = time.perf_counter()
                path = radicale.make_calendar(f"person-{person['key']}")
                uids = [f"bench-{person['key']}-{n}@bench" for n in range(len(person["specs"]))]
                if len(uids) <= args.put_limit:
                    objects = [
                        (f"event-{n}", calendar_object([(spec, uid)], admin.email))
                        for n, (spec, uid) in enumerate(zip(person["specs"], uids, strict=True))
                    ]
                    radicale.put_all(path, objects)
                    how = "one PUT each"
                else:
                    pairs = list(zip(person["specs"], uids, strict=True))
                    radicale.upload(path, calendar_object(pairs, admin.email))
                    how = "one PUT of the whole calendar"
                person["path"] = path
                print(
                    f"   Radicale: {len(uids)} events into {path} ({how}) in "
                    f"{time.perf_counter() - t0:.0f} s"
                )
            analyze()
            close_connections()
            server = Server(env, port, args.workers, Path(data_dir) / "server.log")
            print(
                f"== {database.label} (gunicorn {args.workers} workers) vs Radicale "
                f"{args.radicale.split('==')[-1]} (one process); {load_average()}"
            )
            try:
                header = f"{'person, window':<46} {'ours median / p95':>19} {'Radicale median / p95':>23} {'ratio':>7}  periods: ours / Radicale"
                print(header)
                headers = {"Authorization": f"Bearer {api_token}"}
                for person in calendars:
                    ours_path = freebusy_path(
                        [person["user_id"]], person["start"].isoformat(), person["end"].isoformat()
                    )
                    start_utc = person["start"].astimezone(UTC)
                    end_utc = person["end"].astimezone(UTC)

                    def ours(_i: int, p=ours_path) -> tuple[int, bytes]:
                        return server.request("GET", p, headers=headers)

                    def theirs(
                        _i: int, p=person["path"], s=start_utc, e=end_utc
                    ) -> tuple[int, bytes]:
                        return radicale.free_busy(p, s, e)

                    a, b = timed_pair(ours, theirs, args.repeat, person["label"])
                    mine, their = our_periods(a.body), free_busy_periods(b.body)
                    print(
                        f"{person['label']:<46} {a.cell():>19} {b.cell():>23} "
                        f"{b.median / a.median:>6.1f}×  {len(mine)} / {len(their)}"
                        f"{'' if mine == their else ' (DIFFERENT)'}; {a.load}"
                    )
                    if mine != their:
                        only_ours = sorted(set(mine) - set(their))
                        only_theirs = sorted(set(their) - set(mine))
                        print(
                            f"      only ours: {only_ours[:5]}{' …' if len(only_ours) > 5 else ''}"
                        )
                        print(
                            f"      only Radicale: {only_theirs[:5]}{' …' if len(only_theirs) > 5 else ''}"
                        )
            finally:
                server.stop()
        finally:
            radicale.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument(
        "--outside", type=int, default=0, help="times as many events again outside the windows"
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument(
        "--put-limit",
        type=int,
        default=2500,
        help="up to this many events, one PUT each; more go in one PUT of the whole calendar",
    )
    parser.add_argument("--radicale", default=RADICALE, help="pip requirement for Radicale")
    parser.add_argument("--seed", type=int, default=20260302)
    args = parser.parse_args(argv)
    if args.db == "both":
        ensure_radicale(args.radicale)
        print(machine_line(args.repeat, args.seed))
        run_per_database("bench.radicale", args)
        return
    run_one(args)


if __name__ == "__main__":
    main()
