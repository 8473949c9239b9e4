"""The event form: labelled fields in local date + time, turned into aware instants.

Local date/time rule (the same as RFC 5545 §3.3.5 and scheduling.hours, Python's
``fold=0``):

* a local time that does not exist because the clocks jump forward (Europe/Berlin
  2026-03-29 02:30) is read with the offset in force before the gap, so it moves
  forward by the gap: 03:30 CEST. The page says so after saving.
* a local time that occurs twice because the clocks go back (Europe/Berlin 2026-10-25
  02:30) means its first occurrence (CEST, +02:00). The page says so after saving.

All-day events take dates only: the end date is the last day, inclusive; the event is
stored from local midnight of the first day to local midnight after the last one.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.forms import PageFormMixin, time_zone_choices
from accounts.models import User

from .models import Event

#: Service field name -> form field that shows its error.
SERVICE_FIELD_MAP = {"start": "start_date", "end": "end_date"}


@dataclass(frozen=True)
class TimeNote:
    """A local time the rule above had to interpret; shown to the user after saving."""

    kind: str  # "gap" or "fold"
    typed: dt.datetime  # naive, as typed
    used: dt.datetime  # aware, as stored
    zone: str

    def message(self) -> str:
        params = {
            "time": self.typed.strftime("%H:%M"),
            "date": self.typed.strftime("%Y-%m-%d"),
            "zone": self.zone,
            "used": self.used.strftime("%H:%M"),
            "offset": self.used.strftime("%z")[:3] + ":" + self.used.strftime("%z")[3:],
        }
        if self.kind == "gap":
            return (
                gettext(
                    "%(time)s does not exist on %(date)s in %(zone)s (the clocks jump forward); "
                    "%(used)s was used instead."
                )
                % params
            )
        return (
            gettext(
                "%(time)s occurs twice on %(date)s in %(zone)s (the clocks go back); "
                "the first one (UTC%(offset)s) was used."
            )
            % params
        )


def resolve_local(
    day: dt.date, time: dt.time, zone: zoneinfo.ZoneInfo
) -> tuple[dt.datetime, TimeNote | None]:
    """The instant a typed local date + time means, by the rule in the module docstring."""
    naive = dt.datetime.combine(day, time.replace(tzinfo=None, fold=0))
    aware = naive.replace(tzinfo=zone)  # fold=0
    normalised = aware.astimezone(dt.UTC).astimezone(zone)
    if normalised.replace(tzinfo=None) != naive:
        return normalised, TimeNote("gap", naive, normalised, zone.key)
    if aware.utcoffset() != naive.replace(tzinfo=zone, fold=1).utcoffset():
        return aware, TimeNote("fold", naive, aware, zone.key)
    return aware, None


class ColleagueChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name} <{obj.email}>" if obj.full_name else obj.email


class EventForm(PageFormMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    start_date = forms.DateField(
        label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    start_time = forms.TimeField(
        label=_("Start time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    end_date = forms.DateField(
        label=_("End date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end_time = forms.TimeField(
        label=_("End time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=_("The date and time above are read in this zone."),
    )
    all_day = forms.BooleanField(
        label=_("All day"),
        required=False,
        help_text=_("Times are ignored; the end date is the last day of the event."),
    )
    location = forms.CharField(label=_("Place"), required=False, max_length=500)
    video_url = forms.CharField(
        label=_("Video link"),
        required=False,
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    transparency = forms.ChoiceField(
        label=_("Show me as"),
        choices=Event.Transparency.choices,
        initial=Event.Transparency.BUSY,
        widget=forms.RadioSelect,
    )
    attendee_ids = ColleagueChoiceField(
        label=_("Colleagues"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    guests_can_see_participants = forms.BooleanField(
        label=_("Guests can see the participant list"), required=False
    )
    notify_on_decision = forms.BooleanField(
        label=_("Notify me about decisions"), required=False, initial=True
    )

    def __init__(self, *args, organizer: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.organizer = organizer
        self.time_notes: list[TimeNote] = []
        self.fields["attendee_ids"].queryset = User.objects.filter(
            account_id=organizer.account_id, is_active=True
        ).exclude(pk=organizer.pk)
        if not self.is_bound and "timezone" not in self.initial:
            self.initial["timezone"] = organizer.timezone

    @classmethod
    def initial_for_new(cls, user: User, day: dt.date | None, now: dt.datetime) -> dict:
        """Today at the next full hour, or 09:00 on a chosen day; one hour long."""
        local_now = now.astimezone(user.zone)
        if day is None:
            start = (local_now + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        else:
            start = dt.datetime.combine(day, dt.time(9, 0))
        end = start + dt.timedelta(hours=1)
        return {
            "start_date": start.date(),
            "start_time": start.time().replace(tzinfo=None),
            "end_date": end.date(),
            "end_time": end.time().replace(tzinfo=None),
            "timezone": user.timezone,
        }

    @classmethod
    def initial_for_event(cls, event: Event) -> dict:
        zone = event.zone
        start = event.start.astimezone(zone)
        end = event.end.astimezone(zone)
        initial = {
            "title": event.title,
            "start_date": start.date(),
            "end_date": end.date(),
            "timezone": event.timezone,
            "all_day": event.all_day,
            "location": event.location,
            "video_url": event.video_url,
            "description": event.description,
            "transparency": event.transparency,
            "attendee_ids": [
                a.user_id
                for a in event.attendees.all()
                if a.user_id and a.user_id != event.organizer_id
            ],
            "guests_can_see_participants": event.guests_can_see_participants,
            "notify_on_decision": event.notify_on_decision,
        }
        if event.all_day:
            initial["end_date"] = (end - dt.timedelta(microseconds=1)).date()
        else:
            initial["start_time"] = start.time().replace(tzinfo=None)
            initial["end_time"] = end.time().replace(tzinfo=None)
        return initial

    def clean(self) -> dict:
        data = super().clean()
        zone_name = data.get("timezone")
        if not zone_name:
            return data
        zone = zoneinfo.ZoneInfo(zone_name)
        self.time_notes = []
        if data.get("all_day"):
            if data.get("start_date") and data.get("end_date"):
                data["start"] = resolve_local(data["start_date"], dt.time(0), zone)[0]
                data["end"] = resolve_local(
                    data["end_date"] + dt.timedelta(days=1), dt.time(0), zone
                )[0]
            return data
        for prefix in ("start", "end"):
            day, time = data.get(f"{prefix}_date"), data.get(f"{prefix}_time")
            if time is None and f"{prefix}_time" not in self.errors:
                self.add_error(f"{prefix}_time", gettext("Enter a time, or tick “All day”."))
            if day is None or time is None:
                continue
            moment, note = resolve_local(day, time, zone)
            data[prefix] = moment
            if note:
                self.time_notes.append(note)
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "start": data["start"],
            "end": data["end"],
            "timezone": data["timezone"],
            "all_day": data["all_day"],
            "location": data["location"],
            "video_url": data["video_url"],
            "description": data["description"],
            "transparency": data["transparency"],
            "attendee_ids": [u.pk for u in data["attendee_ids"]],
            "guests_can_see_participants": data["guests_can_see_participants"],
            "notify_on_decision": data["notify_on_decision"],
        }


class GuestForm(PageFormMixin, forms.Form):
    """One external guest row of the event form; an empty row is ignored."""

    email = forms.EmailField(
        label=_("Guest's e-mail"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    first_name = forms.CharField(label=_("First name"), required=False, max_length=100)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=100)

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("email") and (data.get("first_name") or data.get("last_name")):
            self.add_error("email", gettext("Enter the guest's e-mail address."))
        return data


class BaseGuestFormSet(forms.BaseFormSet):
    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove")

    def guests(self) -> list[dict]:
        """The filled-in rows, in order, as the services take them (removed rows left out)."""
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data.get("email") or (self.can_delete and data.get("DELETE")):
                continue
            rows.append(
                {
                    "email": data["email"],
                    "first_name": data.get("first_name", ""),
                    "last_name": data.get("last_name", ""),
                }
            )
        return rows

    def apply_service_errors(self, errors: dict[str, list[str]]) -> list[str]:
        """Put ``guests.N.field`` errors of the service next to row N; return the rest."""
        kept = [form for form in self.forms if form in self._kept_forms()]
        rest: list[str] = []
        for key, messages in errors.items():
            parts = key.split(".")
            if len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(kept):
                form = kept[int(parts[1])]
                field = parts[2] if parts[2] in form.fields else None
                form.add_error(field, messages)
            else:
                rest.extend(messages)
        return rest

    def _kept_forms(self) -> list[forms.Form]:
        return [
            form
            for form in self.forms
            if (getattr(form, "cleaned_data", None) or {}).get("email")
            and not (self.can_delete and form.cleaned_data.get("DELETE"))
        ]


GuestFormSet = forms.formset_factory(
    GuestForm, formset=BaseGuestFormSet, extra=1, can_delete=True, max_num=200, absolute_max=200
)


def guest_formset(data=None, *, event: Event | None = None) -> BaseGuestFormSet:
    initial = None
    if event is not None and data is None:
        initial = [
            {
                "email": a.guest.email,
                "first_name": a.guest.first_name,
                "last_name": a.guest.last_name,
            }
            for a in event.attendees.all()
            if a.guest_id
        ]
    return GuestFormSet(data, initial=initial, prefix="guests")


class RespondForm(PageFormMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Your answer"),
        choices=[
            ("accepted", _("Accept")),
            ("tentative", _("Maybe")),
            ("declined", _("Decline")),
        ],
    )
