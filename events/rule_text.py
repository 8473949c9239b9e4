"""A series' rule in words ("Every 2 weeks on Monday, Wednesday, 10 times"), and the
engine's refusals of a series, in the reader's language.

The pure engine (``scheduling.recurrence``) knows no language: it hands over the rule's
parts, and its errors carry a ``code`` and parameters. Grammar differs per language, so
the pieces are whole phrases for translators: the frequency with its number (plural
forms through ``ngettext``), weekdays in the form they take after "on" (Polish says "w
środę"), and ordinals that agree with the weekday's gender (Italian "la prima domenica",
Polish "w pierwszą środę"), which each catalogue states per weekday.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from accounts.dates import format_date, format_time
from scheduling.recurrence import RecurrenceError, Rule

_BYDAY = re.compile(r"^(?:([+-]?)([0-9]{1,2}))?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL = re.compile(r"^([0-9]{4})([0-9]{2})([0-9]{2})")


def _frequency(rule: Rule) -> str:
    n = rule.interval
    if rule.freq == "DAILY":
        return ngettext("Every day", "Every %(n)d days", n) % {"n": n}
    if rule.freq == "WEEKLY":
        return ngettext("Every week", "Every %(n)d weeks", n) % {"n": n}
    if rule.freq == "MONTHLY":
        return ngettext("Every month", "Every %(n)d months", n) % {"n": n}
    return ngettext("Every year", "Every %(n)d years", n) % {"n": n}


def _weekday_on(code: str) -> str:
    """The weekday as it reads after "on" ("on Monday"; Polish "w poniedziałek")."""
    return {
        "MO": pgettext("after on", "Monday"),
        "TU": pgettext("after on", "Tuesday"),
        "WE": pgettext("after on", "Wednesday"),
        "TH": pgettext("after on", "Thursday"),
        "FR": pgettext("after on", "Friday"),
        "SA": pgettext("after on", "Saturday"),
        "SU": pgettext("after on", "Sunday"),
    }[code]


def _is_feminine(code: str) -> bool:
    """Each catalogue says "f" for the weekdays that are feminine in its language."""
    gender = {
        "MO": pgettext("grammatical gender, m or f", "Monday"),
        "TU": pgettext("grammatical gender, m or f", "Tuesday"),
        "WE": pgettext("grammatical gender, m or f", "Wednesday"),
        "TH": pgettext("grammatical gender, m or f", "Thursday"),
        "FR": pgettext("grammatical gender, m or f", "Friday"),
        "SA": pgettext("grammatical gender, m or f", "Saturday"),
        "SU": pgettext("grammatical gender, m or f", "Sunday"),
    }[code]
    return gender == "f"


def _nth_weekday(number: int, code: str) -> str:
    weekday = _weekday_on(code)
    if _is_feminine(code):
        phrases = {
            1: pgettext("feminine weekday", "the first %(weekday)s"),
            2: pgettext("feminine weekday", "the second %(weekday)s"),
            3: pgettext("feminine weekday", "the third %(weekday)s"),
            4: pgettext("feminine weekday", "the fourth %(weekday)s"),
            5: pgettext("feminine weekday", "the fifth %(weekday)s"),
            -1: pgettext("feminine weekday", "the last %(weekday)s"),
            -2: pgettext("feminine weekday", "the second to last %(weekday)s"),
        }
    else:
        phrases = {
            1: pgettext("masculine weekday", "the first %(weekday)s"),
            2: pgettext("masculine weekday", "the second %(weekday)s"),
            3: pgettext("masculine weekday", "the third %(weekday)s"),
            4: pgettext("masculine weekday", "the fourth %(weekday)s"),
            5: pgettext("masculine weekday", "the fifth %(weekday)s"),
            -1: pgettext("masculine weekday", "the last %(weekday)s"),
            -2: pgettext("masculine weekday", "the second to last %(weekday)s"),
        }
    if number in phrases:
        return phrases[number] % {"weekday": weekday}
    return _("day %(number)d of the month that is a %(weekday)s") % {
        "number": number,
        "weekday": weekday,
    }


def monthly_option(number: int, code: str) -> str:
    """A label of the repeat control: "On the second Tuesday", "On the last Friday"."""
    phrase = _nth_weekday(number, code)
    return capfirst(pgettext("monthly repeat option", "On %(day)s") % {"day": phrase})


def describe_rule(rule: Rule) -> str:
    """The rule in the active language: "Every month on the last Friday, until 31 December 2026"."""
    text = _frequency(rule)
    if byday := rule.get("BYDAY"):
        names = []
        ordinal = False
        for item in byday.split(","):
            match = _BYDAY.match(item)
            if match is None:
                continue
            code = match.group(3)
            if match.group(2):
                number = int(match.group(2)) * (-1 if match.group(1) == "-" else 1)
                names.append(_nth_weekday(number, code))
                ordinal = True
            else:
                names.append(_weekday_on(code))
        # Two patterns: Italian writes "il lunedì" but "la prima domenica" (the article
        # belongs to the ordinal phrase there).
        if ordinal:
            pattern = pgettext("before ordinal weekdays", "%(every)s on %(days)s")
        else:
            pattern = _("%(every)s on %(days)s")
        text = pattern % {"every": text, "days": ", ".join(names)}
    if (monthday := rule.get("BYMONTHDAY")) and rule.freq in ("MONTHLY", "YEARLY"):
        text = _("%(every)s on day %(day)s") % {"every": text, "day": monthday}
    if rule.count:
        text = ngettext("%(rule)s, once", "%(rule)s, %(count)d times", rule.count) % {
            "rule": text,
            "count": rule.count,
        }
    elif rule.until and (match := _UNTIL.match(rule.until)):
        last = dt.date(*(int(g) for g in match.groups()))
        text = _("%(rule)s, until %(date)s") % {"rule": text, "date": format_date(last, "date")}
    return text


def explain(error: RecurrenceError) -> str:
    """The engine's refusal of a series, in the reader's language.

    Errors of the rule's text itself (only the API and CalDAV take RRULE text, and they
    answer in English) keep the engine's own words.
    """
    params = error.params
    if error.code == "start_not_occurrence":
        return _(
            "The start (%(date)s) is not an occurrence of this rule; start the event on "
            "its first occurrence."
        ) % {"date": format_date(params["local_start"])}
    if error.code == "until_before_start":
        return _("The end of the repetition is before the start; the series would never happen.")
    if error.code == "second_of_fold":
        return _(
            "The start is the second %(time)s of the night the clocks go back; a series "
            "repeats the first one."
        ) % {"time": format_time(params["local_start"])}
    if error.code == "too_many_exdates":
        return _("At most %(count)d dates can be taken out of a series.") % {
            "count": params["limit"]
        }
    if error.code == "exdate_not_occurrence":
        return _("The excluded date %(date)s is not an occurrence of the series.") % {
            "date": f"{format_date(params['local'])}, {format_time(params['local'])}"
        }
    if error.code == "count_too_far":
        return _(
            "%(count)d times is too many for this rule: it would run past the year "
            "%(year)d. Give fewer times or an end date."
        ) % {"count": params["count"], "year": params["year"]}
    return str(error)
