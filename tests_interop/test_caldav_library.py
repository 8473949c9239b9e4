"""The ``caldav`` Python library, a real client, through a whole day of use: discovery,
a time-range search over a series, sync, create with a guest, change, a lost update,
delete. Guests get our mail over a real SMTP conversation (the worker delivers it)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from urllib.parse import unquote

import caldav
import pytest
from django.utils import timezone

from booking.services import book
from booking.tests.conftest import link_token, slot_start, visitor  # noqa: F401
from events.models import Event
from events.services import event_create, event_update
from events.tests.guest_helpers import make_mailbox

pytestmark = pytest.mark.django_db(transaction=True)

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
GINA = "gina@client.example"


def monday(weeks_ahead: int = 1, hour: int = 9) -> dt.datetime:
    today = timezone.now().astimezone(BERLIN).date()
    day = today + dt.timedelta(days=7 * weeks_ahead - today.weekday())
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


def new_event(uid: str, start: dt.datetime, summary: str, guest: str | None) -> str:
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//caldav test//EN", "BEGIN:VEVENT",
        f"UID:{uid}", "DTSTAMP:20270101T000000Z",
        f"DTSTART;TZID=Europe/Berlin:{start:%Y%m%dT%H%M%S}",
        f"DTEND;TZID=Europe/Berlin:{start + dt.timedelta(hours=1):%Y%m%dT%H%M%S}",
        f"SUMMARY:{summary}",
    ]  # fmt: skip
    if guest:
        lines.append(f"ATTENDEE;CN=Gina Guest;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{guest}")
    return "\r\n".join([*lines, "END:VEVENT", "END:VCALENDAR", ""])


def mails_to(peer, address: str) -> list:
    return [m for m in peer.messages if address in m.rcpt_tos]


def test_a_day_with_the_caldav_library(
    dav_account,
    owner,
    colleague,
    smtp_settings,
    run_worker,
    link_token,  # noqa: F811
    slot_start,  # noqa: F811
):
    make_mailbox(owner)
    series = event_create(owner, title="Stand-up", start=monday(1), end=monday(1, 10) - dt.timedelta(minutes=30),
                          timezone="Europe/Berlin", recurrence="FREQ=WEEKLY")  # fmt: skip
    event_update(series, owner, scope="this", occurrence=monday(2), title="Stand-up (moved)",
                 start=monday(2, 11), end=monday(2, 11) + dt.timedelta(minutes=30))  # fmt: skip
    event_create(colleague, title="Bob's own", start=monday(1, 14), end=monday(1, 15))

    with caldav.DAVClient(url=dav_account.base + "/.well-known/caldav",
                          username=dav_account.username, password=dav_account.password) as client:  # fmt: skip
        principal = client.principal()
        (calendar,) = principal.calendars()
        assert str(calendar.url).endswith(f"/dav/calendars/{owner.pk}/calendar/")
        assert "VEVENT" in calendar.get_supported_components()

        # This week and the next: the series (with its moved date) and nothing of Bob's.
        found = calendar.search(start=monday(1, 0), end=monday(3, 0), event=True, expand=False)
        assert [e.icalendar_component["UID"] for e in found] == [series.uid]
        summaries = sorted(str(c["SUMMARY"]) for c in found[0].icalendar_instance.walk("VEVENT"))
        assert summaries == ["Stand-up", "Stand-up (moved)"]
        expanded = calendar.search(start=monday(1, 0), end=monday(3, 0), event=True, expand=True)
        starts = sorted(e.icalendar_component["DTSTART"].dt for e in expanded)
        assert starts == [monday(1), monday(2, 11)]

        synced = calendar.objects_by_sync_token(load_objects=True)
        token = synced.sync_token
        assert [o.icalendar_component["UID"] for o in synced] == [series.uid]

        # A new meeting with a guest, made in the client: the server invites her.
        start = monday(1, 15)
        made = calendar.save_event(new_event("review@client", start, "Review", GINA))
        run_worker()
        (invitation,) = mails_to(smtp_settings, GINA)
        assert b"METHOD:REQUEST" in invitation.raw and b"UID:review@client" in invitation.raw
        event = Event.objects.get(uid="review@client")
        assert event.organizer == owner and event.start == start

        changes = calendar.objects_by_sync_token(sync_token=token, load_objects=True)
        assert [o.icalendar_component["UID"] for o in changes] == ["review@client"]
        token = changes.sync_token

        # Moved an hour later in the client: she gets the update.
        made.load()
        old_etag = client.request(str(made.url), "GET").headers["ETag"]
        component = made.icalendar_component
        component["DTSTART"].dt = start + dt.timedelta(hours=1)
        component["DTEND"].dt = start + dt.timedelta(hours=2)
        made.save()
        run_worker()
        event.refresh_from_db()
        assert event.start == start + dt.timedelta(hours=1)
        assert len(mails_to(smtp_settings, GINA)) == 2
        assert b"SEQUENCE:" in mails_to(smtp_settings, GINA)[-1].raw

        # A second device still holding the old version loses: 412, nothing changes.
        lost = client.put(str(made.url), made.data.replace("Review", "Old copy"),
                          {"If-Match": old_etag, "Content-Type": "text/calendar"})  # fmt: skip
        assert lost.status == 412
        event.refresh_from_db()
        assert event.title == "Review"

        # A client books on the public page: the meeting is in the next sync.
        outcome = book(link_token, visitor(slot_start), language="en")
        assert outcome.status_code == 201, outcome.body
        booked = calendar.objects_by_sync_token(sync_token=token, load_objects=True)
        summaries = {str(o.icalendar_component["SUMMARY"]) for o in booked}
        assert "Meeting with Maria Rossi" in summaries
        token = booked.sync_token

        # Deleted in the client: cancelled here, she is told, the next sync says gone.
        made.delete()
        run_worker()
        assert b"METHOD:CANCEL" in mails_to(smtp_settings, GINA)[-1].raw
        assert Event.objects.get(uid="review@client").status == Event.Status.CANCELLED
        gone = calendar.objects_by_sync_token(sync_token=token, load_objects=False)
        assert [unquote(str(o.url).rsplit("/", 1)[1]) for o in gone] == ["review@client.ics"]
