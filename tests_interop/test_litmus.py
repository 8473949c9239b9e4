"""Debian's ``litmus`` WebDAV suite against the calendar collection.

Where it applies, and where it stops: litmus's groups (``basic`` and ``http`` included)
all work in a scratch collection that the suite first makes with MKCOL. A calendar holds
events, not collections, so our server refuses the MKCOL and litmus stops after ``init``
(OPTIONS with the DAV: header, and signing in). This test holds both: ``init`` passes, and
the only failure is that refused MKCOL. Anything else litmus finds fails the test.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from .conftest import require_tool

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def litmus() -> str:
    return require_tool("litmus", "litmus")


def test_litmus_basic_and_http_get_as_far_as_a_calendar_lets_them(dav_account, litmus, tmp_path):
    done = subprocess.run(  # noqa: S603
        [litmus, dav_account.calendar_url(), dav_account.username, dav_account.password],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={**os.environ, "TESTS": "basic http"},
    )  # fmt: skip
    out = done.stdout
    results = dict(re.findall(r"^\s*\d+\. (\w+)\.+ (pass|FAIL|SKIPPED|WARNING)", out, re.M))
    assert results.get("init") == "pass", out
    assert results.get("begin") == "FAIL", out
    assert "Could not create new collection" in out and "MKCOL" in out, out
    assert [name for name, result in results.items() if result == "FAIL"] == ["begin"], out
