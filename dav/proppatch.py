"""PROPPATCH on the calendar: the name, colour and order a calendar app gives it.

All or nothing (RFC 4918 §9.2): a value that cannot be taken fails with its reason and
every other property of the request is answered 424 Failed Dependency, nothing stored.
Everything else about the calendar is Rendezvous' to say: setting it is 403
cannot-modify-protected-property.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from xml.etree.ElementTree import Element

from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext as _

from accounts.models import User

from .davxml import APPLE, DAV, BadXml, element, href, split, tag
from .models import CalendarLook
from .multistatus import multistatus

COLOR = re.compile(r"#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?")


def _name(value: str) -> str:
    value = value.strip()
    if len(value) > 100 or any(ord(c) < 32 for c in value):
        raise ValueError(_("A name of at most 100 characters on one line."))
    return value


def _color(value: str) -> str:
    value = value.strip()
    if value and not COLOR.fullmatch(value):
        raise ValueError(_("A colour is written #RRGGBB or #RRGGBBAA."))
    return value.upper()


def _order(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValueError(_("The order is a whole number.")) from None
    if not -(2**31) <= number < 2**31:
        raise ValueError(_("The order is a whole number.")) from None
    return number


#: property -> (model field, cleaner, value when removed)
WRITABLE: dict[str, tuple[str, Callable[[str], Any], Any]] = {
    tag(DAV, "displayname"): ("name", _name, ""),
    tag(APPLE, "calendar-color"): ("color", _color, ""),
    tag(APPLE, "calendar-order"): ("order", _order, None),
}


def _updates(body: Element | None) -> list[tuple[Element, str | None]]:
    """(property element, new text or None to remove), in request order."""
    if body is None or body.tag != tag(DAV, "propertyupdate"):
        raise BadXml(_("The body of a PROPPATCH must be DAV:propertyupdate."))
    out = []
    for action in body:
        prop = action.find(tag(DAV, "prop"))
        if action.tag not in (tag(DAV, "set"), tag(DAV, "remove")) or prop is None:
            raise BadXml(_("A PROPPATCH holds DAV:set and DAV:remove with a DAV:prop each."))
        for node in prop:
            out.append((node, "".join(node.itertext()) if action.tag == tag(DAV, "set") else None))
    return out


def _status(code: int) -> str:
    return {200: "HTTP/1.1 200 OK", 403: "HTTP/1.1 403 Forbidden", 409: "HTTP/1.1 409 Conflict",
            424: "HTTP/1.1 424 Failed Dependency"}[code]  # fmt: skip


def proppatch(user: User, path: str, body: Element | None) -> HttpResponse:
    updates = _updates(body)
    changes: dict[str, Any] = {}
    outcome: list[tuple[Element, int, str]] = []
    for node, text in updates:
        rule = WRITABLE.get(node.tag)
        if rule is None:
            outcome.append((node, 403, ""))
            continue
        field, clean, removed = rule
        try:
            changes[field] = removed if text is None else clean(text)
        except ValueError as exc:
            outcome.append((node, 409, str(exc)))
            continue
        outcome.append((node, 200, ""))
    failed = any(code != 200 for _node, code, _text in outcome)
    if not failed and changes:
        with transaction.atomic():
            look, _created = CalendarLook.objects.select_for_update().get_or_create(user=user)
            for field, value in changes.items():
                setattr(look, field, value)
            look.save()
    response = element(DAV, "response", None, href(path))
    for node, code, text in outcome:
        code = 424 if failed and code == 200 else code
        namespace, local = split(node.tag)
        propstat = element(
            DAV,
            "propstat",
            None,
            element(DAV, "prop", None, element(namespace, local)),
            element(DAV, "status", _status(code)),
        )
        if code == 403:
            propstat.append(
                element(DAV, "error", None, element(DAV, "cannot-modify-protected-property"))
            )
        if text:
            propstat.append(element(DAV, "responsedescription", text))
        response.append(propstat)
    return multistatus([response])
