"""Invitations delivered: from "Save" on an event with many guests to the mail server.

``POST /api/v1/events`` with 500 external guests against gunicorn, with the real worker
(``manage.py db_worker``) running and ``SMTP_HOST`` pointing at a local SMTP server in its
own process (``bench/smtp_sink.py``). Measured: the time from the POST until the server
has accepted all 500 invitations. Baseline: plain ``smtplib`` sending the same 500 stored
messages over one connection to the same server. Prints both, their ratio, and the POST.

The ratio cannot go below 1 + POST ÷ raw: nothing is sent before the POST commits (DESIGN
invariant 2), and the server accepts one message at a time, so sending after the commit
takes at least what raw smtplib takes. The script prints that floor beside the POST.

    .venv/bin/python -m bench.delivery                 # SQLite, then PostgreSQL
    .venv/bin/python -m bench.delivery --db sqlite --guests 500 --repeat 5
"""

from __future__ import annotations

import argparse
import logging
import smtplib
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import (
    ROOT,
    Server,
    close_connections,
    free_port,
    load_average,
    machine_line,
    make_database,
    percentile,
    run_per_database,
    server_env,
)
from bench.fanout import event_body, prepare
from bench.smtp_sink import Sink

DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/rdv_bench_delivery"


def start_workers(env: dict[str, str], count: int, log: Path) -> list[subprocess.Popen]:
    out = log.open("ab")
    return [
        subprocess.Popen(
            [
                str(ROOT / ".venv/bin/python"),
                "manage.py",
                "db_worker",
                "--interval=0.05",
                "--no-startup-delay",
                "--no-reload",
                f"--worker-id=bench-{n}",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )
        for n in range(count)
    ]


def raw_smtplib(port: int, messages: list[tuple[str, list[str], bytes]]) -> float:
    """Seconds for plain smtplib to send ``messages`` over one connection."""
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", port) as conn:
        for sender, recipients, raw in messages:
            conn.sendmail(sender, recipients, raw)
    return time.monotonic() - started


def last_messages(count: int) -> list[tuple[str, list[str], bytes]]:
    from mail.models import OutboxMessage

    # Every one reached the server, so every one is rendered (its outcome may be
    # recorded a moment later).
    rows = OutboxMessage.objects.filter(render_with="").order_by("-pk")[:count]
    out = [(row.from_email, list(row.recipients), row.raw_bytes) for row in rows]
    close_connections()
    return out[::-1]


def send_only(
    args: argparse.Namespace, server: Server, headers: dict, sink: Sink, smtp_port: int
) -> tuple[list[float], list[float]]:
    """The sending alone: with the workers stopped, POST, render every row here, then time
    ``deliver_batch`` (what one worker runs) against raw smtplib on the same messages."""
    from mail.delivery import deliver_batch, render_pending
    from mail.models import OutboxMessage

    logging.getLogger("mail").setLevel(logging.WARNING)  # a line per message otherwise

    ours, raw = [], []
    for i in range(args.repeat):
        status, body = server.request(
            "POST", "/api/v1/events", event_body(2000 + i, args.guests), headers
        )
        if status != 201:
            raise RuntimeError(f"POST answered {status}: {body[:300]!r}")
        ids = list(
            OutboxMessage.objects.filter(status="pending")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        render_pending(ids)
        before = sink.count
        started = time.monotonic()
        deliver_batch(ids)
        ours.append((sink.wait_for(before + len(ids)) - started) * 1000)
        messages = last_messages(len(ids))
        raw.append(raw_smtplib(smtp_port, messages) * 1000)
        sink.wait_for(before + 2 * len(ids))
    close_connections()
    return ours, raw


def run_one(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="rdv-bench-") as data_dir:
        database = make_database(args.db, args.pg_url, data_dir)
        port, smtp_port = free_port(), free_port()
        env = server_env(database.url, data_dir, port)
        env |= {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port)}
        token = prepare(env)
        sink = Sink(smtp_port)
        log = Path(data_dir) / "server.log"
        server = Server(env, port, 2, log)
        workers = start_workers(env, args.delivery_workers, log)
        headers = {"Authorization": f"Bearer {token}"}
        try:
            pipeline, posts, raw, firsts = [], [], [], []
            for i in range(-1, args.repeat):  # the first round warms everything up
                before = sink.count
                sink.mark()
                started = time.monotonic()
                status, body = server.request(
                    "POST", "/api/v1/events", event_body(1000 + i, args.guests), headers
                )
                posted = time.monotonic()
                if status != 201:
                    raise RuntimeError(f"POST answered {status}: {body[:300]!r}")
                done = sink.wait_for(before + args.guests)
                first = sink.first
                messages = last_messages(args.guests)
                baseline = raw_smtplib(smtp_port, messages)
                sink.wait_for(before + 2 * args.guests)
                if i >= 0:
                    pipeline.append(done - started)
                    posts.append(posted - started)
                    firsts.append(first - posted)
                    raw.append(baseline)
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(15)
            sending, sending_raw = send_only(args, server, headers, sink, smtp_port)
            ms = [t * 1000 for t in pipeline]
            raw_ms = [t * 1000 for t in raw]
            post_ms = [t * 1000 for t in posts]
            after_ms = [(t - p) * 1000 for t, p in zip(pipeline, posts, strict=True)]
            first_ms = [t * 1000 for t in firsts]
            print(
                f"== {database.label}: {args.guests} invitations, {args.delivery_workers} "
                f"worker(s)   ({load_average()})\n"
                f"   POST → all accepted  median {statistics.median(ms):8.1f} ms   "
                f"p95 {percentile(ms, 0.95):8.1f} ms\n"
                f"   raw smtplib, 1 conn  median {statistics.median(raw_ms):8.1f} ms   "
                f"p95 {percentile(raw_ms, 0.95):8.1f} ms\n"
                f"   ratio (target ≤ 1.5) {statistics.median(ms) / statistics.median(raw_ms):8.2f}\n"
                f"   the POST itself      median {statistics.median(post_ms):8.1f} ms   (floor of "
                f"the ratio, 1 + POST ÷ raw: "
                f"{1 + statistics.median(post_ms) / statistics.median(raw_ms):4.2f})\n"
                f"   after the POST: first accepted {statistics.median(first_ms):6.1f} ms, all "
                f"{statistics.median(after_ms):7.1f} ms (÷ raw "
                f"{statistics.median(after_ms) / statistics.median(raw_ms):4.2f})\n"
                f"   sending only (rendered rows, one process): median "
                f"{statistics.median(sending):8.1f} ms, raw smtplib "
                f"{statistics.median(sending_raw):8.1f} ms, ratio "
                f"{statistics.median(sending) / statistics.median(sending_raw):5.2f}"
            )
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(15)
            server.stop()
            sink.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--guests", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--delivery-workers", type=int, default=1, help="db_worker processes")
    parser.add_argument("--seed", type=int, default=20260302)
    args = parser.parse_args(argv)
    if args.db == "both":
        print(machine_line(args.repeat, args.seed))
        run_per_database("bench.delivery", args)
        return
    run_one(args)


if __name__ == "__main__":
    main()
