"""The filter of a CalDAV calendar-query (RFC 4791 §9.7), read once and applied twice.

Time ranges on events narrow the candidates in the database and the engine (never every
occurrence of every series); what remains of the filter (property and parameter tests,
text matches, components we never store such as VALARM or VTODO) is evaluated on the
candidates' iCalendar, so a query is answered exactly or refused, never guessed.

One leniency, as common servers have it: a property filter placed directly under the
VCALENDAR filter is applied to the events (a client that left out the component type
means the events, as a calendar of events has nothing else to match).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from django.utils.translation import gettext as _

from .davxml import CALDAV, element, tag

#: Components this calendar holds; a filter on any other (VTODO, VJOURNAL) matches nothing.
STORED = {"VEVENT"}
FAR_PAST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
FAR_FUTURE = dt.datetime(2201, 1, 1, tzinfo=dt.UTC)


class FilterError(ValueError):
    def __init__(self, status: int, condition: Element, text: str) -> None:
        super().__init__(text)
        self.status, self.condition, self.text = status, condition, text


def _invalid(text: str) -> FilterError:
    return FilterError(400, element(CALDAV, "valid-filter"), text)


def _unsupported(node: Element, text: str) -> FilterError:
    return FilterError(403, element(CALDAV, "supported-filter", None, node), text)


def ical_time(value: str | None, name: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        raise _invalid(
            _("time-range %(attribute)s must be a UTC date and time like 20270101T000000Z.")
            % {"attribute": name}
        ) from None


def time_range(node: Element) -> tuple[dt.datetime, dt.datetime]:
    start = ical_time(node.get("start"), "start")
    end = ical_time(node.get("end"), "end")
    if start is None and end is None:
        raise _invalid(_("A time-range needs a start or an end."))
    start = max(start or FAR_PAST, FAR_PAST)
    end = min(end or FAR_FUTURE, FAR_FUTURE)
    if end <= start:
        raise _invalid(_("The end of the time-range is not after its start."))
    return start, end


# ----------------------------------------------------------------- text and values


def _fold(text: str, collation: str) -> str:
    if collation == "i;octet":
        return text
    if collation == "i;unicode-casemap":
        return text.casefold()
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
COLLATIONS = {"i;ascii-casemap", "i;octet", "i;unicode-casemap"}
MATCH_TYPES = {"equals", "contains", "starts-with", "ends-with"}


def _text_matcher(node: Element) -> Callable[[str], bool]:
    collation = node.get("collation", "i;ascii-casemap")
    if collation not in COLLATIONS:
        raise FilterError(
            403,
            element(CALDAV, "supported-collation", collation),
            _("The collation %(name)s is not supported.") % {"name": collation},
        )
    how = node.get("match-type", "contains")
    if how not in MATCH_TYPES:
        raise _invalid(
            _("match-type %(value)s is not one of %(choices)s.")
            % {"value": how, "choices": ", ".join(sorted(MATCH_TYPES))}
        )
    wanted = _fold(node.text or "", collation)
    negate = node.get("negate-condition", "no") == "yes"
    test = {
        "equals": lambda v: v == wanted,
        "contains": lambda v: wanted in v,
        "starts-with": lambda v: v.startswith(wanted),
        "ends-with": lambda v: v.endswith(wanted),
    }[how]
    return lambda value: test(_fold(value, collation)) != negate


def _values(component, name: str) -> list:
    value = component.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _as_texts(value) -> list[str]:
    cats = getattr(value, "cats", None)
    if cats is not None:  # CATEGORIES: each category on its own
        return [str(c) for c in cats]
    try:
        return [value.to_ical().decode() if hasattr(value, "to_ical") else str(value)]
    except Exception:
        return [str(value)]


def _when(value) -> dt.datetime | None:
    moment = getattr(value, "dt", None)
    if isinstance(moment, dt.datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    if isinstance(moment, dt.date):
        return dt.datetime.combine(moment, dt.time(0), dt.UTC)
    return None


# ----------------------------------------------------------------- compiled filters

Test = Callable[[object], bool]  # on one icalendar component


def _param_filter(node: Element) -> Callable[[object], bool]:
    name = (node.get("name") or "").upper()
    if node.find(tag(CALDAV, "is-not-defined")) is not None:
        return lambda value: name not in getattr(value, "params", {})
    match = node.find(tag(CALDAV, "text-match"))
    test = _text_matcher(match) if match is not None else (lambda _v: True)

    def check(value) -> bool:
        params = getattr(value, "params", {})
        return name in params and test(str(params[name]))

    return check


def _prop_filter(node: Element) -> Test:
    name = (node.get("name") or "").upper()
    if not name:
        raise _invalid(_("A prop-filter needs a name."))
    if node.find(tag(CALDAV, "is-not-defined")) is not None:
        return lambda component: not _values(component, name)
    tests: list[Callable[[object], bool]] = []
    for child in node:
        if child.tag == tag(CALDAV, "text-match"):
            matcher = _text_matcher(child)
            tests.append(lambda value, m=matcher: any(m(t) for t in _as_texts(value)))
        elif child.tag == tag(CALDAV, "time-range"):
            lo, hi = time_range(child)
            tests.append(
                lambda value, lo=lo, hi=hi: (w := _when(value)) is not None and lo <= w < hi
            )
        elif child.tag == tag(CALDAV, "param-filter"):
            tests.append(_param_filter(child))
        else:
            raise _unsupported(
                child, _("This filter is not supported: %(what)s.") % {"what": child.tag}
            )

    def check(component) -> bool:
        return any(all(t(value) for t in tests) for value in _values(component, name))

    return check


@dataclass
class EventFilter:
    """What a calendar-query asks of the events: time ranges for the engine, the rest
    as tests on each VEVENT (one of an object's VEVENTs must pass them all)."""

    ranges: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)
    tests: list[Test] = field(default_factory=list)
    nothing: bool = False  # a filter no stored object can match

    @property
    def needs_data(self) -> bool:
        return bool(self.tests)

    def matches(self, components: list) -> bool:
        return any(all(t(c) for t in self.tests) for c in components)


def _component_tests(node: Element, out: EventFilter) -> None:
    """The children of a VEVENT filter (or, leniently, of the VCALENDAR filter)."""
    for child in node:
        if child.tag == tag(CALDAV, "time-range"):
            out.ranges.append(time_range(child))
        elif child.tag == tag(CALDAV, "prop-filter"):
            out.tests.append(_prop_filter(child))
        elif child.tag == tag(CALDAV, "comp-filter"):
            # VALARM and other sub-components: we store none, so only "is not defined"
            # can hold.
            if child.find(tag(CALDAV, "is-not-defined")) is None:
                out.nothing = True
        elif child.tag == tag(CALDAV, "is-not-defined"):
            out.nothing = True
        else:
            raise _unsupported(
                child, _("This filter is not supported: %(what)s.") % {"what": child.tag}
            )


def compile_filter(root: Element) -> EventFilter:
    outer = root.find(tag(CALDAV, "filter"))
    calendar = outer.find(tag(CALDAV, "comp-filter")) if outer is not None else None
    if calendar is None or (calendar.get("name") or "").upper() != "VCALENDAR":
        raise _invalid(_("The filter must start with a VCALENDAR comp-filter."))
    out = EventFilter()
    if calendar.find(tag(CALDAV, "is-not-defined")) is not None:
        out.nothing = True
        return out
    inner = [c for c in calendar if c.tag == tag(CALDAV, "comp-filter")]
    for component in inner:
        name = (component.get("name") or "").upper()
        negated = component.find(tag(CALDAV, "is-not-defined")) is not None
        if name in STORED and not negated:
            _component_tests(component, out)
        elif name not in STORED and negated:
            continue  # "no VTODO in it": true of every object here
        else:
            out.nothing = True
    others = [c for c in calendar if c.tag != tag(CALDAV, "comp-filter")]
    if others:
        holder = element(CALDAV, "comp-filter")
        holder.extend(others)
        _component_tests(holder, out)
    return out
