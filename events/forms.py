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
import re
import zoneinfo

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.forms import AddressField, PageFormMixin, ZoneField
from accounts.models import User
from scheduling.recurrence import MAX_COUNT, MAX_INTERVAL, Rule, parse_rule
from scheduling.reminders import CHOICES as REMINDER_CHOICES

from .guests import MAX_GUESTS_PER_EVENT
from .localtime import TimeNote, resolve_local
from .models import Event
from .repeat import (
    DAY_CODES,
    ENDS_CHOICES,
    REPEAT_CHOICES,
    REPEAT_KEEP,
    WEEKDAY_CHOICES,
    RepeatChoice,
    build_rule,
    monthly_choices,
    read_rule,
)
from .rule_text import describe_rule, monthly_option

#: The word after the interval box, singular or plural by the number in it.
INTERVAL_UNITS = {
    "DAILY": lambda n: ngettext("day", "days", n),
    "WEEKLY": lambda n: ngettext("week", "weeks", n),
    "MONTHLY": lambda n: ngettext("month", "months", n),
    "YEARLY": lambda n: ngettext("year", "years", n),
}

#: Service field name -> form field that shows its error.
SERVICE_FIELD_MAP = {"start": "start_date", "end": "end_date", "recurrence": "repeat"}


#: A prefill link names at most this many colleagues (the rest are ignored).
MAX_PREFILL_ATTENDEES = 200


def _prefill_instant(text: str, zone: dt.tzinfo | None = None) -> dt.datetime | None:
    """An aware instant from a query parameter, or None (a prefill never fails).

    A wall time without an offset (the week grid's "click to create" sends the time the
    user pointed at) is read in ``zone``, the user's own."""
    # A "+" that was not percent-encoded arrives as a space.
    text = text.strip().replace(" ", "+")
    if not text or len(text) > 40:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None and zone is not None:
        moment = moment.replace(tzinfo=zone)
    if moment.tzinfo is None or moment.utcoffset() is None or not 1900 <= moment.year <= 2999:
        return None
    return moment


def _minutes_label(minutes: int) -> str:
    if minutes % 1440 == 0:
        days = minutes // 1440
        return ngettext("%(n)d day before", "%(n)d days before", days) % {"n": days}
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)d hour before", "%(n)d hours before", hours) % {"n": hours}
    return ngettext("%(n)d minute before", "%(n)d minutes before", minutes) % {"n": minutes}


#: Lazily labelled, so each page shows them in its reader's language.
REMINDER_CHOICE_LABELS = [(m, lazy(_minutes_label, str)(m)) for m in REMINDER_CHOICES]


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
    timezone = ZoneField(
        label=_("Time zone"),
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
    reminders = forms.TypedMultipleChoiceField(
        label=_("E-mail reminders"),
        choices=REMINDER_CHOICE_LABELS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("To the guests, and to colleagues who want reminders. Up to 3."),
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
    repeat = forms.ChoiceField(label=_("Repeats"), choices=REPEAT_CHOICES, required=False)
    repeat_interval = forms.IntegerField(
        label=_("Every"),
        min_value=1,
        max_value=MAX_INTERVAL,
        required=False,
        initial=1,
        help_text=_("1: every day, week, month or year; 2: every other one; and so on."),
    )
    repeat_weekdays = forms.MultipleChoiceField(
        label=_("On these days"),
        choices=WEEKDAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Weekly only. The start date's weekday must be one of them."),
        # Tells whether the boxes are still the default (see _clean_repeat).
        show_hidden_initial=True,
    )
    repeat_monthly = forms.ChoiceField(
        label=_("Each month"),
        choices=lambda: monthly_choices(None),
        required=False,
        initial="day",
        widget=forms.RadioSelect,
    )
    repeat_ends = forms.ChoiceField(
        label=_("Ends"),
        choices=ENDS_CHOICES,
        required=False,
        initial="never",
        widget=forms.RadioSelect,
    )
    repeat_until = forms.DateField(
        label=_("Repeat until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The last day that may have an occurrence."),
    )
    repeat_count = forms.IntegerField(
        label=_("Number of occurrences"), min_value=1, max_value=MAX_COUNT, required=False
    )

    #: The fields of the repeat control (ignored when the control does not apply).
    REPEAT_FIELDS = (
        "repeat",
        "repeat_interval",
        "repeat_weekdays",
        "repeat_monthly",
        "repeat_ends",
        "repeat_until",
        "repeat_count",
    )

    def __init__(
        self,
        *args,
        organizer: User,
        series: Event | None = None,
        repeat_enabled: bool = True,
        **kwargs,
    ) -> None:
        """``series``: the stored event whose rule the control shows (edit "all");
        ``repeat_enabled``: False when the change is for one occurrence or the following
        ones, where the rule is not changed and the control's fields are ignored."""
        super().__init__(*args, **kwargs)
        self.organizer = organizer
        self.time_notes: list[TimeNote] = []
        self.fields["attendee_ids"].queryset = User.objects.filter(
            account_id=organizer.account_id, is_active=True
        ).exclude(pk=organizer.pk)
        if not self.is_bound and "timezone" not in self.initial:
            self.initial["timezone"] = organizer.timezone
        self.fields["timezone"].lead_with(self.initial.get("timezone"), organizer.timezone)
        self.series = series
        self.repeat_enabled = repeat_enabled
        self.repeat_choice: RepeatChoice | None = None
        self.stored_rule: Rule | None = None
        self.stored_choice: RepeatChoice | None = None
        self.stored_description = ""
        if series is not None and series.recurrence:
            self.stored_rule = parse_rule(series.recurrence)
            self.stored_description = describe_rule(self.stored_rule)
            self.stored_choice = read_rule(self.stored_rule, self._series_start(), series.all_day)
            if self.stored_choice is None:
                keep = gettext("Keep as is: %(rule)s") % {"rule": self.stored_description}
                self.fields["repeat"].choices = [(REPEAT_KEEP, keep), *REPEAT_CHOICES]
        self.fields["repeat_monthly"].choices = monthly_choices(self._repeat_day())
        if not self.is_bound:
            self._initial_repeat()

    @property
    def repeat_texts(self) -> dict:
        """Words the page script needs to relabel the control when the start date changes."""
        return {
            # The word after the interval box per plural category of the page's language
            # (the script picks with Intl.PluralRules): "1 week", "2 weeks"; Polish has
            # three forms ("1 tydzień", "2 tygodnie", "5 tygodni").
            "units": {
                freq: {"one": unit(1), "few": unit(2), "many": unit(5), "other": unit(2)}
                for freq, unit in INTERVAL_UNITS.items()
            },
            "day": gettext("On day %(day)d"),
            # Per weekday (Monday first): the options for the 1st…5th and the last one,
            # whole phrases, since their grammar follows the weekday in some languages.
            "nth": [[monthly_option(n, code) for n in range(1, 6)] for code in DAY_CODES],
            "last": [monthly_option(-1, code) for code in DAY_CODES],
        }

    def _series_start(self) -> dt.datetime:
        return self.series.start.astimezone(self.series.zone)

    def _repeat_day(self) -> dt.date | None:
        """The day the rule is built around: the series' first day, else the start date."""
        if self.stored_rule is not None:
            return self._series_start().date()
        if self.is_bound:
            try:
                return dt.date.fromisoformat(self.data.get(self.add_prefix("start_date"), ""))
            except (TypeError, ValueError):
                return None
        day = self.initial.get("start_date")
        return day if isinstance(day, dt.date) else None

    def _initial_repeat(self) -> None:
        if any(name in self.initial for name in self.REPEAT_FIELDS):
            return
        if self.stored_choice is not None:
            self.initial.update(self.stored_choice.initial())
        elif self.stored_rule is not None:
            self.initial["repeat"] = REPEAT_KEEP
        day = self._repeat_day()
        if day is not None and not self.initial.get("repeat_weekdays"):
            self.initial["repeat_weekdays"] = [DAY_CODES[day.weekday()]]

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
    def prefill_times(cls, user: User, query) -> tuple[dt.datetime, dt.datetime] | None:
        """``?start=&end=`` as instants (an end missing or not after the start: one hour
        later), or None when there is no usable start."""
        start = _prefill_instant(query.get("start", ""), user.zone)
        if start is None:
            return None
        end = _prefill_instant(query.get("end", ""), user.zone)
        if end is None or end <= start:
            end = start + dt.timedelta(hours=1)
        return start, end

    @classmethod
    def prefill(cls, user: User, query) -> dict:
        """Initial values from a link (``?start=&end=&attendees=1,2``), e.g. the planner's.

        Only a prefill: a start or end that is not an ISO 8601 instant (with an offset, or
        a wall time in the user's zone), an
        end not after the start, and ids that are not active colleagues of the user's own
        account are left out without a word; the form is checked again on saving.
        """
        initial: dict = {}
        times = cls.prefill_times(user, query)
        if times is not None:
            local_start, local_end = (moment.astimezone(user.zone) for moment in times)
            initial.update(
                {
                    "start_date": local_start.date(),
                    "start_time": local_start.time().replace(tzinfo=None),
                    "end_date": local_end.date(),
                    "end_time": local_end.time().replace(tzinfo=None),
                    "timezone": user.timezone,
                }
            )
        ids = [
            int(part)
            for part in query.get("attendees", "").split(",")[:MAX_PREFILL_ATTENDEES]
            if re.fullmatch(r"[0-9]{1,12}", part.strip())
        ]
        if ids:
            initial["attendee_ids"] = list(
                User.objects.filter(account_id=user.account_id, is_active=True, pk__in=ids)
                .exclude(pk=user.pk)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        return initial

    @classmethod
    def initial_for_event(
        cls,
        event: Event,
        *,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> dict:
        """The form filled from ``event``; ``start``/``end`` show one occurrence's times."""
        zone = event.zone
        start = (start or event.start).astimezone(zone)
        end = (end or event.end).astimezone(zone)
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
            "reminders": event.reminders,
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
        self._clean_repeat(data)
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

    def _clean_repeat(self, data: dict) -> None:
        if not self.repeat_enabled:
            for name in self.REPEAT_FIELDS:
                self._errors.pop(name, None)
            return
        repeat = data.get("repeat") or ""
        if repeat == REPEAT_KEEP:
            return
        ends = data.get("repeat_ends") or "never"
        missing = {
            "until": ("repeat_until", gettext("Enter the last day of the series.")),
            "count": ("repeat_count", gettext("Enter how many times it happens.")),
        }
        if repeat and ends in missing:
            name, message = missing[ends]
            if data.get(name) is None and name not in self._errors:
                self.add_error(name, message)
        weekdays = data.get("repeat_weekdays") or ()
        if self.stored_rule is None and "repeat_weekdays" not in self.changed_data:
            # Untouched, the ticked box is only the default: the weekday of the start
            # date the page was opened with. The start date counts, as it may have moved.
            weekdays = ()
        self.repeat_choice = RepeatChoice.make(
            repeat,
            interval=data.get("repeat_interval"),
            weekdays=weekdays,
            monthly=data.get("repeat_monthly"),
            ends=ends,
            until=data.get("repeat_until"),
            count=data.get("repeat_count"),
        )

    def recurrence_for(self, start: dt.datetime) -> str | None:
        """RRULE text for a series whose first occurrence is ``start`` (aware, in the
        event's zone), or None when it does not repeat.

        The stored rule comes back unchanged when "keep as is" is chosen, or when neither
        the control nor the first day changed (so a saved form never rewrites a rule
        someone else wrote, and guests are not sent a needless update). Raises
        ValidationError naming a field of the control.
        """
        if not self.repeat_enabled:
            raise ValueError("The repeat control is off for this change.")
        if self.cleaned_data.get("repeat") == REPEAT_KEEP and self.stored_rule is not None:
            return str(self.stored_rule)
        choice = self.repeat_choice or RepeatChoice("")
        if (
            self.stored_rule is not None
            and choice == self.stored_choice
            and start.date() == self._series_start().date()
        ):
            return str(self.stored_rule)
        rule = build_rule(choice, start, bool(self.cleaned_data.get("all_day")))
        return str(rule) if rule is not None else None

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
            "reminders": data.get("reminders") or [],
            "attendee_ids": [u.pk for u in data["attendee_ids"]],
            "guests_can_see_participants": data["guests_can_see_participants"],
            "notify_on_decision": data["notify_on_decision"],
        }


class GuestForm(PageFormMixin, forms.Form):
    """One external guest row of the event form; an empty row is ignored."""

    email = AddressField(
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
    GuestForm,
    formset=BaseGuestFormSet,
    extra=1,
    can_delete=True,
    max_num=MAX_GUESTS_PER_EVENT,
    absolute_max=MAX_GUESTS_PER_EVENT,
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


SCOPE_CHOICES = [
    ("this", _("This occurrence")),
    ("following", _("This and all following")),
    ("all", _("All occurrences")),
]


class ScopeForm(PageFormMixin, forms.Form):
    """Which occurrences of a series a change or a cancellation is for."""

    scope = forms.ChoiceField(
        label=_("Apply to"),
        choices=SCOPE_CHOICES,
        initial="this",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, label: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if label:
            self.fields["scope"].label = label

    @property
    def chosen(self) -> str:
        """The chosen scope; "this" (the default) when nothing valid was sent."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["scope"]
        return "this"
