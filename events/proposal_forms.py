"""The guest page's "propose another time" form (rules: ``events.proposals``)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy


class ProposalForm(forms.Form):
    """A new time on one day, in the event's own zone (the page says which)."""

    day = forms.DateField(label=gettext_lazy("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(
        label=gettext_lazy("From"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.TimeField(label=gettext_lazy("To"), widget=forms.TimeInput(attrs={"type": "time"}))
    comment = forms.CharField(
        label=gettext_lazy("Note for the organizer"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def times(self) -> tuple[dt.datetime, dt.datetime]:
        """Naive wall times: the event's zone places them."""
        day = self.cleaned_data["day"]
        return (
            dt.datetime.combine(day, self.cleaned_data["start"]),
            dt.datetime.combine(day, self.cleaned_data["end"]),
        )
