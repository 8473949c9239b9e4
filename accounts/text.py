"""What text may hold, wherever it comes from (requests, inbound mail).

Tab, line feed and carriage return are text; any other C0 control character, DEL and
any unpaired UTF-16 surrogate are not: no database stores them all (PostgreSQL refuses
NUL, every driver an unpaired surrogate), and headers, calendars and pages break on them.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be taken as text, or None."""
    found = _FORBIDDEN.search(value)
    if found is None:
        return None
    char = found.group()
    if "\ud800" <= char <= "\udfff":
        return _("contains an invalid character (an unpaired UTF-16 surrogate, U+%(code)04X).") % {
            "code": ord(char)
        }
    return _("contains a control character (U+%(code)04X), which text may not hold.") % {
        "code": ord(char)
    }
