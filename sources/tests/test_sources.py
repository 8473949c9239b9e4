"""Busy sources end to end: read from real servers, counted by the booking link, loud
when they fail, recovering by themselves."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from booking.models import BookingLink
from booking.selectors import slots_for_link
from booking.services import book
from booking.tests.conftest import berlin_at, link_token, slot_start, visitor  # noqa: F401
from mail.models import OutboxMessage
from mail.tests.conftest import run_worker  # noqa: F401
from scheduling.instants import micros
from sources import services
from sources.ical_busy import busy_spans
from sources.models import BusyBlock, BusySource

from .conftest import Answer

pytestmark = pytest.mark.django_db


def ics(*events: str, header: str = "") -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *header.split("\n"), *events,
             "END:VCALENDAR", ""]  # fmt: skip
    return "\r\n".join(line for line in lines if line).encode()


def vevent(uid: str, start: dt.datetime, end: dt.datetime, *extra: str) -> str:
    fmt = "%Y%m%dT%H%M%SZ"
    return "\r\n".join(["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20270101T000000Z",
                        f"DTSTART:{start.astimezone(dt.UTC):{fmt}}",
                        f"DTEND:{end.astimezone(dt.UTC):{fmt}}", "SUMMARY:Dentist", *extra,
                        "END:VEVENT"])  # fmt: skip


def offered(link_token, start: dt.datetime) -> bool:  # noqa: F811
    link = BookingLink.objects.get()
    return any(s.start == start for s in slots_for_link(link, start, start + dt.timedelta(hours=1)))


def test_an_outside_event_takes_its_time_off_the_booking_page(owner, feeds, link_token, slot_start):  # noqa: F811
    assert offered(link_token, slot_start)
    body = ics(vevent("dentist", slot_start, slot_start + dt.timedelta(hours=1)))
    source = services.add_ical_source(owner, name="Private", url=feeds.feed("/private.ics", body))
    assert "/private.ics" not in source.url_secret  # encrypted at rest
    services.refresh(source.pk)
    source.refresh_from_db()
    assert source.last_error == "" and source.block_count == 1 and source.last_success_at
    assert not offered(link_token, slot_start)
    assert offered(link_token, slot_start + dt.timedelta(hours=1))
    # The final check of a booking counts it too.
    assert book(link_token, visitor(slot_start)).status_code == 409
    services.delete_source(owner, source.pk)
    assert offered(link_token, slot_start)


def test_conditional_get_keeps_the_blocks_on_304(owner, feeds):
    start = berlin_at(10)
    source = services.add_ical_source(owner, name="Private", url=feeds.feed(
        "/p.ics", ics(vevent("a", start, start + dt.timedelta(hours=1)))))  # fmt: skip
    services.refresh(source.pk)
    services.refresh(source.pk)
    first, second = feeds.requests[-2:]
    assert "If-None-Match" not in first[1] and second[1]["If-None-Match"].startswith('"')
    assert BusyBlock.objects.filter(source=source).count() == 1


def test_a_failing_source_is_loud_once_and_recovers_by_itself(owner, feeds, settings, link_token):  # noqa: F811
    settings.SOURCE_FAILURES_BEFORE_MAIL = 3
    start = berlin_at(10)
    good = ics(vevent("a", start, start + dt.timedelta(hours=1)))
    url = feeds.serve("/flaky.ics", Answer(200, good), Answer(500, b"oops"), Answer(500, b"oops"),
                      Answer(500, b"oops"), Answer(500, b"oops"), Answer(200, good))  # fmt: skip
    source = services.add_ical_source(owner, name="Work", url=url)
    services.refresh(source.pk)
    for _ in range(4):
        services.refresh(source.pk)
    source.refresh_from_db()
    assert source.consecutive_failures == 4
    assert source.last_error == "The server answered 500: a problem on its side."
    # The blocks of the last good read are still there: a failure changes nothing.
    assert BusyBlock.objects.filter(source=source).count() == 1
    mails = [m for m in OutboxMessage.objects.all() if owner.email in m.recipients]
    assert [m.subject for m in mails] == ["Your calendar “Work” cannot be read"]
    services.refresh(source.pk)
    source.refresh_from_db()
    assert (source.consecutive_failures, source.last_error, source.failure_mailed_at) == (
        0,
        "",
        None,
    )


def test_a_stale_source_blocks_its_window_unless_the_link_says_otherwise(
    owner,
    feeds,
    link_token,  # noqa: F811
    slot_start,  # noqa: F811
):
    source = services.add_ical_source(owner, name="Work", url=feeds.serve("/down.ics", Answer(503)))
    services.refresh(source.pk)
    assert offered(link_token, slot_start)  # new: not stale yet
    BusySource.objects.filter(pk=source.pk).update(
        created_at=source.created_at - dt.timedelta(hours=2)
    )
    assert not offered(link_token, slot_start)  # stale: nothing is offered
    BookingLink.objects.update(stale_sources_busy=False)
    assert offered(link_token, slot_start)  # the owner chose to keep offering


def test_hostile_feeds_change_nothing(owner, feeds):
    start = berlin_at(10)
    url = feeds.serve("/h.ics", Answer(200, ics(vevent("a", start, start + dt.timedelta(hours=1)))),
                      Answer(200, ics(vevent("b", start, start + dt.timedelta(hours=1)),
                                      "BEGIN:VEVENT\r\nUID:s\r\nDTSTAMP:20270101T000000Z\r\n"
                                      "DTSTART:20270101T000000Z\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT")))  # fmt: skip
    source = services.add_ical_source(owner, name="Odd", url=url)
    services.refresh(source.pk)
    services.refresh(source.pk)
    source.refresh_from_db()
    assert "every second or minute" in source.last_error
    assert BusyBlock.objects.filter(source=source).count() == 1


def test_a_radicale_calendar_with_a_password_a_series_and_an_exception(owner, radicale, link_token):  # noqa: F811
    assert radicale.request("MKCALENDAR", "maria/work/") == 201
    first = berlin_at(10, days_ahead=3)
    weekly = "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN",
        "BEGIN:VEVENT", "UID:weekly", "DTSTAMP:20270101T000000Z",
        f"DTSTART;TZID=Europe/Berlin:{first:%Y%m%dT%H%M%S}",
        f"DTEND;TZID=Europe/Berlin:{first + dt.timedelta(hours=1):%Y%m%dT%H%M%S}",
        "RRULE:FREQ=WEEKLY;COUNT=3", "SUMMARY:Standup", "END:VEVENT",
        "BEGIN:VEVENT", "UID:weekly", "DTSTAMP:20270101T000000Z",
        f"RECURRENCE-ID;TZID=Europe/Berlin:{first + dt.timedelta(days=7):%Y%m%dT%H%M%S}",
        f"DTSTART;TZID=Europe/Berlin:{first + dt.timedelta(days=7, hours=4):%Y%m%dT%H%M%S}",
        f"DTEND;TZID=Europe/Berlin:{first + dt.timedelta(days=7, hours=5):%Y%m%dT%H%M%S}",
        "SUMMARY:Standup (moved)", "END:VEVENT", "END:VCALENDAR", ""])  # fmt: skip
    assert radicale.request("PUT", "maria/work/weekly.ics", weekly.encode(),
                            {"Content-Type": "text/calendar"}) == 201  # fmt: skip
    source = services.add_caldav_source(owner, name="Work", caldav_url=radicale.url("maria/work/"),
                                        username="maria", password=radicale.password)  # fmt: skip
    assert radicale.password not in source.password_secret
    services.refresh(source.pk)
    source.refresh_from_db()
    assert source.last_error == "" and source.block_count == 3
    assert not offered(link_token, first)
    moved_away = first + dt.timedelta(days=7)
    assert offered(link_token, moved_away) or moved_away.weekday() >= 5
    assert not offered(link_token, first + dt.timedelta(days=7, hours=4))

    wrong = services.add_caldav_source(owner, name="Wrong", caldav_url=radicale.url("maria/work/"),
                                       username="maria", password="not-it")  # fmt: skip
    services.refresh(wrong.pk)
    wrong.refresh_from_db()
    assert wrong.last_error.startswith("The server answered 401: check the user name and password")


@pytest.mark.django_db(transaction=True)
def test_the_worker_reads_a_new_source(
    owner,
    feeds,
    run_worker,  # noqa: F811
):
    start = berlin_at(10)
    source = services.add_ical_source(owner, name="Private", url=feeds.feed(
        "/w.ics", ics(vevent("a", start, start + dt.timedelta(hours=1)))))  # fmt: skip
    run_worker()
    source.refresh_from_db()
    assert source.last_success_at is not None and source.block_count == 1


def test_the_server_goes_away_and_comes_back(owner, settings, tmp_path, link_token, client):  # noqa: F811
    """The issue's walk-through: a Radicale calendar counts; its server stops, the source
    turns stale, the link blocks, one e-mail goes out; the server returns, all recovers."""
    from django.urls import reverse

    from .conftest import free_port, start_radicale

    settings.OUTBOUND_ALLOW_PRIVATE = True
    settings.SOURCE_FAILURES_BEFORE_MAIL = 2
    port = free_port()
    server = start_radicale(tmp_path, port)
    try:
        assert server.request("MKCALENDAR", "maria/home/") == 201
        busy = berlin_at(10, days_ahead=4)
        event = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//EN", vevent(
            "school", busy, busy + dt.timedelta(hours=1)), "END:VCALENDAR", ""])  # fmt: skip
        assert server.request("PUT", "maria/home/school.ics", event.encode(),
                              {"Content-Type": "text/calendar"}) == 201  # fmt: skip
        source = services.add_caldav_source(owner, name="Home", caldav_url=server.url("maria/home/"),
                                            username="maria", password=server.password)  # fmt: skip
        services.refresh(source.pk)
        free = berlin_at(11, days_ahead=4)
        assert not offered(link_token, busy) and offered(link_token, free)
    finally:
        server.stop()

    for _ in range(3):
        services.refresh(source.pk)
    source.refresh_from_db()
    assert source.last_error.startswith("The server could not be reached")
    # An hour passes without a good read: stale.
    BusySource.objects.filter(pk=source.pk).update(
        last_success_at=source.last_success_at - dt.timedelta(hours=2)
    )
    assert not offered(link_token, free)
    client.force_login(owner)
    page = client.get(reverse("sources:settings")).content.decode()
    assert "Not read since" in page and "could not be reached" in page
    mails = [m for m in OutboxMessage.objects.all() if owner.email in m.recipients]
    assert len(mails) == 1

    server = start_radicale(tmp_path, port)  # the same calendar, back on the same address
    try:
        services.refresh(source.pk)
    finally:
        server.stop()
    source.refresh_from_db()
    assert source.last_error == "" and source.failure_mailed_at is None
    assert not offered(link_token, busy) and offered(link_token, free)
    assert "Not read since" not in client.get(reverse("sources:settings")).content.decode()


def test_a_caldav_server_without_free_busy_is_read_by_calendar_query(owner, feeds):
    """Some servers answer no free-busy-query (501 here): the events of the window are
    asked for instead and read like a feed (a transparent one stays free)."""
    start = berlin_at(10)
    busy = ics(vevent("a", start, start + dt.timedelta(hours=1))).decode()
    free = ics(vevent("b", start + dt.timedelta(hours=3), start + dt.timedelta(hours=4),
                      "TRANSP:TRANSPARENT")).decode()  # fmt: skip
    multistatus = f"""<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
<d:response><d:href>/cal/a.ics</d:href><d:propstat><d:prop><c:calendar-data>{busy}</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
<d:response><d:href>/cal/b.ics</d:href><d:propstat><d:prop><c:calendar-data>{free}</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
</d:multistatus>"""
    feeds.serve("/cal/#free-busy", Answer(501, b"not here"))
    feeds.serve(
        "/cal/#query", Answer(207, multistatus.encode(), {"Content-Type": "application/xml"})
    )
    source = services.add_caldav_source(owner, name="Old server", caldav_url=feeds.url("/cal/"),
                                        username="maria", password="pw")  # fmt: skip
    services.refresh(source.pk)
    source.refresh_from_db()
    assert source.last_error == "" and source.block_count == 1
    assert [path for path, _h in feeds.requests] == ["/cal/#free-busy", "/cal/#query"]
    assert all(h.get("Authorization", "").startswith("Basic ") for _p, h in feeds.requests)


@pytest.mark.parametrize("name", ["google.ics", "outlook.ics"])
def test_google_and_outlook_feeds_over_http(owner, feeds, name):
    data = (Path(__file__).with_name("feeds") / name).read_bytes()
    source = services.add_ical_source(owner, name=name, url=feeds.feed("/" + name, data))
    now = dt.datetime(2026, 12, 15, tzinfo=dt.UTC)  # the feeds' dates lie in 2027
    services.refresh(source.pk, now=now)
    source.refresh_from_db()
    expected = busy_spans(data, now - services.HISTORY, now + services.HORIZON,
                          default_zone=owner.timezone)  # fmt: skip
    assert source.last_error == "" and source.block_count == len(expected) > 0
    stored = sorted(BusyBlock.objects.filter(source=source).values_list("start", "end"))
    assert stored == [(micros(s), micros(e)) for s, e in expected]


def test_a_credential_the_key_cannot_open_is_said_plainly(owner, settings, feeds):
    source = services.add_ical_source(owner, name="Private", url=feeds.feed("/k.ics", ics()))
    settings.ENCRYPTION_KEY = "another-key-entirely-0123456789-abcdefgh"
    services.refresh(source.pk)
    source.refresh_from_db()
    assert "ENCRYPTION_KEY; enter it again" in source.last_error
