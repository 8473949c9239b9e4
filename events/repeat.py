"""The repeat control of the event form, and the rules it stands for.

The control is a handful of plain fields (it works without JavaScript) that stand for
the common rules; the form turns them into RRULE text (canonical, through the engine's
parse_rule) and reads a stored rule back into them. A rule the control cannot show
(written through the API, say) is offered as "keep as is", so saving other fields never
rewrites it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from scheduling.recurrence import RecurrenceError, Rule, parse_rule

from .localtime import resolve_local
from .rule_text import explain, monthly_option

DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
REPEAT_KEEP = "keep"
REPEAT_CHOICES = [
    ("", _("Does not repeat")),
    ("DAILY", _("Daily")),
    ("WEEKLY", _("Weekly")),
    ("MONTHLY", _("Monthly")),
    ("YEARLY", _("Yearly")),
]
WEEKDAY_CHOICES = list(
    zip(
        DAY_CODES,
        (
            _("Monday"),
            _("Tuesday"),
            _("Wednesday"),
            _("Thursday"),
            _("Friday"),
            _("Saturday"),
            _("Sunday"),
        ),
        strict=True,
    )
)
ENDS_CHOICES = [
    ("never", _("Never")),
    ("until", _("On a date")),
    ("count", _("After a number of times")),
]
_DATE_UNTIL = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TIME_UNTIL = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$")
_NUMBERED_DAY = re.compile(r"^([+-]?\d)(MO|TU|WE|TH|FR|SA|SU)$")


def nth_weekday(day: dt.date) -> int:
    """Which same weekday of its month ``day`` is: 1 for the first Monday, 2 for the second..."""
    return (day.day - 1) // 7 + 1


def is_last_weekday(day: dt.date) -> bool:
    """Whether no later same weekday follows in the month (the "last Friday")."""
    return (day + dt.timedelta(days=7)).month != day.month


def monthly_choices(day: dt.date | None) -> list[tuple[str, str]]:
    """The three monthly options, named after the start date when it is known."""
    if day is None:
        return [
            ("day", gettext("On the same day of the month")),
            ("weekday", gettext("On the same weekday of the month (e.g. the second Tuesday)")),
            ("last", gettext("On the last such weekday of the month")),
        ]
    code = DAY_CODES[day.weekday()]
    return [
        ("day", gettext("On day %(day)d") % {"day": day.day}),
        ("weekday", monthly_option(nth_weekday(day), code)),
        ("last", monthly_option(-1, code)),
    ]


@dataclass(frozen=True)
class RepeatChoice:
    """What the repeat control says, field by field (irrelevant fields already dropped)."""

    freq: str  # "" (does not repeat), DAILY, WEEKLY, MONTHLY or YEARLY
    interval: int = 1
    weekdays: tuple[str, ...] = ()
    monthly: str = ""
    ends: str = "never"
    until: dt.date | None = None
    count: int | None = None

    @classmethod
    def make(
        cls,
        freq: str,
        *,
        interval: int | None = 1,
        weekdays: Iterable[str] = (),
        monthly: str | None = "",
        ends: str | None = "never",
        until: dt.date | None = None,
        count: int | None = None,
    ) -> RepeatChoice:
        """Normalised: only the parts that matter for ``freq`` and ``ends`` are kept, so two
        choices that mean the same rule compare equal."""
        if not freq:
            return cls("")
        ends = ends or "never"
        return cls(
            freq,
            interval or 1,
            tuple(c for c in DAY_CODES if c in set(weekdays)) if freq == "WEEKLY" else (),
            (monthly or "day") if freq == "MONTHLY" else "",
            ends,
            until if ends == "until" else None,
            count if ends == "count" else None,
        )

    def initial(self) -> dict:
        """The form fields' initial values."""
        return {
            "repeat": self.freq,
            "repeat_interval": self.interval,
            "repeat_weekdays": list(self.weekdays),
            "repeat_monthly": self.monthly or "day",
            "repeat_ends": self.ends,
            "repeat_until": self.until,
            "repeat_count": self.count,
        }


def build_rule(choice: RepeatChoice, start: dt.datetime, all_day: bool) -> Rule | None:
    """The rule the control stands for, for a series starting at ``start`` (aware, in the
    event's zone); None for "does not repeat".

    Raises ValidationError naming the control's field when the choice cannot describe a
    series starting there (the start must be the first occurrence).
    """
    if not choice.freq:
        return None
    day = start.date()
    code = DAY_CODES[day.weekday()]
    weekday_name = str(WEEKDAY_CHOICES[day.weekday()][1])
    parts = [("FREQ", choice.freq)]
    if choice.interval > 1:
        parts.append(("INTERVAL", str(choice.interval)))
    if choice.ends == "count" and choice.count:
        parts.append(("COUNT", str(choice.count)))
    elif choice.ends == "until" and choice.until:
        if choice.until < day:
            raise ValidationError(
                {"repeat_until": gettext("The series cannot end before its first day.")}
            )
        if all_day:
            parts.append(("UNTIL", choice.until.strftime("%Y%m%d")))
        else:
            # The whole last day counts; RFC 5545 wants UTC when the start has a zone.
            last, _note = resolve_local(choice.until, dt.time(23, 59, 59), start.tzinfo)
            parts.append(("UNTIL", last.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")))
    if choice.freq == "WEEKLY":
        days = choice.weekdays or (code,)
        if code not in days:
            raise ValidationError(
                {
                    "repeat_weekdays": gettext(
                        "Tick %(weekday)s too: the first meeting is on the start date (%(date)s)."
                    )
                    % {"weekday": weekday_name, "date": day.isoformat()}
                }
            )
        parts.append(("BYDAY", ",".join(days)))
    elif choice.freq == "MONTHLY":
        if choice.monthly == "weekday":
            parts.append(("BYDAY", f"{nth_weekday(day)}{code}"))
        elif choice.monthly == "last":
            if not is_last_weekday(day):
                raise ValidationError(
                    {
                        "repeat_monthly": gettext(
                            "%(date)s is not the last %(weekday)s of its month; choose "
                            "another option or move the start."
                        )
                        % {"date": day.isoformat(), "weekday": weekday_name}
                    }
                )
            parts.append(("BYDAY", f"-1{code}"))
        else:
            parts.append(("BYMONTHDAY", str(day.day)))
    try:
        return parse_rule(";".join(f"{k}={v}" for k, v in parts))
    except RecurrenceError as exc:
        raise ValidationError({"repeat": explain(exc)}) from None


def _until_date(text: str, start: dt.datetime, all_day: bool) -> dt.date | None:
    """The last day an occurrence may start on, read from UNTIL.

    A bound cut by "this and following" lies just before the next occurrence (08:59:59
    for a 09:00 meeting), so a time of day earlier than the start's means the day before;
    built back as "until the end of that day" it keeps the same occurrences.
    """
    if match := _DATE_UNTIL.match(text):
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            return None
    match = _TIME_UNTIL.match(text)
    if match is None:
        return None
    try:
        moment = dt.datetime(*(int(g) for g in match.groups()[:6]))
    except ValueError:
        return None
    if match.group(7) == "Z":
        moment = moment.replace(tzinfo=dt.UTC).astimezone(start.tzinfo).replace(tzinfo=None)
    if not all_day and moment.time() < start.replace(tzinfo=None).time():
        return moment.date() - dt.timedelta(days=1)
    return moment.date()


def read_rule(rule: Rule, start: dt.datetime, all_day: bool) -> RepeatChoice | None:
    """The control's reading of a stored rule, or None when the control cannot show it."""
    names = {name for name, _value in rule.parts} - {"FREQ", "INTERVAL", "COUNT", "UNTIL"}
    if rule.get("WKST") not in (None, "MO"):
        return None
    names.discard("WKST")
    day = start.date()
    code = DAY_CODES[day.weekday()]
    weekdays: tuple[str, ...] = ()
    monthly = ""
    if rule.freq == "DAILY" and not names:
        pass
    elif rule.freq == "WEEKLY" and names <= {"BYDAY"}:
        weekdays = tuple((rule.get("BYDAY") or code).split(","))
        if not set(weekdays) <= set(DAY_CODES):
            return None
    elif rule.freq == "MONTHLY" and not names:
        monthly = "day"
    elif rule.freq == "MONTHLY" and names == {"BYMONTHDAY"}:
        if rule.get("BYMONTHDAY") != str(day.day):
            return None
        monthly = "day"
    elif rule.freq == "MONTHLY" and names == {"BYDAY"}:
        match = _NUMBERED_DAY.match(rule.get("BYDAY") or "")
        if match is None or match.group(2) != code:
            return None
        number = int(match.group(1))
        if number == -1 and is_last_weekday(day):
            monthly = "last"
        elif number == nth_weekday(day):
            monthly = "weekday"
        else:
            return None
    elif rule.freq == "YEARLY" and (
        not names
        or (
            names == {"BYMONTH", "BYMONTHDAY"}
            and rule.get("BYMONTH") == str(day.month)
            and rule.get("BYMONTHDAY") == str(day.day)
        )
    ):
        pass
    else:
        return None
    until = None
    if rule.until:
        until = _until_date(rule.until, start, all_day)
        if until is None:
            return None
    return RepeatChoice.make(
        rule.freq,
        interval=rule.interval,
        weekdays=weekdays,
        monthly=monthly,
        ends="count" if rule.count else "until" if rule.until else "never",
        until=until,
        count=rule.count,
    )
