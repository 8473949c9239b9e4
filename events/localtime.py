"""Reading a typed local date and time as an instant, and telling the user how it was read.

The rule (RFC 5545 §3.3.5 and scheduling.hours alike, Python's ``fold=0``): a local time
inside a spring-forward gap moves forward by the gap; a local time that occurs twice
means its first occurrence. Shared by the event form, the repeat control and the views.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.utils.translation import gettext


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
