"""The week view: right column, right minute, in the viewer's zone, across midnight and DST."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.answers import attendee_respond
from events.cancelling import event_cancel
from events.models import Attendee, Event
from events.services import event_create
from events.tests.pages_helpers import parse_week

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def berlin(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def week_html(client, user, monday: str) -> str:
    client.force_login(user)
    response = client.get(reverse("events:week_of", args=[monday]))
    assert response.status_code == 200
    return response.content.decode()


def pieces(client, user, monday: str, title: str):
    placed, _all_day = parse_week(week_html(client, user, monday))
    return [(p.day, p.start, p.end, p.time) for p in placed if p.title == title]


def test_event_sits_in_its_day_and_minute_for_organizer_and_colleague(client, owner, colleague):
    event_create(
        owner,
        title="Planning",
        start=berlin(2026, 5, 6, 9, 0),
        end=berlin(2026, 5, 6, 10, 30),
        attendee_ids=[colleague.pk],
    )
    assert pieces(client, owner, "2026-05-04", "Planning") == [
        ("2026-05-06", 540, 630, "09:00–10:30")
    ]
    # Bob is in New York (UTC-4 in May): the same meeting is at 03:00 on his Wednesday.
    assert pieces(client, colleague, "2026-05-04", "Planning") == [
        ("2026-05-06", 180, 270, "03:00–04:30")
    ]


def test_event_crossing_midnight_is_split_into_two_days(client, owner):
    event_create(owner, title="Night", start=berlin(2026, 5, 5, 22), end=berlin(2026, 5, 6, 2))
    assert pieces(client, owner, "2026-05-04", "Night") == [
        ("2026-05-05", 1320, 1440, "22:00–00:00 …"),
        ("2026-05-06", 0, 120, "… 00:00–02:00"),
    ]


def test_event_crossing_the_week_boundary_appears_in_both_weeks(client, owner):
    event_create(owner, title="Late", start=berlin(2026, 5, 10, 23), end=berlin(2026, 5, 11, 1))
    assert [p[:3] for p in pieces(client, owner, "2026-05-04", "Late")] == [
        ("2026-05-10", 1380, 1440)
    ]
    assert [p[:3] for p in pieces(client, owner, "2026-05-11", "Late")] == [("2026-05-11", 0, 60)]


def test_spring_forward_day_uses_wall_clock_rows(client, owner):
    # Berlin, Sunday 2026-03-29: 02:00 CET jumps to 03:00 CEST.
    event_create(
        owner,
        title="Across the gap",
        start=dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # 01:30 CET
        end=dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # 03:30 CEST: one real hour
    )
    event_create(
        owner, title="Monday after", start=berlin(2026, 3, 30, 9), end=berlin(2026, 3, 30, 10)
    )
    assert pieces(client, owner, "2026-03-23", "Across the gap") == [
        ("2026-03-29", 90, 210, "01:30–03:30")
    ]
    assert pieces(client, owner, "2026-03-30", "Monday after")[0][:3] == ("2026-03-30", 540, 600)


def test_fall_back_day_labels_the_real_times(client, owner):
    # Berlin, Sunday 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
    event_create(
        owner,
        title="Repeated hour",
        start=dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 02:30 CEST (first)
        end=dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC),  # 02:30 CET (second)
    )
    event_create(owner, title="After", start=berlin(2026, 10, 25, 10), end=berlin(2026, 10, 25, 11))
    [(day, start, end, label)] = pieces(client, owner, "2026-10-19", "Repeated hour")
    assert (day, start, label) == ("2026-10-25", 150, "02:30–02:30")
    assert end > start  # still drawn with a visible height
    assert pieces(client, owner, "2026-10-19", "After")[0][:3] == ("2026-10-25", 600, 660)


def test_all_day_events_fill_the_all_day_row_on_their_dates(client, owner, colleague):
    event_create(
        owner,
        title="Offsite",
        start=berlin(2026, 5, 5, 0),
        end=berlin(2026, 5, 7, 0),
        all_day=True,
        attendee_ids=[colleague.pk],
    )
    for viewer in (owner, colleague):  # the dates do not move with the viewer's zone
        placed, all_day = parse_week(week_html(client, viewer, "2026-05-04"))
        assert all_day["2026-05-05"] == ["Offsite"]
        assert all_day["2026-05-06"] == ["Offsite"]
        assert all_day["2026-05-04"] == [] and all_day["2026-05-07"] == []
        assert not [p for p in placed if p.title == "Offsite"]


def test_all_day_event_from_a_far_zone_is_found_at_the_week_edge(client, owner):
    owner.timezone = "Pacific/Kiritimati"  # UTC+14: the week ends 2026-05-10 10:00 UTC
    owner.save()
    samoa = zoneinfo.ZoneInfo("Pacific/Pago_Pago")  # UTC-11
    event_create(
        owner,
        title="Island day",
        start=dt.datetime(2026, 5, 10, tzinfo=samoa),
        end=dt.datetime(2026, 5, 11, tzinfo=samoa),
        timezone="Pacific/Pago_Pago",
        all_day=True,
    )
    _placed, all_day = parse_week(week_html(client, owner, "2026-05-04"))
    assert all_day["2026-05-10"] == ["Island day"]


def test_cancelled_events_are_hidden(client, owner):
    event = event_create(
        owner, title="Dropped", start=berlin(2026, 5, 6, 9), end=berlin(2026, 5, 6, 10)
    )
    event_cancel(event, owner)
    assert pieces(client, owner, "2026-05-04", "Dropped") == []


def test_overlapping_events_share_the_column_in_lanes(client, owner):
    for title, start, end in (("A", 9, 10), ("B", 9.5, 10.5), ("C", 11, 12)):
        event_create(
            owner,
            title=title,
            start=berlin(2026, 5, 6, int(start), int(start % 1 * 60)),
            end=berlin(2026, 5, 6, int(end), int(end % 1 * 60)),
        )
    placed, _ = parse_week(week_html(client, owner, "2026-05-04"))
    by_title = {p.title: p for p in placed}
    assert (by_title["A"].lanes, by_title["B"].lanes) == (2, 2)
    assert {by_title["A"].lane, by_title["B"].lane} == {0, 1}
    assert (by_title["C"].lane, by_title["C"].lanes) == (0, 1)


def test_declined_events_are_marked(client, owner, colleague):
    event = event_create(
        owner,
        title="Maybe not",
        start=berlin(2026, 5, 6, 9),
        end=berlin(2026, 5, 6, 10),
        attendee_ids=[colleague.pk],
    )
    attendee_respond(event, colleague, Attendee.Status.DECLINED)
    html = week_html(client, colleague, "2026-05-04")
    assert "event busy confirmed declined" in html


def test_others_events_stay_invisible(client, owner, colleague, stranger):
    event_create(
        owner, title="Acme secret", start=berlin(2026, 5, 6, 9), end=berlin(2026, 5, 6, 10)
    )
    assert "Acme secret" not in week_html(client, stranger, "2026-05-04")
    assert "Acme secret" not in week_html(client, colleague, "2026-05-04")  # not invited


def test_titles_are_escaped(client, owner):
    event_create(
        owner,
        title='<script>alert("x")</script><b>bold</b>',
        start=berlin(2026, 5, 6, 9),
        end=berlin(2026, 5, 6, 10),
    )
    html = week_html(client, owner, "2026-05-04")
    assert "<script>alert" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_any_day_shows_its_monday_week_with_navigation(client, owner):
    html = week_html(client, owner, "2026-05-07")  # a Thursday
    assert 'href="/calendar/week/2026-04-27/" rel="prev"' in html
    assert 'href="/calendar/week/2026-05-11/" rel="next"' in html
    assert 'data-date="2026-05-04"' in html and 'data-date="2026-05-10"' in html
    assert 'data-date="2026-05-11"' not in html
    assert f'href="{reverse("events:week")}"' in html  # "Today"


@pytest.mark.parametrize("bad", ["2026-13-01", "yesterday", "0001-01-01", "2026-5-4x"])
def test_bad_week_dates_are_404(client, owner, bad):
    client.force_login(owner)
    assert client.get(f"/calendar/week/{bad}/").status_code == 404


def test_this_week_is_the_default(client, owner):
    client.force_login(owner)
    html = client.get(reverse("events:week")).content.decode()
    today = dt.datetime.now(BERLIN).date()
    monday = today - dt.timedelta(days=today.weekday())
    assert f'data-date="{monday.isoformat()}"' in html
    assert "day-head today" in html


def test_phone_day_list_carries_the_same_events(client, owner):
    event_create(owner, title="Standup", start=berlin(2026, 5, 6, 9), end=berlin(2026, 5, 6, 9, 15))
    html = week_html(client, owner, "2026-05-04")
    day_list = html.split('<div class="day-list">', 1)[1]
    wednesday = day_list.split('id="list-day-2026-05-06"', 1)[1].split("</section>", 1)[0]
    assert "09:00–09:15" in wednesday and "Standup" in wednesday
    css = (Path(settings.BASE_DIR) / "static" / "rendezvous.css").read_text(encoding="utf-8")
    assert "@media (max-width: 480px)" in css


def test_query_count_does_not_grow_with_events(client, owner, colleague):
    client.force_login(owner)
    url = reverse("events:week_of", args=["2026-05-04"])
    event_create(owner, title="one", start=berlin(2026, 5, 4, 9), end=berlin(2026, 5, 4, 10))
    client.get(url)  # warm up session / content types
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for i in range(12):
        event_create(
            owner,
            title=f"e{i}",
            start=berlin(2026, 5, 4 + i % 7, 8 + i % 9),
            end=berlin(2026, 5, 4 + i % 7, 9 + i % 9),
            attendee_ids=[colleague.pk],
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert Event.objects.count() == 13


def test_go_to_date_is_a_plain_get_form_on_the_week_page(client, owner):
    html = week_html(client, owner, "2026-05-07")
    form = html.split('<form class="go-to-date"', 1)[1].split("</form>", 1)[0]
    assert 'method="get"' in form and 'action="/calendar/week/2026-05-04/"' in form
    assert 'type="date"' in form and 'name="date"' in form and 'value="2026-05-04"' in form
    assert '<label for="go-to-date">Go to date</label>' in form


@pytest.mark.parametrize(
    ("date", "monday"),
    [("2026-12-08", "2026-12-07"), ("2031-01-01", "2030-12-30"), (" 2026-05-04 ", "2026-05-04")],
)
def test_go_to_date_opens_the_week_of_that_date(client, owner, date, monday):
    client.force_login(owner)
    response = client.get("/calendar/week/2026-05-04/", {"date": date})
    assert response.status_code == 302
    assert response["Location"] == f"/calendar/week/{monday}/"
    # From the default page (this week) as well.
    response = client.get(reverse("events:week"), {"date": date})
    assert response["Location"] == f"/calendar/week/{monday}/"


@pytest.mark.parametrize(
    "bad", ["", "2026-02-30", "tomorrow", "0001-01-01", "3000-01-01", "2026-05-04" * 50, "<b>x"]
)
def test_a_bad_go_to_date_stays_on_the_week_shown_with_a_message(client, owner, bad):
    event_create(owner, title="Kept", start=berlin(2026, 5, 6, 9), end=berlin(2026, 5, 6, 10))
    client.force_login(owner)
    response = client.get("/calendar/week/2026-05-07/", {"date": bad}, follow=True)
    assert response.redirect_chain == [("/calendar/week/2026-05-04/", 302)]
    assert response.status_code == 200
    html = response.content.decode()
    assert "“Go to date” needs a date between 1900 and 2999" in html
    assert "<b>x" not in html
    placed, _all_day = parse_week(html)
    assert [p.title for p in placed] == ["Kept"]


def test_go_to_date_needs_sign_in(client):
    response = client.get(reverse("events:week"), {"date": "2026-05-04"})
    assert response.status_code == 302 and "/accounts/signin/" in response["Location"]


def test_only_the_organizer_can_drag_an_event_and_never_a_cancelled_one(client, owner, colleague):
    event = event_create(
        owner, title="Review", start=berlin(2026, 5, 6, 9), end=berlin(2026, 5, 6, 10),
        attendee_ids=[colleague.pk],
    )  # fmt: skip
    edit = reverse("events:edit", args=[event.pk])
    mine = week_html(client, owner, "2026-05-04")
    assert f'data-edit-url="{edit}"' in mine and 'class="resize-handle"' in mine
    theirs = week_html(client, colleague, "2026-05-04")
    assert "data-edit-url" not in theirs and "resize-handle" not in theirs
    event_cancel(event, owner)
    assert "data-edit-url" not in week_html(client, owner, "2026-05-04")


def test_the_now_line_is_on_today_only(client, owner):
    from django.utils import timezone

    today = timezone.now().astimezone(owner.zone).date()
    this_week = week_html(client, owner, today.isoformat())
    assert this_week.count('class="now-line"') == 1
    other = week_html(client, owner, (today + dt.timedelta(days=21)).isoformat())
    assert 'class="now-line"' not in other


def test_the_day_page_shows_one_column_with_the_same_events(client, owner):
    event_create(owner, title="Review", start=berlin(2026, 5, 6, 9), end=berlin(2026, 5, 6, 10))
    event_create(
        owner, title="Weekly", start=berlin(2026, 4, 29, 14), end=berlin(2026, 4, 29, 15),
        recurrence="FREQ=WEEKLY",
    )  # fmt: skip
    event_create(owner, title="Next day", start=berlin(2026, 5, 7, 9), end=berlin(2026, 5, 7, 10))
    client.force_login(owner)
    html = client.get(reverse("events:day", args=["2026-05-06"])).content.decode()
    placed, _all_day = parse_week(html)
    assert sorted((p.title, p.time) for p in placed) == [
        ("Review", "09:00–10:00"),
        ("Weekly", "14:00–15:00"),
    ]
    assert 'href="/calendar/day/2026-05-05/"' in html and 'href="/calendar/day/2026-05-07/"' in html
    assert 'href="/calendar/week/2026-05-04/"' in html
    assert client.get("/calendar/day/2026-02-30/").status_code == 404
    assert client.get("/calendar/day/3026-01-01/").status_code == 404


def test_the_month_page_lists_the_first_events_of_each_date(client, owner, colleague):
    for hour in (8, 9, 10, 11, 12):
        event_create(
            owner, title=f"Meeting {hour}", start=berlin(2026, 5, 6, hour),
            end=berlin(2026, 5, 6, hour, 30),
        )  # fmt: skip
    event_create(
        owner, title="Weekly", start=berlin(2026, 4, 29, 14), end=berlin(2026, 4, 29, 15),
        recurrence="FREQ=WEEKLY;COUNT=3",
    )  # fmt: skip
    private = event_create(
        colleague, title="Colleague's own", start=berlin(2026, 5, 8, 9),
        end=berlin(2026, 5, 8, 10),
    )  # fmt: skip
    client.force_login(owner)
    html = client.get(reverse("events:month", args=[2026, 5])).content.decode()
    cell = html.split('data-date="2026-05-06"', 1)[1].split("</td>", 1)[0]
    assert "Meeting 8" in cell and "Meeting 10" in cell and "Meeting 11" not in cell
    assert "+3 more" in cell  # two more meetings and the weekly one
    assert 'href="/calendar/day/2026-05-06/"' in cell
    # The series on each of its three Wednesdays (29 April is shown, outside the month).
    for date in ("2026-04-29", "2026-05-13"):
        assert "Weekly" in html.split(f'data-date="{date}"', 1)[1].split("</td>", 1)[0]
    assert "Weekly" not in html.split('data-date="2026-05-20"', 1)[1].split("</td>", 1)[0]
    assert private.title not in html  # only what I take part in
    assert 'href="/calendar/month/2026-4/"' in html and 'href="/calendar/month/2026-6/"' in html
    assert client.get("/calendar/month/2026-13/").status_code == 404
