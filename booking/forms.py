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

from .models import DURATION_CHOICES, BookingLink


class LinkSettingsForm(forms.Form):
    duration_minutes = forms.TypedChoiceField(
        label=_("Meeting length"),
        choices=[(d, _("%(n)d minutes") % {"n": d}) for d in DURATION_CHOICES],
        coerce=int,
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

    def __init__(self, *args: Any, owner: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owner = owner
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
            "duration_minutes": link.duration_minutes,
            "use_working_hours": link.hours is None,
            "timezone": link.timezone,
            "buffer_before_minutes": link.buffer_before_minutes,
            "buffer_after_minutes": link.buffer_after_minutes,
            "min_notice_minutes": link.min_notice_minutes,
            "horizon_days": link.horizon_days,
            "daily_limit": link.daily_limit,
            "stale_sources_busy": "true" if link.stale_sources_busy else "false",
        }
        for day in WEEKDAYS:
            initial[f"hours_{day}"] = format_day_ranges(hours.get(day, []))
        return initial

    @property
    def day_fields(self) -> list[forms.BoundField]:
        return [self[f"hours_{day}"] for day in WEEKDAYS]

    def changes(self) -> dict[str, Any]:
        """The cleaned form as ``configure_link`` changes (call after ``is_valid``)."""
        data = self.cleaned_data
        changes = {
            key: data[key]
            for key in (
                "duration_minutes",
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
            else:
                self.add_error(field if field in self.fields else None, messages)


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

    def start_instant(self) -> dt.datetime | None:
        text = (self.cleaned_data.get("start") or "").strip()
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        return value if value.tzinfo is not None else None
