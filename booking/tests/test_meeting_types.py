"""Meeting types: several booking links per employee, each with its name, lengths and
questions, switched off and renewed on its own; the first keeps its URL."""

from __future__ import annotations

import datetime as dt

import pytest

from booking.models import Booking, BookingLink
from events.models import Event

from .conftest import berlin_at, outbox_to
from .test_api import call, switch_on

pytestmark = pytest.mark.django_db

WIDE = {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
QUESTIONS = [
    {"label": "What is the project?", "kind": "short", "required": True},
    {"label": "Team size", "kind": "choice", "required": True, "choices": ["1-10", "11-50", "50+"]},
    {"label": "Anything else?", "kind": "long"},
    {"label": "I agree to be recorded", "kind": "checkbox"},
]


def add_type(client, token, **fields):
    body = {"name": "Project review", "duration_minutes": 60, "more_durations": [30],
            "hours": WIDE, "min_notice_minutes": 0, "questions": QUESTIONS, **fields}  # fmt: skip
    made = call(client, "post", "/booking-links", token, body)
    assert made.status_code == 201, made.content
    data = made.json()
    return data["url"].rsplit("/b/", 1)[1], data


def book(client, token, start, **fields):
    body = {"start": start.isoformat(), "name": "Maria Rossi", "email": "maria@example.org",
            "timezone": "Europe/Rome", **fields}  # fmt: skip
    return call(client, "post", f"/public/booking/{token}/bookings", body=body)


def test_two_types_each_with_its_link_lengths_and_questions(client, owner, owner_token):
    first_token, first = switch_on(client, owner_token)
    token, review = add_type(client, owner_token)
    assert review["durations"] == [30, 60] and review["name"] == "Project review"
    assert [q["id"] for q in review["questions"]] == ["q1", "q2", "q3", "q4"]
    listed = call(client, "get", "/booking-links", owner_token).json()
    assert [link["id"] for link in listed] == [first["id"], review["id"]]
    # /booking-link is still the first type, with the URL it had.
    assert call(client, "get", "/booking-link", owner_token).json()["url"] == first["url"]

    public = call(client, "get", f"/public/booking/{token}").json()
    assert public["durations"] == [30, 60] and public["name"] == "Project review"
    assert [q["label"] for q in public["questions"]] == [q["label"] for q in QUESTIONS]
    day = berlin_at(9)
    window = f"?start={day.date().isoformat()}&end={(day + dt.timedelta(days=1)).date().isoformat()}&tz=Europe/Berlin"
    half_hours = call(client, "get", f"/public/booking/{token}/slots{window}&duration=30").json()
    hours = call(client, "get", f"/public/booking/{token}/slots{window}").json()
    assert half_hours["duration_minutes"] == 30 and hours["duration_minutes"] == 60
    assert len(half_hours["slots"]) > len(hours["slots"])
    refused = call(client, "get", f"/public/booking/{token}/slots{window}&duration=25")
    assert refused.status_code in (400, 422)
    assert refused.json()["errors"][0]["field"] == "duration_minutes"

    answers = {"q1": "New warehouse", "q2": "11-50", "q4": True}
    made = book(client, token, berlin_at(10), duration_minutes=30, answers=answers)
    assert made.status_code == 201, made.content
    booking = Booking.objects.get()
    assert booking.end - booking.start == dt.timedelta(minutes=30)
    assert booking.link_id == review["id"]
    assert booking.answers == [
        {"question": "What is the project?", "kind": "short", "answer": "New warehouse"},
        {"question": "Team size", "kind": "choice", "answer": "11-50"},
        {"question": "I agree to be recorded", "kind": "checkbox", "answer": True},
    ]
    event = Event.objects.get()
    assert event.title == "Project review with Maria Rossi"
    assert "Team size: 11-50" in event.description and "recorded: yes" in event.description
    owner_mail = outbox_to(owner.email)[-1].get_body(("plain",)).get_content()
    assert "Team size: 11-50" in owner_mail and "I agree to be recorded: yes" in owner_mail
    client.force_login(owner)
    owner_page = client.get(f"/booking/bookings/{booking.pk}/").content.decode()
    assert "What is the project?" in owner_page and "New warehouse" in owner_page
    owner_view = call(client, "get", "/bookings", owner_token).json()
    assert (
        owner_view[0]["answers"][1]["answer"] == "11-50"
        and owner_view[0]["link_id"] == review["id"]
    )
    # Both types book the same person: one time cannot be taken twice across them.
    assert book(client, first_token, berlin_at(10)).status_code == 409


@pytest.mark.parametrize(
    ("answers", "field", "reason"),
    [
        ({"q2": "11-50"}, "answers.q1", "required"),
        ({"q1": "x", "q2": "a thousand"}, "answers.q2", "offered answers"),
        ({"q1": "x", "q2": "1-10", "q4": "yes"}, "answers.q4", "true or false"),
        ({"q1": "x\nBcc: evil", "q2": "1-10"}, "answers.q1", "line breaks"),
        ({"q1": "x", "q2": "1-10", "q9": "?"}, "answers.q9", "no such question"),
    ],
)
def test_bad_answers_are_named_and_nothing_is_booked(
    client, owner, owner_token, answers, field, reason
):
    token, _review = add_type(client, owner_token)
    refused = book(client, token, berlin_at(10), answers=answers)
    assert refused.status_code == 400
    errors = {e["field"]: e["message"] for e in refused.json()["errors"]}
    assert reason in errors[field]
    assert not Booking.objects.exists() and not Event.objects.exists()


def test_each_type_is_switched_off_and_renewed_on_its_own(client, owner, owner_token):
    first_token, _first = switch_on(client, owner_token)
    token, review = add_type(client, owner_token)
    off = call(client, "patch", f"/booking-links/{review['id']}", owner_token, {"enabled": False})
    assert off.status_code == 200 and off.json()["enabled"] is False and off.json()["url"] is None
    assert call(client, "get", f"/public/booking/{token}").status_code == 404
    assert call(client, "get", f"/public/booking/{first_token}").status_code == 200
    on = call(
        client, "patch", f"/booking-links/{review['id']}", owner_token, {"enabled": True}
    ).json()
    new_token = on["url"].rsplit("/b/", 1)[1]
    assert new_token != token and call(client, "get", f"/public/booking/{token}").status_code == 404
    renewed = call(
        client, "patch", f"/booking-links/{review['id']}", owner_token, {"new_link": True}
    )
    assert renewed.json()["url"] != on["url"]
    assert call(client, "get", f"/public/booking/{new_token}").status_code == 404
    assert call(client, "get", f"/public/booking/{first_token}").status_code == 200


def test_removing_a_type_kills_its_link_and_keeps_its_bookings(client, owner, owner_token):
    _first_token, first = switch_on(client, owner_token)
    token, review = add_type(client, owner_token)
    assert book(client, token, berlin_at(10), answers={"q1": "x", "q2": "50+"}).status_code == 201
    assert call(client, "delete", f"/booking-links/{review['id']}", owner_token).status_code == 204
    assert call(client, "get", f"/public/booking/{token}").status_code == 404
    assert [link["id"] for link in call(client, "get", "/booking-links", owner_token).json()] == [
        first["id"]
    ]
    assert Booking.objects.count() == 1
    only = call(client, "delete", f"/booking-links/{first['id']}", owner_token)
    assert only.status_code == 400 and only.json()["errors"][0]["field"] == "link"


def test_another_employees_types_are_not_there(
    client, owner, owner_token, colleague_token, stranger_token
):
    _token, review = add_type(client, owner_token)
    for token in (colleague_token, stranger_token):
        assert call(client, "get", f"/booking-links/{review['id']}", token).status_code == 404
        assert (
            call(
                client, "patch", f"/booking-links/{review['id']}", token, {"name": "Mine"}
            ).status_code
            == 404
        )
        assert call(client, "delete", f"/booking-links/{review['id']}", token).status_code == 404
        assert call(client, "get", "/booking-links", token).json() == []
    assert BookingLink.objects.get(pk=review["id"]).name == "Project review"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"more_durations": [25]}, "more_durations"),
        ({"questions": [{"label": "Q", "kind": "essay"}]}, "questions"),
        ({"questions": [{"label": "Q", "kind": "choice", "choices": ["only one"]}]}, "questions"),
        ({"questions": [{"label": f"Q{n}"} for n in range(11)]}, "questions"),
        ({"location": "line\nbreak"}, "location"),
    ],
)
def test_bad_settings_are_named_and_nothing_is_made(client, owner, owner_token, fields, field):
    body = {"name": "Intro call", "duration_minutes": 15, **fields}
    refused = call(client, "post", "/booking-links", owner_token, body)
    assert refused.status_code in (400, 422), refused.content
    assert field in {e["field"] for e in refused.json()["errors"]}
    assert not BookingLink.objects.exists()


def test_question_ids_stay_when_the_questions_are_edited(client, owner, owner_token):
    _token, review = add_type(client, owner_token)
    questions = review["questions"]
    reordered = [questions[1], {"label": "New one", "kind": "short"}, questions[0]]
    changed = call(client, "patch", f"/booking-links/{review['id']}", owner_token,
                   {"questions": reordered}).json()  # fmt: skip
    assert [q["id"] for q in changed["questions"]] == ["q2", "q3", "q1"]


def test_the_public_page_offers_the_lengths_and_asks_the_questions(client, owner, owner_token):
    token, _review = add_type(client, owner_token)
    day = berlin_at(10)
    page = client.get(
        f"/b/{token}?duration=30&tz=Europe/Berlin&month={day:%Y-%m}&day={day:%Y-%m-%d}"
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "Project review" in html and "What is the project?" in html and "11-50" in html
    assert '<strong aria-current="true">30 minutes</strong>' in html
    assert 'name="duration" value="30"' in html
    start = day.astimezone(dt.UTC).isoformat()
    form = {"start": start, "name": "Maria Rossi", "email": "maria@example.org", "tz": "Europe/Berlin",
            "duration": "30", "day": f"{day:%Y-%m-%d}", "month": f"{day:%Y-%m}",
            "answer_q2": "1-10"}  # fmt: skip
    refused = client.post(f"/b/{token}", form)
    assert refused.status_code == 400
    assert "This field is required" in refused.content.decode()
    assert not Booking.objects.exists()
    booked = client.post(f"/b/{token}", {**form, "answer_q1": "Roof", "answer_q4": "on"})
    assert booked.status_code == 302
    booking = Booking.objects.get()
    assert booking.end - booking.start == dt.timedelta(minutes=30)
    assert [a["answer"] for a in booking.answers] == ["Roof", "1-10", True]


def test_the_owner_adds_a_type_sets_its_questions_and_removes_it_on_the_pages(
    client, owner, colleague
):
    from django.urls import reverse

    client.force_login(owner)
    assert client.get(reverse("booking:settings")).status_code == 200
    refused = client.post(reverse("booking:add_type"), {"name": "", "duration_minutes": "30"})
    assert refused.status_code == 400 and not BookingLink.objects.exists()
    made = client.post(
        reverse("booking:add_type"), {"name": "Intro call", "duration_minutes": "15"}
    )
    link = BookingLink.objects.get(name="Intro call")
    assert made.status_code == 302 and made["Location"] == reverse("booking:type", args=[link.pk])
    assert link.is_on and link.duration_minutes == 15
    page = client.get(made["Location"]).content.decode()
    assert "Intro call" in page and link.current_token() in page
    form = {"name": "Intro call", "duration_minutes": "15", "more_durations": ["30"],
            "location": "Via Roma 1", "video": "false", "use_working_hours": "on",
            "buffer_before_minutes": "0", "buffer_after_minutes": "0", "min_notice_minutes": "60",
            "horizon_days": "30", "q0_label": "Company", "q0_kind": "short", "q0_required": "on",
            "q1_label": "Topic", "q1_kind": "choice", "q1_choices": "Sales\nSupport"}  # fmt: skip
    saved = client.post(reverse("booking:type", args=[link.pk]), form)
    assert saved.status_code == 302, saved.content.decode()[-2000:]
    link.refresh_from_db()
    assert link.offered_durations == [15, 30] and link.location == "Via Roma 1" and not link.video
    assert [(q["id"], q["label"], q["required"]) for q in link.questions] == [
        ("q1", "Company", True), ("q2", "Topic", False)
    ]  # fmt: skip
    bad = client.post(reverse("booking:type", args=[link.pk]), {**form, "q1_choices": "Only one"})
    assert bad.status_code == 400 and "between 2 and" in bad.content.decode()
    # Someone else's type is not there for them.
    client.force_login(colleague)
    assert client.get(reverse("booking:type", args=[link.pk])).status_code == 404
    assert client.post(reverse("booking:type_remove", args=[link.pk])).status_code == 404
    client.force_login(owner)
    token = link.current_token()
    assert client.post(reverse("booking:type_off", args=[link.pk])).status_code == 302
    assert client.get(f"/b/{token}").status_code == 404
    # It is the only type: it cannot be removed, only switched off.
    assert client.post(reverse("booking:type_remove", args=[link.pk])).status_code == 302
    assert BookingLink.objects.get(pk=link.pk).archived_at is None
