"""Building a 207 Multi-Status answer from resources and the properties asked for."""

from __future__ import annotations

from xml.etree.ElementTree import Element

from django.http import HttpResponse

from .davxml import DAV, element, href, serialize, split
from .properties import Resource

OK = "HTTP/1.1 200 OK"
NOT_FOUND = "HTTP/1.1 404 Not Found"


def _empty(name: str) -> Element:
    namespace, local = split(name)
    return element(namespace, local)


def response(resource: Resource, names: list[str] | None, *, names_only: bool = False) -> Element:
    """One ``<response>``: the asked properties found (200) and those not (404).
    ``names`` None is ``allprop``; ``names_only`` is ``propname``."""
    asked = list(resource.allprop) if names is None else names
    if names_only:
        asked = list(resource.props)
    found, missing = [], []
    for name in asked:
        builder = resource.props.get(name)
        if builder is None:
            missing.append(_empty(name))
        else:
            found.append(_empty(name) if names_only else builder())
    node = element(DAV, "response", None, href(resource.href))
    for props, status in ((found, OK), (missing, NOT_FOUND)):
        if props:
            node.append(
                element(
                    DAV,
                    "propstat",
                    None,
                    element(DAV, "prop", None, *props),
                    element(DAV, "status", status),
                )
            )
    if not found and not missing:
        node.append(element(DAV, "status", OK))
    return node


def gone(path: str, status: str = NOT_FOUND) -> Element:
    return element(DAV, "response", None, href(path), element(DAV, "status", status))


def multistatus(responses: list[Element], *extra: Element) -> HttpResponse:
    root = element(DAV, "multistatus", None, *responses, *extra)
    return HttpResponse(serialize(root), status=207, content_type="application/xml; charset=utf-8")


def error(status: int, *conditions: Element, text: str = "") -> HttpResponse:
    """A WebDAV error body (RFC 4918 §16) naming the failed precondition."""
    root = element(DAV, "error", None, *conditions)
    if text:
        root.append(element("urn:x-rendezvous", "message", text))
    return HttpResponse(
        serialize(root), status=status, content_type="application/xml; charset=utf-8"
    )
