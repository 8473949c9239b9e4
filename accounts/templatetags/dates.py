"""``{% load dates %}``: ``{{ value|day:"short_day" }}``, ``{{ value|clock }}`` and
``{{ value|day_and_time }}``, in the styles of ``accounts.dates``.

Like Django's own ``date`` filter they receive aware datetimes in the current zone
(``expects_localtime``), so ``{% localtime off %}`` blocks keep the zone they were given.
"""

from __future__ import annotations

from django import template

from accounts import dates

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def day(value, style: str = "day") -> str:
    if value in (None, ""):
        return ""
    return dates.format_date(value, style)


@register.filter(expects_localtime=True, is_safe=False)
def clock(value) -> str:
    if value in (None, ""):
        return ""
    return dates.format_time(value)


@register.filter(expects_localtime=True, is_safe=False)
def day_and_time(value, style: str = "short_day") -> str:
    if value in (None, ""):
        return ""
    return dates.format_datetime(value, style)
