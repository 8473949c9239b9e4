"""Recurring events: read an RRULE strictly, and expand a series inside a window.

Plain data in, plain data out. A series is expanded on the wall clock of its own time
zone (RFC 5545 §3.3.10): a 09:00 Europe/Berlin meeting is at 09:00 local in winter and
summer, so its UTC instant moves by an hour across DST. Local times are read as
everywhere else in the engine (``fold=0``): a start inside a spring-forward gap moves
forward by the gap, a repeated hour means its first occurrence.

Why the limits: a rule is user input, and a careless or hostile one must not cost the
server. Only DAILY and finer-than-a-day-free rules are accepted (no SECONDLY, MINUTELY,
HOURLY, and no BYHOUR/BYMINUTE/BYSECOND: an event repeats at its start time); COUNT,
INTERVAL, the rule's length and the number of excluded dates are capped. Unbounded rules
are fine: nothing ever expands a series beyond the window it is asked about, and long
DAILY/WEEKLY series are fast-forwarded to the window instead of walked from the start.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr

from .intervals import Interval

__all__ = [
    "MAX_COUNT",
    "MAX_EXDATES",
    "MAX_INTERVAL",
    "RecurrenceError",
    "Rule",
    "Series",
    "describe_rule",
    "parse_rule",
]

MAX_RULE_LENGTH = 300
MAX_COUNT = 1000
MAX_INTERVAL = 999
MAX_EXDATES = 1000
#: Far-future stand-in for "never ends" where a bound must be stored (indexed columns).
UNBOUNDED = datetime(9999, 12, 31, tzinfo=UTC)

_FREQS = {"DAILY": DAILY, "WEEKLY": WEEKLY, "MONTHLY": MONTHLY, "YEARLY": YEARLY}
_REFUSED_FREQS = ("SECONDLY", "MINUTELY", "HOURLY")
_PART_ORDER = (
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYMONTH",
    "BYWEEKNO",
    "BYYEARDAY",
    "BYMONTHDAY",
    "BYDAY",
    "BYSETPOS",
    "WKST",
)
_DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_BYDAY = re.compile(r"^([+-]?)(\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_UNTIL_TIME = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$")
_NUMBER_LISTS = {
    # part: (lowest absolute value, highest absolute value, negatives allowed)
    "BYMONTH": (1, 12, False),
    "BYWEEKNO": (1, 53, True),
    "BYYEARDAY": (1, 366, True),
    "BYMONTHDAY": (1, 31, True),
    "BYSETPOS": (1, 366, True),
}
#: How many occurrences a single validation may walk (exdates far in the future).
_WALK_LIMIT = 50_000


class RecurrenceError(ValueError):
    """A rule or an excluded date that cannot be accepted; the message says why."""


@dataclass(frozen=True)
class Rule:
    """A checked RRULE: its parts in canonical order, UNTIL kept as written (text).

    ``until`` is the UNTIL text, ``None`` when absent. ``str(rule)`` is the canonical
    RRULE value (without the ``RRULE:`` prefix) that is stored and sent.
    """

    parts: tuple[tuple[str, str], ...]

    def get(self, name: str) -> str | None:
        for key, value in self.parts:
            if key == name:
                return value
        return None

    @property
    def freq(self) -> str:
        return self.get("FREQ") or ""

    @property
    def interval(self) -> int:
        return int(self.get("INTERVAL") or 1)

    @property
    def count(self) -> int | None:
        value = self.get("COUNT")
        return int(value) if value else None

    @property
    def until(self) -> str | None:
        return self.get("UNTIL")

    @property
    def is_bounded(self) -> bool:
        return self.count is not None or self.until is not None

    def replace(self, **values: str | None) -> Rule:
        """A copy with parts set (a string) or removed (``None``), in canonical order."""
        current = dict(self.parts)
        for key, value in values.items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value
        return Rule(tuple((k, current[k]) for k in _PART_ORDER if k in current))

    def __str__(self) -> str:
        return ";".join(f"{key}={value}" for key, value in self.parts)


def _check_numbers(part: str, value: str) -> None:
    low, high, negatives = _NUMBER_LISTS[part]
    items = value.split(",")
    if (len(items) > 31 and part != "BYYEARDAY") or len(items) > 366:
        raise RecurrenceError(f"{part} lists too many values.")
    for item in items:
        if not re.fullmatch(r"[+-]?\d{1,3}", item):
            raise RecurrenceError(
                f"{part} must be a comma-separated list of numbers, got {item!r}."
            )
        number = int(item)
        if (number < 0 and not negatives) or not low <= abs(number) <= high:
            sign = f"-{high}..-{low} or " if negatives else ""
            raise RecurrenceError(f"{part} values must be {sign}{low}..{high}, got {item}.")


def parse_rule(text: object) -> Rule:
    """Read RRULE text (with or without the ``RRULE:`` prefix) or raise RecurrenceError.

    The message names the part and the reason, e.g. "FREQ=SECONDLY is not supported:
    choose DAILY, WEEKLY, MONTHLY or YEARLY."
    """
    if not isinstance(text, str):
        raise RecurrenceError("Give the rule as RRULE text, e.g. FREQ=WEEKLY;BYDAY=MO.")
    value = text.strip()
    if value.upper().startswith("RRULE:"):
        value = value[6:]
    if not value:
        raise RecurrenceError("The rule is empty; give e.g. FREQ=WEEKLY;BYDAY=MO.")
    if len(value) > MAX_RULE_LENGTH:
        raise RecurrenceError(f"The rule is too long (at most {MAX_RULE_LENGTH} characters).")
    if any(c.isspace() or ord(c) < 32 for c in value):
        raise RecurrenceError("The rule must be one line without spaces, e.g. FREQ=DAILY.")
    parts: dict[str, str] = {}
    for piece in value.upper().split(";"):
        if not piece:
            continue
        name, sep, part_value = piece.partition("=")
        if not sep or not part_value:
            raise RecurrenceError(f"{piece!r} is not NAME=VALUE.")
        if name in parts:
            raise RecurrenceError(f"{name} is given twice.")
        if name in ("BYHOUR", "BYMINUTE", "BYSECOND"):
            raise RecurrenceError(
                f"{name} is not supported: an event repeats at its own start time."
            )
        if name not in _PART_ORDER:
            raise RecurrenceError(f"Unknown rule part {name}.")
        parts[name] = part_value
    freq = parts.get("FREQ")
    if freq is None:
        raise RecurrenceError("FREQ is required (DAILY, WEEKLY, MONTHLY or YEARLY).")
    if freq in _REFUSED_FREQS:
        raise RecurrenceError(
            f"FREQ={freq} is not supported: choose DAILY, WEEKLY, MONTHLY or YEARLY."
        )
    if freq not in _FREQS:
        raise RecurrenceError(f"Unknown FREQ={freq}: choose DAILY, WEEKLY, MONTHLY or YEARLY.")
    for name, limit in (("INTERVAL", MAX_INTERVAL), ("COUNT", MAX_COUNT)):
        if name in parts:
            raw = parts[name]
            if not raw.isdigit() or not 1 <= int(raw) <= limit:
                raise RecurrenceError(f"{name} must be a whole number from 1 to {limit}.")
            parts[name] = str(int(raw))
    if parts.get("INTERVAL") == "1":
        del parts["INTERVAL"]
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError("Give COUNT or UNTIL, not both.")
    if "UNTIL" in parts and not (
        _UNTIL_DATE.match(parts["UNTIL"]) or _UNTIL_TIME.match(parts["UNTIL"])
    ):
        raise RecurrenceError("UNTIL must be a date (20261231) or a UTC time (20261231T230000Z).")
    for name in _NUMBER_LISTS:
        if name in parts:
            _check_numbers(name, parts[name])
    if "BYDAY" in parts:
        days = parts["BYDAY"].split(",")
        if len(days) > 7 * 6:
            raise RecurrenceError("BYDAY lists too many days.")
        for day in days:
            match = _BYDAY.match(day)
            if not match:
                raise RecurrenceError(f"BYDAY: {day!r} is not a day such as MO, TU or 2TU.")
            if match.group(2) is not None:
                if freq not in ("MONTHLY", "YEARLY"):
                    raise RecurrenceError(
                        f"BYDAY={day}: a numbered weekday needs FREQ=MONTHLY or YEARLY."
                    )
                limit = 5 if freq == "MONTHLY" and "BYMONTH" not in parts else 53
                if not 1 <= int(match.group(2)) <= limit:
                    raise RecurrenceError(f"BYDAY={day}: the number must be 1..{limit}.")
    if "WKST" in parts and parts["WKST"] not in _DAY_CODES:
        raise RecurrenceError("WKST must be a day such as MO or SU.")
    if "BYWEEKNO" in parts and freq != "YEARLY":
        raise RecurrenceError("BYWEEKNO needs FREQ=YEARLY.")
    if "BYYEARDAY" in parts and freq in ("DAILY", "WEEKLY", "MONTHLY"):
        raise RecurrenceError("BYYEARDAY needs FREQ=YEARLY.")
    if "BYMONTHDAY" in parts and freq == "WEEKLY":
        raise RecurrenceError("BYMONTHDAY cannot be used with FREQ=WEEKLY.")
    if "BYSETPOS" in parts and not any(k.startswith("BY") and k != "BYSETPOS" for k in parts):
        raise RecurrenceError("BYSETPOS needs another BY... part to choose from.")
    return Rule(tuple((k, parts[k]) for k in _PART_ORDER if k in parts))


def _naive_local(instant: datetime, tz: tzinfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def _to_utc(local: datetime, tz: tzinfo) -> datetime:
    """A wall time of the series' zone as a UTC instant (fold=0, as RFC 5545 reads it)."""
    return local.replace(tzinfo=tz).astimezone(UTC)


def _parse_until(text: str, tz: tzinfo, all_day: bool) -> datetime:
    """UNTIL as a naive wall time of the series' zone, inclusive (what dateutil wants)."""
    match = _UNTIL_DATE.match(text)
    try:
        if match:
            day = date(*(int(g) for g in match.groups()))
            # A date bound includes that whole local day.
            return datetime.combine(day, time(0) if all_day else time(23, 59, 59))
        groups = _UNTIL_TIME.match(text).groups()  # type: ignore[union-attr]
        moment = datetime(*(int(g) for g in groups[:6]))
    except ValueError as exc:
        raise RecurrenceError(f"UNTIL is not a real date: {exc}.") from None
    if groups[6] == "Z":
        return _naive_local(moment.replace(tzinfo=UTC), tz)
    return moment  # floating: already the zone's wall time


def _simple_filters_pass(rule: Rule, start: datetime) -> bool:
    """Whether the start survives the plain BY filters (month, month day, weekday).

    A cheap pre-check before asking dateutil: a rule that can never match (BYMONTH=2;
    BYMONTHDAY=30) would otherwise be walked until the year 9999.
    """
    if (months := rule.get("BYMONTH")) and str(start.month) not in months.split(","):
        return False
    if days := rule.get("BYMONTHDAY"):
        last = ((start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
        wanted = {int(d) for d in days.split(",")}
        if start.day not in wanted and start.day - last - 1 not in wanted:
            return False
    if byday := rule.get("BYDAY"):
        codes = {_BYDAY.match(d).group(3) for d in byday.split(",")}  # type: ignore[union-attr]
        if _DAY_CODES[start.weekday()] not in codes:
            return False
    return True


@dataclass(frozen=True)
class Series:
    """A recurring event as the engine sees it.

    ``start`` is the first occurrence (aware), ``duration`` each occurrence's length,
    ``tz`` the zone the rule is read in; ``exdates`` are the UTC starts of occurrences
    taken out (EXDATE), compared to the minute's exact instant.
    """

    rule: Rule
    start: datetime
    duration: timedelta
    tz: tzinfo
    all_day: bool = False
    exdates: frozenset[datetime] = field(default_factory=frozenset)

    def _local_start(self) -> datetime:
        local = _naive_local(self.start, self.tz)
        return datetime.combine(local.date(), time(0)) if self.all_day else local

    def _rrule(self, dtstart: datetime | None = None, *, with_count: bool = True) -> rrule:
        rule = self.rule.replace(UNTIL=None) if self.rule.until else self.rule
        if not with_count:
            rule = rule.replace(COUNT=None)
        built = rrulestr(f"RRULE:{rule}", dtstart=dtstart or self._local_start())
        if self.rule.until:
            built = built.replace(until=_parse_until(self.rule.until, self.tz, self.all_day))
        return built

    def check(self) -> None:
        """Raise RecurrenceError unless the start is the rule's first occurrence.

        RFC 5545 counts DTSTART as the first instance even when the rule would not
        produce it, and clients disagree about such series; we ask for a start that the
        rule produces (a Monday for BYDAY=MO), so everyone sees the same occurrences.
        """
        local = self._local_start()
        first = None
        if _simple_filters_pass(self.rule, local):
            first = next(iter(self._rrule()), None)
        if first != local:
            raise RecurrenceError(
                f"The start ({local:%A %d %B %Y}) is not an occurrence of this rule; "
                "start the event on its first occurrence."
            )
        if len(self.exdates) > MAX_EXDATES:
            raise RecurrenceError(f"At most {MAX_EXDATES} excluded dates.")
        if self.exdates:
            # One walk up to the last excluded date, bounded for far-future dates.
            wanted = set(self.exdates)
            last = max(wanted)
            for steps, local_start in enumerate(self._rrule()):
                instant = _to_utc(local_start, self.tz)
                wanted.discard(instant)
                if not wanted or instant >= last or steps >= _WALK_LIMIT:
                    break
            if wanted:
                bad = min(wanted).astimezone(self.tz)
                raise RecurrenceError(
                    f"The excluded date {bad.isoformat()} is not an occurrence of the series."
                )

    def last_end(self) -> datetime | None:
        """End of the last occurrence, or None for a series without end."""
        if not self.rule.is_bounded:
            return None
        last = None
        for local in self._rrule():  # bounded by COUNT ≤ MAX_COUNT or by UNTIL
            last = local
        if last is None:
            return self.start + self.duration
        return self._end_of(_to_utc(last, self.tz), last)

    def occurrence_end(self, start: datetime) -> datetime:
        """End of the occurrence starting at ``start`` (all-day ones end at a local midnight)."""
        return self._end_of(start, _naive_local(start, self.tz))

    def _end_of(self, start: datetime, local: datetime) -> datetime:
        if self.all_day:
            days = max(1, round(self.duration / timedelta(days=1)))
            return _to_utc(datetime.combine(local.date() + timedelta(days=days), time(0)), self.tz)
        return start + self.duration

    def _fast_forward(self, before: datetime) -> datetime | None:
        """A later dtstart, on the rule's own period grid, no later than ``before`` (local).

        Only for DAILY/WEEKLY rules without COUNT (COUNT counts from the first occurrence):
        moving by whole periods keeps every occurrence where it was, so a ten-year-old
        weekly meeting costs the same as a new one.
        """
        if self.rule.count is not None or self.rule.freq not in ("DAILY", "WEEKLY"):
            return None
        local = self._local_start()
        period = timedelta(days=self.rule.interval * (7 if self.rule.freq == "WEEKLY" else 1))
        periods = (before - local) // period
        if periods < 2:
            return None
        return local + period * (periods - 1)

    def occurrences(self, window_start: datetime, window_end: datetime) -> list[datetime]:
        """UTC starts of occurrences that overlap ``[window_start, window_end)``.

        Excluded dates are left out. Cost is the occurrences near the window, never the
        series' whole history.
        """
        if window_end <= window_start:
            return []
        lo_local = _naive_local(window_start - self.duration - timedelta(days=2), self.tz)
        hi_local = _naive_local(window_end + timedelta(days=2), self.tz)
        first = self._local_start()
        if hi_local < first:
            return []
        dtstart = self._fast_forward(lo_local)
        rule = self._rrule(dtstart) if dtstart is not None else self._rrule()
        found = []
        for local in rule.xafter(max(lo_local, first), inc=True):
            if local > hi_local:
                break
            start = _to_utc(local, self.tz)
            if start in self.exdates:
                continue
            end = self._end_of(start, local)
            if start < window_end and end > window_start:
                found.append(start)
        return found

    def intervals(self, window_start: datetime, window_end: datetime) -> list[Interval]:
        """The occurrences overlapping the window as busy intervals, clipped to it."""
        out = []
        for start in self.occurrences(window_start, window_end):
            local = _naive_local(start, self.tz)
            end = self._end_of(start, local)
            out.append(Interval(max(start, window_start), min(end, window_end)))
        return out

    def is_occurrence(self, instant: datetime) -> bool:
        """Whether ``instant`` is the start of an occurrence that was not excluded."""
        return instant in self.occurrences(instant, instant + timedelta(microseconds=1))

    def count_before(self, instant: datetime) -> int:
        """How many occurrences (excluded ones included) start before ``instant``.

        For splitting a COUNT-bound series: the part after the split keeps the rest.
        """
        limit = _naive_local(instant, self.tz)
        total = 0
        for local in self._rrule():
            if local >= limit or total >= _WALK_LIMIT:
                break
            total += 1
        return total

    def until_before(self, instant: datetime) -> Rule:
        """The rule cut so that its last occurrence starts before ``instant``.

        UNTIL is written in UTC (RFC 5545 §3.3.10: required when DTSTART has a TZID), a
        second before the cut, or as a date (the day before) for all-day series.
        """
        if self.all_day:
            day = _naive_local(instant, self.tz).date() - timedelta(days=1)
            return self.rule.replace(COUNT=None, UNTIL=day.strftime("%Y%m%d"))
        cut = (instant - timedelta(seconds=1)).astimezone(UTC)
        return self.rule.replace(COUNT=None, UNTIL=cut.strftime("%Y%m%dT%H%M%SZ"))


def expand_all(series: Iterable[Series], start: datetime, end: datetime) -> list[Interval]:
    """Busy intervals of many series in one window (not merged)."""
    return [iv for one in series for iv in one.intervals(start, end)]


_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}
_DAY_NAMES = dict(
    zip(
        _DAY_CODES,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)


def describe_rule(rule: Rule, all_day: bool = False, tz: tzinfo | None = None) -> str:
    """A short English description ("Every 2 weeks on Monday, Wednesday, 10 times")."""
    unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}[rule.freq]
    text = f"Every {rule.interval} {unit}s" if rule.interval > 1 else f"Every {unit}"
    if byday := rule.get("BYDAY"):
        names = []
        for item in byday.split(","):
            match = _BYDAY.match(item)
            if match is None:
                continue
            name = _DAY_NAMES[match.group(3)]
            if match.group(2):
                number = int(match.group(2)) * (-1 if match.group(1) == "-" else 1)
                name = f"the {_ORDINALS.get(number, str(number))} {name}"
            names.append(name)
        text += " on " + ", ".join(names)
    if (monthday := rule.get("BYMONTHDAY")) and rule.freq in ("MONTHLY", "YEARLY"):
        text += f" on day {monthday}"
    if rule.count:
        text += f", {rule.count} times"
    elif rule.until:
        match = _UNTIL_DATE.match(rule.until) or _UNTIL_TIME.match(rule.until)
        if match:
            groups = [int(g) for g in match.groups()[:3]]
            text += f", until {date(*groups):%d %B %Y}"
    return text
