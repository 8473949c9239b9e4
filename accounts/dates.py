"""Dates and times the way each of our languages writes them, in one style everywhere.

Django knows the month and weekday names of every language, and the genitive month
("10 grudnia") as the format letter ``E``; what it lacks is one set of styles that
pages, mails and notifications share. A style is named for what it shows (``day``:
weekday and full date); each language spells it its own way. Times are 24-hour in all
five. Italian, Polish and Spanish write month and weekday names in lower case inside a
sentence, which Django's catalogues do not always do.
"""

from __future__ import annotations

import datetime as dt

from django.utils import translation
from django.utils.dateformat import DateFormat

TIME = "H:i"

STYLES: dict[str, dict[str, str]] = {
    "en": {
        "day": "l, j F Y",
        "day_no_year": "l, j F",
        "short_day": "D j M Y",
        "short_day_no_year": "D j M",
        "date": "j F Y",
        "short_date": "j M Y",
        "day_month": "j F",
        "short_day_month": "j M",
        "day_number": "j",
        "month": "F Y",
    },
    "de": {
        "day": "l, j. F Y",
        "day_no_year": "l, j. F",
        "short_day": "D, j. M Y",
        "short_day_no_year": "D, j. M",
        "date": "j. F Y",
        "short_date": "j. M Y",
        "day_month": "j. F",
        "short_day_month": "j. M",
        "day_number": "j.",
        "month": "F Y",
    },
    "it": {
        "day": "l j F Y",
        "day_no_year": "l j F",
        "short_day": "D j M Y",
        "short_day_no_year": "D j M",
        "date": "j F Y",
        "short_date": "j M Y",
        "day_month": "j F",
        "short_day_month": "j M",
        "day_number": "j",
        "month": "F Y",
    },
    "pl": {
        "day": "l, j E Y",
        "day_no_year": "l, j E",
        "short_day": "D, j M Y",
        "short_day_no_year": "D, j M",
        "date": "j E Y",
        "short_date": "j M Y",
        "day_month": "j E",
        "short_day_month": "j M",
        "day_number": "j",
        "month": "F Y",
    },
    "es": {
        "day": r"l, j \d\e F \d\e Y",
        "day_no_year": r"l, j \d\e F",
        "short_day": "D j M Y",
        "short_day_no_year": "D j M",
        "date": r"j \d\e F \d\e Y",
        "short_date": "j M Y",
        "day_month": r"j \d\e F",
        "short_day_month": "j M",
        "day_number": "j",
        "month": r"F \d\e Y",
    },
}
LOWER_CASE_NAMES = {"it", "pl", "es"}


class _NamesFormat(DateFormat):
    """Django's format letters, with names in lower case where the language wants it."""

    def __init__(self, value, lower: bool) -> None:
        super().__init__(value)
        self._lower = lower

    def _case(self, text: str) -> str:
        return text.lower() if self._lower else text

    def D(self) -> str:
        return self._case(super().D())

    def E(self) -> str:
        return self._case(super().E())

    def F(self) -> str:
        return self._case(super().F())

    def M(self) -> str:
        return self._case(super().M())

    def l(self) -> str:  # noqa: E743
        return self._case(super().l())


def _language() -> str:
    code = (translation.get_language() or "en").split("-", 1)[0]
    return code if code in STYLES else "en"


def format_date(value: dt.date | dt.datetime, style: str = "day") -> str:
    """``value`` (already in the reader's zone) in the active language's ``style``."""
    language = _language()
    pattern = STYLES[language][style]
    return _NamesFormat(value, language in LOWER_CASE_NAMES).format(pattern)


def format_time(value: dt.datetime | dt.time) -> str:
    return f"{value:%H:%M}"


def format_datetime(value: dt.datetime, style: str = "day") -> str:
    """The date in ``style`` and the time: "Wednesday, 2 December 2026, 10:00"."""
    return f"{format_date(value, style)}, {format_time(value)}"
