"""Writes from a calendar app: PUT and DELETE go through the services, with their rules
and their mail (the server schedules: guests get our invitations)."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from icalendar import Calendar

from accounts.models import Account
from booking.services import book
from booking.tests.conftest import link_token, slot_start, visitor  # noqa: F401
from dav.app_passwords import create_app_password
from dav.models import ObjectName
from events.models import Attendee, Event
from events.services import event_create
from events.tests.guest_helpers import clear_outbox, mails_to, make_mailbox, vevent_of

pytestmark = pytest.mark.django_db

GINA = "gina@client.example"


def basic(user, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user.email}:{password}".encode()).decode()


@pytest.fixture
def auth(owner) -> str:
    return basic(owner, create_app_password(owner, "Phone")[1])


def path(user, name: str) -> str:
    return f"/dav/calendars/{user.pk}/calendar/{name}"


def ics(uid: str, start: str, end: str, *, summary: str = "Kick-off", extra: str = "",
        tail: str = "") -> bytes:  # fmt: skip
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Test//Client//EN",
        "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20270101T000000Z",
        f"DTSTART;TZID=Europe/Berlin:{start}", f"DTEND;TZID=Europe/Berlin:{end}",
        f"SUMMARY:{summary}", *[x for x in extra.split("\n") if x], "END:VEVENT",
        *[x for x in tail.split("\n") if x], "END:VCALENDAR", "",
    ]  # fmt: skip
    return "\r\n".join(lines).encode()


def put(client, auth, where: str, body: bytes, **headers):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return client.put(where, body, content_type="text/calendar", HTTP_AUTHORIZATION=auth, **extra)


GUEST = (
    f"ORGANIZER:mailto:alice@acme.test\nATTENDEE;CN=Gina Guest;PARTSTAT=NEEDS-ACTION:mailto:{GINA}"
)


def test_a_new_event_with_a_guest_invites_her_and_a_move_updates_her(client, owner, auth):
    make_mailbox(owner)
    where = path(owner, "client-chosen-name.ics")
    made = put(client, auth, where, ics("kick@phone", "20270111T100000", "20270111T110000",
                                        extra=GUEST), If_None_Match="*")  # fmt: skip
    assert made.status_code == 201, made.content
    assert "ETag" not in made  # we store our rendering, so the client must fetch it
    event = Event.objects.get(uid="kick@phone")
    assert event.organizer == owner and event.title == "Kick-off"
    assert ObjectName.objects.get(event=event).name == "client-chosen-name.ics"
    (invitation,) = mails_to(GINA)
    assert "METHOD:REQUEST" in invitation.as_string()
    assert str(vevent_of(invitation)["UID"]) == "kick@phone"

    got = client.get(where, HTTP_AUTHORIZATION=auth)
    assert got.status_code == 200 and b"UID:kick@phone" in got.content
    assert b"gina@client.example" in got.content

    # A stale ETag loses; the fresh one wins and moves the meeting.
    moved = ics("kick@phone", "20270112T140000", "20270112T150000", extra=GUEST)
    assert put(client, auth, where, moved, If_Match='"stale"').status_code == 412
    assert put(client, auth, where, moved, If_None_Match="*").status_code == 412
    clear_outbox()
    assert put(client, auth, where, moved, If_Match=got["ETag"]).status_code == 204
    event.refresh_from_db()
    assert event.start == dt.datetime(2027, 1, 12, 13, tzinfo=dt.UTC)
    (update,) = mails_to(GINA)
    assert vevent_of(update)["SEQUENCE"] > 0

    # Deleting it cancels it: Gina is told, the object is gone.
    clear_outbox()
    gone = client.delete(where, HTTP_AUTHORIZATION=auth)
    assert gone.status_code == 204
    (cancel,) = mails_to(GINA)
    assert "METHOD:CANCEL" in cancel.as_string()
    assert client.get(where, HTTP_AUTHORIZATION=auth).status_code == 404
    assert client.delete(where, HTTP_AUTHORIZATION=auth).status_code == 404

    # Undo in the client: the same UID stored again is the meeting back, and Gina's
    # calendar takes it because its SEQUENCE is above the cancellation's.
    clear_outbox()
    again = put(client, auth, where, moved, If_None_Match="*")
    assert again.status_code == 201, again.content
    (back,) = mails_to(GINA)
    assert "METHOD:REQUEST" in back.as_string()
    assert vevent_of(back)["SEQUENCE"] > vevent_of(cancel)["SEQUENCE"]
    assert client.get(where, HTTP_AUTHORIZATION=auth).status_code == 200


def test_a_series_with_a_moved_and_a_cancelled_date_from_the_client(client, owner, auth):
    body = ics("weekly@phone", "20270104T090000", "20270104T093000", summary="Stand-up",
               extra="RRULE:FREQ=WEEKLY;COUNT=6\nEXDATE;TZID=Europe/Berlin:20270118T090000",
               tail="BEGIN:VEVENT\nUID:weekly@phone\nDTSTAMP:20270101T000000Z\n"
                    "RECURRENCE-ID;TZID=Europe/Berlin:20270111T090000\n"
                    "DTSTART;TZID=Europe/Berlin:20270111T100000\n"
                    "DTEND;TZID=Europe/Berlin:20270111T103000\nSUMMARY:Stand-up (late)\n"
                    "END:VEVENT")  # fmt: skip
    assert put(client, auth, path(owner, "weekly@phone.ics"), body).status_code == 201
    series = Event.objects.get(uid="weekly@phone", series__isnull=True)
    assert series.recurrence == "FREQ=WEEKLY;COUNT=6" and series.timezone == "Europe/Berlin"
    assert series.exdates == ["2027-01-18T08:00:00+00:00"]
    moved = Event.objects.get(series=series)
    assert moved.title == "Stand-up (late)"
    assert moved.start == dt.datetime(2027, 1, 11, 9, tzinfo=dt.UTC)


def test_refused_objects_change_nothing_and_say_why(client, owner, colleague, auth):
    before = Event.objects.count()
    cases = [
        (b"this is not a calendar", b"valid-calendar-data"),
        (ics("t@x", "20270111T100000", "20270111T110000").replace(b"VEVENT", b"VTODO"),
         b"supported-calendar-component"),
        (ics("late@x", "20270111T100000", "20270111T090000"), b"The end must be after the start"),
        (ics("theirs@x", "20270111T100000", "20270111T110000",
             extra="ORGANIZER:mailto:someone@elsewhere.example"), b"someone@elsewhere.example"),
        # A guest but no confirmed sender mailbox: nothing is created, nothing sent.
        (ics("g@x", "20270111T100000", "20270111T110000", extra=GUEST), b"sender"),
        # A rule our engine refuses (every second: a million occurrences a week).
        (ics("s@x", "20270111T100000", "20270111T110000", extra="RRULE:FREQ=SECONDLY"),
         b"recurrence"),
        # The series is fine, its changed date is not one of its dates: the series is not
        # stored either (one transaction).
        (ics("half@x", "20270104T090000", "20270104T093000", extra="RRULE:FREQ=WEEKLY;COUNT=3",
             tail="BEGIN:VEVENT\nUID:half@x\nDTSTAMP:20270101T000000Z\n"
                  "RECURRENCE-ID;TZID=Europe/Berlin:20270105T090000\n"
                  "DTSTART;TZID=Europe/Berlin:20270105T100000\n"
                  "DTEND;TZID=Europe/Berlin:20270105T103000\nSUMMARY:x\nEND:VEVENT"),
         b"RECURRENCE-ID"),
    ]  # fmt: skip
    for body, reason in cases:
        answer = put(client, auth, path(owner, "new.ics"), body)
        assert answer.status_code in (403, 409), (reason, answer.content)
        assert reason in answer.content, (reason, answer.content)
    assert Event.objects.count() == before and mails_to(GINA) == []
    # A UID that is someone else's event is a conflict, not a takeover.
    theirs = event_create(colleague, title="Private", start=dt.datetime(2027, 1, 5, 9, tzinfo=dt.UTC),
                          end=dt.datetime(2027, 1, 5, 10, tzinfo=dt.UTC))  # fmt: skip
    body = ics(theirs.uid, "20270111T100000", "20270111T110000", summary="Mine now")
    answer = put(client, auth, path(owner, "steal.ics"), body)
    assert answer.status_code == 403 and b"no-uid-conflict" in answer.content
    theirs.refresh_from_db()
    assert theirs.title == "Private"
    # Another person's calendar cannot be written to.
    assert put(client, auth, path(colleague, "x.ics"), body).status_code == 404


def test_the_free_plan_quota_holds_for_calendar_apps(client, owner, auth):
    make_mailbox(owner)
    Account.objects.filter(pk=owner.account_id).update(plan="free")
    for n in range(10):
        body = ics(f"q{n}@x", "20270111T100000", "20270111T110000", extra=GUEST)
        assert put(client, auth, path(owner, f"q{n}.ics"), body).status_code == 201
    body = ics("q10@x", "20270111T100000", "20270111T110000", extra=GUEST)
    answer = put(client, auth, path(owner, "q10.ics"), body)
    assert answer.status_code == 403 and not Event.objects.filter(uid="q10@x").exists()


def test_a_booked_meeting_is_neither_edited_nor_deleted_from_a_client(
    client,
    owner,
    auth,
    link_token,  # noqa: F811
    slot_start,  # noqa: F811
):
    outcome = book(link_token, visitor(slot_start), language="en")
    event = outcome.booking.event
    where = path(owner, f"{event.uid}.ics")
    got = client.get(where, HTTP_AUTHORIZATION=auth)
    changed = got.content.replace(b"SUMMARY:", b"SUMMARY:Changed ")
    answer = put(client, auth, where, changed, If_Match=got["ETag"])
    assert answer.status_code == 403 and b"booked meeting" in answer.content
    assert client.delete(where, HTTP_AUTHORIZATION=auth).status_code == 403
    event.refresh_from_db()
    assert not event.title.startswith("Changed") and event.status == Event.Status.CONFIRMED


def test_an_invited_colleague_answers_from_the_client_and_changes_nothing_else(
    client, owner, colleague
):
    auth = basic(colleague, create_app_password(colleague, "Phone")[1])
    event = event_create(owner, title="Review", start=dt.datetime(2027, 1, 5, 9, tzinfo=dt.UTC),
                         end=dt.datetime(2027, 1, 5, 10, tzinfo=dt.UTC),
                         attendee_ids=[colleague.pk])  # fmt: skip
    where = path(colleague, f"{event.uid}.ics")
    calendar = Calendar.from_ical(client.get(where, HTTP_AUTHORIZATION=auth).content)
    (vevent,) = calendar.walk("VEVENT")
    attendees = vevent["ATTENDEE"] if isinstance(vevent["ATTENDEE"], list) else [vevent["ATTENDEE"]]
    (mine,) = [a for a in attendees if str(a).lower() == f"mailto:{colleague.email}"]
    assert mine.params["PARTSTAT"] == "NEEDS-ACTION"
    mine.params["PARTSTAT"] = "ACCEPTED"
    vevent["SUMMARY"] = "Hijacked"
    assert put(client, auth, where, calendar.to_ical()).status_code == 204
    event.refresh_from_db()
    assert event.title == "Review"
    assert Attendee.objects.get(event=event, user=colleague).status == Attendee.Status.ACCEPTED
    # Deleting it from the colleague's phone declines it.
    assert client.delete(where, HTTP_AUTHORIZATION=auth).status_code == 204
    assert Attendee.objects.get(event=event, user=colleague).status == Attendee.Status.DECLINED
    assert Event.objects.get(pk=event.pk).status == Event.Status.CONFIRMED
