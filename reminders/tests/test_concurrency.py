"""Exactly once with several workers: real concurrent sweeps against PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.links import configure_link
from booking.services import book
from booking.tests.conftest import WIDE_HOURS, berlin_at, visitor
from mail.models import OutboxMessage
from reminders import services
from reminders.models import SentReminder
from testsupport.concurrency import race

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_four_workers_sweeping_at_once_send_each_reminder_once(owner):
    owner.wants_reminders = True
    owner.save()
    _link, token = configure_link(
        owner, {"hours": WIDE_HOURS, "min_notice_minutes": 0, "reminders": [1440, 60]},
        switch_on=True,
    )  # fmt: skip
    starts = [berlin_at(10 + n) for n in range(3)]
    for n, start in enumerate(starts):
        assert book(token, visitor(start, email=f"b{n}@example.org")).status_code == 201
    # The day-before reminders of all three are due, and the first one's hour-before.
    now = starts[0] - dt.timedelta(minutes=59)
    sent = race([lambda: services.send_due(now)] * 4)
    assert sum(sent) == (3 + 1) * 2  # to the booker and to the owner each
    assert SentReminder.objects.count() == 8
    assert OutboxMessage.objects.filter(subject__startswith="Reminder").count() == 8
