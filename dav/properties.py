"""WebDAV properties of the CalDAV resources: the principal, the calendar home, the
calendar and its objects. Each resource is an href with a map from property name to a
function building the property's element, so a PROPFIND builds only what it asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from django.urls import reverse
from django.utils.http import http_date
from django.utils.translation import gettext as _

from accounts.models import User

from .calendar_objects import CalendarObject
from .davxml import APPLE, CALDAV, CS, DAV, element, href, tag
from .models import CalendarLook

Builder = Callable[[], Element]
READ_PRIVILEGES = ("read", "read-current-user-privilege-set")
#: On the calendar and its objects: events are added, changed and removed from clients.
WRITE_PRIVILEGES = (*READ_PRIVILEGES, "write", "write-content", "bind", "unbind")


@dataclass
class Resource:
    href: str
    props: dict[str, Builder] = field(default_factory=dict)
    #: Names answered to ``allprop`` (RFC 4918 §9.1: live properties may be left out).
    allprop: tuple[str, ...] = ()


def principal_href(user: User) -> str:
    return reverse("dav:principal", args=[user.pk])


def home_href(user: User) -> str:
    return reverse("dav:home", args=[user.pk])


def calendar_href(user: User) -> str:
    return reverse("dav:calendar", args=[user.pk])


def _prop(namespace: str, name: str, *children: Element, text: str | None = None) -> Builder:
    return lambda: element(namespace, name, text, *children)


def _resourcetype(*kinds: tuple[str, str]) -> Builder:
    return lambda: element(DAV, "resourcetype", None, *(element(ns, n) for ns, n in kinds))


def _privileges(names: tuple[str, ...]) -> Builder:
    def build() -> Element:
        return element(
            DAV,
            "current-user-privilege-set",
            None,
            *(element(DAV, "privilege", None, element(DAV, n)) for n in names),
        )

    return build


def _href_prop(namespace: str, name: str, value: str) -> Builder:
    return lambda: element(namespace, name, None, href(value))


def _common(user: User) -> dict[str, Builder]:
    return {
        tag(DAV, "current-user-principal"): _href_prop(
            DAV, "current-user-principal", principal_href(user)
        ),
        tag(DAV, "owner"): _href_prop(DAV, "owner", principal_href(user)),
        tag(DAV, "current-user-privilege-set"): _privileges(READ_PRIVILEGES),
    }


def root(user: User, path: str) -> Resource:
    props = _common(user) | {tag(DAV, "resourcetype"): _resourcetype((DAV, "collection"))}
    # A client that followed the well-known 301 lost its PROPFIND body on the way (HTTP
    # libraries drop it on a 301), so the plain allprop answer must name the principal.
    return Resource(path, props, (tag(DAV, "resourcetype"), tag(DAV, "current-user-principal")))


def principals_href() -> str:
    return reverse("dav:principals")


def principal(user: User, *, viewer: User | None = None) -> Resource:
    """A person's principal; seen by a colleague (``viewer``), only their name, addresses
    and where their calendars would be (a colleague's home is a 404 to others)."""
    viewer = viewer or user
    props = _common(viewer) | {
        tag(DAV, "owner"): _href_prop(DAV, "owner", principal_href(user)),
        tag(DAV, "principal-collection-set"): _href_prop(
            DAV, "principal-collection-set", principals_href()
        ),
        tag(DAV, "resourcetype"): _resourcetype((DAV, "collection"), (DAV, "principal")),
        tag(DAV, "displayname"): _prop(DAV, "displayname", text=user.full_name or user.email),
        tag(DAV, "principal-URL"): _href_prop(DAV, "principal-URL", principal_href(user)),
        tag(CALDAV, "calendar-home-set"): _href_prop(CALDAV, "calendar-home-set", home_href(user)),
        tag(CALDAV, "calendar-user-address-set"): lambda: element(
            CALDAV,
            "calendar-user-address-set",
            None,
            href(f"mailto:{user.email}"),
            href(principal_href(user)),
        ),
        tag(CALDAV, "calendar-user-type"): _prop(CALDAV, "calendar-user-type", text="INDIVIDUAL"),
    }
    return Resource(
        principal_href(user), props, (tag(DAV, "resourcetype"), tag(DAV, "displayname"))
    )


def home(user: User) -> Resource:
    props = _common(user) | {
        tag(DAV, "resourcetype"): _resourcetype((DAV, "collection")),
        tag(DAV, "displayname"): _prop(DAV, "displayname", text=user.full_name or user.email),
    }
    return Resource(home_href(user), props, (tag(DAV, "resourcetype"), tag(DAV, "displayname")))


REPORTS = (
    (CALDAV, "calendar-query"),
    (CALDAV, "calendar-multiget"),
    (CALDAV, "free-busy-query"),
    (DAV, "sync-collection"),
)


def calendar(user: User, *, ctag: Callable[[], str], sync_token: Callable[[], str]) -> Resource:
    """The person's calendar; ``ctag`` and ``sync_token`` are read only when asked for."""

    def supported_reports() -> Element:
        return element(
            DAV,
            "supported-report-set",
            None,
            *(
                element(DAV, "supported-report", None, element(DAV, "report", None, element(ns, n)))
                for ns, n in REPORTS
            ),
        )

    def components() -> Element:
        comp = element(CALDAV, "comp")
        comp.set("name", "VEVENT")
        return element(CALDAV, "supported-calendar-component-set", None, comp)

    def data_types() -> Element:
        data = element(CALDAV, "calendar-data")
        data.set("content-type", "text/calendar")
        data.set("version", "2.0")
        return element(CALDAV, "supported-calendar-data", None, data)

    look = CalendarLook.objects.filter(user=user).first() or CalendarLook(user=user)
    props = _common(user) | {
        tag(DAV, "resourcetype"): _resourcetype((DAV, "collection"), (CALDAV, "calendar")),
        tag(DAV, "current-user-privilege-set"): _privileges(WRITE_PRIVILEGES),
        tag(DAV, "displayname"): _prop(DAV, "displayname", text=look.name or _("Rendezvous")),
        tag(CALDAV, "calendar-description"): _prop(
            CALDAV, "calendar-description", text=_("Your meetings and the ones you take part in")
        ),
        tag(CALDAV, "supported-calendar-component-set"): components,
        tag(CALDAV, "supported-calendar-data"): data_types,
        tag(CALDAV, "max-resource-size"): _prop(CALDAV, "max-resource-size", text="1000000"),
        tag(DAV, "supported-report-set"): supported_reports,
        tag(CS, "getctag"): lambda: element(CS, "getctag", ctag()),
        tag(DAV, "sync-token"): lambda: element(DAV, "sync-token", sync_token()),
        tag(APPLE, "calendar-color"): _prop(
            APPLE, "calendar-color", text=look.color or "#2F6FEBFF"
        ),
        **(
            {tag(APPLE, "calendar-order"): _prop(APPLE, "calendar-order", text=str(look.order))}
            if look.order is not None
            else {}
        ),
        tag(CALDAV, "schedule-calendar-transp"): _prop(
            CALDAV, "schedule-calendar-transp", element(CALDAV, "opaque")
        ),
    }
    return Resource(
        calendar_href(user),
        props,
        (
            tag(DAV, "resourcetype"),
            tag(DAV, "displayname"),
            tag(CS, "getctag"),
            tag(DAV, "sync-token"),
            tag(CALDAV, "supported-calendar-component-set"),
        ),
    )


def calendar_object(
    user: User,
    obj: CalendarObject,
    data: Callable[[], bytes] | None = None,
    *,
    base: str | None = None,
) -> Resource:
    """An object of the calendar; ``base`` (the calendar's href) saves a URL lookup per
    object when thousands are listed."""
    props = {
        tag(DAV, "resourcetype"): _resourcetype(),
        tag(DAV, "getetag"): _prop(DAV, "getetag", text=obj.etag),
        tag(DAV, "getcontenttype"): _prop(
            DAV, "getcontenttype", text="text/calendar; charset=utf-8; component=vevent"
        ),
        tag(DAV, "getlastmodified"): _prop(
            DAV, "getlastmodified", text=http_date(obj.last_modified.timestamp())
        ),
        tag(DAV, "current-user-privilege-set"): _privileges(WRITE_PRIVILEGES),
    }
    if data is not None:
        props[tag(CALDAV, "calendar-data")] = lambda: element(
            CALDAV, "calendar-data", data().decode("utf-8")
        )
    return Resource(
        (base or calendar_href(user)) + obj.name,
        props,
        (tag(DAV, "resourcetype"), tag(DAV, "getetag"), tag(DAV, "getcontenttype")),
    )
