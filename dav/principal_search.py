"""Finding colleagues from a calendar app (RFC 3744 §9.4-9.5): the attendee field of
Apple Calendar or Thunderbird suggests people of the same account as one types.

Only colleagues of the signed-in person's own account, only active ones, and only what
the planner already shows about them (name and address); a search matches a name or
an address containing the typed text, case ignored. At most ``LIMIT`` answers.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from django.db.models import Q
from django.http import HttpResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.models import User

from . import properties
from .davxml import CALDAV, DAV, element, serialize, tag
from .multistatus import multistatus, response

LIMIT = 50
SEARCHABLE = {
    tag(DAV, "displayname"): ("full_name",),
    tag(CALDAV, "calendar-user-address-set"): ("email",),
}


def _asked(root: Element) -> list[str]:
    prop = root.find(tag(DAV, "prop"))
    if prop is not None and len(prop):
        return [child.tag for child in prop]
    # Some clients put the wanted properties beside an empty DAV:prop.
    skip = {
        tag(DAV, "property-search"),
        tag(DAV, "prop"),
        tag(DAV, "apply-to-principal-collection-set"),
    }
    return [child.tag for child in root if child.tag not in skip] or [tag(DAV, "displayname")]


def principal_property_search(user: User, root: Element) -> HttpResponse:
    tests = []
    for search in root.findall(tag(DAV, "property-search")):
        text = (search.findtext(tag(DAV, "match")) or "").strip()
        names = [child.tag for child in search.find(tag(DAV, "prop")) or []]
        fields = [f for name in names for f in SEARCHABLE.get(name, ())]
        if not fields:
            return multistatus([])  # a property we do not search: nobody matches
        q = Q()
        for field in fields:
            q |= Q(**{f"{field}__icontains": text})
        tests.append(q)
    people = User.objects.filter(account_id=user.account_id, is_active=True)
    if tests:
        combined = tests[0]
        for q in tests[1:]:
            combined = combined | q if root.get("test") == "anyof" else combined & q
        people = people.filter(combined)
    asked = _asked(root)
    found = people.order_by("pk")[:LIMIT]
    return multistatus([response(properties.principal(p, viewer=user), asked) for p in found])


def principal_search_property_set(user: User, root: Element) -> HttpResponse:
    """What can be searched (RFC 3744 §9.5), with a description a client may show."""
    out = element(DAV, "principal-search-property-set")
    for name, label in ((tag(DAV, "displayname"), _("Name")),
                        (tag(CALDAV, "calendar-user-address-set"), _("E-mail"))):  # fmt: skip
        namespace, local = name[1:].split("}", 1)
        description = element(DAV, "description", label)
        description.set("{http://www.w3.org/XML/1998/namespace}lang", get_language() or "en")
        out.append(
            element(
                DAV,
                "principal-search-property",
                None,
                element(DAV, "prop", None, element(namespace, local)),
                description,
            )
        )
    return HttpResponse(serialize(out), content_type="application/xml; charset=utf-8")


REPORTS = {
    tag(DAV, "principal-property-search"): principal_property_search,
    tag(DAV, "principal-search-property-set"): principal_search_property_set,
}
