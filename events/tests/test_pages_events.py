"""Event create / edit / detail / answer / cancel pages, happy and hostile."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.test import Client
from django.urls import reverse

from events.cancelling import event_cancel
from events.models import Attendee, Event
from events.services import event_create

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UTC = dt.UTC

FORM = {
    "title": "Quarterly review",
    "start_date": "2026-05-06",
    "start_time": "09:00",
    "end_date": "2026-05-06",
    "end_time": "10:30",
    "timezone": "Europe/Berlin",
    "location": "Room 4",
    "video_url": "https://meet.example/abc",
    "description": "Numbers.",
    "transparency": "busy",
    "notify_on_decision": "on",
}


def login(client: Client, user) -> Client:
    client.force_login(user)
    return client


def field_error(html: str, field: str) -> str:
    marker = f'id="id_{field}_error">'
    assert marker in html, f"no error shown for {field}"
    return html.split(marker, 1)[1].split("</ul>", 1)[0]


@pytest.fixture
def meeting(owner, colleague):
    return event_create(
        owner,
        title="Design sync",
        start=dt.datetime(2026, 5, 6, 9, tzinfo=BERLIN),
        end=dt.datetime(2026, 5, 6, 10, tzinfo=BERLIN),
        attendee_ids=[colleague.pk],
    )


# ------------------------------------------------------------------ create


def test_create_form_labels_every_field_and_lists_only_my_colleagues(
    client, owner, colleague, stranger
):
    html = login(client, owner).get(reverse("events:create")).content.decode()
    for field in (
        "title",
        "start_date",
        "start_time",
        "end_date",
        "end_time",
        "timezone",
        "all_day",
        "location",
        "video_url",
        "description",
        "guests_can_see_participants",
        "notify_on_decision",
    ):
        assert f'<label for="id_{field}"' in html, field
    assert "<legend>Colleagues</legend>" in html and "<legend>Show me as</legend>" in html
    assert colleague.email in html
    assert stranger.email not in html
    assert f'value="{owner.pk}"' not in html.split("<legend>Colleagues</legend>", 1)[1]
    assert '<option value="Europe/Berlin" selected>' in html  # my zone is the default


def test_create_with_a_date_in_the_query_prefills_that_day(client, owner):
    html = login(client, owner).get(reverse("events:create") + "?date=2026-05-08").content.decode()
    assert 'value="2026-05-08"' in html and 'value="09:00"' in html
    assert login(client, owner).get(reverse("events:create") + "?date=bogus").status_code == 404


def test_create_reads_local_time_in_the_chosen_zone(client, owner, colleague):
    response = login(client, owner).post(
        reverse("events:create"), {**FORM, "attendee_ids": [colleague.pk]}
    )
    assert response.status_code == 302
    assert response["Location"] == "/calendar/week/2026-05-04/"
    event = Event.objects.get()
    assert event.start == dt.datetime(2026, 5, 6, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert event.end == dt.datetime(2026, 5, 6, 8, 30, tzinfo=UTC)
    assert event.timezone == "Europe/Berlin"
    assert event.organizer == owner and event.account == owner.account
    assert event.location == "Room 4" and event.video_url == "https://meet.example/abc"
    assert event.notify_on_decision and not event.guests_can_see_participants
    assert set(event.attendees.values_list("user_id", "status")) == {
        (owner.pk, "accepted"),
        (colleague.pk, "needs-action"),
    }
    week = client.get(response["Location"]).content.decode()
    assert "“Quarterly review” was added." in week


def test_create_in_another_zone(client, owner):
    login(client, owner).post(reverse("events:create"), {**FORM, "timezone": "Asia/Tokyo"})
    event = Event.objects.get()
    assert event.start == dt.datetime(2026, 5, 6, 0, 0, tzinfo=UTC)  # 09:00 JST
    assert event.timezone == "Asia/Tokyo"


def test_non_existent_local_time_moves_forward_and_says_so(client, owner):
    # Berlin 2026-03-29 02:30 does not exist (02:00 CET -> 03:00 CEST).
    response = login(client, owner).post(
        reverse("events:create"),
        {
            **FORM,
            "start_date": "2026-03-29",
            "start_time": "02:30",
            "end_date": "2026-03-29",
            "end_time": "04:00",
        },
        follow=True,
    )
    event = Event.objects.get()
    assert event.start == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST
    assert event.end == dt.datetime(2026, 3, 29, 2, 0, tzinfo=UTC)  # 04:00 CEST
    assert "02:30 does not exist on 2026-03-29 in Europe/Berlin" in response.content.decode()
    assert "03:30 was used instead" in response.content.decode()


def test_ambiguous_local_time_means_the_first_occurrence(client, owner):
    # Berlin 2026-10-25 02:30 happens twice (CEST, then CET).
    response = login(client, owner).post(
        reverse("events:create"),
        {
            **FORM,
            "start_date": "2026-10-25",
            "start_time": "02:30",
            "end_date": "2026-10-25",
            "end_time": "04:00",
        },
        follow=True,
    )
    event = Event.objects.get()
    assert event.start == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    assert "the first one (UTC+02:00) was used" in response.content.decode()


def test_all_day_event_uses_an_inclusive_end_date(client, owner):
    login(client, owner).post(
        reverse("events:create"),
        {
            **FORM,
            "all_day": "on",
            "start_time": "",
            "end_time": "",
            "start_date": "2026-05-04",
            "end_date": "2026-05-05",
        },
    )
    event = Event.objects.get()
    assert event.all_day
    assert event.start == dt.datetime(2026, 5, 4, tzinfo=BERLIN)
    assert event.end == dt.datetime(2026, 5, 6, tzinfo=BERLIN)
    html = client.get(reverse("events:edit", args=[event.pk])).content.decode()
    assert 'name="end_date" value="2026-05-05"' in html


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"end_time": "08:00"}, "end_date", "end must be after the start"),
        ({"title": "   "}, "title", "required"),
        ({"video_url": "javascript:alert(1)"}, "video_url", "valid http(s) URL"),
        ({"start_time": ""}, "start_time", "Enter a time"),
        ({"start_date": "2026-02-30"}, "start_date", "valid date"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Select a valid choice"),
        ({"transparency": "invisible"}, "transparency", "Select a valid choice"),
        ({"end_date": "2026-07-06"}, "end_date", "at most 31 days"),
        ({"title": "x" * 201}, "title", "at most 200 characters"),
    ],
)
def test_bad_input_is_shown_at_the_field_and_writes_nothing(client, owner, changes, field, reason):
    response = login(client, owner).post(reverse("events:create"), {**FORM, **changes})
    assert response.status_code == 400
    assert reason in field_error(response.content.decode(), field)
    assert Event.objects.count() == 0
    assert Attendee.objects.count() == 0


def test_a_stranger_cannot_be_invited(client, owner, stranger):
    response = login(client, owner).post(
        reverse("events:create"), {**FORM, "attendee_ids": [stranger.pk]}
    )
    assert response.status_code == 400
    field_error(response.content.decode(), "attendee_ids")
    assert Event.objects.count() == 0


def test_create_needs_csrf(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(reverse("events:create"), FORM).status_code == 403
    assert Event.objects.count() == 0


# ------------------------------------------------------------------ detail


def test_organizer_sees_details_and_edit_and_cancel(client, owner, meeting, colleague):
    html = login(client, owner).get(reverse("events:detail", args=[meeting.pk])).content.decode()
    assert "Design sync" in html
    assert colleague.full_name in html and "Not answered" in html
    assert reverse("events:edit", args=[meeting.pk]) in html
    assert reverse("events:cancel", args=[meeting.pk]) in html
    assert reverse("events:respond", args=[meeting.pk]) not in html


def test_colleague_attendee_sees_the_event_in_own_zone_and_can_answer(client, colleague, meeting):
    html = (
        login(client, colleague).get(reverse("events:detail", args=[meeting.pk])).content.decode()
    )
    assert "03:00" in html and "America/New_York" in html  # 09:00 Berlin
    assert "In Europe/Berlin: 6 May 2026, 09:00" in html
    assert reverse("events:edit", args=[meeting.pk]) not in html
    assert reverse("events:cancel", args=[meeting.pk]) not in html
    response = client.post(reverse("events:respond", args=[meeting.pk]), {"status": "accepted"})
    assert response.status_code == 302
    assert meeting.attendees.get(user=colleague).status == "accepted"


def test_answer_with_an_unknown_status_changes_nothing(client, colleague, meeting):
    login(client, colleague).post(
        reverse("events:respond", args=[meeting.pk]), {"status": "needs-action"}
    )
    assert meeting.attendees.get(user=colleague).status == "needs-action"


def test_respond_is_post_only(client, colleague, meeting):
    response = login(client, colleague).get(reverse("events:respond", args=[meeting.pk]))
    assert response.status_code == 405


def test_stranger_gets_404_everywhere(client, stranger, meeting):
    login(client, stranger)
    for name in ("events:detail", "events:edit", "events:cancel"):
        assert client.get(reverse(name, args=[meeting.pk])).status_code == 404, name
    for name in ("events:edit", "events:cancel", "events:respond"):
        response = client.post(reverse(name, args=[meeting.pk]), {**FORM, "status": "accepted"})
        assert response.status_code == 404, name
    meeting.refresh_from_db()
    assert meeting.title == "Design sync" and meeting.status == "confirmed"
    # The same answer as for an id that does not exist at all.
    missing = client.get(reverse("events:detail", args=[meeting.pk + 1000]))
    assert missing.status_code == 404


def test_uninvited_colleague_gets_404(client, owner, colleague):
    private = event_create(
        owner,
        title="1:1",
        start=dt.datetime(2026, 5, 6, 9, tzinfo=BERLIN),
        end=dt.datetime(2026, 5, 6, 10, tzinfo=BERLIN),
    )
    assert (
        login(client, colleague).get(reverse("events:detail", args=[private.pk])).status_code == 404
    )


def test_detail_escapes_user_text(client, owner):
    event = event_create(
        owner,
        title="<img src=x onerror=alert(1)>",
        description="<script>steal()</script>",
        location='"><svg onload=alert(2)>',
        start=dt.datetime(2026, 5, 6, 9, tzinfo=BERLIN),
        end=dt.datetime(2026, 5, 6, 10, tzinfo=BERLIN),
    )
    html = login(client, owner).get(reverse("events:detail", args=[event.pk])).content.decode()
    assert "<img src=x" not in html and "<script>steal" not in html and "<svg" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


# ------------------------------------------------------------------ edit


def test_organizer_edits_the_event(client, owner, colleague, meeting):
    login(client, owner)
    html = client.get(reverse("events:edit", args=[meeting.pk])).content.decode()
    assert 'value="Design sync"' in html and 'value="09:00"' in html
    assert f'value="{colleague.pk}"' in html and "checked" in html
    response = client.post(
        reverse("events:edit", args=[meeting.pk]),
        {**FORM, "title": "Design sync (moved)", "start_time": "14:00", "end_time": "15:00"},
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Design sync (moved)"
    assert meeting.start == dt.datetime(2026, 5, 6, 12, tzinfo=UTC)
    assert meeting.sequence == 1  # one significant change: new time, colleague removed
    assert not meeting.attendees.filter(user=colleague).exists()


def test_edit_with_bad_input_keeps_the_event(client, owner, meeting):
    response = login(client, owner).post(
        reverse("events:edit", args=[meeting.pk]), {**FORM, "end_time": "08:00"}
    )
    assert response.status_code == 400
    assert "end must be after the start" in field_error(response.content.decode(), "end_date")
    meeting.refresh_from_db()
    assert meeting.title == "Design sync" and meeting.sequence == 0


def test_colleague_cannot_edit(client, colleague, meeting):
    login(client, colleague)
    assert client.get(reverse("events:edit", args=[meeting.pk])).status_code == 403
    response = client.post(reverse("events:edit", args=[meeting.pk]), {**FORM, "title": "Hijacked"})
    assert response.status_code == 403
    meeting.refresh_from_db()
    assert meeting.title == "Design sync"


def test_cancelled_event_cannot_be_edited(client, owner, meeting):
    event_cancel(meeting, owner)
    response = login(client, owner).post(
        reverse("events:edit", args=[meeting.pk]), {**FORM, "title": "Revived"}
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Design sync" and meeting.is_cancelled


# ------------------------------------------------------------------ cancel


def test_cancel_asks_first_then_cancels_on_post(client, owner, meeting):
    login(client, owner)
    page = client.get(reverse("events:cancel", args=[meeting.pk]))
    assert page.status_code == 200
    assert "Yes, cancel the event" in page.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == "confirmed"  # GET changed nothing
    response = client.post(reverse("events:cancel", args=[meeting.pk]))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == "cancelled" and meeting.sequence == 1
    detail = client.get(reverse("events:detail", args=[meeting.pk])).content.decode()
    assert "This event was cancelled." in detail
    assert reverse("events:edit", args=[meeting.pk]) not in detail


def test_colleague_cannot_cancel(client, colleague, meeting):
    login(client, colleague)
    assert client.get(reverse("events:cancel", args=[meeting.pk])).status_code == 403
    assert client.post(reverse("events:cancel", args=[meeting.pk])).status_code == 403
    meeting.refresh_from_db()
    assert meeting.status == "confirmed"


def test_cancel_needs_csrf(owner, meeting):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(reverse("events:cancel", args=[meeting.pk])).status_code == 403
    meeting.refresh_from_db()
    assert meeting.status == "confirmed"


def test_nobody_answers_a_cancelled_event(client, owner, colleague, meeting):
    event_cancel(meeting, owner)
    login(client, colleague).post(
        reverse("events:respond", args=[meeting.pk]), {"status": "accepted"}
    )
    assert meeting.attendees.get(user=colleague).status == "needs-action"


def test_all_day_dates_do_not_shift_for_a_viewer_in_another_zone(client, owner, colleague):
    event = event_create(
        owner,
        title="Holiday",
        start=dt.datetime(2026, 5, 5, tzinfo=BERLIN),
        end=dt.datetime(2026, 5, 6, tzinfo=BERLIN),
        all_day=True,
        attendee_ids=[colleague.pk],
    )
    html = login(client, colleague).get(reverse("events:detail", args=[event.pk])).content.decode()
    assert "Tuesday, 5 May 2026" in html and "(all day)" in html
    assert "4 May" not in html
