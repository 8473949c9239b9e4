"""Other people's CalDAV clients and test suites against our server on ``live_server``.

The server's address is the live server's; the clients sign in with an app password
made for the test, over plain HTTP on loopback.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest

from dav.app_passwords import create_app_password
from mail.tests.conftest import run_worker, smtp_server, smtp_settings  # noqa: F401

# The live server answers from its own thread; the test thread only waits on clients.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@dataclass(frozen=True)
class DavAccount:
    base: str  # the live server's root URL
    server: str  # the address a person types: base + /dav/
    username: str
    password: str
    user: object

    def calendar_url(self) -> str:
        return f"{self.base}/dav/calendars/{self.user.pk}/calendar/"


@pytest.fixture
def dav_account(live_server, owner, settings) -> DavAccount:
    settings.BASE_URL = live_server.url
    _row, password = create_app_password(owner, "Interop test")
    return DavAccount(live_server.url, live_server.url + "/dav/", owner.email, password, owner)


def require_tool(name: str, package: str) -> str:
    """The path of a Debian tool the test drives; skipped loudly without it, except on
    CI (``CI=true``), where a missing tool fails the run: green must mean it ran."""
    found = shutil.which(name)
    if found is None:
        reason = f"{name.upper()} NOT RUN: apt-get install {package}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " — required on CI", pytrace=False)
        pytest.skip(reason)
    return found
