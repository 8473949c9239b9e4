"""The planner's one GET form: who, which day or week, and what to search for.

It is a GET form so that every planner view is a plain link (bookmarkable, works
without JavaScript, prev/next are ordinary links). It parses and checks form only;
the search rules are ``planner.selectors.find_common_slots``.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import PageFormMixin
from accounts.models import User

from .selectors import MAX_DURATION_MINUTES, MAX_RANGE, MAX_USERS, MIN_DURATION_MINUTES

#: Dates outside these years are refused: nobody plans there, and date arithmetic at the
#: edges of year 1..9999 would overflow (the week view has the same bounds).
MIN_YEAR, MAX_YEAR = 1900, 2999
#: The search range is whole days in the viewer's zone, "from" and "to" included.
MAX_RANGE_DAYS = MAX_RANGE.days
DEFAULT_DURATION = 30
DAY, WEEK = "day", "week"

#: Service field name -> form field that shows its error.
SERVICE_FIELD_MAP = {"duration_minutes": "duration", "start": "from", "end": "to"}


def _check_year(day: dt.date | None) -> dt.date | None:
    if day is not None and not MIN_YEAR <= day.year <= MAX_YEAR:
        raise forms.ValidationError(
            _("Choose a date from %(min)d to %(max)d."), params={"min": MIN_YEAR, "max": MAX_YEAR}
        )
    return day


class PlannerForm(PageFormMixin, forms.Form):
    users = forms.TypedMultipleChoiceField(
        label=_("People"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    date = forms.DateField(
        label=_("Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    view = forms.ChoiceField(
        label=_("Show"),
        choices=[(DAY, _("Day")), (WEEK, _("Week"))],
        required=False,
        widget=forms.RadioSelect,
    )
    duration = forms.IntegerField(
        label=_("Length (minutes)"),
        min_value=MIN_DURATION_MINUTES,
        max_value=MAX_DURATION_MINUTES,
        required=False,
        widget=forms.NumberInput(attrs={"step": 5}),
    )

    def __init__(self, *args, viewer: User, employees: list[User], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.viewer = viewer
        self.fields["users"].choices = [
            (u.pk, f"{u.full_name or u.email} ({u.timezone})") for u in employees
        ]
        # "from" is a Python keyword, so these two are added here rather than declared.
        self.fields["from"] = forms.DateField(
            label=_("From"),
            required=False,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        )
        self.fields["to"] = forms.DateField(
            label=_("To"),
            required=False,
            help_text=_("Whole days in your time zone, both included; at most %(days)d days.")
            % {"days": MAX_RANGE_DAYS},
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        )

    @property
    def wants_search(self) -> bool:
        """A search runs: "Find a time" was pressed (the submit button named ``find``), or
        the page keeps the results of one (``results``: the arrows carry it, so that moving
        along the timeline does not lose them).
        """
        return self.is_bound and ("find" in self.data or "results" in self.data)

    @property
    def jumps_to_results(self) -> bool:
        """The timeline moves to the days searched: "Find a time" itself was pressed.

        The "Date" field still holds whatever day was on screen before (today, on a first
        visit), which says nothing about where the times were found.
        """
        return self.is_bound and "find" in self.data

    def clean_users(self) -> list[int]:
        ids = list(dict.fromkeys(self.cleaned_data["users"]))
        if len(ids) > MAX_USERS:
            raise forms.ValidationError(
                _("Choose at most %(max)d people."), params={"max": MAX_USERS}
            )
        return ids

    def clean_date(self) -> dt.date | None:
        return _check_year(self.cleaned_data["date"])

    def clean(self) -> dict:
        data = super().clean()
        for name in ("from", "to"):
            if name in data:
                try:
                    _check_year(data[name])
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        if not data.get("users") and "users" not in self.errors:
            self.add_error("users", _("Choose at least one person."))
        if self.wants_search:
            for name in ("duration", "from", "to"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, _("This field is required."))
            first, last = data.get("from"), data.get("to")
            if first and last and not self.errors.get("to"):
                if last < first:
                    self.add_error("to", _("The last day must not be before the first."))
                elif (last - first).days + 1 > MAX_RANGE_DAYS:
                    self.add_error(
                        "to",
                        _("The range may cover at most %(days)d days.") % {"days": MAX_RANGE_DAYS},
                    )
        return data
