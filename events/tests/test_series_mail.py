"""What guests of a recurring event receive: the iMIP messages read back from the outbox.

Each message is parsed the way a calendar client parses it: the MIME tree with the
standard library, the text/calendar part with ``icalendar``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar

from events import guests as guest_lib
from events.cancelling import event_cancel
from events.models import Attendee, Event
from events.services import event_create, event_update

from .guest_helpers import (
    GINA,
    HUGO,
    at,
    calendar_of,
    calendar_part,
    clear_outbox,
    html_body,
    link_token_from,
    mails_to,
    subject,
    text_body,
)

DOMAIN = "in.rendezvous.example"
UTC = dt.UTC


@pytest.fixture
def series(owner, mailbox, settings):
    """Mondays 10:00-11:00 Berlin from 1 June 2026, ten times, without 8 June; Gina and Hugo."""
    settings.INBOUND_DOMAIN = DOMAIN
    return event_create(
        owner,
        title="Weekly",
        start=at(1, 10),
        end=at(1, 11),
        timezone="Europe/Berlin",
        location="Room 1",
        recurrence="FREQ=WEEKLY;BYDAY=MO;COUNT=10",
        exdates=[at(8, 10)],
        guests=[GINA, HUGO],
    )


def vevents(message) -> list:
    return list(calendar_of(message).walk("VEVENT"))


def rid(vevent) -> dt.datetime | None:
    value = vevent.get("RECURRENCE-ID")
    return value.dt if value is not None else None


def exdates_of(vevent) -> list[dt.datetime]:
    values = vevent.get("EXDATE") or []
    if not isinstance(values, list):
        values = [values]
    return [d.dt for value in values for d in value.dts]


def gina_row(event) -> Attendee:
    return Attendee.objects.select_related("guest").get(event=event, guest__email=GINA["email"])


# --------------------------------------------------------------------------- the series


def test_series_request_round_trips_with_rrule_exdate_and_vtimezone(series):
    (message,) = mails_to(GINA["email"])
    part = calendar_part(message)
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    calendar = Calendar.from_ical(part.get_payload(decode=True))
    assert str(calendar["METHOD"]) == "REQUEST"
    (timezone,) = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Europe/Berlin"
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == series.uid and int(vevent["SEQUENCE"]) == 0
    rule = vevent["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"] and rule["BYDAY"] == ["MO"] and rule["COUNT"] == [10]
    start = vevent["DTSTART"]
    assert start.params["TZID"] == "Europe/Berlin" and start.dt == at(1, 10)
    assert str(start.dt.tzinfo) == "Europe/Berlin"
    (exdate,) = exdates_of(vevent)
    assert exdate == at(8, 10) and str(exdate.tzinfo) == "Europe/Berlin"
    assert vevent["EXDATE"].params["TZID"] == "Europe/Berlin"
    assert rid(vevent) is None

    text, html = text_body(message), html_body(message)
    for body in (text, html, subject(message)):
        assert "Every week on Monday, 10 times" in body
    assert "from Monday, 1 June 2026" in text


def test_the_whole_series_carries_each_changed_date_for_that_guest(series, owner):
    event_update(
        series,
        owner,
        scope="this",
        occurrence=at(15, 10),
        start=at(15, 14),
        end=at(15, 15),
        guests=[HUGO],  # Gina is not at this one
    )
    clear_outbox()
    event_update(series, owner, title="Weekly sync")

    (to_gina,) = mails_to(GINA["email"])
    (master,) = vevents(to_gina)
    assert exdates_of(master) == [at(8, 10), at(15, 10)]  # not hers: excluded for her

    (to_hugo,) = mails_to(HUGO["email"])
    master, changed = vevents(to_hugo)
    assert rid(master) is None and "RRULE" in master
    assert exdates_of(master) == [at(8, 10)]
    assert rid(changed) == at(15, 10) and "RRULE" not in changed
    assert changed["DTSTART"].dt == at(15, 14)
    assert str(changed["SUMMARY"]) == "Weekly sync"  # the title followed the series
    assert str(changed["UID"]) == series.uid
    assert int(changed["SEQUENCE"]) >= int(master["SEQUENCE"])


def test_one_changed_date_is_sent_alone_with_recurrence_id(series, owner):
    clear_outbox()
    event_update(series, owner, scope="this", occurrence=at(22, 10), location="Room 7")

    (message,) = mails_to(GINA["email"])
    assert calendar_part(message).get_param("method") == "REQUEST"
    (vevent,) = vevents(message)
    assert rid(vevent) == at(22, 10)
    assert vevent["RECURRENCE-ID"].params["TZID"] == "Europe/Berlin"
    assert "RRULE" not in vevent and "EXDATE" not in vevent
    assert str(vevent["LOCATION"]) == "Room 7" and str(vevent["UID"]) == series.uid
    assert int(vevent["SEQUENCE"]) == series.sequence + 1
    # The links and the reply address are Gina's own, of the series.
    gina = gina_row(series)
    assert link_token_from(message) == guest_lib.link_token(gina)
    assert str(vevent["ORGANIZER"]).removeprefix("mailto:") == guest_lib.reply_address(gina)
    text = text_body(message)
    assert "Monday, 22 June 2026, 10:00–11:00" in text and "Monday, 22 June" in subject(message)
    assert "changed one date" in text and "Every week on Monday" in text


def test_cancelling_one_date_sends_cancel_with_recurrence_id(series, owner):
    clear_outbox()
    result = event_cancel(series, owner, scope="this", occurrence=at(15, 10))

    for address in (GINA["email"], HUGO["email"]):
        (message,) = mails_to(address)
        part = calendar_part(message)
        assert part.get_param("method") == "CANCEL"
        calendar = Calendar.from_ical(part.get_payload(decode=True))
        assert str(calendar["METHOD"]) == "CANCEL"
        (vevent,) = calendar.walk("VEVENT")
        assert rid(vevent) == at(15, 10)
        assert str(vevent["UID"]) == series.uid
        assert int(vevent["SEQUENCE"]) == result.sequence == 1
        assert str(vevent["STATUS"]) == "CANCELLED"
        assert "RRULE" not in vevent
        assert "Monday, 15 June 2026" in subject(message)
        assert "the other dates stay" in text_body(message)


def test_cancelling_a_changed_date_keeps_sequence_ahead_of_it(series, owner):
    exception = event_update(series, owner, scope="this", occurrence=at(15, 10), location="R2")
    exception = event_update(exception, owner, scope="this", location="R3")
    clear_outbox()
    result = event_cancel(exception, owner, scope="this")
    (message,) = mails_to(GINA["email"])
    (vevent,) = vevents(message)
    assert int(vevent["SEQUENCE"]) == result.sequence > exception.sequence
    assert rid(vevent) == at(15, 10)


def test_splitting_tells_old_guests_the_cut_and_invites_to_the_new(series, owner):
    old_gina = gina_row(series)
    clear_outbox()
    new = event_update(series, owner, scope="following", occurrence=at(22, 10), location="Hall")

    cut, invitation = mails_to(GINA["email"])
    (old_vevent,) = vevents(cut)
    assert str(old_vevent["UID"]) == series.uid
    assert old_vevent["RRULE"]["UNTIL"][0] == dt.datetime(2026, 6, 22, 7, 59, 59, tzinfo=UTC)
    assert "Updated invitation" in subject(cut)
    assert link_token_from(cut) == guest_lib.link_token(old_gina)

    (new_vevent,) = vevents(invitation)
    assert str(new_vevent["UID"]) == new.uid != series.uid
    assert new_vevent["RRULE"]["COUNT"] == [7]
    assert new_vevent["DTSTART"].dt == at(22, 10)
    assert str(new_vevent["LOCATION"]) == "Hall"
    assert subject(invitation).startswith("Invitation:")
    assert link_token_from(invitation) == guest_lib.link_token(gina_row(new))
    assert link_token_from(invitation) != link_token_from(cut)


def test_cancelling_the_series_cancels_it_whole(series, owner):
    event_update(series, owner, scope="this", occurrence=at(15, 10), location="R2")
    clear_outbox()
    event_cancel(series, owner)
    (message,) = mails_to(GINA["email"])
    (vevent,) = vevents(message)
    assert str(calendar_of(message)["METHOD"]) == "CANCEL"
    assert rid(vevent) is None and str(vevent["UID"]) == series.uid
    assert all(e.status == "cancelled" for e in Event.objects.filter(uid=series.uid))


# --------------------------------------------------------------------------- the guest's page


def test_guest_ics_holds_the_whole_series(client, series, owner):
    event_update(series, owner, scope="this", occurrence=at(15, 10), location="R2")
    token = guest_lib.link_token(gina_row(series))
    response = client.get(f"/i/{token}/event.ics")
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["METHOD"]) == "PUBLISH"
    master, changed = calendar.walk("VEVENT")
    assert master["RRULE"]["COUNT"] == [10] and exdates_of(master) == [at(8, 10)]
    assert rid(changed) == at(15, 10) and str(changed["LOCATION"]) == "R2"
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]


def test_guest_page_says_how_it_repeats(client, series, owner):
    event_update(
        series, owner, scope="this", occurrence=at(15, 10), start=at(15, 14), end=at(15, 15)
    )
    event_update(series, owner, scope="this", occurrence=at(22, 10), guests=[HUGO])
    token = guest_lib.link_token(gina_row(series))
    html = client.get(f"/i/{token}/").content.decode()
    assert "Every week on Monday, 10 times" in html
    assert "Monday, 8 June 2026, 10:00–11:00" in html  # cancelled
    assert "now Monday, 15 June 2026, 14:00–15:00" in html
    assert "Monday, 22 June 2026, 10:00–11:00 (Europe/Berlin): not for you" in html


def test_guest_page_answer_holds_for_the_changed_dates(client, series, owner):
    exception = event_update(series, owner, scope="this", occurrence=at(15, 10), location="R2")
    token = guest_lib.link_token(gina_row(series))
    page = f"/i/{token}/"
    client.get(page)
    response = client.post(page, {"status": "declined"})
    assert response.status_code == 302
    assert gina_row(series).status == "declined"
    assert gina_row(exception).status == "declined"
