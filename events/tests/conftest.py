"""Fixtures for the guest and invitation tests (plus the mail app's real SMTP peer)."""

from __future__ import annotations

import pytest

from booking.tests.conftest import link_token  # noqa: F401
from mail.tests.conftest import run_worker, smtp_server, smtp_settings  # noqa: F401

from .guest_helpers import make_mailbox


@pytest.fixture
def mailbox(owner):
    """Alice's confirmed sender mailbox."""
    return make_mailbox(owner)
