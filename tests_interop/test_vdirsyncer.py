"""A round trip through a real sync client (Debian's ``vdirsyncer``): our calendar synced
down to a folder of .ics files, a meeting changed there as any local app would, synced
up; the change shows in Rendezvous and the guest got the update by mail."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import pytest

from events.models import Event
from events.services import event_create
from events.tests.guest_helpers import GINA, make_mailbox

from .conftest import require_tool

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def vdirsyncer() -> str:
    return require_tool("vdirsyncer", "vdirsyncer")


def sync_client(binary: str, account, folder: Path):
    config = folder / "config"
    config.write_text(
        f"""[general]
status_path = "{folder}/status/"

[pair rendezvous]
a = "server"
b = "local"
collections = ["from a"]

[storage server]
type = "caldav"
url = "{account.server}"
username = "{account.username}"
password = "{account.password}"

[storage local]
type = "filesystem"
path = "{folder}/local/"
fileext = ".ics"
"""
    )

    def run(*args: str) -> str:
        done = subprocess.run(  # noqa: S603
            [binary, "-c", str(config), *args], input="y\n" * 5,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    return run


def test_sync_down_change_locally_sync_up(dav_account, owner, vdirsyncer, tmp_path,
                                          smtp_settings, run_worker):  # fmt: skip
    make_mailbox(owner)
    start = dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)
    meeting = event_create(owner, title="Planning", start=start, end=start + dt.timedelta(hours=1),
                           guests=[GINA])  # fmt: skip
    run_worker()
    assert len([m for m in smtp_settings.messages if GINA["email"] in m.rcpt_tos]) == 1

    run = sync_client(vdirsyncer, dav_account, tmp_path)
    run("discover")
    run("sync")
    (local,) = (tmp_path / "local").glob("*/*.ics")
    text = local.read_text()
    assert f"UID:{meeting.uid}" in text and "SUMMARY:Planning" in text

    # Changed as a local calendar app would: a new title, an hour later.
    text = text.replace("SUMMARY:Planning", "SUMMARY:Planning (moved)")
    text = re.sub(r"DTSTART:20270301T090000Z", "DTSTART:20270301T100000Z", text)
    text = re.sub(r"DTEND:20270301T100000Z", "DTEND:20270301T110000Z", text)
    if "DTSTART:20270301T100000Z" not in text:  # written with a TZID: move the local time
        text = re.sub(
            r"(DTSTART;TZID=[^:]+:20270301T)(\d\d)", lambda m: m[1] + f"{int(m[2]) + 1:02}", text
        )
        text = re.sub(
            r"(DTEND;TZID=[^:]+:20270301T)(\d\d)", lambda m: m[1] + f"{int(m[2]) + 1:02}", text
        )
    local.write_text(text)
    run("sync")

    meeting.refresh_from_db()
    assert meeting.title == "Planning (moved)"
    assert meeting.start == start + dt.timedelta(hours=1)
    run_worker()
    to_gina = [m for m in smtp_settings.messages if GINA["email"] in m.rcpt_tos]
    assert len(to_gina) == 2 and b"Planning (moved)" in to_gina[-1].raw

    # And back: the next sync down brings our own rendering, and nothing is left to do.
    run("sync")
    assert "Planning (moved)" in next((tmp_path / "local").glob("*/*.ics")).read_text()
    assert Event.objects.filter(uid=meeting.uid, series__isnull=True).count() == 1
