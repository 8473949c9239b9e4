"""iMIP for recurring events: a series with changed dates in one message, one date's
CANCEL, and REPLYs naming a date read back (RECURRENCE-ID with TZID, or a DATE)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from mail.ical import CalendarEvent, CalendarPerson, build_calendar
from mail.imip import build_imip_message
from mail.inbound_parse import REPLIES, extract_replies
from mail.mime import message_bytes

BERLIN = ZoneInfo("Europe/Berlin")
DOMAIN = "inbound.example"
TOKEN = "abcdefghijklmnopqrstuvwxyz234567"
PLUS = f"reply+{TOKEN}@{DOMAIN}"

MESSAGE_ID = "<imip-test@rendezvous.test>"


def berlin(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 6, day, hour, tzinfo=BERLIN)


def vevent(**overrides) -> CalendarEvent:
    fields = {
        "uid": "series-1@rendezvous.test",
        "sequence": 2,
        "title": "Weekly",
        "start": berlin(1, 10),
        "end": berlin(1, 11),
        "timezone": "Europe/Berlin",
        "organizer": CalendarPerson(PLUS, "Alice Owner"),
        "attendees": [CalendarPerson("guest@example.org", "Gina Guest")],
    }
    return CalendarEvent(**(fields | overrides))


def mail(method: str, events: list[CalendarEvent]) -> EmailMessage:
    message = build_imip_message(
        method=method,
        calendar=build_calendar(method, events),
        subject="Weekly",
        text="Every week on Monday",
        html=None,
        from_email="Alice Owner <alice@acme.test>",
        to=["guest@example.org"],
        reply_to=[PLUS],
    )
    raw = message_bytes(message, message_id=MESSAGE_ID)
    return email.message_from_bytes(raw, policy=email.policy.default), raw


def calendar_of(message: EmailMessage) -> Calendar:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return Calendar.from_ical(part.get_payload(decode=True))


def test_a_series_and_its_changed_date_travel_in_one_request():
    master = vevent(rrule="FREQ=WEEKLY;COUNT=10;BYDAY=MO", exdates=[berlin(8, 10)])
    moved = vevent(start=berlin(15, 14), end=berlin(15, 15), recurrence_id=berlin(15, 10))
    message, raw = mail("REQUEST", [master, moved])
    assert b"text/calendar; method=REQUEST; charset=UTF-8" in raw
    calendar = calendar_of(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    first, second = calendar.walk("VEVENT")
    assert first["RRULE"]["COUNT"] == [10] and "RECURRENCE-ID" not in first
    assert first["EXDATE"].dts[0].dt == berlin(8, 10)
    assert second["RECURRENCE-ID"].dt == berlin(15, 10) and "RRULE" not in second
    assert second["RECURRENCE-ID"].params["TZID"] == "Europe/Berlin"
    assert str(first["UID"]) == str(second["UID"])
    # The attached invite.ics is the same calendar.
    (ics,) = [p for p in message.walk() if p.get_filename() == "invite.ics"]
    assert Calendar.from_ical(ics.get_payload(decode=True)).to_ical() == calendar.to_ical()


def test_one_dates_cancel_names_it_in_mime_and_calendar():
    message, raw = mail(
        "CANCEL", [vevent(start=berlin(15, 10), end=berlin(15, 11), recurrence_id=berlin(15, 10))]
    )
    assert b"text/calendar; method=CANCEL; charset=UTF-8" in raw
    calendar = calendar_of(message)
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert event["RECURRENCE-ID"].dt == berlin(15, 10)
    assert str(event["STATUS"]) == "CANCELLED"


def reply(recurrence_line: str) -> bytes:
    message = EmailMessage()
    message["From"] = "guest@example.org"
    message["To"] = PLUS
    message["Subject"] = "Declined: Weekly"
    message.set_content("Declined.")
    message.add_alternative(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Client//EN\r\nMETHOD:REPLY\r\n"
        "BEGIN:VEVENT\r\nUID:series-1@rendezvous.test\r\nDTSTAMP:20260520T100000Z\r\n"
        f"SEQUENCE:3\r\n{recurrence_line}"
        "ATTENDEE;PARTSTAT=DECLINED:mailto:guest@example.org\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n",
        subtype="calendar",
        params={"method": "REPLY"},
    )
    return message.as_bytes(policy=email.policy.SMTP)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("RECURRENCE-ID;TZID=Europe/Berlin:20260615T100000\r\n", berlin(15, 10)),
        ("RECURRENCE-ID:20260615T080000Z\r\n", berlin(15, 10)),
        ("RECURRENCE-ID;VALUE=DATE:20260615\r\n", dt.datetime(2026, 6, 15, tzinfo=dt.UTC)),
        ("", None),
    ],
)
def test_a_reply_names_its_date_as_a_utc_instant(line, expected):
    result = extract_replies(reply(line), envelope_recipients=[PLUS], inbound_domain=DOMAIN)
    assert result.outcome == REPLIES
    (answer,) = result.replies
    assert answer.recurrence_id == expected
    if expected is not None:
        assert answer.recurrence_id.utcoffset() == dt.timedelta(0)
    assert answer.sequence == 3 and answer.partstat == "DECLINED"


# --------------------------------------------------------------------------- into the events


@pytest.fixture
def all_day_series(owner, settings):
    """Alice's all-day Monday series in Berlin from 1 June 2026 (three), Gina invited."""
    from events.services import event_create
    from events.tests.guest_helpers import GINA, make_mailbox

    settings.INBOUND_DOMAIN = DOMAIN
    make_mailbox(owner)
    return event_create(
        owner,
        title="Offsite Monday",
        start=berlin(1, 0),
        end=berlin(2, 0),
        all_day=True,
        timezone="Europe/Berlin",
        recurrence="FREQ=WEEKLY;BYDAY=MO;COUNT=3",
        guests=[GINA],
    )


def all_day_reply(series, day: str, message_id: str) -> tuple[bytes, str]:
    from events import guests as guest_lib
    from events.models import Attendee

    gina = Attendee.objects.get(event=series, guest__isnull=False)
    address = guest_lib.reply_address(gina)
    message = EmailMessage()
    message["From"] = gina.guest.email
    message["To"] = address
    message["Subject"] = "Declined"
    message["Message-ID"] = message_id
    message.set_content("Declined.")
    message.add_alternative(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Client//EN\r\nMETHOD:REPLY\r\n"
        f"BEGIN:VEVENT\r\nUID:{series.uid}\r\nDTSTAMP:20260520T100000Z\r\nSEQUENCE:0\r\n"
        f"RECURRENCE-ID;VALUE=DATE:{day}\r\nDTSTART;VALUE=DATE:{day}\r\n"
        f"ATTENDEE;PARTSTAT=DECLINED:mailto:{gina.guest.email}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n",
        subtype="calendar",
        params={"method": "REPLY"},
    )
    return message.as_bytes(policy=email.policy.SMTP), address


@pytest.mark.django_db
def test_an_all_day_dates_reply_finds_its_local_midnight(all_day_series):
    from events.models import Attendee, Event
    from mail.inbound import handle_inbound_message

    raw, address = all_day_reply(all_day_series, "20260608", "<d8@client.example>")
    assert handle_inbound_message(raw, mail_from="g@x.example", rcpt_tos=[address]) == ["applied"]
    (exception,) = Event.objects.filter(series=all_day_series)
    assert exception.recurrence_id == berlin(8, 0)  # 7 June 22:00 UTC
    assert Attendee.objects.get(event=exception, guest__isnull=False).status == "declined"
    assert Attendee.objects.get(event=all_day_series, guest__isnull=False).status == (
        "needs-action"
    )

    raw, address = all_day_reply(all_day_series, "20260609", "<d9@client.example>")
    assert handle_inbound_message(raw, mail_from="g@x.example", rcpt_tos=[address]) == [
        "not_invited"
    ]
    assert Event.objects.filter(series=all_day_series).count() == 1
