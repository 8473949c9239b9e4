"""Fixtures for the guest and invitation tests (plus the mail app's real SMTP peer, and the
inbound listener for what reaches guests' reply addresses)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from booking.tests.conftest import link_token  # noqa: F401
from mail.inbound_smtp import Listener, free_port
from mail.tests.conftest import run_worker, smtp_server, smtp_settings  # noqa: F401
from mail.tests.test_inbound_smtp import Recorder

from .guest_helpers import INBOUND_DOMAIN, make_mailbox


@pytest.fixture
def mailbox(owner):
    """Alice's confirmed sender mailbox."""
    return make_mailbox(owner)


@pytest.fixture
def recorder() -> Recorder:
    """Keeps what the real ``handle_inbound_message`` returned for each mail."""
    return Recorder()


@pytest.fixture
def listener(settings, recorder) -> Iterator[Listener]:
    """The inbound SMTP listener on a free loopback port, for ``INBOUND_DOMAIN``."""
    settings.INBOUND_DOMAIN = INBOUND_DOMAIN
    started = Listener("127.0.0.1", free_port(), INBOUND_DOMAIN, handle=recorder).start(attempts=20)
    yield started
    started.stop()
