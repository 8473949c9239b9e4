"""``caldav-server-tester`` (PyPI), the CalDAV library's own compatibility prober, run
against our server. Its findings must equal the committed list of accepted deviations
(``caldav_server_tester_deviations.json``, each with the reason we accept it): a new
deviation fails until it is fixed or explained, and a deviation that went away fails
until it is struck from the list, so the list only shrinks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from events.tests.guest_helpers import make_mailbox

pytestmark = pytest.mark.django_db(transaction=True)

DEVIATIONS = Path(__file__).with_name("caldav_server_tester_deviations.json")
TESTER = Path(sys.executable).with_name("caldav-server-tester")
#: Checks not run, with why: each of these fails inside the tester itself on a server
#: like ours, so running it would only stop the run.
NOT_RUN = {
    "CheckDuplicateEvent": (
        "asserts it graded its feature, then returns without grading it when the fixture "
        "calendar could not be prepared (caldav-server-tester 1.7.0)"
    ),
}


def run_tester(account) -> dict[str, dict]:
    listed = subprocess.run([TESTER, "--list-checks"], capture_output=True, text=True, check=True)  # noqa: S603
    checks = [c for c in listed.stdout.split() if c.startswith("Check") and c not in NOT_RUN]
    command = [
        TESTER, "--caldav-url", account.server, "--caldav-username", account.username,
        "--caldav-password", account.password, "--caldav-calendar", "Rendezvous",
        "--format", "json", *[arg for c in checks for arg in ("--run-checks", c)],
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)  # noqa: S603
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)["features"]


def test_the_server_tester_finds_exactly_the_accepted_deviations(dav_account, owner):
    make_mailbox(owner)  # so that probes with attendees can be stored and sent
    features = run_tester(dav_account)
    observed = {
        name: found.get("support")
        for name, found in features.items()
        if found.get("support") != "full"
    }
    accepted = json.loads(DEVIATIONS.read_text())
    assert all(entry.get("reason") for entry in accepted.values()), "every deviation needs a reason"
    new = {k: v for k, v in observed.items() if accepted.get(k, {}).get("support") != v}
    gone = sorted(k for k in accepted if k not in observed)
    assert not new, f"new deviations (fix them, or list them with a reason): {new}"
    assert not gone, f"fixed deviations (strike them from {DEVIATIONS.name}): {gone}"
