"""One weekday's hours typed as text: "9-12, 13:30–17" → [["09:00", "12:00"], ["13:30", "17:00"]].

People write times the way their language and habit have them: ``9``, ``9:00``,
``09.00``, ``9h30``, ranges joined by a hyphen or a dash, ranges separated by commas or
semicolons. The working-hours and booking-hours forms both read them here, so that what
one page accepts the other accepts too; the services keep the strict ``HH:MM`` JSON
form. Errors name the day in words and show how to write it, in the user's language.
"""

from __future__ import annotations

import re
from itertools import pairwise

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DAY_NAMES = {
    "mon": _("Monday"),
    "tue": _("Tuesday"),
    "wed": _("Wednesday"),
    "thu": _("Thursday"),
    "fri": _("Friday"),
    "sat": _("Saturday"),
    "sun": _("Sunday"),
}

#: An hour, then optionally minutes after ":", "." or "h" ("9", "9:30", "09.30", "9h30", "9h").
_TIME = r"(\d{1,2})(?:\s*[:.hH]\s*(\d{2})?)?"
_RANGE_RE = re.compile(rf"^{_TIME}\s*(?:-|–|—|to)\s*{_TIME}$")
_MINUTES_PER_DAY = 24 * 60


def _minutes(hours: str, minutes: str | None) -> int:
    return int(hours) * 60 + int(minutes or 0)


def _text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_day_ranges(text: str, day: str) -> list[list[str]]:
    """The ranges of ``day`` (a key of ``DAY_NAMES``) typed in ``text``, sorted, as
    ``HH:MM`` pairs. Empty text means no hours that day."""
    label = DAY_NAMES[day]
    ranges: list[tuple[int, int]] = []
    for part in (p.strip() for p in re.split(r"[,;/]", text or "")):
        if not part:
            continue
        match = _RANGE_RE.match(part)
        if not match:
            raise ValidationError(
                _("%(day)s: “%(part)s” is not a range of times. Write it like 9:00-12:30."),
                params={"day": label, "part": part},
            )
        h1, m1, h2, m2 = match.groups()
        start, end = _minutes(h1, m1), _minutes(h2, m2)
        if int(m1 or 0) > 59 or int(m2 or 0) > 59 or max(start, end) > _MINUTES_PER_DAY:
            raise ValidationError(
                _("%(day)s: “%(part)s” has a time outside 0:00-24:00."),
                params={"day": label, "part": part},
            )
        if end <= start:
            raise ValidationError(
                _("%(day)s: in “%(part)s” the end is not after the start."),
                params={"day": label, "part": part},
            )
        ranges.append((start, end))
    ranges.sort()
    for (s1, e1), (s2, e2) in pairwise(ranges):
        if s2 < e1:
            raise ValidationError(
                _("%(day)s: the ranges %(first)s and %(second)s overlap."),
                params={
                    "day": label,
                    "first": f"{_text(s1)}-{_text(e1)}",
                    "second": f"{_text(s2)}-{_text(e2)}",
                },
            )
    return [[_text(s), _text(e)] for s, e in ranges]


def format_day_ranges(ranges: list | None) -> str:
    """The stored ranges of a day as the forms show them ("09:00-12:00, 13:00-17:00")."""
    return ", ".join(f"{a}-{b}" for a, b in ranges or [])
