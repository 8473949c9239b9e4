"""The per-day summary the busy-time readers use: merged across sources, cut at UTC
midnight, rebuilt from the blocks."""

from __future__ import annotations

import datetime as dt

import pytest

from events.selectors import busy_intervals
from scheduling.instants import as_instant, micros
from scheduling.intervals import Interval
from sources import busy_days, crypto
from sources.models import BusyBlock, BusyDay, BusySource

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def source(user, name: str) -> BusySource:
    return BusySource.objects.create(
        user=user, name=name, kind="ical", url_secret=crypto.encrypt("https://x.example/a.ics"),
        url_hint="https://x.example", last_success_at=dt.datetime.now(UTC),
    )  # fmt: skip


def block(src: BusySource, start: dt.datetime, end: dt.datetime) -> BusyBlock:
    return BusyBlock.objects.create(source=src, user=src.user, start=micros(start), end=micros(end))


def test_blocks_of_two_sources_merge_and_cross_midnight(owner):
    a, b = source(owner, "A"), source(owner, "B")
    day = dt.datetime(2027, 3, 10, tzinfo=UTC)
    block(a, day + dt.timedelta(hours=22), day + dt.timedelta(hours=25))  # 22:00-01:00
    block(b, day + dt.timedelta(hours=24, minutes=30), day + dt.timedelta(hours=26))  # 00:30-02:00
    block(b, day + dt.timedelta(hours=9), day + dt.timedelta(hours=10))
    assert busy_days.rebuild(owner.pk) == 2
    assert BusyDay.objects.filter(user=owner).count() == 2
    busy = busy_intervals([owner], day, day + dt.timedelta(days=2))[owner.pk]
    assert busy == [
        Interval(day + dt.timedelta(hours=9), day + dt.timedelta(hours=10)),
        Interval(day + dt.timedelta(hours=22), day + dt.timedelta(hours=26)),
    ]
    # A window starting inside a span gets it clipped.
    late = busy_intervals([owner], day + dt.timedelta(hours=23), day + dt.timedelta(days=2))
    assert late[owner.pk][0].start == day + dt.timedelta(hours=23)
    assert as_instant(micros(day)) == day
    # Removing a source's blocks and rebuilding takes its time out.
    b.delete()
    busy_days.rebuild(owner.pk)
    busy = busy_intervals([owner], day, day + dt.timedelta(days=2))[owner.pk]
    assert busy == [Interval(day + dt.timedelta(hours=22), day + dt.timedelta(hours=25))]


def test_outside_busy_time_counts_in_freebusy_and_the_planner(
    client, owner, colleague, colleague_token
):
    from events.selectors import busy_blocks

    day = dt.datetime(2027, 3, 10, tzinfo=UTC)
    block(source(owner, "Private"), day + dt.timedelta(hours=9), day + dt.timedelta(hours=10))
    busy_days.rebuild(owner.pk)
    answer = client.get("/api/v1/freebusy", {"users": owner.pk, "start": day.isoformat(),
                        "end": (day + dt.timedelta(days=1)).isoformat()},
                        HTTP_AUTHORIZATION=f"Bearer {colleague_token}")  # fmt: skip
    assert answer.status_code == 200
    (person,) = answer.json()["users"]
    assert [(b["start"], b["end"]) for b in person["busy"]] == [
        ("2027-03-10T09:00:00Z", "2027-03-10T10:00:00Z")
    ]
    (seen,) = busy_blocks([owner], day, day + dt.timedelta(days=1), viewer=colleague)[owner.pk]
    assert (seen.start, seen.title) == (day + dt.timedelta(hours=9), None)
