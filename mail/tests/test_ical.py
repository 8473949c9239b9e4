"""build_calendar: every iTIP property present, VTIMEZONEs right, no value can inject."""

from __future__ import annotations

import datetime as dt
import re
import time
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mail.ical import (
    PRODID,
    CalendarEvent,
    CalendarPerson,
    InvalidCalendarData,
    build_calendar,
    parse_calendar,
    validate_email_address,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
ORGANIZER_ADDRESS = "reply+abcdefghijklmnopqrstuvwxyz234567@inbound.example"
STAMP = dt.datetime(2026, 5, 2, 8, 30, 15, tzinfo=dt.UTC)


def make_event(**overrides) -> CalendarEvent:
    fields = {
        "uid": "0f1e2d3c-event@rendezvous.test",
        "sequence": 3,
        "title": "Quarterly review",
        "description": "Numbers, then lunch.",
        "location": "Room 4",
        "url": "https://meet.example/abc-def?pwd=1",
        "start": dt.datetime(2026, 5, 4, 9, 0, tzinfo=BERLIN),
        "end": dt.datetime(2026, 5, 4, 10, 30, tzinfo=BERLIN),
        "timezone": "Europe/Berlin",
        "organizer": CalendarPerson(ORGANIZER_ADDRESS, "Alice Owner"),
        "attendees": [
            CalendarPerson("guest@example.org", "Gina Guest"),
            CalendarPerson("opt@example.org", "Otto Optional", role="OPT-PARTICIPANT"),
        ],
    }
    fields.update(overrides)
    return CalendarEvent(**fields)


def only_event(data: bytes):
    calendar = parse_calendar(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def unfolded(data: bytes) -> str:
    return re.sub(r"\r\n[ \t]", "", data.decode("utf-8"))


# ---------------------------------------------------------------- REQUEST round trip


def test_request_has_every_itip_property():
    data = build_calendar("REQUEST", [make_event()], dtstamp=STAMP)
    calendar, event = only_event(data)

    assert str(calendar["PRODID"]) == PRODID == "-//Rendezvous//Rendezvous//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == "0f1e2d3c-event@rendezvous.test"
    assert int(event["SEQUENCE"]) == 3
    assert event["DTSTAMP"].dt == STAMP
    assert "DTSTAMP:20260502T083015Z" in unfolded(data)
    assert str(event["SUMMARY"]) == "Quarterly review"
    assert str(event["DESCRIPTION"]) == "Numbers, then lunch."
    assert str(event["LOCATION"]) == "Room 4"
    assert str(event["URL"]) == "https://meet.example/abc-def?pwd=1"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["TRANSP"]) == "OPAQUE"

    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert event["DTEND"].params["TZID"] == "Europe/Berlin"
    assert event["DTSTART"].dt == dt.datetime(2026, 5, 4, 7, 0, tzinfo=dt.UTC)
    assert event["DTEND"].dt == dt.datetime(2026, 5, 4, 8, 30, tzinfo=dt.UTC)
    assert "DTSTART;TZID=Europe/Berlin:20260504T090000" in unfolded(data)

    organizer = event["ORGANIZER"]
    assert str(organizer) == f"mailto:{ORGANIZER_ADDRESS}"
    assert organizer.params["CN"] == "Alice Owner"

    attendees = event["ATTENDEE"]
    assert [str(a) for a in attendees] == ["mailto:guest@example.org", "mailto:opt@example.org"]
    gina, otto = attendees
    assert dict(gina.params) == {
        "CN": "Gina Guest",
        "CUTYPE": "INDIVIDUAL",
        "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": "NEEDS-ACTION",
        "RSVP": "TRUE",
    }
    assert otto.params["ROLE"] == "OPT-PARTICIPANT"


def test_dtstamp_defaults_to_now_in_utc():
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    _calendar, event = only_event(build_calendar("REQUEST", [make_event()]))
    after = dt.datetime.now(dt.UTC)
    assert before <= event["DTSTAMP"].dt <= after
    assert event["DTSTAMP"].dt.utcoffset() == dt.timedelta(0)


def test_created_and_last_modified_are_written_in_utc():
    created = dt.datetime(2026, 4, 1, 12, 0, tzinfo=NEW_YORK)
    data = build_calendar("REQUEST", [make_event(created=created, last_modified=created)])
    _calendar, event = only_event(data)
    assert "CREATED:20260401T160000Z" in unfolded(data)
    assert event["LAST-MODIFIED"].dt == created


def test_uid_is_kept_exactly_across_messages():
    first = only_event(build_calendar("REQUEST", [make_event(sequence=0)]))[1]
    second = only_event(build_calendar("CANCEL", [make_event(sequence=1)]))[1]
    assert str(first["UID"]) == str(second["UID"])
    assert (int(first["SEQUENCE"]), int(second["SEQUENCE"])) == (0, 1)


# ---------------------------------------------------------------- time zones


def _observance_onsets(observance, through_year: int = 2040) -> list[dt.datetime]:
    """Every onset of an observance (local, naive): DTSTART, RDATEs, and its yearly RRULE
    (to UNTIL, or up to ``through_year``), expanded by dateutil, not by our code."""
    onsets = [observance.DTSTART]
    rdates = observance.get("RDATE")
    for rdate in rdates if isinstance(rdates, list) else [rdates] if rdates else []:
        onsets.extend(value.dt for value in rdate.dts)
    rule = observance.get("RRULE")
    if rule is not None:
        until = rule.get("UNTIL", [None])[0]
        text = rule.to_ical().decode()
        text = ";".join(part for part in text.split(";") if not part.startswith("UNTIL="))
        last = dt.datetime(through_year, 12, 31)
        if until is not None:  # UTC: the last onset's instant
            last = until.replace(tzinfo=None) + observance.TZOFFSETFROM
        onsets += [
            onset
            for onset in rrulestr(f"RRULE:{text}", dtstart=observance.DTSTART).between(
                observance.DTSTART, last, inc=True
            )
            if onset != observance.DTSTART
        ]
    return onsets


@pytest.mark.parametrize(
    ("tzid", "start"),
    [
        # the Sunday of the spring change, just after it
        ("Europe/Berlin", dt.datetime(2026, 3, 29, 3, 30)),
        ("America/New_York", dt.datetime(2026, 11, 1, 9, 0)),
        ("Asia/Kathmandu", dt.datetime(2026, 7, 15, 14, 45)),
    ],
)
def test_vtimezone_for_the_zone_matches_the_iana_rules(tzid, start):
    zone = ZoneInfo(tzid)
    local_start = start.replace(tzinfo=zone)
    event = make_event(start=local_start, end=local_start + dt.timedelta(hours=1), timezone=tzid)
    data = build_calendar("REQUEST", [event], dtstamp=STAMP)
    calendar, vevent = only_event(data)

    assert calendar.get_used_tzids() == {tzid}
    assert [tz.tz_name for tz in calendar.timezones] == [tzid]
    assert calendar.get_missing_tzids() == set()
    text = unfolded(data)
    assert text.index("BEGIN:VTIMEZONE") < text.index("BEGIN:VEVENT")
    assert vevent["DTSTART"].dt == local_start

    # RFC 5545 §3.6.5: DTSTART of an observance is local time in TZOFFSETFROM; so
    # DTSTART − TZOFFSETFROM must be the real instant of each change, and the zone's
    # offset on either side of it must be FROM and TO.
    vtimezone = calendar.timezones[0]
    observances = vtimezone.standard + vtimezone.daylight
    assert observances
    first_onset = min(o.DTSTART for o in observances)
    assert first_onset <= start
    for observance in observances:
        offset_from, offset_to = observance.TZOFFSETFROM, observance.TZOFFSETTO
        for onset in _observance_onsets(observance):
            instant = (onset - offset_from).replace(tzinfo=dt.UTC)
            after = instant.astimezone(zone).utcoffset()
            assert after == offset_to, (observance.name, onset)
            if offset_from != offset_to:
                before = (instant - dt.timedelta(seconds=1)).astimezone(zone).utcoffset()
                assert before == offset_from, (observance.name, onset)

    # A reader that only has our VTIMEZONE (no IANA database) gets the same offsets.
    from_vtimezone = vtimezone.to_tz(lookup_tzid=False)
    probe = local_start.replace(month=1, day=10, hour=12, minute=0)
    for days in range(0, 365, 7):
        wall = (probe + dt.timedelta(days=days)).replace(tzinfo=None)
        assert (
            wall.replace(tzinfo=from_vtimezone).utcoffset() == wall.replace(tzinfo=zone).utcoffset()
        ), wall


def test_one_vtimezone_per_tzid_when_events_use_several_zones():
    events = [
        make_event(uid="a@x.test", timezone="Europe/Berlin"),
        make_event(
            uid="b@x.test",
            timezone="America/New_York",
            start=dt.datetime(2027, 1, 5, 9, tzinfo=NEW_YORK),
            end=dt.datetime(2027, 1, 5, 10, tzinfo=NEW_YORK),
        ),
        make_event(uid="c@x.test", timezone="Asia/Kathmandu"),
        make_event(uid="d@x.test", timezone="Europe/Berlin"),
    ]
    calendar = parse_calendar(build_calendar("REQUEST", events, dtstamp=STAMP))
    names = sorted(tz.tz_name for tz in calendar.timezones)
    assert names == ["America/New_York", "Asia/Kathmandu", "Europe/Berlin"]
    assert calendar.get_used_tzids() == set(names)
    assert len(calendar.walk("VEVENT")) == 4
    new_york = next(tz for tz in calendar.timezones if tz.tz_name == "America/New_York")
    # From the year before the events (the rule in force on 1 January began then), not
    # from 1970 or earlier.
    assert min(o.DTSTART for o in new_york.standard + new_york.daylight).year == 2026


def test_utc_events_use_z_form_and_no_vtimezone():
    start = dt.datetime(2026, 5, 4, 9, tzinfo=dt.UTC)
    data = build_calendar(
        "REQUEST",
        [make_event(start=start, end=start + dt.timedelta(hours=1), timezone="UTC")],
        dtstamp=STAMP,
    )
    calendar, event = only_event(data)
    assert event["DTSTART"].dt == start
    assert "DTSTART:20260504T090000Z" in unfolded(data)
    assert "TZID" not in unfolded(data)
    assert calendar.timezones == []


def test_all_day_event_uses_value_date_and_an_exclusive_end():
    # stored as the event models store it: local midnight to midnight after the last day
    start = dt.datetime(2026, 5, 4, tzinfo=BERLIN).astimezone(dt.UTC)
    end = dt.datetime(2026, 5, 6, tzinfo=BERLIN).astimezone(dt.UTC)
    data = build_calendar(
        "REQUEST", [make_event(start=start, end=end, all_day=True)], dtstamp=STAMP
    )
    calendar, event = only_event(data)
    text = unfolded(data)
    assert "DTSTART;VALUE=DATE:20260504" in text
    assert "DTEND;VALUE=DATE:20260506" in text
    assert event["DTSTART"].dt == dt.date(2026, 5, 4)
    assert calendar.timezones == []


def test_all_day_event_ending_on_its_start_day_lasts_one_day():
    start = dt.datetime(2026, 5, 4, 0, tzinfo=KATHMANDU)
    end = dt.datetime(2026, 5, 4, 23, 59, tzinfo=KATHMANDU)
    data = build_calendar(
        "REQUEST",
        [make_event(start=start, end=end, all_day=True, timezone="Asia/Kathmandu")],
        dtstamp=STAMP,
    )
    assert "DTEND;VALUE=DATE:20260505" in unfolded(data)


# ---------------------------------------------------------------- methods


def test_cancel_sets_status_cancelled_and_names_the_cancelled_attendees():
    event = make_event(sequence=4, attendees=[CalendarPerson("gone@example.org", "Gone")])
    data = build_calendar("CANCEL", [event], dtstamp=STAMP)
    calendar, vevent = only_event(data)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert int(vevent["SEQUENCE"]) == 4
    attendee = vevent["ATTENDEE"]
    assert str(attendee) == "mailto:gone@example.org"
    assert "RSVP" not in attendee.params


def test_reply_carries_only_the_replying_attendee():
    me = CalendarPerson("guest@example.org", "Gina", partstat="ACCEPTED")
    data = build_calendar("REPLY", [make_event(attendees=[me])], dtstamp=STAMP)
    calendar, vevent = only_event(data)
    assert str(calendar["METHOD"]) == "REPLY"
    attendee = vevent["ATTENDEE"]
    assert str(attendee) == "mailto:guest@example.org"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert "RSVP" not in attendee.params

    with pytest.raises(InvalidCalendarData) as excinfo:
        build_calendar("REPLY", [make_event()], dtstamp=STAMP)
    assert excinfo.value.field == "attendees"


def test_publish_names_no_attendees():
    _calendar, vevent = only_event(build_calendar("PUBLISH", [make_event()], dtstamp=STAMP))
    assert "ATTENDEE" not in vevent
    assert "ORGANIZER" in vevent


def test_tentative_free_event():
    data = build_calendar(
        "REQUEST", [make_event(status="tentative", transparency="TRANSPARENT")], dtstamp=STAMP
    )
    _calendar, vevent = only_event(data)
    assert (str(vevent["STATUS"]), str(vevent["TRANSP"])) == ("TENTATIVE", "TRANSPARENT")


def test_recurrence_fields_are_emitted_when_set():
    master = make_event(
        rrule="FREQ=WEEKLY;BYDAY=MO;UNTIL=20280101T000000Z",
        exdates=[dt.datetime(2026, 5, 11, 9, tzinfo=BERLIN)],
    )
    moved = make_event(
        recurrence_id=dt.datetime(2026, 5, 18, 9, tzinfo=BERLIN),
        start=dt.datetime(2026, 5, 18, 11, tzinfo=BERLIN),
        end=dt.datetime(2026, 5, 18, 12, tzinfo=BERLIN),
    )
    data = build_calendar("REQUEST", [master, moved], dtstamp=STAMP)
    calendar = parse_calendar(data)
    first, second = calendar.walk("VEVENT")
    text = unfolded(data)
    assert "RRULE:FREQ=WEEKLY;UNTIL=20280101T000000Z;BYDAY=MO" in text
    assert "EXDATE;TZID=Europe/Berlin:20260511T090000" in text
    assert "RECURRENCE-ID;TZID=Europe/Berlin:20260518T090000" in text
    assert "RRULE" not in second and "RECURRENCE-ID" not in first
    # the VTIMEZONE covers the whole series, up to UNTIL
    berlin = calendar.timezones[0]
    (daylight,) = berlin.daylight
    assert "UNTIL" not in daylight["RRULE"]  # the current rule, carried forward
    onsets = _observance_onsets(daylight, through_year=2028)
    assert dt.datetime(2028, 3, 26, 2) in onsets


def test_a_series_that_never_yields_is_not_expanded():
    rrule = "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30;COUNT=1"
    started = time.monotonic()
    data = build_calendar("REQUEST", [make_event(rrule=rrule)], dtstamp=STAMP)
    assert time.monotonic() - started < 2
    assert "RRULE:FREQ=SECONDLY;COUNT=1;BYMONTHDAY=30;BYMONTH=2" in unfolded(data)


def test_all_day_recurrence_uses_dates():
    start = dt.datetime(2026, 5, 4, tzinfo=BERLIN)
    data = build_calendar(
        "REQUEST",
        [
            make_event(
                start=start,
                end=start + dt.timedelta(days=1),
                all_day=True,
                rrule="RRULE:FREQ=DAILY;COUNT=5",
                exdates=[start + dt.timedelta(days=2)],
            )
        ],
        dtstamp=STAMP,
    )
    text = unfolded(data)
    assert "RRULE:FREQ=DAILY;COUNT=5" in text
    assert "EXDATE;VALUE=DATE:20260506" in text


def test_all_day_series_may_end_on_a_date_but_a_zoned_one_needs_utc_until():
    start = dt.datetime(2026, 5, 4, tzinfo=BERLIN)
    all_day = make_event(
        start=start,
        end=start + dt.timedelta(days=1),
        all_day=True,
        rrule="FREQ=DAILY;UNTIL=20260510",
    )
    assert "RRULE:FREQ=DAILY;UNTIL=20260510" in unfolded(build_calendar("REQUEST", [all_day]))
    with pytest.raises(InvalidCalendarData) as excinfo:
        build_calendar("REQUEST", [make_event(rrule="FREQ=DAILY;UNTIL=20260510T000000")])
    assert excinfo.value.field == "rrule"


@pytest.mark.parametrize(
    "rrule",
    [
        "FREQ=SOMETIMES",
        "BYDAY=MO",
        "FOO=BAR",
        "FREQ=DAILY\r\nBEGIN:VALARM",
        "FREQ=DAILY;COUNT=0",
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=DAILY;COUNT=99999999999999999999",
        "FREQ=DAILY;COUNT=3;UNTIL=20270101T000000Z",
        "FREQ=DAILY;COUNT=x",
        "",
    ],
)
def test_bad_rrule_is_refused_naming_the_field(rrule):
    with pytest.raises(InvalidCalendarData) as excinfo:
        build_calendar("REQUEST", [make_event(rrule=rrule)], dtstamp=STAMP)
    assert excinfo.value.field == "rrule"


# ---------------------------------------------------------------- injection

HOSTILE = [
    "line one\r\nline two",
    "semi;colon",
    "com,ma",
    "back\\slash",
    "nul\x00byte",
    "\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\n",
    "x\r\nATTENDEE:mailto:evil@example.net\r\nX-EVIL:1",
    'quote " caret ^ colon : end',
    "END:VEVENT\nBEGIN:VEVENT\nUID:other",
    "next\u2028line\x85nel",
]
EXPECTED_PROPERTIES = {
    "UID",
    "DTSTAMP",
    "SEQUENCE",
    "DTSTART",
    "DTEND",
    "SUMMARY",
    "DESCRIPTION",
    "LOCATION",
    "URL",
    "STATUS",
    "TRANSP",
    "ORGANIZER",
    "ATTENDEE",
}


def as_text(value: str) -> str:
    """What a TEXT value reads back as: NUL/controls gone, every line break one LF."""
    value = re.sub(r"\r\n|[\r\u2028\u2029]", "\n", value)
    value = re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "", value)
    return value.replace("\\N", "\n")  # icalendar's writer: a literal \N is a newline


def as_name(value: str) -> str:
    """Names are one line: breaks and tabs become spaces, a backslash a slash, a double
    quote an apostrophe (a parameter value cannot hold one; RFC 6868 is not read widely)."""
    return re.sub(r"[\n\t]", " ", as_text(value)).replace("\\", "/").strip().replace('"', "'")


def assert_clean_structure(data: bytes, n_attendees: int = 1):
    calendar, event = only_event(data)
    kinds = [component.name for component in calendar.walk()]
    assert "VALARM" not in kinds
    assert set(kinds) <= {"VCALENDAR", "VTIMEZONE", "STANDARD", "DAYLIGHT", "VEVENT"}
    assert set(event.keys()) == EXPECTED_PROPERTIES
    assert set(calendar.keys()) == {"PRODID", "VERSION", "CALSCALE", "METHOD"}
    attendees = event["ATTENDEE"]
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert len(attendees) == n_attendees
    assert not [line for line in unfolded(data).split("\r\n") if line.startswith("BEGIN:VALARM")]
    return calendar, event


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_text_cannot_add_properties_or_components(hostile):
    event = make_event(
        title=f"T {hostile}",
        location=hostile,
        description=hostile,
        organizer=CalendarPerson(ORGANIZER_ADDRESS, hostile),
        attendees=[CalendarPerson("guest@example.org", hostile)],
    )
    data = build_calendar("REQUEST", [event], dtstamp=STAMP)
    _calendar, vevent = assert_clean_structure(data)
    assert str(vevent["SUMMARY"]) == as_text(f"T {hostile}")
    assert str(vevent["LOCATION"]) == as_text(hostile)
    assert str(vevent["DESCRIPTION"]) == as_text(hostile)
    assert vevent["ORGANIZER"].params["CN"] == as_name(hostile)
    assert vevent["ATTENDEE"].params["CN"] == as_name(hostile)
    assert str(vevent["ATTENDEE"]) == "mailto:guest@example.org"
    assert "\x00" not in data.decode("utf-8")


@pytest.mark.parametrize("name", ["\\", "Ann\\", "Ann \\", "a\\;b", "a\\:b", "DOM\\ann"])
def test_backslash_in_a_name_cannot_swallow_a_parameter_or_the_address(name):
    person = CalendarPerson("guest@example.org", name, partstat="TENTATIVE")
    event = make_event(organizer=CalendarPerson(ORGANIZER_ADDRESS, name), attendees=[person])
    _calendar, vevent = only_event(build_calendar("REQUEST", [event], dtstamp=STAMP))
    assert str(vevent["ORGANIZER"]) == f"mailto:{ORGANIZER_ADDRESS}"
    attendee = vevent["ATTENDEE"]
    assert str(attendee) == "mailto:guest@example.org"
    assert attendee.params["PARTSTAT"] == "TENTATIVE"
    assert attendee.params["CUTYPE"] == "INDIVIDUAL"
    assert attendee.params["CN"] == name.replace("\\", "/").strip()


def test_hostile_values_round_trip_unchanged_apart_from_nul():
    title = 'Board; Q3, \\final\\ "draft"'
    _calendar, vevent = only_event(
        build_calendar("REQUEST", [make_event(title=title + "\x00")], dtstamp=STAMP)
    )
    assert str(vevent["SUMMARY"]) == title


text_values = st.text(
    alphabet=st.characters(codec="utf-8", categories=None), min_size=1, max_size=80
).filter(lambda s: as_text(s).strip())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=text_values, place=st.text(max_size=60), name=st.text(max_size=40))
@example(title="0", place="", name="\\")  # once found: a name ending in a backslash
@example(title="C:\\New", place="\\N", name="x")  # icalendar reads a literal \N as newline
def test_any_text_round_trips_without_changing_the_structure(title, place, name):
    event = make_event(
        title=title,
        location=place,
        description=place + title,
        organizer=CalendarPerson(ORGANIZER_ADDRESS, name),
        attendees=[CalendarPerson("guest@example.org", name)],
    )
    data = build_calendar("REQUEST", [event], dtstamp=STAMP)
    calendar, vevent = only_event(data)
    assert [c.name for c in calendar.walk() if c.name in ("VEVENT", "VALARM")] == ["VEVENT"]
    assert str(vevent["SUMMARY"]) == as_text(title)
    assert str(vevent["DESCRIPTION"]) == as_text(place + title)
    if as_text(place):
        assert str(vevent["LOCATION"]) == as_text(place)
    else:
        assert "LOCATION" not in vevent  # nothing left to say: no empty property
    assert str(vevent["ATTENDEE"]) == "mailto:guest@example.org"
    assert set(vevent.keys()) <= EXPECTED_PROPERTIES
    if as_name(name):
        assert vevent["ATTENDEE"].params["CN"] == as_name(name)


# ---------------------------------------------------------------- refused input

BAD_ADDRESSES = [
    "guest@example.org\r\nBcc: victim@example.net",
    "guest@example.org\n",
    "\r\nguest@example.org",
    "guest @example.org",
    "Guest <guest@example.org>",
    "<guest@example.org>",
    '"guest"@example.org',
    "guest@example",
    "guest@@example.org",
    "guest@example.org,other@example.org",
    "guest@example.org;RSVP=TRUE",
    "guest@example.org:x",
    "gu\x00est@example.org",
    "",
    "guest@-example.org",
    "guest?subject=x@example.org",
    "mailto:guest@example.org",
    "guest@example.org\x7f",
    "a" * 65 + "@example.org",
    "guest@" + "a" * 250 + ".org",
]


@pytest.mark.parametrize("address", BAD_ADDRESSES)
def test_bad_attendee_address_is_refused_naming_the_field(address):
    event = make_event(attendees=[CalendarPerson("ok@example.org"), CalendarPerson(address)])
    with pytest.raises(InvalidCalendarData) as excinfo:
        build_calendar("REQUEST", [event], dtstamp=STAMP)
    assert excinfo.value.field == "attendees[1].email"
    assert "attendees[1].email" in str(excinfo.value)


@pytest.mark.parametrize("address", BAD_ADDRESSES[:6])
def test_bad_organizer_address_is_refused_naming_the_field(address):
    with pytest.raises(InvalidCalendarData) as excinfo:
        build_calendar("REQUEST", [make_event(organizer=CalendarPerson(address))])
    assert excinfo.value.field == "organizer.email"


@pytest.mark.parametrize(
    "address",
    ["guest@example.org", "first.o'brien+tag@sub.example.co.uk", "X_Y-z@EXAMPLE.ORG"],
)
def test_ordinary_addresses_are_accepted(address):
    assert validate_email_address(address) == address


def test_internationalised_domain_is_written_in_ascii():
    assert validate_email_address("anna@bücher.example") == "anna@xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"start": dt.datetime(2026, 5, 4, 9)}, "start"),
        ({"end": dt.datetime(2026, 5, 4, 8, tzinfo=BERLIN)}, "end"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"status": "MAYBE"}, "status"),
        ({"transparency": "busy"}, "transparency"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "https://x.example/\r\nX-EVIL:1"}, "url"),
        ({"url": 'https://x.example/"a'}, "url"),
        ({"sequence": -1}, "sequence"),
        ({"sequence": True}, "sequence"),
        ({"uid": ""}, "uid"),
        ({"uid": "a\r\nb"}, "uid"),
        ({"uid": " padded@x.test"}, "uid"),
        ({"uid": "C:\\New@x.test"}, "uid"),
        ({"title": "  \x00 "}, "title"),
        ({"exdates": [dt.datetime(2026, 5, 11, 9)]}, "exdates[0]"),
        ({"recurrence_id": dt.date(2026, 5, 11)}, "recurrence_id"),
        ({"attendees": [CalendarPerson("a@b.example", partstat="MAYBE")]}, "attendees[0].partstat"),
        ({"attendees": [CalendarPerson("a@b.example", role="BOSS")]}, "attendees[0].role"),
    ],
)
def test_bad_event_fields_are_refused_naming_the_field(overrides, field):
    with pytest.raises(InvalidCalendarData) as excinfo:
        build_calendar("REQUEST", [make_event(**overrides)], dtstamp=STAMP)
    assert excinfo.value.field == field


def test_bad_method_and_empty_event_list_are_refused():
    with pytest.raises(InvalidCalendarData) as excinfo:
        build_calendar("COUNTER", [make_event()])
    assert excinfo.value.field == "method"
    with pytest.raises(InvalidCalendarData) as excinfo:
        build_calendar("REQUEST", [])
    assert excinfo.value.field == "events"
    with pytest.raises(InvalidCalendarData) as excinfo:
        build_calendar("REQUEST", [make_event()], dtstamp=dt.datetime(2026, 1, 1))
    assert excinfo.value.field == "dtstamp"


def test_field_names_carry_the_event_index_when_several_events():
    events = [make_event(), make_event(title="")]
    with pytest.raises(InvalidCalendarData) as excinfo:
        build_calendar("REQUEST", events, dtstamp=STAMP)
    assert excinfo.value.field == "events[1].title"


def test_parse_calendar_refuses_broken_lines():
    with pytest.raises(ValueError):
        parse_calendar(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nATTENDEE;CN=a\x00b:mailto:x@y.z\r\n")
    with pytest.raises(ValueError):
        parse_calendar(b"not a calendar")
