"""A guest's mail client answers one date of a series, or the whole series, over real SMTP.

The REPLY is written the way clients write it for a recurring event (a VTIMEZONE and a
RECURRENCE-ID with TZID, the ORGANIZER being the guest's reply plus-address from the
invitation) and delivered in an SMTP conversation to the inbound listener
(``mail.inbound_smtp.Listener``), which hands it to ``mail.inbound`` and from there to
``events.answers.apply_guest_reply``: the same path as production.
"""

from __future__ import annotations

import email.policy
import logging
from email.message import EmailMessage

import pytest

from events import guests as guest_lib
from events.models import Attendee, Event, GuestReplyReceipt
from events.occurrences import busy_intervals, expand
from events.services import event_create, event_update
from mail.inbound_smtp import Listener
from mail.models import OutboxMessage
from mail.tests.test_inbound_smtp import Recorder, connect, wait_for
from notifications.models import Notification

from .guest_helpers import GINA, HUGO, INBOUND_DOMAIN, at, make_mailbox

JUNE = (at(1, 0), at(30, 23))
VTIMEZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"
    "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n"
    "DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n"
    "DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
)


@pytest.fixture
def series(transactional_db, owner, colleague, settings):
    """Mondays 10:00-11:00 Berlin in June 2026 (five), Bob, Gina and Hugo invited."""
    settings.INBOUND_DOMAIN = INBOUND_DOMAIN
    make_mailbox(owner)
    return event_create(
        owner,
        title="Weekly",
        start=at(1, 10),
        end=at(1, 11),
        timezone="Europe/Berlin",
        recurrence="FREQ=WEEKLY;BYDAY=MO;COUNT=5",
        attendee_ids=[colleague.pk],
        guests=[GINA, HUGO],
    )


def gina_on(event: Event) -> Attendee:
    return Attendee.objects.get(event=event, guest__email=GINA["email"])


def client_reply(
    series: Event,
    partstat: str,
    *,
    recurrence_id: str | None,
    message_id: str,
    sequence: int = 0,
    dtstamp: str = "20260520T100000Z",
    zone_parameter: str = ";TZID=Europe/Berlin",
) -> tuple[bytes, str]:
    """Gina's client answering (``recurrence_id``: local Berlin time ``20260615T100000``)."""
    address = guest_lib.reply_address(gina_on(series))
    occurrence = ""
    start = "20260601T100000"
    if recurrence_id:
        occurrence = f"RECURRENCE-ID{zone_parameter}:{recurrence_id}\r\n"
        start = recurrence_id
    calendar = (
        "BEGIN:VCALENDAR\r\nPRODID:-//Apple Inc.//Mac OS X 14//EN\r\nVERSION:2.0\r\n"
        "METHOD:REPLY\r\nCALSCALE:GREGORIAN\r\n" + VTIMEZONE + "BEGIN:VEVENT\r\n"
        f"UID:{series.uid}\r\n{occurrence}SEQUENCE:{sequence}\r\nDTSTAMP:{dtstamp}\r\n"
        f"DTSTART;TZID=Europe/Berlin:{start}\r\nSUMMARY:Weekly\r\n"
        f"ORGANIZER;CN=Alice Owner:mailto:{address}\r\n"
        f"ATTENDEE;CN=Gina Guest;PARTSTAT={partstat}:mailto:{GINA['email']}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    message = EmailMessage()
    message["From"] = f"Gina Guest <{GINA['email']}>"
    message["To"] = address
    message["Subject"] = f"{partstat.title()}: Weekly"
    message["Message-ID"] = message_id
    message.set_content(f"Gina has answered: {partstat}.")
    message.add_alternative(calendar, subtype="calendar", params={"method": "REPLY"})
    return message.as_bytes(policy=email.policy.SMTP), address


def deliver(listener: Listener, recorder: Recorder, raw: bytes, address: str) -> list[str]:
    before = len(recorder.results)
    with connect(listener) as client:
        assert client.sendmail(GINA["email"], [address], raw) == {}
    wait_for(lambda: len(recorder.results) > before)
    return recorder.results[-1]


def statuses(series: Event) -> dict:
    """(date, guest or user) → status for every row of the series and its changed dates."""
    rows = Attendee.objects.filter(event__uid=series.uid).select_related("event", "guest")
    out = {}
    for row in rows:
        day = row.event.recurrence_id.day if row.event.recurrence_id else "series"
        out[(day, row.guest.email if row.guest_id else row.user_id)] = row.status
    return out


def test_a_reply_to_one_date_changes_that_date_only(listener, recorder, series, owner, colleague):
    busy_before = busy_intervals([owner, colleague], *JUNE)
    mails_before = OutboxMessage.objects.count()

    raw, address = client_reply(
        series, "DECLINED", recurrence_id="20260615T100000", message_id="<d15@client.example>"
    )
    assert deliver(listener, recorder, raw, address) == ["applied"]

    (exception,) = Event.objects.filter(series=series)
    assert exception.recurrence_id == at(15, 10) and exception.uid == series.uid
    assert (exception.start, exception.end) == (at(15, 10), at(15, 11))
    assert statuses(series) == {
        ("series", owner.pk): "accepted",
        ("series", colleague.pk): "needs-action",
        ("series", GINA["email"]): "needs-action",
        ("series", HUGO["email"]): "needs-action",
        (15, owner.pk): "accepted",
        (15, colleague.pk): "needs-action",
        (15, GINA["email"]): "declined",
        (15, HUGO["email"]): "needs-action",
    }
    # The other dates are still the series' own occurrences; nobody's busy time moved.
    occurrences = expand([series, exception], *JUNE)
    assert [(o.start, o.event.pk) for o in occurrences] == [
        (at(1, 10), series.pk),
        (at(8, 10), series.pk),
        (at(15, 10), exception.pk),
        (at(22, 10), series.pk),
        (at(29, 10), series.pk),
    ]
    assert busy_intervals([owner, colleague], *JUNE) == busy_before
    # The organizer is told which date.
    (note,) = Notification.objects.filter(user=owner)
    assert "Gina Guest declined “Weekly” on Monday, 15 June 2026" in note.text
    assert "occurrence=2026-06-15T08%3A00%3A00Z" in note.url
    (decision,) = OutboxMessage.objects.order_by("id")[mails_before:]
    assert "15 June 2026" in decision.raw_bytes.decode("utf-8", "replace")

    # The same message again changes nothing and tells nobody.
    assert deliver(listener, recorder, raw, address) == ["duplicate"]
    assert Notification.objects.filter(user=owner).count() == 1
    assert GuestReplyReceipt.objects.filter(attendee=gina_on(series)).count() == 1


def test_a_reply_without_recurrence_id_answers_every_date(listener, recorder, series, owner):
    event_update(series, owner, scope="this", occurrence=at(22, 10), location="Room 2")
    raw, address = client_reply(
        series, "TENTATIVE", recurrence_id=None, message_id="<all@client.example>", sequence=0
    )
    assert deliver(listener, recorder, raw, address) == ["applied"]
    assert statuses(series)[("series", GINA["email"])] == "tentative"
    assert statuses(series)[(22, GINA["email"])] == "tentative"
    assert statuses(series)[("series", HUGO["email"])] == "needs-action"
    (note,) = Notification.objects.filter(user=owner)
    assert " on " not in note.text  # about the series, not one date

    # A later answer to one date overrides that date only.
    raw, _ = client_reply(
        series,
        "ACCEPTED",
        recurrence_id="20260622T100000",
        message_id="<a22@client.example>",
        sequence=1,
        dtstamp="20260521T100000Z",
    )
    assert deliver(listener, recorder, raw, address) == ["applied"]
    assert statuses(series)[(22, GINA["email"])] == "accepted"
    assert statuses(series)[("series", GINA["email"])] == "tentative"


@pytest.mark.parametrize(
    "recurrence_id",
    [
        "20260616T100000",  # a Tuesday
        "20260615T110000",  # the right day, the wrong time
        "20260706T100000",  # after the last occurrence (COUNT=5)
    ],
)
def test_a_reply_to_a_date_that_is_no_occurrence_changes_nothing(
    listener, recorder, series, owner, recurrence_id, caplog
):
    caplog.set_level(logging.WARNING, logger="events.answers")
    before = statuses(series)
    notifications = Notification.objects.count()  # the colleague's invitation
    raw, address = client_reply(
        series, "DECLINED", recurrence_id=recurrence_id, message_id="<x@client.example>"
    )
    assert deliver(listener, recorder, raw, address) == ["not_invited"]
    assert statuses(series) == before
    assert not Event.objects.filter(series=series).exists()
    assert Notification.objects.count() == notifications
    assert "guest reply not_invited" in caplog.text


def test_a_reply_to_a_cancelled_date_or_one_the_guest_was_taken_off(
    listener, recorder, series, owner
):
    from events.cancelling import event_cancel

    event_cancel(series, owner, scope="this", occurrence=at(8, 10))
    event_update(series, owner, scope="this", occurrence=at(22, 10), guests=[HUGO])
    before = statuses(series)
    for day, message_id in (("08", "<c8@client.example>"), ("22", "<c22@client.example>")):
        raw, address = client_reply(
            series, "ACCEPTED", recurrence_id=f"202606{day}T100000", message_id=message_id
        )
        assert deliver(listener, recorder, raw, address) == ["not_invited"]
    assert statuses(series) == before


def test_a_reply_to_a_date_older_than_its_change_is_stale(listener, recorder, series, owner):
    exception = event_update(
        series, owner, scope="this", occurrence=at(15, 10), start=at(15, 12), end=at(15, 13)
    )
    assert exception.sequence == 1
    raw, address = client_reply(
        series, "ACCEPTED", recurrence_id="20260615T100000", message_id="<s@client.example>"
    )
    assert deliver(listener, recorder, raw, address) == ["stale"]
    assert gina_on(exception).status == "needs-action"
    raw, _ = client_reply(
        series,
        "ACCEPTED",
        recurrence_id="20260615T100000",
        message_id="<s2@client.example>",
        sequence=1,
    )
    assert deliver(listener, recorder, raw, address) == ["applied"]
    assert gina_on(exception).status == "accepted"
    assert gina_on(series).status == "needs-action"


def test_a_page_answer_is_not_undone_by_an_older_reply_to_a_date(listener, recorder, series, owner):
    from events.answers import guest_respond

    event_update(series, owner, scope="this", occurrence=at(15, 10), location="Room 2")
    guest_respond(gina_on(series), "accepted")
    raw, address = client_reply(
        series,
        "DECLINED",
        recurrence_id="20260615T100000",
        message_id="<old@client.example>",
        sequence=1,
        dtstamp="20200101T000000Z",
    )
    assert deliver(listener, recorder, raw, address) == ["stale"]
    assert statuses(series)[(15, GINA["email"])] == "accepted"


@pytest.mark.parametrize(
    "zone_parameter",
    [
        "",  # floating: a wall time of the series, in the series' own zone
        ";TZID=Europe/Brussels",  # Google: another zone's name, the same instant
    ],
    ids=["floating", "other-zone-name"],
)
def test_a_reply_to_one_date_names_it_in_any_way_clients_do(
    listener, recorder, series, owner, zone_parameter
):
    raw, address = client_reply(
        series,
        "DECLINED",
        recurrence_id="20260615T100000",
        message_id="<d15-zone@client.example>",
        zone_parameter=zone_parameter,
    )

    deliver(listener, recorder, raw, address)

    exception = Event.objects.get(series=series, recurrence_id=at(15, 10))
    assert gina_on(exception).status == "declined"
    assert gina_on(series).status == "needs-action"
