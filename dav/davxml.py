"""WebDAV XML in and out: a safe parser and the few builders a multistatus needs.

Requests are parsed by ``defusedxml`` (no DTDs, no entities, nothing fetched) after a
size check, so a hostile body cannot expand, reach the network or the disk. Answers are
built with the standard library's ElementTree under fixed prefixes that clients know.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from django.utils.translation import gettext as _

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CS = "http://calendarserver.org/ns/"
APPLE = "http://apple.com/ns/ical/"

for _prefix, _uri in (("d", DAV), ("c", CALDAV), ("cs", CS), ("ical", APPLE)):
    ET.register_namespace(_prefix, _uri)

#: A REPORT naming a thousand hrefs is a few hundred kilobytes; far more is not a client.
MAX_BODY = 1_000_000


class BadXml(ValueError):
    """The body is not XML we accept; the message says why (shown in the 400)."""


def tag(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def parse(body: bytes) -> ET.Element | None:
    """The request's root element, None for an empty body."""
    if len(body) > MAX_BODY:
        raise BadXml(_("The request body is larger than %(n)d bytes.") % {"n": MAX_BODY})
    if not body.strip():
        return None
    try:
        return SafeET.fromstring(body, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise BadXml(
            _("The request body has a forbidden construct: %(what)s.")
            % {"what": type(exc).__name__}
        ) from exc
    except ET.ParseError as exc:
        raise BadXml(
            _("The request body is not well-formed XML: %(reason)s") % {"reason": exc}
        ) from exc


def element(namespace: str, name: str, text: str | None = None, *children) -> ET.Element:
    node = ET.Element(tag(namespace, name))
    if text is not None:
        node.text = text
    for child in children:
        node.append(child)
    return node


def href(value: str) -> ET.Element:
    return element(DAV, "href", value)


def serialize(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def split(name: str) -> tuple[str, str]:
    """``{ns}local`` into (ns, local)."""
    if name.startswith("{"):
        namespace, local = name[1:].split("}", 1)
        return namespace, local
    return "", name
