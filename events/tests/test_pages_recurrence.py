"""Recurring events on the employee pages: the repeat control, the week view, occurrence
pages (detail, edit, cancel, answer), and the new-event prefill. Happy and hostile."""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.timezone import now
from hypothesis import given, settings
from hypothesis import strategies as st

from events.cancelling import event_cancel
from events.forms import EventForm
from events.models import Attendee, Event
from events.repeat import DAY_CODES, RepeatChoice, build_rule, read_rule
from events.series_overview import UPCOMING, series_overview
from events.services import event_create, event_update
from events.tests.pages_helpers import parse_week
from scheduling.recurrence import Series, parse_rule

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
UTC = dt.UTC

FORM = {
    "title": "Team sync",
    "start_date": "2026-05-04",  # a Monday
    "start_time": "09:00",
    "end_date": "2026-05-04",
    "end_time": "10:00",
    "timezone": "Europe/Berlin",
    "transparency": "busy",
    "notify_on_decision": "on",
}
#: 2026-05-04 09:00 Berlin (CEST) as the pages' ?occurrence= value.
FIRST = "2026-05-04T07:00:00Z"


def berlin(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def weekly(owner, *, title="Team sync", rule="FREQ=WEEKLY;BYDAY=MO", **extra) -> Event:
    return event_create(
        owner,
        title=title,
        start=berlin(2026, 5, 4, 9),
        end=berlin(2026, 5, 4, 10),
        recurrence=rule,
        **extra,
    )


def occ(when: dt.datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def week_titles(client, user, monday: str) -> list[tuple[str, str, str]]:
    client.force_login(user)
    response = client.get(reverse("events:week_of", args=[monday]))
    assert response.status_code == 200
    placed, _all_day = parse_week(response.content.decode())
    return [(p.day, p.title, p.href) for p in placed]


def field_error(html: str, field: str) -> str:
    marker = f'id="id_{field}_error">'
    assert marker in html, f"no error shown for {field}"
    return unescape(html.split(marker, 1)[1].split("</ul>", 1)[0])


def detail_url(event: Event, when: str | None = None) -> str:
    url = reverse("events:detail", args=[event.pk])
    return f"{url}?occurrence={when}" if when else url


# ------------------------------------------------------------------ the control, no pages

MONDAY = berlin(2026, 5, 4, 9)  # first Monday of May
LAST_FRIDAY = berlin(2026, 5, 29, 9)  # last Friday of May


@pytest.mark.parametrize(
    ("choice", "start", "rule"),
    [
        (RepeatChoice.make("DAILY"), MONDAY, "FREQ=DAILY"),
        (RepeatChoice.make("WEEKLY"), MONDAY, "FREQ=WEEKLY;BYDAY=MO"),
        (
            RepeatChoice.make("WEEKLY", interval=2, weekdays=["WE", "MO"]),
            MONDAY,
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE",
        ),
        (RepeatChoice.make("MONTHLY", monthly="day"), MONDAY, "FREQ=MONTHLY;BYMONTHDAY=4"),
        (RepeatChoice.make("MONTHLY", monthly="weekday"), MONDAY, "FREQ=MONTHLY;BYDAY=1MO"),
        (RepeatChoice.make("MONTHLY", monthly="last"), LAST_FRIDAY, "FREQ=MONTHLY;BYDAY=-1FR"),
        (RepeatChoice.make("YEARLY", ends="count", count=5), MONDAY, "FREQ=YEARLY;COUNT=5"),
        # Until the end of 30 June in Berlin (CEST): 21:59:59 UTC, as RFC 5545 wants.
        (
            RepeatChoice.make("DAILY", ends="until", until=dt.date(2026, 6, 30)),
            MONDAY,
            "FREQ=DAILY;UNTIL=20260630T215959Z",
        ),
    ],
)
def test_the_control_builds_canonical_rules(choice, start, rule):
    built = build_rule(choice, start, all_day=False)
    assert str(built) == rule
    # The start is the rule's first occurrence, as the services require.
    Series(built, start.astimezone(UTC), dt.timedelta(hours=1), BERLIN).check()


def test_an_all_day_series_ends_on_a_date():
    choice = RepeatChoice.make("WEEKLY", ends="until", until=dt.date(2026, 6, 29))
    assert str(build_rule(choice, berlin(2026, 5, 4), all_day=True)) == (
        "FREQ=WEEKLY;UNTIL=20260629;BYDAY=MO"
    )


def test_does_not_repeat_builds_no_rule():
    assert build_rule(RepeatChoice.make(""), MONDAY, all_day=False) is None


@pytest.mark.parametrize(
    ("choice", "field", "reason"),
    [
        (RepeatChoice.make("WEEKLY", weekdays=["TU", "TH"]), "repeat_weekdays", "Tick Monday"),
        (RepeatChoice.make("MONTHLY", monthly="last"), "repeat_monthly", "not the last Monday"),
        (
            RepeatChoice.make("DAILY", ends="until", until=dt.date(2026, 5, 3)),
            "repeat_until",
            "cannot end before",
        ),
    ],
)
def test_a_choice_that_does_not_fit_the_start_names_its_field(choice, field, reason):
    with pytest.raises(ValidationError) as caught:
        build_rule(choice, MONDAY, all_day=False)
    assert reason in caught.value.message_dict[field][0]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("FREQ=WEEKLY", RepeatChoice.make("WEEKLY", weekdays=["MO"])),
        ("FREQ=WEEKLY;BYDAY=MO,FR;WKST=MO", RepeatChoice.make("WEEKLY", weekdays=["MO", "FR"])),
        ("FREQ=MONTHLY", RepeatChoice.make("MONTHLY", monthly="day")),
        ("FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=4", RepeatChoice.make("YEARLY")),
        (
            "FREQ=DAILY;UNTIL=20260630",
            RepeatChoice.make("DAILY", ends="until", until=dt.date(2026, 6, 30)),
        ),
        # What "this and following" leaves behind: a second before the 1 June occurrence.
        # Its last occurrence is on 25 May; built back it keeps the same occurrences.
        (
            "FREQ=WEEKLY;UNTIL=20260601T065959Z;BYDAY=MO",
            RepeatChoice.make("WEEKLY", weekdays=["MO"], ends="until", until=dt.date(2026, 5, 31)),
        ),
    ],
)
def test_stored_rules_are_read_back_into_the_control(rule, expected):
    assert read_rule(parse_rule(rule), MONDAY, all_day=False) == expected


def test_a_cut_series_keeps_its_occurrences_when_saved_back():
    cut = parse_rule("FREQ=WEEKLY;UNTIL=20260601T065959Z;BYDAY=MO")
    rebuilt = build_rule(read_rule(cut, MONDAY, all_day=False), MONDAY, all_day=False)
    window = (berlin(2026, 4, 1), berlin(2026, 9, 1))
    before = Series(cut, MONDAY, dt.timedelta(hours=1), BERLIN).occurrences(*window)
    after = Series(rebuilt, MONDAY, dt.timedelta(hours=1), BERLIN).occurrences(*window)
    assert before == after and len(after) == 4


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=MONTHLY;BYMONTHDAY=4,18",
        "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1",
        "FREQ=YEARLY;BYMONTH=5,11",
        "FREQ=WEEKLY;BYDAY=MO,TU;WKST=SU",
        "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
        "FREQ=MONTHLY;BYDAY=-2MO",
    ],
)
def test_rules_the_control_cannot_show_are_left_alone(rule):
    assert read_rule(parse_rule(rule), MONDAY, all_day=False) is None


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)),
    hour=st.integers(0, 23),
    freq=st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]),
    interval=st.integers(1, 999),
    extra_days=st.sets(st.sampled_from(DAY_CODES)),
    monthly=st.sampled_from(["day", "weekday", "last"]),
    ends=st.sampled_from(["never", "until", "count"]),
    length=st.integers(0, 4000),
    count=st.integers(1, 1000),
    all_day=st.booleans(),
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"]),
)
def test_every_rule_the_control_builds_reads_back_the_same(
    day, hour, freq, interval, extra_days, monthly, ends, length, count, all_day, zone
):
    tz = zoneinfo.ZoneInfo(zone)
    start = dt.datetime.combine(day, dt.time(0 if all_day else hour), tzinfo=tz)
    if monthly == "last" and (day + dt.timedelta(days=7)).month == day.month:
        monthly = "day"
    choice = RepeatChoice.make(
        freq,
        interval=interval,
        weekdays=extra_days | {DAY_CODES[day.weekday()]},
        monthly=monthly,
        ends=ends,
        until=day + dt.timedelta(days=length),
        count=count,
    )
    rule = build_rule(choice, start, all_day)
    assert read_rule(parse_rule(str(rule)), start, all_day) == choice
    Series(rule, start.astimezone(UTC), dt.timedelta(hours=1), tz, all_day).check()


# ------------------------------------------------------------------ create through the form

#: The page tests need the database; the control tests above do not.
needs_db = pytest.mark.django_db


@needs_db
def test_the_form_offers_the_repeat_control_with_the_start_weekday_ticked(client, owner):
    client.force_login(owner)
    html = client.get(reverse("events:create") + "?date=2026-05-06").content.decode()
    assert '<label for="id_repeat"' in html
    assert '<option value="" selected>Does not repeat</option>' in html
    for label in ("Every", "Repeat until", "Number of occurrences"):
        assert f">{label}</label>" in html, label
    # 6 May 2026 is a Wednesday: its box is ticked, the others are not.
    assert re.search(r'value="WE"[^>]*checked', html)
    assert not re.search(r'value="MO"[^>]*checked', html)
    assert "On day 6" in html and "On the first Wednesday" in html


@needs_db
def test_create_a_weekly_series_and_see_it_months_ahead(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("events:create"),
        {**FORM, "repeat": "WEEKLY", "repeat_interval": "1", "repeat_ends": "never"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get()
    assert event.recurrence == "FREQ=WEEKLY;BYDAY=MO"
    assert event.start == dt.datetime(2026, 5, 4, 7, tzinfo=UTC)
    # Three months later, still 09:00 Berlin, linked to that occurrence.
    assert week_titles(client, owner, "2026-08-03") == [
        (
            "2026-08-03",
            "Team sync",
            f"/calendar/events/{event.pk}/?occurrence=2026-08-03T07:00:00Z",
        )
    ]
    # After the clocks go back it is 09:00 local still (08:00 UTC).
    assert week_titles(client, owner, "2026-11-02")[0][2].endswith("2026-11-02T08:00:00Z")
    html = client.get(reverse("events:week_of", args=["2026-08-03"])).content.decode()
    assert 'title="Recurring: Every week on Monday"' in html
    assert '<span class="repeat-mark" aria-hidden="true">↻</span>' in html
    # Before the first occurrence there is nothing.
    assert week_titles(client, owner, "2026-04-27") == []


@needs_db
def test_an_untouched_default_weekday_follows_the_start_date_without_javascript(client, owner):
    # Opened on a Saturday, the Saturday box was ticked by default; the start was then
    # moved to Monday and the boxes left alone: the series is on Mondays.
    client.force_login(owner)
    post = {**FORM, "repeat": "WEEKLY", "repeat_weekdays": ["SA"], "initial-repeat_weekdays": "SA"}
    assert client.post(reverse("events:create"), post).status_code == 302
    assert Event.objects.get().recurrence == "FREQ=WEEKLY;BYDAY=MO"
    # Boxes the user did change are taken as they are (and Monday must be one).
    post["repeat_weekdays"] = ["SA", "TU"]
    response = client.post(reverse("events:create"), post)
    assert response.status_code == 400
    assert "Tick Monday" in field_error(response.content.decode(), "repeat_weekdays")


@needs_db
def test_create_monthly_on_the_nth_weekday_with_an_end(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("events:create"),
        {
            **FORM,
            "repeat": "MONTHLY",
            "repeat_interval": "2",
            "repeat_monthly": "weekday",
            "repeat_ends": "count",
            "repeat_count": "3",
        },
    )
    assert response.status_code == 302
    event = Event.objects.get()
    assert event.recurrence == "FREQ=MONTHLY;INTERVAL=2;COUNT=3;BYDAY=1MO"
    assert [d for d, _t, _h in week_titles(client, owner, "2026-07-06")] == ["2026-07-06"]
    assert [d for d, _t, _h in week_titles(client, owner, "2026-09-07")] == ["2026-09-07"]
    assert week_titles(client, owner, "2026-11-02") == []  # COUNT=3: May, July, September


@needs_db
@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"repeat": "WEEKLY", "repeat_weekdays": ["TU"]}, "repeat_weekdays", "Tick Monday"),
        ({"repeat": "DAILY", "repeat_ends": "until"}, "repeat_until", "last day"),
        ({"repeat": "DAILY", "repeat_ends": "count"}, "repeat_count", "how many"),
        ({"repeat": "DAILY", "repeat_interval": "1000"}, "repeat_interval", "999"),
        ({"repeat": "DAILY", "repeat_ends": "count", "repeat_count": "0"}, "repeat_count", "1"),
        ({"repeat": "HOURLY"}, "repeat", "valid choice"),
        ({"repeat": "keep"}, "repeat", "valid choice"),
        (
            {"repeat": "MONTHLY", "repeat_monthly": "last"},
            "repeat_monthly",
            "not the last Monday",
        ),
    ],
)
def test_a_bad_repeat_choice_is_shown_on_the_control_and_creates_nothing(
    client, owner, changes, field, reason
):
    client.force_login(owner)
    response = client.post(reverse("events:create"), {**FORM, **changes})
    assert response.status_code == 400
    assert reason in field_error(response.content.decode(), field)
    assert not Event.objects.exists()


# ------------------------------------------------------------------ edit the whole series


@needs_db
def test_editing_a_series_shows_the_control_filled_from_the_rule(client, owner):
    event = weekly(owner, rule="FREQ=WEEKLY;INTERVAL=2;COUNT=6;BYDAY=MO,TH")
    client.force_login(owner)
    html = client.get(reverse("events:edit", args=[event.pk])).content.decode()
    assert '<option value="WEEKLY" selected>Weekly</option>' in html
    assert re.search(r'name="repeat_interval" value="2"', html)
    assert re.search(r'value="MO"[^>]*checked', html) and re.search(r'value="TH"[^>]*checked', html)
    assert not re.search(r'value="FR"[^>]*checked', html)
    assert re.search(r'value="count"[^>]*checked', html)
    assert re.search(r'name="repeat_count" value="6"', html)


@needs_db
def test_saving_a_series_without_touching_the_control_keeps_the_rule_text(client, owner):
    # A rule cut by "this and following" is not what the control would write, yet reads
    # back into it; saved untouched it stays exactly as stored.
    rule = "FREQ=WEEKLY;UNTIL=20260601T065959Z;BYDAY=MO"
    event = weekly(owner, rule=rule)
    client.force_login(owner)
    initial = client.get(reverse("events:edit", args=[event.pk])).context["form"].initial
    assert initial["repeat_ends"] == "until" and initial["repeat_until"] == dt.date(2026, 5, 31)
    post = {**FORM, "title": "Renamed", "repeat": "WEEKLY", "repeat_weekdays": ["MO"]}
    post.update(repeat_interval="1", repeat_ends="until", repeat_until="2026-05-31")
    response = client.post(reverse("events:edit", args=[event.pk]), post)
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.title == "Renamed" and event.recurrence == rule


@needs_db
def test_changing_the_control_changes_the_rule(client, owner):
    event = weekly(owner)
    client.force_login(owner)
    post = {**FORM, "repeat": "WEEKLY", "repeat_weekdays": ["MO", "WE"], "repeat_interval": "1"}
    post.update(repeat_ends="count", repeat_count="4")
    assert client.post(reverse("events:edit", args=[event.pk]), post).status_code == 302
    event.refresh_from_db()
    assert event.recurrence == "FREQ=WEEKLY;COUNT=4;BYDAY=MO,WE"
    # "Does not repeat" turns the series into a single event.
    post = {**FORM, "repeat": ""}
    assert client.post(reverse("events:edit", args=[event.pk]), post).status_code == 302
    event.refresh_from_db()
    assert event.recurrence is None
    assert week_titles(client, owner, "2026-05-11") == []


@needs_db
def test_a_rule_the_control_cannot_show_is_kept_as_is(client, owner):
    rule = "FREQ=MONTHLY;BYMONTHDAY=4,18"
    event = weekly(owner, rule=rule)  # made through the API, say
    client.force_login(owner)
    html = client.get(reverse("events:edit", args=[event.pk])).content.decode()
    assert '<option value="keep" selected>Keep as is: Every month on day 4,18</option>' in html
    assert rule in html
    response = client.post(
        reverse("events:edit", args=[event.pk]), {**FORM, "title": "Billing", "repeat": "keep"}
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.title, event.recurrence) == ("Billing", rule)
    # Moving the start off the rule: the services' refusal appears on the control.
    response = client.post(
        reverse("events:edit", args=[event.pk]),
        {**FORM, "start_date": "2026-05-05", "end_date": "2026-05-05", "repeat": "keep"},
    )
    assert response.status_code == 400
    assert "not an occurrence of this rule" in field_error(response.content.decode(), "repeat")
    event.refresh_from_db()
    assert event.start == berlin(2026, 5, 4, 9)


# ------------------------------------------------------------------ occurrence pages


@needs_db
def test_an_occurrence_page_says_which_occurrence(client, owner):
    event = weekly(owner)
    client.force_login(owner)
    response = client.get(detail_url(event, "2026-06-01T07:00:00Z"))
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        f'One date of a series: <a href="/calendar/events/{event.pk}/">Every week on Monday</a>'
        in html
    )
    # The date is said once, under "When", with the zone.
    assert html.count("1 June 2026") == 1
    assert re.search(r"<dt>When</dt>\s*<dd>\s*<time[^>]*>Monday, 1 June 2026, 09:00</time>", html)
    assert "10:00</time>\n        (Europe/Berlin)" in html
    query = "?occurrence=2026-06-01T07:00:00Z"
    assert f'href="/calendar/events/{event.pk}/edit/{query}"' in html
    assert f'href="/calendar/events/{event.pk}/cancel/{query}"' in html
    # Any spelling of the same instant names the same occurrence.
    for spelling in ("2026-06-01T09:00:00%2B02:00", "2026-06-01T09:00:00+02:00"):
        again = client.get(f"{detail_url(event)}?occurrence={spelling}")
        assert again.status_code == 200 and "Monday, 1 June 2026" in again.content.decode()
    # The series itself says how it repeats.
    html = client.get(detail_url(event)).content.decode()
    assert "<dt>Repeats</dt><dd>Every week on Monday</dd>" in html


@needs_db
@pytest.mark.parametrize(
    "value",
    [
        "2026-06-01T07:30:00Z",  # not a start of the series
        "2026-04-27T07:00:00Z",  # before the first
        "2026-06-02T07:00:00Z",  # a Tuesday
        "2026-06-01T07:00:00",  # no offset
        "yesterday",
        "",
        "99999-01-01T00:00:00Z",
    ],
)
def test_an_occurrence_the_series_does_not_have_is_404(client, owner, value):
    event = weekly(owner)
    client.force_login(owner)
    for name in ("detail", "edit", "cancel"):
        url = reverse(f"events:{name}", args=[event.pk]) + f"?occurrence={value}"
        assert client.get(url).status_code == 404, (name, value)


@needs_db
def test_a_single_event_has_no_occurrences(client, owner):
    event = event_create(
        owner, title="Once", start=berlin(2026, 5, 4, 9), end=berlin(2026, 5, 4, 10)
    )
    client.force_login(owner)
    assert client.get(detail_url(event, FIRST)).status_code == 404
    assert client.get(detail_url(event)).status_code == 200


@needs_db
def test_a_stranger_or_an_uninvited_colleague_gets_404_for_an_occurrence(
    client, owner, colleague, stranger
):
    event = weekly(owner)
    for user in (stranger, colleague):
        client.force_login(user)
        for name in ("detail", "edit", "cancel"):
            url = reverse(f"events:{name}", args=[event.pk]) + f"?occurrence={FIRST}"
            assert client.get(url).status_code == 404, (user, name)
        url = reverse("events:cancel", args=[event.pk]) + f"?occurrence={FIRST}"
        assert client.post(url, {"scope": "all"}).status_code == 404
        url = reverse("events:respond", args=[event.pk]) + f"?occurrence={FIRST}"
        assert client.post(url, {"status": "accepted"}).status_code == 404
    event.refresh_from_db()
    assert not event.is_cancelled and event.exdates == []


@needs_db
def test_an_invited_colleague_sees_the_occurrence_but_cannot_change_it(client, owner, colleague):
    event = weekly(owner, attendee_ids=[colleague.pk])
    client.force_login(colleague)
    html = client.get(detail_url(event, "2026-06-01T07:00:00Z")).content.decode()
    # Bob is in New York: 03:00–04:00 his time.
    assert "One date of a series:" in html and html.count("1 June 2026") == 1
    assert "Monday, 1 June 2026, 03:00</time>" in html
    assert "/edit/" not in html and "/cancel/" not in html
    for name in ("edit", "cancel"):
        url = reverse(f"events:{name}", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z"
        assert client.get(url).status_code == 403


@needs_db
def test_a_hostile_title_is_escaped_on_occurrence_pages_and_in_the_week(client, owner):
    title = '<img src=x onerror=alert(1)>"><script>steal()</script>'
    event = weekly(owner, title=title)
    client.force_login(owner)
    pages = [
        detail_url(event, "2026-06-01T07:00:00Z"),
        reverse("events:edit", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z",
        reverse("events:cancel", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z",
        reverse("events:week_of", args=["2026-06-01"]),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert "<img src=x" not in html and "<script>steal" not in html, url
        assert "&lt;img src=x onerror=alert(1)&gt;" in html, url


# ------------------------------------------------------------------ edit one / following / all


def edit_post(**changes) -> dict:
    return {**FORM, **changes}


@needs_db
def test_editing_asks_which_occurrences_and_defaults_to_this_one(client, owner):
    event = weekly(owner)
    client.force_login(owner)
    html = client.get(
        reverse("events:edit", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z"
    ).content.decode()
    assert "Monday, 1 June 2026, 09:00–10:00, part of: Every week on Monday" in html
    assert re.search(r'type="radio" name="scope" value="this"[^>]*checked', html)
    assert 'value="following"' in html and 'value="all"' in html
    # The form shows this occurrence's date, and the series' rule for "all".
    assert 'name="start_date" value="2026-06-01"' in html
    assert '<option value="WEEKLY" selected>Weekly</option>' in html


@needs_db
def test_edit_this_occurrence_changes_only_that_week(client, owner):
    event = weekly(owner)
    client.force_login(owner)
    url = reverse("events:edit", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z"
    post = edit_post(
        title="Sync with the board",
        start_date="2026-06-01",
        end_date="2026-06-01",
        scope="this",
        # The repeat fields are ignored for one occurrence, even when nonsense.
        repeat="DAILY",
        repeat_interval="abc",
    )
    response = client.post(url, post)
    assert response.status_code == 302, response.content.decode()[:3000]
    changed = Event.objects.get(series=event)
    assert response["Location"] == f"/calendar/events/{changed.pk}/?occurrence=2026-06-01T07:00:00Z"
    assert week_titles(client, owner, "2026-06-01") == [
        (
            "2026-06-01",
            "Sync with the board",
            f"/calendar/events/{changed.pk}/?occurrence=2026-06-01T07:00:00Z",
        )
    ]
    for monday in ("2026-05-25", "2026-06-08"):
        assert [t for _d, t, _h in week_titles(client, owner, monday)] == ["Team sync"]
    event.refresh_from_db()
    assert event.title == "Team sync" and event.recurrence == "FREQ=WEEKLY;BYDAY=MO"
    # The changed occurrence's page, under either address, says what it is part of.
    for url in (detail_url(changed), detail_url(event, "2026-06-01T07:00:00Z")):
        html = client.get(url).content.decode()
        assert "<h1>Sync with the board</h1>" in html
        assert "One date of a series:" in html
        assert "Monday, 1 June 2026, 09:00</time>" in html and html.count("1 June 2026") == 1
    assert client.get(detail_url(changed, "2026-06-08T07:00:00Z")).status_code == 404


@needs_db
def test_edit_this_occurrence_moves_only_it(client, owner):
    event = weekly(owner)
    client.force_login(owner)
    url = reverse("events:edit", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z"
    post = edit_post(start_date="2026-06-02", end_date="2026-06-02", start_time="14:00")
    post.update(end_time="15:00", scope="this")
    assert client.post(url, post).status_code == 302
    assert [(d, t) for d, t, _h in week_titles(client, owner, "2026-06-01")] == [
        ("2026-06-02", "Team sync")
    ]
    changed = Event.objects.get(series=event)
    assert changed.start == berlin(2026, 6, 2, 14)
    assert changed.recurrence_id == berlin(2026, 6, 1, 9)


@needs_db
def test_an_occurrence_dragged_on_the_grid_opens_its_form_with_the_scope_choice(client, owner):
    """The week grid's drop: the occurrence's edit form with the new times; nothing moves
    until "Save", where "this / following / all" decides."""
    event = weekly(owner)
    client.force_login(owner)
    url = reverse("events:edit", args=[event.pk])
    query = "?occurrence=2026-06-01T07:00:00Z&start=2026-06-02T14:00&end=2026-06-02T15:00"
    response = client.get(url + query)
    initial = response.context["form"].initial
    assert (initial["start_date"], initial["start_time"]) == (dt.date(2026, 6, 2), dt.time(14))
    assert (initial["end_date"], initial["end_time"]) == (dt.date(2026, 6, 2), dt.time(15))
    html = response.content.decode()
    assert 'name="scope"' in html and "The new time is filled in below." in html
    assert not Event.objects.filter(series=event).exists()  # nothing moved yet


@needs_db
def test_edit_this_and_following_splits_the_series(client, owner):
    event = weekly(owner)
    client.force_login(owner)
    url = reverse("events:edit", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z"
    post = edit_post(title="New format", start_date="2026-06-01", end_date="2026-06-01")
    response = client.post(url, {**post, "scope": "following"})
    assert response.status_code == 302
    new = Event.objects.get(split_from=event)
    assert response["Location"] == f"/calendar/events/{new.pk}/"
    assert new.start == berlin(2026, 6, 1, 9) and new.recurrence == "FREQ=WEEKLY;BYDAY=MO"
    assert [t for _d, t, _h in week_titles(client, owner, "2026-05-25")] == ["Team sync"]
    for monday in ("2026-06-01", "2026-09-07"):
        assert [t for _d, t, _h in week_titles(client, owner, monday)] == ["New format"]


@needs_db
def test_edit_all_from_an_occurrence_keeps_the_first_day_and_moves_every_time(client, owner):
    event = weekly(owner)
    client.force_login(owner)
    url = reverse("events:edit", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z"
    post = edit_post(
        title="Later sync",
        start_date="2026-06-01",
        end_date="2026-06-01",
        start_time="10:00",
        end_time="11:30",
        scope="all",
        repeat="WEEKLY",
        repeat_weekdays=["MO"],
        repeat_interval="1",
        repeat_ends="never",
    )
    response = client.post(url, post)
    assert response.status_code == 302, response.content.decode()[:3000]
    event.refresh_from_db()
    assert (event.start, event.end) == (berlin(2026, 5, 4, 10), berlin(2026, 5, 4, 11, 30))
    assert event.title == "Later sync" and event.recurrence == "FREQ=WEEKLY;BYDAY=MO"
    client.force_login(owner)
    html = client.get(reverse("events:week_of", args=["2026-11-02"])).content.decode()
    placed, _ = parse_week(html)
    assert [(p.day, p.time) for p in placed] == [("2026-11-02", "10:00–11:30")]


@needs_db
def test_edit_all_from_an_occurrence_can_change_the_rule(client, owner):
    event = weekly(owner)
    client.force_login(owner)
    url = reverse("events:edit", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z"
    post = edit_post(start_date="2026-06-01", end_date="2026-06-01", scope="all", repeat="DAILY")
    post.update(repeat_interval="1", repeat_ends="count", repeat_count="3")
    assert client.post(url, post).status_code == 302
    event.refresh_from_db()
    assert event.recurrence == "FREQ=DAILY;COUNT=3" and event.start == berlin(2026, 5, 4, 9)


@needs_db
def test_an_unknown_scope_is_refused_and_changes_nothing(client, owner):
    event = weekly(owner)
    client.force_login(owner)
    url = reverse("events:edit", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z"
    post = edit_post(title="X", start_date="2026-06-01", end_date="2026-06-01", scope="everything")
    assert client.post(url, post).status_code == 400
    url = reverse("events:cancel", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z"
    assert client.post(url, {"scope": "everything"}).status_code == 400
    event.refresh_from_db()
    assert event.title == "Team sync" and event.exdates == [] and not event.is_cancelled
    assert not Event.objects.filter(series=event).exists()


# ------------------------------------------------------------------ cancel


@needs_db
def test_cancel_asks_which_occurrences(client, owner):
    event = weekly(owner)
    client.force_login(owner)
    url = reverse("events:cancel", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z"
    html = client.get(url).content.decode()
    assert "Monday, 1 June 2026, 09:00–10:00, part of: Every week on Monday" in html
    assert re.search(r'type="radio" name="scope" value="this"[^>]*checked', html)
    assert f'action="{url}"' in html


@needs_db
def test_cancel_this_occurrence_only(client, owner):
    event = weekly(owner)
    client.force_login(owner)
    url = reverse("events:cancel", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z"
    response = client.post(url, {"scope": "this"})
    assert response.status_code == 302
    assert response["Location"] == "/calendar/week/2026-06-01/"
    assert week_titles(client, owner, "2026-06-01") == []
    for monday in ("2026-05-25", "2026-06-08"):
        assert [t for _d, t, _h in week_titles(client, owner, monday)] == ["Team sync"]
    # The cancelled date is no occurrence any more: its page says so (410 Gone).
    assert client.get(detail_url(event, "2026-06-01T07:00:00Z")).status_code == 410


@needs_db
def test_cancel_this_and_following(client, owner):
    event = weekly(owner)
    client.force_login(owner)
    url = reverse("events:cancel", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z"
    assert client.post(url, {"scope": "following"}).status_code == 302
    assert [t for _d, t, _h in week_titles(client, owner, "2026-05-25")] == ["Team sync"]
    for monday in ("2026-06-01", "2026-06-08", "2026-09-07"):
        assert week_titles(client, owner, monday) == []
    event.refresh_from_db()
    assert not event.is_cancelled


@needs_db
def test_cancel_all_from_an_occurrence(client, owner):
    event = weekly(owner)
    client.force_login(owner)
    url = reverse("events:cancel", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z"
    assert client.post(url, {"scope": "all"}).status_code == 302
    event.refresh_from_db()
    assert event.is_cancelled
    assert week_titles(client, owner, "2026-05-04") == []


@needs_db
def test_cancel_a_changed_occurrence(client, owner):
    event = weekly(owner)
    client.force_login(owner)
    url = reverse("events:edit", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z"
    post = edit_post(title="Moved", start_date="2026-06-01", end_date="2026-06-01", scope="this")
    assert client.post(url, post).status_code == 302
    changed = Event.objects.get(series=event)
    url = reverse("events:cancel", args=[changed.pk])
    assert "Monday, 1 June 2026" in client.get(url).content.decode()
    assert client.post(url, {"scope": "this"}).status_code == 302
    assert week_titles(client, owner, "2026-06-01") == []
    assert [t for _d, t, _h in week_titles(client, owner, "2026-06-08")] == ["Team sync"]


# ------------------------------------------------------------------ a colleague's answer


@needs_db
def test_a_colleague_answers_for_one_occurrence(client, owner, colleague):
    event = weekly(owner, attendee_ids=[colleague.pk])
    client.force_login(colleague)
    html = client.get(detail_url(event, "2026-06-01T07:00:00Z")).content.decode()
    respond = reverse("events:respond", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z"
    assert f'action="{respond}"' in html
    response = client.post(respond, {"status": "declined"})
    assert response.status_code == 302
    assert response["Location"] == detail_url(event, "2026-06-01T07:00:00Z")
    changed = Event.objects.get(series=event)
    assert changed.recurrence_id == berlin(2026, 6, 1, 9)
    assert Attendee.objects.get(event=changed, user=colleague).status == "declined"
    assert Attendee.objects.get(event=event, user=colleague).status == Attendee.Status.NEEDS_ACTION


# ------------------------------------------------------------------ prefill


@needs_db
def test_prefill_from_a_link_in_my_zone_with_my_colleagues(client, owner, colleague, stranger):
    client.force_login(owner)
    query = (
        "?start=2026-05-06T10:00:00-04:00&end=2026-05-06T11:30:00-04:00"
        f"&attendees={colleague.pk},{stranger.pk},{owner.pk},999999,abc,,-1"
    )
    response = client.get(reverse("events:create") + query)
    assert response.status_code == 200
    initial = response.context["form"].initial
    # 10:00 in New York is 16:00 in Berlin, the organizer's zone.
    assert (initial["start_date"], initial["start_time"]) == (
        dt.date(2026, 5, 6),
        dt.time(16, 0),
    )
    assert (initial["end_date"], initial["end_time"]) == (dt.date(2026, 5, 6), dt.time(17, 30))
    assert initial["timezone"] == "Europe/Berlin"
    assert initial["attendee_ids"] == [colleague.pk]
    html = response.content.decode()
    assert 'name="start_time" value="16:00"' in html
    assert re.search(rf'name="attendee_ids" value="{colleague.pk}"[^>]*checked', html)
    assert stranger.email not in html
    # Saving the prefilled form creates exactly that.
    post = {**FORM, "title": "Planned", "start_date": "2026-05-06", "end_date": "2026-05-06"}
    post.update(start_time="16:00", end_time="17:30", attendee_ids=[colleague.pk])
    assert client.post(reverse("events:create"), post).status_code == 302
    event = Event.objects.get()
    assert event.start == dt.datetime(2026, 5, 6, 14, tzinfo=UTC)


@needs_db
def test_prefill_takes_an_unencoded_plus_and_a_missing_end(client, owner):
    client.force_login(owner)
    # "+" not percent-encoded arrives as a space; no end: one hour.
    response = client.get(reverse("events:create") + "?start=2026-05-06T08:00:00+00:00")
    initial = response.context["form"].initial
    assert (initial["start_time"], initial["end_time"]) == (dt.time(10), dt.time(11))


@needs_db
@pytest.mark.parametrize(
    "query",
    [
        "?start=2026-05-06T25:00:00",  # no such hour
        "?start=tomorrow",
        "?start=2026-13-06T10:00:00Z",
        "?start=99999-05-06T10:00:00Z",
        "?start=0001-01-01T00:00:00Z",
        "?end=2026-05-06T10:00:00Z",  # an end alone
        "?attendees=" + ",".join(["1"] * 5000),
    ],
)
def test_a_bad_prefill_is_ignored(client, owner, query):
    client.force_login(owner)
    before = now()
    response = client.get(reverse("events:create") + query)
    assert response.status_code == 200
    initial = response.context["form"].initial
    fields = ("start_date", "start_time", "end_date", "end_time", "timezone")
    # The defaults of a new event (next full hour), as at the request or just after it.
    defaults = [
        {f: d[f] for f in fields}
        for d in (EventForm.initial_for_new(owner, None, moment) for moment in (before, now()))
    ]
    assert {f: initial[f] for f in fields} in defaults
    assert "attendee_ids" not in initial or initial["attendee_ids"] == []


@needs_db
def test_a_prefill_without_an_offset_is_a_wall_time_in_my_zone(client, owner):
    """The week grid's click-to-create sends the wall time pointed at (Berlin here),
    also on the day clocks go forward."""
    client.force_login(owner)
    query = "?start=2026-03-29T10:15&end=2026-03-29T11:45"
    initial = client.get(reverse("events:create") + query).context["form"].initial
    assert (initial["start_date"], initial["start_time"]) == (dt.date(2026, 3, 29), dt.time(10, 15))
    assert (initial["end_date"], initial["end_time"]) == (dt.date(2026, 3, 29), dt.time(11, 45))
    assert initial["timezone"] == "Europe/Berlin"


@needs_db
def test_a_prefill_end_before_the_start_becomes_one_hour(client, owner):
    client.force_login(owner)
    query = "?start=2026-05-06T10:00:00%2B02:00&end=2026-05-06T09:00:00%2B02:00"
    initial = client.get(reverse("events:create") + query).context["form"].initial
    assert (initial["start_time"], initial["end_time"]) == (dt.time(10), dt.time(11))


@needs_db
def test_a_rule_error_on_this_and_following_tops_the_form(client, owner):
    # Moving "this and following" to a Tuesday leaves a Monday rule that no longer fits;
    # the control is not shown for this scope, so the reason is shown above the form.
    event = weekly(owner)
    client.force_login(owner)
    url = reverse("events:edit", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z"
    post = edit_post(start_date="2026-06-02", end_date="2026-06-02", scope="following")
    response = client.post(url, post)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.non_field_errors() and "repeat" not in form.errors
    event.refresh_from_db()
    assert event.recurrence == "FREQ=WEEKLY;BYDAY=MO"
    assert not Event.objects.filter(split_from=event).exists()


@needs_db
def test_an_all_day_series_shows_in_the_all_day_row(client, owner, colleague):
    event = event_create(
        owner,
        title="Office day",
        start=berlin(2026, 5, 6),
        end=berlin(2026, 5, 7),
        all_day=True,
        recurrence="FREQ=WEEKLY;BYDAY=WE",
        attendee_ids=[colleague.pk],
    )
    # Bob in New York sees it on Wednesday too: all-day events are dates.
    for user in (owner, colleague):
        client.force_login(user)
        html = client.get(reverse("events:week_of", args=["2026-09-07"])).content.decode()
        _placed, all_day = parse_week(html)
        assert [len(titles) for titles in all_day.values()] == [0, 0, 1, 0, 0, 0, 0]
        assert "Office day" in all_day["2026-09-09"][0]
        link = f'href="/calendar/events/{event.pk}/?occurrence=2026-09-08T22:00:00Z"'
        assert link in html
    html = client.get(detail_url(event, "2026-09-08T22:00:00Z")).content.decode()
    assert (
        f'One date of a series: <a href="/calendar/events/{event.pk}/">Every week on Wednesday</a>'
    ) in html
    assert "Wednesday, 9 September 2026" in html and html.count("9 September 2026") == 1


# ------------------------------------------------------------------ a cancelled occurrence


def cancel_one(client, owner, event, when: str) -> None:
    client.force_login(owner)
    url = reverse("events:cancel", args=[event.pk]) + f"?occurrence={when}"
    assert client.post(url, {"scope": "this"}).status_code == 302


@needs_db
def test_a_cancelled_occurrence_says_so_with_a_link_to_the_series(client, owner, colleague):
    event = weekly(owner, title="Standup <b>", attendee_ids=[colleague.pk])
    cancel_one(client, owner, event, "2026-06-01T07:00:00Z")
    response = client.get(detail_url(event, "2026-06-01T07:00:00Z"))
    assert response.status_code == 410
    html = response.content.decode()
    assert "This occurrence (Monday, 1 June 2026, 09:00) was cancelled." in html
    assert f'href="{detail_url(event)}"' in html
    assert 'href="/calendar/week/2026-06-01/"' in html
    assert "Standup &lt;b&gt;" in html and "Standup <b>" not in html
    # An invited colleague sees it in New York time.
    client.force_login(colleague)
    response = client.get(detail_url(event, "2026-06-01T07:00:00Z"))
    assert response.status_code == 410
    assert (
        "This occurrence (Monday, 1 June 2026, 03:00) was cancelled." in response.content.decode()
    )
    # The other dates are still there.
    assert client.get(detail_url(event, "2026-06-08T07:00:00Z")).status_code == 200


@needs_db
def test_a_cancelled_all_day_occurrence_names_its_date(client, owner):
    event = event_create(
        owner,
        title="Holiday",
        start=berlin(2026, 5, 4),
        end=berlin(2026, 5, 5),
        all_day=True,
        recurrence="FREQ=WEEKLY;BYDAY=MO",
    )
    cancel_one(client, owner, event, "2026-05-10T22:00:00Z")
    response = client.get(detail_url(event, "2026-05-10T22:00:00Z"))
    assert response.status_code == 410
    assert "This occurrence (Monday, 11 May 2026) was cancelled." in response.content.decode()


@needs_db
def test_edit_cancel_and_answer_of_a_cancelled_occurrence_lead_to_its_page(
    client, owner, colleague
):
    event = weekly(owner, attendee_ids=[colleague.pk])
    cancel_one(client, owner, event, "2026-06-01T07:00:00Z")
    gone = detail_url(event, "2026-06-01T07:00:00Z")
    query = "?occurrence=2026-06-01T07:00:00Z"
    for user in (owner, colleague):
        client.force_login(user)
        for name in ("edit", "cancel"):
            response = client.get(reverse(f"events:{name}", args=[event.pk]) + query)
            assert (response.status_code, response["Location"]) == (302, gone), (user, name)
        response = client.post(reverse("events:cancel", args=[event.pk]) + query, {"scope": "all"})
        assert response["Location"] == gone
        response = client.post(
            reverse("events:respond", args=[event.pk]) + query, {"status": "accepted"}
        )
        assert response["Location"] == gone
    event.refresh_from_db()
    assert not event.is_cancelled
    assert not Event.objects.filter(series=event).exists()


@needs_db
def test_a_cancelled_occurrence_is_a_plain_404_for_anyone_who_cannot_see_the_series(
    client, owner, colleague, stranger
):
    event = weekly(owner)
    cancel_one(client, owner, event, "2026-06-01T07:00:00Z")
    missing = Event.objects.order_by("-pk").first().pk + 1000
    for user in (stranger, colleague):
        client.force_login(user)
        baseline = client.get(reverse("events:detail", args=[missing]) + "?occurrence=x")
        assert baseline.status_code == 404
        for name in ("detail", "edit", "cancel"):
            url = reverse(f"events:{name}", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z"
            response = client.get(url)
            assert response.status_code == 404, (user, name)
            assert response.content == baseline.content
            assert b"was cancelled" not in response.content


@needs_db
def test_a_date_cut_off_by_this_and_following_is_still_a_404(client, owner):
    """Only dates removed one by one are explained; a shortened series just ends."""
    event = weekly(owner)
    client.force_login(owner)
    url = reverse("events:cancel", args=[event.pk]) + "?occurrence=2026-06-01T07:00:00Z"
    assert client.post(url, {"scope": "following"}).status_code == 302
    assert client.get(detail_url(event, "2026-06-08T07:00:00Z")).status_code == 404


# ------------------------------------------------------------------ the series page


def mondays_after(moment: dt.datetime, hour: int = 9) -> list[dt.datetime]:
    """Mondays at ``hour`` Berlin time that start after ``moment``, the next 30 of them."""
    day = moment.astimezone(BERLIN).date()
    day -= dt.timedelta(days=day.weekday())
    out = []
    while len(out) < 30:
        start = berlin(day.year, day.month, day.day, hour)
        if start + dt.timedelta(hours=1) > moment:
            out.append(start)
        day += dt.timedelta(days=7)
    return out


def section(html: str, heading: str) -> list[str]:
    """The items of the list under a heading of the series page, as plain text."""
    assert heading in html, heading
    block = html.split(heading, 1)[1].split("</ul>", 1)[0]
    items = re.findall(r"<li[^>]*>(.*?)</li>", block, re.S)
    return [unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in items]


def long_date(moment: dt.datetime, zone=BERLIN) -> str:
    local = moment.astimezone(zone)
    return f"{local:%A}, {local.day} {local:%B %Y}"


@needs_db
def test_the_series_page_lists_next_changed_and_cancelled_dates(client, owner, colleague):
    event = weekly(owner, attendee_ids=[colleague.pk])
    future = mondays_after(now())
    cancelled_past, cancelled_next = berlin(2026, 6, 1, 9), future[1]
    moved = future[2]
    event_cancel(event, owner, scope="this", occurrence=cancelled_past)
    event_cancel(event, owner, scope="this", occurrence=cancelled_next)
    event_update(
        event,
        owner,
        scope="this",
        occurrence=moved,
        title="Sync <moved>",
        start=moved + dt.timedelta(hours=2),
        end=moved + dt.timedelta(hours=3),
    )
    changed = Event.objects.get(series=event)
    client.force_login(owner)
    html = client.get(detail_url(event)).content.decode()
    assert "Every week on Monday" in html

    assert section(html, "Cancelled dates") == [
        f"{long_date(cancelled_past)}, 09:00–10:00",
        f"{long_date(cancelled_next)}, 09:00–10:00",
    ]
    assert section(html, "Changed dates") == [
        f"{long_date(moved)}, 09:00–10:00 → {long_date(moved)}, 11:00–12:00 · now “Sync <moved>”"
    ]
    assert "Sync &lt;moved&gt;" in html and "Sync <moved>" not in html
    assert f'href="{detail_url(event, occ(moved))}"' in html

    expected = []
    for start in [d for d in future if d != cancelled_next][:UPCOMING]:
        if start == moved:
            expected.append(f"{long_date(start)}, 11:00–12:00 · Sync <moved>")
        else:
            expected.append(f"{long_date(start)}, 09:00–10:00")
    assert section(html, "Next occurrences") == expected
    # Each next date links to its own page, which opens.
    links = re.findall(r'<ul class="upcoming">(.*?)</ul>', html, re.S)[0]
    hrefs = [unescape(h) for h in re.findall(r'href="([^"]+)"', links)]
    assert hrefs[0] == detail_url(event, occ(future[0]))
    for href in hrefs:
        assert client.get(href).status_code == 200, href
    assert changed.pk  # the changed date is its own row

    # A colleague in New York reads the same dates in New York time.
    client.force_login(colleague)
    html = client.get(detail_url(event)).content.decode()
    first = future[0].astimezone(NEW_YORK)
    assert section(html, "Next occurrences")[0] == (
        f"{long_date(first, NEW_YORK)}, {first:%H:%M}–{first + dt.timedelta(hours=1):%H:%M}"
    )
    past = cancelled_past.astimezone(NEW_YORK)
    assert section(html, "Cancelled dates")[0] == f"{long_date(past, NEW_YORK)}, 03:00–04:00"


@needs_db
def test_a_changed_date_a_colleague_was_taken_off_is_not_theirs(client, owner, colleague):
    event = weekly(owner, attendee_ids=[colleague.pk])
    moved = mondays_after(now())[0]
    event_update(event, owner, scope="this", occurrence=moved, attendee_ids=[])
    client.force_login(colleague)
    html = client.get(detail_url(event)).content.decode()
    there = f"{long_date(moved, NEW_YORK)}, {moved.astimezone(NEW_YORK):%H:%M}–"
    there += f"{moved.astimezone(NEW_YORK) + dt.timedelta(hours=1):%H:%M}"
    assert section(html, "Changed dates") == [
        f"{there} · other details changed (you are not invited to this date)"
    ]
    upcoming = section(html, "Next occurrences")
    assert there not in upcoming
    assert len(upcoming) == UPCOMING
    client.force_login(owner)
    html = client.get(detail_url(event)).content.decode()
    assert section(html, "Next occurrences")[0] == f"{long_date(moved)}, 09:00–10:00"


@needs_db
def test_a_single_event_or_an_occurrence_page_has_no_date_lists(client, owner):
    single = event_create(
        owner, title="Once", start=berlin(2026, 5, 4, 9), end=berlin(2026, 5, 4, 10)
    )
    event = weekly(owner)
    client.force_login(owner)
    for url in (detail_url(single), detail_url(event, FIRST)):
        html = client.get(url).content.decode()
        assert "Next occurrences" not in html and "Cancelled dates" not in html


@needs_db
def test_next_occurrences_reach_years_ahead_and_stop_at_the_end(owner):
    moment = dt.datetime(2026, 11, 21, 12, tzinfo=UTC)
    yearly = event_create(
        owner,
        title="Anniversary",
        start=berlin(2020, 3, 1, 18),
        end=berlin(2020, 3, 1, 19),
        recurrence="FREQ=YEARLY",
    )
    upcoming = series_overview(yearly, owner, moment).upcoming
    assert [o.when for o in upcoming] == [
        f"{long_date(berlin(year, 3, 1))}, 18:00–19:00" for year in range(2027, 2032)
    ]
    three_left = event_create(
        owner,
        title="Course",
        start=berlin(2026, 11, 2, 9),
        end=berlin(2026, 11, 2, 10),
        recurrence="FREQ=WEEKLY;BYDAY=MO;COUNT=6",
    )
    upcoming = series_overview(three_left, owner, moment).upcoming
    assert [o.when for o in upcoming] == [
        "Monday, 23 November 2026, 09:00–10:00",
        "Monday, 30 November 2026, 09:00–10:00",
        "Monday, 7 December 2026, 09:00–10:00",
    ]
    assert series_overview(three_left, owner, moment + dt.timedelta(days=30)).upcoming == []


@needs_db
def test_an_ended_or_cancelled_series_says_there_are_no_next_dates(client, owner):
    ended = weekly(owner, rule="FREQ=WEEKLY;BYDAY=MO;COUNT=3")
    client.force_login(owner)
    html = client.get(detail_url(ended)).content.decode()
    assert "None: the series has no more dates." in html
    gone = weekly(owner, title="Gone")
    event_cancel(gone, owner)
    html = client.get(detail_url(gone)).content.decode()
    assert "None: the series was cancelled." in html


@needs_db
def test_long_date_lists_are_cut_with_a_count(client, owner):
    event = weekly(owner)
    series = Series(
        parse_rule(event.recurrence), event.start, event.end - event.start, BERLIN, False
    )
    dates = series.occurrences(berlin(2026, 5, 4), berlin(2027, 1, 1))[:23]
    event_update(event, owner, exdates=dates)
    client.force_login(owner)
    html = client.get(detail_url(event)).content.decode()
    items = section(html, "Cancelled dates")
    assert len(items) == 21 and items[-1] == "and 3 more"
    assert items[0] == "Monday, 4 May 2026, 09:00–10:00"


# ------------------------------------------------------------------ interval wording


@needs_db
def test_the_form_gives_the_interval_word_in_singular_and_plural(client, owner):
    client.force_login(owner)
    html = client.get(reverse("events:create")).content.decode()
    script = html.split('<script id="repeat-texts" type="application/json">', 1)[1]
    texts = json.loads(script.split("</script>", 1)[0])
    forms = {"DAILY": ("day", "days"), "WEEKLY": ("week", "weeks")}
    forms |= {"MONTHLY": ("month", "months"), "YEARLY": ("year", "years")}
    assert texts["units"] == {
        freq: {"one": one, "few": many, "many": many, "other": many}
        for freq, (one, many) in forms.items()
    }
    assert "1 weeks" not in html and "1 days" not in html


@needs_db
def test_the_interval_word_has_polish_three_forms(client, owner):
    owner.language = "pl"
    owner.save()
    client.force_login(owner)
    html = client.get(reverse("events:create")).content.decode()
    script = html.split('<script id="repeat-texts" type="application/json">', 1)[1]
    texts = json.loads(script.split("</script>", 1)[0])
    assert texts["units"]["WEEKLY"] == {
        "one": "tydzień",
        "few": "tygodnie",
        "many": "tygodni",
        "other": "tygodnie",
    }


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=WEEKLY;BYDAY=MO", "Every week on Monday"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "Every 2 weeks on Monday"),
        ("FREQ=WEEKLY;BYDAY=MO;COUNT=1", "Every week on Monday, once"),
        ("FREQ=WEEKLY;BYDAY=MO;COUNT=2", "Every week on Monday, 2 times"),
        ("FREQ=DAILY;INTERVAL=3", "Every 3 days"),
        ("FREQ=MONTHLY;BYMONTHDAY=4", "Every month on day 4"),
    ],
)
@needs_db
def test_the_series_page_says_how_often_in_plain_words(client, owner, rule, words):
    event = weekly(owner, rule=rule)
    client.force_login(owner)
    html = client.get(detail_url(event)).content.decode()
    assert f"<dt>Repeats</dt><dd>{words}</dd>" in html
    assert not re.search(r"\b1 (day|week|month|year|time)s\b", html)


@pytest.mark.parametrize(
    ("fields", "invalid"),
    [
        ({"repeat_ends": "count", "repeat_count": "0"}, "repeat_count"),
        ({"repeat_ends": "count", "repeat_count": ""}, "repeat_count"),
        ({"repeat_ends": "count", "repeat_count": "2", "repeat_interval": "0"}, "repeat_interval"),
        ({"repeat_ends": "until", "repeat_until": "2026-05-01"}, "repeat_until"),
        ({"repeat_ends": "until", "repeat_until": ""}, "repeat_until"),
    ],
)
@needs_db
def test_repeat_field_errors_mark_their_box_invalid(client, owner, fields, invalid):
    """Every box of the control with an error carries aria-invalid (the page's red outline
    hangs on it) and names its error; the others do not."""
    client.force_login(owner)
    post = {**FORM, "repeat": "WEEKLY", "repeat_weekdays": ["MO"], **fields}
    response = client.post(reverse("events:create"), post)
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, invalid)
    for name in ("repeat_count", "repeat_interval", "repeat_until"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        assert ('aria-invalid="true"' in tag) == (name == invalid), (name, tag)
        if name == invalid:
            assert f"id_{name}_error" in tag  # aria-describedby names the message
    assert not Event.objects.exists()
