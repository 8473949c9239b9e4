# ruff: noqa: F811  (pytest fixtures imported from other apps are redefined as arguments)
"""The issue's walk-through, as a new user would try it: two meeting types; a booker picks
the 30-minute option, answers two questions, later moves the meeting from the manage
link and is reminded an hour before the new time; a joint link with three colleagues
books all three; a webhook receiver on loopback gets signed events it can verify."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from standardwebhooks import Webhook

from accounts.models import User
from booking.links import configure_link, create_meeting_type
from booking.models import Booking
from booking.services import book
from events.models import Attendee
from reminders import services as reminders
from webhooks import services as webhooks
from webhooks.tests.conftest import receiver  # noqa: F401

from .conftest import WIDE_HOURS, berlin_at, outbox_to, visitor

pytestmark = pytest.mark.django_db
MINUTE = dt.timedelta(minutes=1)


def test_meeting_types_moving_reminders_joint_links_and_webhooks(client, owner, acme, receiver):
    _endpoint, secret = webhooks.register_endpoint(
        owner, url=receiver.url, event_types=["booking.created", "booking.rescheduled"]
    )
    # Two meeting types.
    configure_link(owner, {"name": "Intro call", "duration_minutes": 15, "hours": WIDE_HOURS,
                           "min_notice_minutes": 0}, switch_on=True)  # fmt: skip
    _review, token = create_meeting_type(owner, {
        "name": "Project review", "duration_minutes": 60, "more_durations": [30], "hours": WIDE_HOURS,
        "min_notice_minutes": 0, "reminders": [60],
        "questions": [{"label": "Company", "kind": "short", "required": True},
                      {"label": "Topic", "kind": "choice", "choices": ["Sales", "Support"]}],
    })  # fmt: skip

    # The booker picks the 30-minute option and answers both questions on the page.
    day = berlin_at(10)
    booked = client.post(f"/b/{token}", {
        "start": day.astimezone(dt.UTC).isoformat(), "duration": "30", "tz": "Europe/Berlin",
        "name": "Maria Rossi", "email": "maria@example.org",
        "answer_q1": "Acme Roma", "answer_q2": "Sales",
    })  # fmt: skip
    assert booked.status_code == 302, booked.content.decode()[-1500:]
    booking = Booking.objects.get()
    assert booking.end - booking.start == dt.timedelta(minutes=30)
    assert [a["answer"] for a in booking.answers] == ["Acme Roma", "Sales"]

    # Later, they move it from the manage link in their confirmation mail.
    confirmation = outbox_to("maria@example.org")[0].get_body(("plain",)).get_content()
    manage = confirmation.split("/b/manage/")[1].split("/")[0].split()[0]
    new_time = berlin_at(15)
    moved = client.post(reverse("booking:reschedule", args=[manage]),
                        {"start": new_time.astimezone(dt.UTC).isoformat(), "tz": "Europe/Berlin"})  # fmt: skip
    assert moved.status_code == 302
    booking.refresh_from_db()
    assert booking.start == new_time and booking.end == new_time + dt.timedelta(minutes=30)

    # The reminder comes an hour before the new time, not the old one.
    assert reminders.send_due(day - 59 * MINUTE) == 0
    assert reminders.send_due(new_time - 61 * MINUTE) == 0
    assert reminders.send_due(new_time - 60 * MINUTE) == 1
    reminder = outbox_to("maria@example.org")[-1]
    assert reminder["Subject"].startswith("Reminder: Project review with Alice Owner")
    assert "15:00" in reminder["Subject"]

    # A joint link with three colleagues books all three.
    week = {d: [["08:00", "20:00"]] for d in WIDE_HOURS}
    colleagues = [
        User.objects.create_user(f"{n}@acme.test", "pw-123456789", account=acme, full_name=n.title(),
                                 timezone="Europe/Berlin", working_hours=week)
        for n in ("bob", "cleo", "dan")
    ]  # fmt: skip
    _team, team_token = create_meeting_type(owner, {
        "name": "Team workshop", "kind": "all", "member_ids": [c.pk for c in colleagues],
        "hours": WIDE_HOURS, "min_notice_minutes": 0,
    })  # fmt: skip
    joint = book(team_token, visitor(berlin_at(11, days_ahead=4), email="jan@example.org"))
    assert joint.status_code == 201
    booked_people = set(
        Attendee.objects.filter(event=joint.booking.event, user__isnull=False).values_list(
            "user_id", flat=True
        )
    )
    assert booked_people == {owner.pk, *(c.pk for c in colleagues)}

    # The receiver gets signed events it can verify, in order.
    while webhooks.due_endpoints(dt.datetime.now(dt.UTC)):
        for pk in webhooks.due_endpoints(dt.datetime.now(dt.UTC)):
            webhooks.deliver_endpoint(pk)
    hook = Webhook(secret)
    payloads = [hook.verify(r.body, r.headers) for r in receiver.received]
    assert [(p["type"], p["data"]["booking"]["email"]) for p in payloads] == [
        ("booking.created", "maria@example.org"),
        ("booking.rescheduled", "maria@example.org"),
        ("booking.created", "jan@example.org"),
    ]
    assert payloads[1]["data"]["previous"]["start"].startswith(
        day.astimezone(dt.UTC).date().isoformat()
    )
