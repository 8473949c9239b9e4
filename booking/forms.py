"""Forms of the booking pages: they parse text into what the services take, nothing more.

The rules (allowed lengths, ranges, valid hours, a free slot) are the services'; their
ValidationErrors are put back next to the fields here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.day_hours import DAY_NAMES, format_day_ranges, parse_day_ranges
from accounts.models import WEEKDAYS, User
from accounts.zones import zone_choices
from events.forms import REMINDER_CHOICE_LABELS

from .models import DURATION_CHOICES, BookingLink
from .questions import MAX_QUESTIONS

QUESTION_KINDS = [
    ("short", _("Short answer")),
    ("long", _("Long answer")),
    ("choice", _("One of several answers")),
    ("checkbox", _("A box to tick")),
]
#: Empty question rows offered below the link's own questions.
SPARE_QUESTIONS = 2


class LinkSettingsForm(forms.Form):
    name = forms.CharField(
        label=_("Name of this meeting type"),
        max_length=100,
        required=False,
        help_text=_("Shown to bookers, e.g. “Intro call” or “Project review”."),
    )
    duration_minutes = forms.TypedChoiceField(
        label=_("Meeting length"),
        choices=[(d, _("%(n)d minutes") % {"n": d}) for d in DURATION_CHOICES],
        coerce=int,
    )
    more_durations = forms.TypedMultipleChoiceField(
        label=_("Other lengths the booker may choose"),
        choices=[(d, _("%(n)d minutes") % {"n": d}) for d in DURATION_CHOICES],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    kind = forms.ChoiceField(
        label=_("Who is booked"),
        choices=BookingLink.Kind.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text=_(
            "All of us: the link offers the times when you and every colleague below are "
            "free, and books you all. Any of us: it books one free person, the one with the "
            "fewest bookings from this link."
        ),
    )
    member_ids = forms.TypedMultipleChoiceField(
        label=_("Colleagues on this link"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only colleagues who allow it in their settings are listed."),
    )
    location = forms.CharField(label=_("Place"), max_length=500, required=False)
    video = forms.TypedChoiceField(
        label=_("Video room"),
        choices=[
            ("true", _("Add a video room to each meeting")),
            ("false", _("No video room")),
        ],
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
        required=False,  # not sent (an older form, a script): the choice stays as it was
        empty_value=None,
    )
    use_working_hours = forms.BooleanField(
        label=_("Bookable during my working hours"),
        required=False,
        help_text=_("Untick to give other hours below."),
    )
    timezone = forms.ChoiceField(label=_("Time zone of these hours"), required=False)
    buffer_before_minutes = forms.IntegerField(
        label=_("Free time before a meeting (minutes)"), min_value=0
    )
    buffer_after_minutes = forms.IntegerField(
        label=_("Free time after a meeting (minutes)"), min_value=0
    )
    min_notice_minutes = forms.IntegerField(
        label=_("Minimum notice (minutes)"),
        min_value=0,
        help_text=_("Nobody can book a meeting that starts sooner than this."),
    )
    horizon_days = forms.IntegerField(label=_("How far ahead (days)"), min_value=1)
    daily_limit = forms.IntegerField(
        label=_("At most this many bookings a day"),
        min_value=1,
        required=False,
        help_text=_("Leave empty for no limit."),
    )
    changes_until_hours = forms.IntegerField(
        label=_("No changes by the booker later than (hours before the meeting)"),
        min_value=0,
        required=False,
        help_text=_("0: they may move or cancel it until it starts."),
    )
    reminders = forms.TypedMultipleChoiceField(
        label=_("E-mail reminders before each meeting"),
        choices=REMINDER_CHOICE_LABELS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("To the booker, and to you if you want reminders (your settings). Up to 3."),
    )
    stale_sources_busy = forms.TypedChoiceField(
        label=_("When one of my other calendars cannot be read"),
        choices=[
            ("true", _("Offer no times until it can be read again (nothing is double-booked)")),
            ("false", _("Keep offering times, using what it said last")),
        ],
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
        required=False,  # not sent (an older form, a script): the choice stays as it was
        empty_value=None,
    )

    def __init__(self, *args: Any, owner: User, questions: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner
        colleagues = User.objects.filter(
            account_id=owner.account_id, is_active=True, joint_links_ok=True
        ).exclude(pk=owner.pk)
        self.fields["member_ids"].choices = [(u.pk, u.full_name or u.email) for u in colleagues]
        rows = min(questions + SPARE_QUESTIONS, MAX_QUESTIONS)
        if self.is_bound:  # rows the page sent, so that nothing typed is lost
            rows = max(rows, sum(1 for n in range(MAX_QUESTIONS) if f"q{n}_label" in self.data))
        self.question_rows = rows
        for n in range(rows):
            self.fields[f"q{n}_id"] = forms.CharField(required=False, widget=forms.HiddenInput)
            self.fields[f"q{n}_label"] = forms.CharField(
                label=_("Question %(n)d") % {"n": n + 1}, required=False, max_length=1000
            )
            self.fields[f"q{n}_kind"] = forms.ChoiceField(
                label=_("Kind of answer"), choices=QUESTION_KINDS, required=False
            )
            self.fields[f"q{n}_required"] = forms.BooleanField(
                label=_("An answer is required"), required=False
            )
            self.fields[f"q{n}_choices"] = forms.CharField(
                label=_("Answers to choose from (one per line)"),
                required=False,
                max_length=5000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        self.fields["timezone"].choices = [
            ("", _("My time zone (%(zone)s)") % {"zone": owner.timezone}),
            *zone_choices(),
        ]
        for day in WEEKDAYS:
            self.fields[f"hours_{day}"] = forms.CharField(
                label=DAY_NAMES[day],
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"placeholder": "9-12, 13:30-17"}),
            )
        # The link's own hours apply only with the box unticked: otherwise they are shown
        # (the working hours) but cannot be edited, so that nothing typed is thrown away.
        for name in self.own_hours_fields:
            self.fields[name].widget.attrs["data-own-hours"] = ""
            self.fields[name].disabled = self._uses_working_hours()

    @property
    def own_hours_fields(self) -> list[str]:
        return [*(f"hours_{day}" for day in WEEKDAYS), "timezone"]

    def _uses_working_hours(self) -> bool:
        if self.is_bound:
            return bool(self.data.get("use_working_hours"))
        return bool(self.initial.get("use_working_hours"))

    @classmethod
    def initial_for(cls, link: BookingLink) -> dict[str, Any]:
        hours = link.effective_hours
        initial = {
            "name": link.name,
            "kind": link.kind,
            "member_ids": list(link.members.values_list("pk", flat=True)) if link.pk else [],
            "duration_minutes": link.duration_minutes,
            "more_durations": link.more_durations,
            "location": link.location,
            "video": "true" if link.video else "false",
            "use_working_hours": link.hours is None,
            "timezone": link.timezone,
            "buffer_before_minutes": link.buffer_before_minutes,
            "buffer_after_minutes": link.buffer_after_minutes,
            "min_notice_minutes": link.min_notice_minutes,
            "horizon_days": link.horizon_days,
            "daily_limit": link.daily_limit,
            "stale_sources_busy": "true" if link.stale_sources_busy else "false",
            "changes_until_hours": link.changes_until_hours,
            "reminders": link.reminders,
        }
        for day in WEEKDAYS:
            initial[f"hours_{day}"] = format_day_ranges(hours.get(day, []))
        for n, question in enumerate(link.questions):
            initial[f"q{n}_id"] = question["id"]
            initial[f"q{n}_label"] = question["label"]
            initial[f"q{n}_kind"] = question["kind"]
            initial[f"q{n}_required"] = question["required"]
            initial[f"q{n}_choices"] = "\n".join(question["choices"])
        return initial

    @property
    def question_fields(self) -> list[dict[str, forms.BoundField]]:
        return [
            {part: self[f"q{n}_{part}"] for part in ("id", "label", "kind", "required", "choices")}
            for n in range(self.question_rows)
        ]

    def _questions(self) -> list[dict[str, Any]]:
        """The rows with a question typed, in order; an empty label drops the row."""
        data = self.cleaned_data
        out = []
        for n in range(self.question_rows):
            label = (data.get(f"q{n}_label") or "").strip()
            if not label:
                continue
            kind = data.get(f"q{n}_kind") or "short"
            choices = [c.strip() for c in (data.get(f"q{n}_choices") or "").splitlines()]
            out.append(
                {
                    "id": data.get(f"q{n}_id") or "",
                    "label": label,
                    "kind": kind,
                    "required": bool(data.get(f"q{n}_required")),
                    "choices": [c for c in choices if c] if kind == "choice" else [],
                }
            )
        return out

    @property
    def day_fields(self) -> list[forms.BoundField]:
        return [self[f"hours_{day}"] for day in WEEKDAYS]

    def changes(self) -> dict[str, Any]:
        """The cleaned form as ``configure_link`` changes (call after ``is_valid``)."""
        data = self.cleaned_data
        changes = {
            key: data[key]
            for key in (
                "name",
                "duration_minutes",
                "more_durations",
                "location",
                "timezone",
                "buffer_before_minutes",
                "buffer_after_minutes",
                "min_notice_minutes",
                "horizon_days",
                "daily_limit",
            )
        }
        if data.get("stale_sources_busy") is not None:
            changes["stale_sources_busy"] = data["stale_sources_busy"]
        if data.get("video") is not None:
            changes["video"] = data["video"]
        if data.get("kind"):
            changes["kind"] = data["kind"]
            changes["member_ids"] = data.get("member_ids") or []
        changes["reminders"] = data.get("reminders") or []
        if data.get("changes_until_hours") is not None:
            changes["changes_until_hours"] = data["changes_until_hours"]
        changes["questions"] = self._questions()
        if data["use_working_hours"]:
            changes["hours"] = None
        else:
            # Unticked in a browser without scripts, the day fields were still disabled
            # and sent nothing: the hours shown (the working hours) become the link's own.
            sent = any(f"hours_{day}" in self.data for day in WEEKDAYS)
            hours = {}
            for day in WEEKDAYS:
                text = data.get(f"hours_{day}") if sent else self.initial.get(f"hours_{day}")
                try:
                    hours[day] = parse_day_ranges(text or "", day)
                except ValidationError as exc:
                    self.add_error(f"hours_{day}", exc)
            changes["hours"] = hours
        return changes

    def apply_service_errors(self, exc: ValidationError) -> None:
        """Put the services' errors beside the fields; hour errors start with the day key."""
        for field, messages in exc.message_dict.items():
            if field == "hours":
                for message in messages:
                    day = message.split(":", 1)[0]
                    self.add_error(f"hours_{day}" if day in WEEKDAYS else None, message)
            elif field == "questions":
                self.add_error(None, messages)
            else:
                self.add_error(field if field in self.fields else None, messages)


class NewMeetingTypeForm(forms.Form):
    """A meeting type is started with a name and a length; the rest on its own page."""

    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("e.g. “Intro call”"))
    duration_minutes = forms.TypedChoiceField(
        label=_("Meeting length"),
        choices=[(d, _("%(n)d minutes") % {"n": d}) for d in DURATION_CHOICES],
        coerce=int,
        initial=30,
    )


class BookingForm(forms.Form):
    """The visitor's form; ``start`` is the UTC instant of a listed slot."""

    start = forms.CharField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(
        label=_("Full name"),
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"autocomplete": "name", "required": True}),
    )
    email = forms.CharField(
        label=_("E-mail"),
        required=False,
        max_length=1000,
        help_text=_("The confirmation goes here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "required": True}),
    )
    phone = forms.CharField(
        label=_("Phone (optional)"),
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, questions: list[dict[str, Any]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.questions = questions or []
        # Every answer is optional here: the service checks them and names what is wrong.
        for question in self.questions:
            name = f"answer_{question['id']}"
            label = question["label"]
            attrs = {"required": True} if question["required"] else {}
            if question["kind"] == "checkbox":
                field: forms.Field = forms.BooleanField(
                    label=label, required=False, widget=forms.CheckboxInput(attrs=attrs)
                )
            elif question["kind"] == "choice":
                field = forms.ChoiceField(
                    label=label,
                    required=False,
                    choices=[(c, c) for c in question["choices"]],
                    widget=forms.RadioSelect(attrs=attrs),
                )
            elif question["kind"] == "long":
                field = forms.CharField(
                    label=label, required=False, max_length=10_000,
                    widget=forms.Textarea(attrs={"rows": 3, **attrs}),
                )  # fmt: skip
            else:
                field = forms.CharField(
                    label=label, required=False, max_length=1000,
                    widget=forms.TextInput(attrs=attrs),
                )  # fmt: skip
            self.fields[name] = field

    @property
    def answer_fields(self) -> list[forms.BoundField]:
        return [self[f"answer_{q['id']}"] for q in self.questions]

    def answers(self) -> dict[str, Any]:
        """The answers as ``services.BookingRequest`` takes them (after ``is_valid``)."""
        given = {}
        for question in self.questions:
            value = self.cleaned_data.get(f"answer_{question['id']}")
            if question["kind"] == "checkbox":
                given[question["id"]] = bool(value)
            elif value not in (None, ""):
                given[question["id"]] = value
        return given

    def start_instant(self) -> dt.datetime | None:
        text = (self.cleaned_data.get("start") or "").strip()
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        return value if value.tzinfo is not None else None
