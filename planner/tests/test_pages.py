"""The /planner/ page: people side by side on my grid, what I may see of them, find a time."""

from __future__ import annotations

import datetime as dt
import html
import re
import zoneinfo
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from events.services import event_create
from planner.selectors import find_common_slots

from .conftest import (
    FIRST_TEN_HOUR_SLOTS,
    NEW_YORK,
    berlin_slots,
    future_monday,
    known_week,
    local,
)

MONDAY = future_monday()
URL = "/planner/"


def today_of(user) -> dt.date:
    """Today where the user is: the page's "today", not the machine's (which differs for
    an hour or more around midnight UTC)."""
    return dt.datetime.now(zoneinfo.ZoneInfo(user.timezone)).date()


def _get(client, user, **params):
    client.force_login(user)
    query = urlencode(params, doseq=True)
    return client.get(URL + ("?" + query if query else ""))


def _row(page: str, user) -> str:
    """The HTML of ``user``'s first row on the page (up to the end of its track)."""
    match = re.search(rf'<div class="planner-row" data-user="{user.pk}">(.*?)</ul>', page, re.S)
    assert match, f"no row for {user}"
    return match.group(1)


def _rows(page: str, user) -> list[str]:
    return re.findall(rf'<div class="planner-row" data-user="{user.pk}">(.*?)</ul>', page, re.S)


def test_needs_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/signin/" in response["Location"]


def test_first_view_is_me_today_and_everyone_to_choose(client, alice, bob, carol, stranger):
    response = _get(client, alice)
    assert response.status_code == 200
    page = response.content.decode()
    boxes = dict(re.findall(r'<input type="checkbox" name="users" value="(\d+)"([^>]*)>', page))
    assert set(boxes) == {str(alice.pk), str(bob.pk), str(carol.pk)}  # Acme's, active
    assert "checked" in boxes[str(alice.pk)]
    assert "checked" not in boxes[str(bob.pk)] and "checked" not in boxes[str(carol.pk)]
    assert stranger.full_name not in page
    assert len(_rows(page, alice)) == 1 and not _rows(page, bob)
    assert 'aria-current="page">Planner<' in page  # the navigation marks it


def test_rows_show_working_hours_in_my_zone(client, alice, bob, carol):
    response = _get(client, alice, users=[alice.pk, bob.pk, carol.pk], date=MONDAY.isoformat())
    assert response.status_code == 200
    page = response.content.decode()
    # Alice's own 09:00-17:00; Bob's 08:00-16:00 New York; Carol's 10:00-18:00 London.
    assert "Working 09:00–17:00" in _row(page, alice)
    assert "Working 14:00–22:00" in _row(page, bob)
    assert "Working 11:00–19:00" in _row(page, carol)
    assert "America/New_York" in _row(page, bob)
    # The same people seen by Bob, in New York time.
    page = _get(client, bob, users=[alice.pk, bob.pk], date=MONDAY.isoformat()).content.decode()
    assert "Working 03:00–11:00" in _row(page, alice)
    assert "Working 08:00–16:00" in _row(page, bob)


def test_working_hours_to_midnight_read_24_00(client, alice, bob):
    bob.working_hours = {"mon": [["12:00", "18:00"]]}  # 18:00 New York = midnight Berlin
    bob.save()
    page = _get(client, alice, users=[bob.pk], date=MONDAY.isoformat()).content.decode()
    assert "Working 18:00–24:00" in _row(page, bob)


def test_my_own_title_but_busy_for_a_colleagues_private_event(client, alice, bob, carol):
    event_create(
        alice, title="Alice planning", start=local(MONDAY, "10:00"), end=local(MONDAY, "11:00")
    )
    event_create(
        bob,
        title="Bob private doctor",
        start=local(MONDAY, "09:00", NEW_YORK),
        end=local(MONDAY, "10:00", NEW_YORK),
        timezone="America/New_York",
    )
    shared = event_create(
        bob,
        title="Bob and Alice sync",
        start=local(MONDAY, "16:00"),
        end=local(MONDAY, "16:30"),
        attendee_ids=[alice.pk],
    )
    page = _get(client, alice, users=[alice.pk, bob.pk], date=MONDAY.isoformat()).content.decode()
    mine, bobs = _row(page, alice), _row(page, bob)
    assert "Alice planning" in mine and "10:00–11:00" in mine
    assert "Bob private doctor" not in page
    assert re.search(r'<span class="label">busy</span> <span class="time">15:00–16:00</span>', bobs)
    # An event I am invited to shows its title in everyone's row, and links to it.
    assert "Bob and Alice sync" in bobs and "Bob and Alice sync" in mine
    assert f'href="/calendar/events/{shared.pk}/"' in bobs
    assert bobs.count("/calendar/events/") == 1  # the private one links nowhere
    # Carol sees both Alice's and Bob's own events as "busy" only.
    page = _get(client, carol, users=[alice.pk, bob.pk], date=MONDAY.isoformat()).content.decode()
    for title in ("Alice planning", "Bob private doctor", "Bob and Alice sync"):
        assert title not in page
    assert _row(page, alice).count('<span class="label">busy</span>') == 2
    assert "/calendar/events/" not in _row(page, alice) + _row(page, bob)


def test_recurring_events_show_in_the_rows(client, alice, bob, carol):
    known_week(alice, bob, carol, MONDAY)

    def bobs_busy(day: dt.date) -> list[str]:
        page = _get(client, alice, users=[bob.pk], date=day.isoformat()).content.decode()
        return re.findall(
            r'<span class="label">busy</span> <span class="time">([0-9:–]+)</span>', _row(page, bob)
        )

    tue, thu = MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=3)
    assert bobs_busy(tue - dt.timedelta(days=7)) == ["15:00–16:00"]  # an occurrence
    assert bobs_busy(thu - dt.timedelta(days=7)) == ["15:00–16:00"]
    assert bobs_busy(tue) == ["16:00–17:00"]  # this one moved an hour later
    assert bobs_busy(thu) == []  # and this one taken out of the series


def test_hostile_title_is_escaped(client, alice, bob):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    event_create(alice, title=hostile, start=local(MONDAY, "10:00"), end=local(MONDAY, "11:00"))
    bob.full_name = "<b>Bob</b>"
    bob.save()
    response = _get(client, alice, users=[alice.pk, bob.pk], date=MONDAY.isoformat())
    page = response.content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>Bob</b>" not in page
    assert html.escape(hostile) in page  # shown, as text
    assert "&lt;b&gt;Bob&lt;/b&gt;" in page


def test_a_stranger_cannot_look_at_acme(client, alice, stranger):
    event_create(
        alice, title="Acme secret", start=local(MONDAY, "10:00"), end=local(MONDAY, "11:00")
    )
    response = _get(client, stranger, users=[alice.pk], date=MONDAY.isoformat())
    assert response.status_code == 400
    page = response.content.decode()
    assert alice.full_name not in page and "Acme secret" not in page
    assert 'class="planner-row" data-user' not in page  # no rows at all
    # The error looks the same as for an id nobody has.
    missing = _get(client, stranger, users=[10**9], date=MONDAY.isoformat()).content.decode()
    assert "is not one of the available choices" in page
    assert "is not one of the available choices" in missing


def test_week_view_and_prev_next(client, alice, bob):
    wednesday = MONDAY + dt.timedelta(days=2)
    response = _get(
        client, alice, users=[alice.pk, bob.pk], date=wednesday.isoformat(), view="week"
    )
    page = response.content.decode()
    days = re.findall(r'<section class="planner-day[^"]*"[^>]*data-date="([0-9-]+)"', page)
    assert days == [(MONDAY + dt.timedelta(days=n)).isoformat() for n in range(7)]
    assert len(_rows(page, bob)) == 7
    assert "Working" not in _rows(page, bob)[5]  # Saturday off
    prev_url = html.unescape(re.search(r'href="([^"]*)" rel="prev"', page).group(1))
    next_url = html.unescape(re.search(r'href="([^"]*)" rel="next"', page).group(1))
    assert parse_qs(urlsplit(next_url).query)["date"] == [
        (MONDAY + dt.timedelta(days=7)).isoformat()
    ]
    assert parse_qs(urlsplit(prev_url).query)["date"] == [
        (MONDAY - dt.timedelta(days=7)).isoformat()
    ]
    assert parse_qs(urlsplit(next_url).query)["users"] == [str(alice.pk), str(bob.pk)]
    assert parse_qs(urlsplit(next_url).query)["view"] == ["week"]
    # Day view steps one day.
    page = _get(client, alice, users=[alice.pk], date=wednesday.isoformat()).content.decode()
    next_url = html.unescape(re.search(r'href="([^"]*)" rel="next"', page).group(1))
    assert parse_qs(urlsplit(next_url).query)["date"] == [
        (wednesday + dt.timedelta(days=1)).isoformat()
    ]


def _find(client, user, people, **extra):
    params = {
        "users": [p.pk for p in people],
        "date": MONDAY.isoformat(),
        "view": "day",
        "duration": 60,
        "from": MONDAY.isoformat(),
        "to": (MONDAY + dt.timedelta(days=6)).isoformat(),
        "find": "1",
    }
    params.update(extra)
    return _get(client, user, **params)


def first_of_each_day(viewer, people) -> list[tuple[dt.datetime, dt.datetime]]:
    """The oracle: every common time of the week (the plain search, checked against the
    known tables in test_search), the first of each of the viewer's days kept."""
    start = local(MONDAY, "00:00")
    every = find_common_slots(
        viewer, people, duration_minutes=60, start=start, end=start + dt.timedelta(days=7),
        limit=50, now=start - dt.timedelta(days=1000),
    )  # fmt: skip
    firsts: dict[dt.date, tuple[dt.datetime, dt.datetime]] = {}
    for slot in every:
        firsts.setdefault(slot.start.astimezone(start.tzinfo).date(), (slot.start, slot.end))
    return list(firsts.values())


def _slot_links(page: str) -> list[str]:
    section = page.split('class="card planner-slots"')[1].split("</section>")[0]
    section = section.split('<ol class="slots">')[1].split("</ol>")[0] if "<ol" in section else ""
    return [html.unescape(h) for h in re.findall(r'<a href="([^"]+)"', section)]


def test_find_a_time_lists_the_first_common_slots_as_prefill_links(client, alice, bob, carol):
    known_week(alice, bob, carol, MONDAY)
    response = _find(client, alice, [alice, bob, carol])
    assert response.status_code == 200
    page = response.content.decode()
    links = _slot_links(page)
    # The page offers the first common time of each day (not ten half hours of two days).
    expected = first_of_each_day(alice, [alice, bob, carol])
    assert len(links) == len(expected) == 5
    assert expected[:4] == [berlin_slots(MONDAY, FIRST_TEN_HOUR_SLOTS, 60)[i] for i in (0, 2, 5, 9)]
    for link, (start, end) in zip(links, expected, strict=True):
        parts = urlsplit(link)
        assert parts.path == "/calendar/events/new/"
        query = parse_qs(parts.query, strict_parsing=True)
        assert set(query) == {"start", "end", "attendees"}
        # ISO 8601 in my zone, with its offset; "+" is URL-encoded so it survives.
        assert query["start"] == [start.astimezone(local(MONDAY, "00:00").tzinfo).isoformat()]
        assert query["start"][0].endswith("+02:00")
        assert dt.datetime.fromisoformat(query["end"][0]) == end
        assert query["attendees"] == [f"{bob.pk},{carol.pk}"]  # I organize; not an attendee
        assert "%2B02%3A00" in link.split("?")[1] or "%2B02:00" in link.split("?")[1]
    first = links[0]
    assert f"Mon {MONDAY.day} {MONDAY.strftime('%b')} {MONDAY.year}, 14:30–15:30" in page
    raw_query = re.search(r'<a href="/calendar/events/new/\?([^"]+)"', page).group(1)
    assert "+" not in raw_query  # an unencoded "+" would be read as a space
    assert first.startswith("/calendar/events/new/?start=")
    # The grid is still there below the results.
    assert _rows(page, carol)


def test_find_a_time_without_anyone_free(client, alice, bob):
    bob.working_hours = {"sat": [["09:00", "17:00"]]}
    bob.save()
    response = _find(client, alice, [alice, bob])
    assert response.status_code == 200
    assert "No time in this range when everyone is free and working." in response.content.decode()


def _days(page: str) -> list[str]:
    return re.findall(r'<section class="planner-day[^"]*"[^>]*data-date="([0-9-]+)"', page)


def _found(page: str) -> list[tuple[str, str, str]]:
    """(day, start, link) of every time drawn on the timeline's "Free for everyone" rows."""
    out = []
    for day, body in re.findall(r'data-date="([0-9-]+)">(.*?)</section>', page, re.S):
        for start, link in re.findall(
            r'<li class="found"[^>]*data-start="([0-9:]+)"[^>]*><a href="([^"]+)"', body
        ):
            out.append((day, start, html.unescape(link)))
    return out


def _date_field(page: str) -> str:
    return re.search(r'<input type="date" name="date" value="([0-9-]*)"', page).group(1)


def test_find_moves_the_timeline_to_the_day_of_the_first_time(client, alice, bob, carol):
    """ "Date" still holds today (the first view's default); the search starts on a
    Saturday nobody works: the timeline shows the Monday of the first time found."""
    known_week(alice, bob, carol, MONDAY)
    saturday = MONDAY - dt.timedelta(days=2)
    today = today_of(alice).isoformat()
    response = _find(client, alice, [alice, bob, carol], date=today, **{"from": saturday})
    assert response.status_code == 200
    page = response.content.decode()
    assert _days(page) == [MONDAY.isoformat()]
    assert _date_field(page) == MONDAY.isoformat()  # the form says which day is shown
    # Monday's two times are on the grid, linking where the list's first two link.
    links = _slot_links(page)
    assert _found(page) == [(MONDAY.isoformat(), "14:30", links[0])]  # one a day
    assert "outlined in green" in page
    spans = re.findall(r'<div class="planner-spans"[^>]*>(.*?)</div>', page)
    assert spans == ['<span style="--start: 870; --end: 930"></span>']  # 14:30-15:30


def test_find_in_the_week_view_shows_the_week_of_the_first_time(client, alice, bob, carol):
    known_week(alice, bob, carol, MONDAY)
    before = (MONDAY - dt.timedelta(days=30)).isoformat()
    page = _find(client, alice, [alice, bob, carol], view="week", date=before).content.decode()
    assert _days(page) == [(MONDAY + dt.timedelta(days=n)).isoformat() for n in range(7)]
    found = _found(page)
    assert [link for _, _, link in found] == _slot_links(page)  # all of them, in order
    assert [day for day, _, _ in found] == [
        (MONDAY + dt.timedelta(days=n)).isoformat() for n in range(5)
    ]  # one a day, Monday to Friday


def test_find_with_nothing_found_shows_the_first_day_searched(client, alice, bob):
    bob.working_hours = {"sat": [["09:00", "17:00"]]}
    bob.save()
    tuesday = MONDAY + dt.timedelta(days=1)
    page = _find(client, alice, [alice, bob], **{"from": tuesday}).content.decode()
    assert "No time in this range" in page
    assert _days(page) == [tuesday.isoformat()]
    assert _found(page) == [] and "planner-spans" not in page


def test_a_refused_search_leaves_the_timeline_where_it_was(client, alice, bob):
    wednesday = MONDAY + dt.timedelta(days=2)
    response = _find(client, alice, [alice, bob], date=wednesday, duration=4)
    assert response.status_code == 400
    page = response.content.decode()
    assert _days(page) == [wednesday.isoformat()]
    assert _date_field(page) == wednesday.isoformat()


def test_the_arrows_keep_the_results_and_go_from_the_day_shown(client, alice, bob, carol):
    known_week(alice, bob, carol, MONDAY)
    page = _find(client, alice, [alice, bob, carol], date=today_of(alice)).content.decode()
    links = _slot_links(page)
    next_url = html.unescape(re.search(r'href="([^"]*)" rel="next"', page).group(1))
    query = parse_qs(urlsplit(next_url).query)
    assert query["date"] == [(MONDAY + dt.timedelta(days=1)).isoformat()]
    assert "find" not in query and query["results"] == ["1"]
    client.force_login(alice)
    page = client.get(URL + next_url).content.decode()
    tuesday = (MONDAY + dt.timedelta(days=1)).isoformat()
    assert _days(page) == [tuesday]  # where I went, not back to the first time
    assert _slot_links(page) == links  # the same results
    assert [start for _, start, _ in _found(page)] == ["14:00"]
    # Away from the first time's day, a link leads back to it.
    back = re.search(r'<a href="([^"]+)" class="first-slot-day">([^<]+)</a>', page)
    assert html.unescape(back.group(2)).startswith(f"Show {MONDAY.strftime('%A')}, {MONDAY.day}")
    back_query = parse_qs(urlsplit(html.unescape(back.group(1))).query)
    assert back_query["date"] == [MONDAY.isoformat()] and back_query["results"] == ["1"]
    assert "outlined in green" not in page


def _press(client, page: str, button: str, **changes) -> str:
    """What a browser sends when ``button`` of the page's form is pressed, after ``changes``
    to its fields: every named input (checked boxes only), then that button's name."""
    form = re.search(r'<form method="get"[^>]*>(.*?)</form>', page, re.S).group(1)
    fields: list[tuple[str, str]] = []
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag).group(1)
        value = re.search(r'value="([^"]*)"', tag)
        if re.search(r'type="(checkbox|radio)"', tag) and " checked" not in tag:
            continue
        fields.append((name, html.unescape(value.group(1)) if value else ""))
    fields = [(k, v) for k, v in fields if k not in changes] + list(changes.items())
    assert re.search(rf'<button type="submit" name="{button}" value="1"', form)
    fields.append((button, "1"))
    return client.get(URL + "?" + urlencode(fields)).content.decode()


def test_show_keeps_the_search_fields_and_the_results(client, alice, bob, carol):
    known_week(alice, bob, carol, MONDAY)
    page = _find(client, alice, [alice, bob, carol], to=(MONDAY + dt.timedelta(days=4))).content
    page = page.decode()
    links = _slot_links(page)
    wednesday = MONDAY + dt.timedelta(days=2)
    page = _press(client, page, "show", date=wednesday.isoformat())
    assert _days(page) == [wednesday.isoformat()]  # the day I asked for
    assert _slot_links(page) == links  # the results are still there
    assert [start for _, start, _ in _found(page)] == ["14:00"]
    assert 'name="duration" value="60"' in page
    assert f'name="from" value="{MONDAY.isoformat()}"' in page
    assert f'name="to" value="{(MONDAY + dt.timedelta(days=4)).isoformat()}"' in page
    # Changing a search field and pressing "Show" lists what the fields now say.
    page = _press(client, page, "show", duration="120")
    assert _days(page) == [wednesday.isoformat()]
    assert "meet for 120 minutes" in page and _slot_links(page) != links
    # "Find a time" again jumps to the first time found.
    page = _press(client, page, "find", duration="60")
    assert _days(page) == [MONDAY.isoformat()] and _slot_links(page) == links


def test_without_a_search_the_range_follows_the_day_shown(client, alice):
    wednesday = MONDAY + dt.timedelta(days=2)
    page = _get(
        client, alice, users=[alice.pk], date=wednesday, **{"from": MONDAY - dt.timedelta(days=30)}
    )
    page = page.content.decode()
    assert f'name="from" value="{wednesday.isoformat()}"' in page
    assert f'name="to" value="{(wednesday + dt.timedelta(days=6)).isoformat()}"' in page
    # The week view: from its Monday.
    page = _get(client, alice, users=[alice.pk], date=wednesday, view="week").content.decode()
    assert f'name="from" value="{MONDAY.isoformat()}"' in page


def test_show_without_a_search_lists_no_results(client, alice):
    page = _get(client, alice).content.decode()
    assert 'name="results"' not in page
    page = _press(client, page, "show", date=MONDAY.isoformat())
    assert _days(page) == [MONDAY.isoformat()]
    assert 'class="card planner-slots"' not in page and 'name="results"' not in page
    assert 'name="duration" value="30"' in page  # the defaults stay filled in


def test_a_range_in_the_past_says_so(client, alice, bob):
    """Slots never start before now: a range that is over gets that reason, not "no time"."""
    long_ago = today_of(alice) - dt.timedelta(days=400)
    response = _find(client, alice, [alice, bob], **{"from": long_ago, "to": long_ago})
    assert response.status_code == 200  # an answer, not an error
    page = response.content.decode()
    assert "These days are in the past: times are never offered before now." in page
    assert "No time" not in page and _slot_links(page) == []
    assert _days(page) == [long_ago.isoformat()]  # the days searched, as asked


def test_a_range_that_began_before_today(client, alice, bob):
    today = today_of(alice)
    last_week = today - dt.timedelta(days=7)
    # Alice alone works every weekday: times are found, and the days skipped are named.
    page = _find(
        client, alice, [alice], **{"from": last_week, "to": today + dt.timedelta(days=9)}
    ).content.decode()
    assert _slot_links(page)
    assert "Days before today were not searched" in page
    first = dt.datetime.fromisoformat(re.search(r'data-start="([^"]+)"', page).group(1))
    assert first.date() >= today
    # Nobody shares a working day with Bob: nothing found "from now", and the timeline
    # shows today, where the search began.
    bob.working_hours = {"sat": [["09:00", "17:00"]]}
    bob.save()
    page = _find(
        client, alice, [alice, bob], **{"from": last_week, "to": today + dt.timedelta(days=1)}
    ).content.decode()
    assert "No time from now to the end of this range" in page
    assert "in the past" not in page
    # (today in Berlin: the server's date can differ from the test machine's near midnight)
    assert _days(page)[0] in {today.isoformat(), (today + dt.timedelta(days=1)).isoformat()}
    # A range from today says nothing about skipped days.
    page = _find(client, alice, [alice], **{"from": today, "to": today + dt.timedelta(days=9)})
    assert "Days before today" not in page.content.decode()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"duration": 4}, "duration", "greater than or equal to 5"),
        ({"duration": 1441}, "duration", "less than or equal to 1440"),
        ({"duration": ""}, "duration", "This field is required."),
        ({"to": "1999-01-01", "from": "1999-01-02"}, "to", "must not be before"),
        ({"to": "2999-12-31"}, "to", "at most 31 days"),
        ({"from": "nonsense"}, "from", "Enter a valid date."),
        ({"users": []}, "users", "Choose at least one person."),
    ],
)
def test_find_a_time_errors_name_the_field(client, alice, bob, changes, field, message):
    response = _find(client, alice, [alice, bob], **changes)
    assert response.status_code == 400
    page = response.content.decode()
    error = re.search(rf'id="id_{field}_error">(.*?)</ul>', page, re.S)
    assert error, f"no error shown for {field}"
    assert message in html.unescape(error.group(1))
    assert 'class="card planner-slots"' not in page


def test_31_days_are_allowed(client, alice, bob):
    response = _find(client, alice, [alice, bob], to=(MONDAY + dt.timedelta(days=30)).isoformat())
    assert response.status_code == 200
    assert len(_slot_links(response.content.decode())) == 10


def test_a_day_out_of_range_is_refused(client, alice):
    response = _get(client, alice, users=[alice.pk], date="0001-01-01")
    assert response.status_code == 400
    assert "Choose a date from 1900 to 2999." in response.content.decode()


def test_only_get(client, alice):
    client.force_login(alice)
    assert client.post(URL, {"users": [alice.pk]}).status_code == 405
