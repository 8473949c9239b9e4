"""The CalDAV server's HTTP side: discovery, PROPFIND, REPORT and GET.

Every view signs in by app password (``basic_auth``) and serves only the signed-in
employee's own resources: another person's principal, home or calendar is the same 404
as a path that does not exist. Objects are written with PUT and DELETE
(``dav.writes``: the same services as the pages); collections themselves cannot be
made, renamed or removed from a client (403 DAV:need-privileges).
"""

from __future__ import annotations

import functools
from xml.etree.ElementTree import Element

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseNotModified,
    HttpResponsePermanentRedirect,
)
from django.urls import reverse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from accounts import ratelimit
from accounts.models import User

from . import calendar_objects, properties, sync, writes
from .basic_auth import dav_login_required
from .davxml import CALDAV, DAV, MAX_BODY, BadXml, element, parse, tag
from .multistatus import error, multistatus, response
from .principal_search import REPORTS as PRINCIPAL_REPORTS
from .proppatch import proppatch
from .reports import REPORTS

COLLECTION_METHODS = ["OPTIONS", "PROPFIND", "REPORT", "PROPPATCH"]
OBJECT_METHODS = ["OPTIONS", "GET", "HEAD", "PROPFIND", "PUT", "DELETE"]
WRITES = {"PUT", "DELETE", "PROPPATCH", "MKCOL", "MKCALENDAR", "MOVE", "COPY", "LOCK", "POST"}
#: Writes per employee and hour from calendar apps: a sync after a day offline is a few
#: dozen; a client stuck in a loop is stopped here, not in the outbox.
WRITES_PER_HOUR = 600


DAV_CONDITIONS = {"need-privileges"}


class NotFound(Exception):
    pass


@csrf_exempt
def well_known(request: HttpRequest) -> HttpResponse:
    """RFC 6764 §5: the well-known address points at the server's context path."""
    return HttpResponsePermanentRedirect(reverse("dav:root"))


def _options(allowed: list[str]) -> HttpResponse:
    response = HttpResponse(status=200)
    response["Allow"] = ", ".join(allowed)
    response["DAV"] = "1, 3, calendar-access, calendar-auto-schedule"
    return response


def _depth(request: HttpRequest) -> str:
    return request.headers.get("Depth", "infinity").strip().lower()


def _propfind_names(body: Element | None) -> tuple[list[str] | None, bool]:
    """(names asked, or None for allprop; whether only names are wanted)."""
    if body is None:
        return None, False
    if body.tag != tag(DAV, "propfind"):
        raise BadXml(_("The body of a PROPFIND must be DAV:propfind."))
    if body.find(tag(DAV, "propname")) is not None:
        return None, True
    prop = body.find(tag(DAV, "prop"))
    if prop is not None:
        return [child.tag for child in prop], False
    return None, False


def _body(request: HttpRequest) -> Element | None:
    return parse(request.body)


def _bad_request(exc: BadXml) -> HttpResponse:
    return HttpResponse(f"{exc}\n", status=400, content_type="text/plain; charset=utf-8")


def _read_only() -> HttpResponse:
    return error(
        403,
        element(DAV, "need-privileges"),
        text=_("Calendars are made and changed in Rendezvous, not from a calendar app."),
    )


def _calendar_resource(user) -> properties.Resource:
    objects_cache: list = []

    def objects():
        if not objects_cache:
            objects_cache.append(calendar_objects.all_objects(user))
        return objects_cache[0]

    def token() -> str:
        return sync.current_token(user, objects())

    return properties.calendar(
        user, ctag=lambda: sync.fingerprint(objects())[:32], sync_token=token
    )


def _collection(request: HttpRequest, resource, children) -> HttpResponse:
    method = request.method
    if method == "OPTIONS":
        return _options(COLLECTION_METHODS)
    if method == "PROPPATCH" and request.dav_kind == "calendar":
        try:
            return proppatch(request.user, request.path, _body(request))
        except BadXml as exc:
            return _bad_request(exc)
    if method in WRITES:
        return _read_only()
    if method not in ("PROPFIND", "REPORT"):
        return HttpResponseNotAllowed(COLLECTION_METHODS)
    try:
        body = _body(request)
        if method == "REPORT":
            return _report(request, body)
        names, names_only = _propfind_names(body)
    except BadXml as exc:
        return _bad_request(exc)
    depth = _depth(request)
    if depth not in ("0", "1"):
        return error(403, element(DAV, "propfind-finite-depth"), text=_("Depth must be 0 or 1."))
    responses = [response(resource, names, names_only=names_only)]
    if depth == "1":
        responses += [response(child, names, names_only=names_only) for child in children()]
    return multistatus(responses)


def _report(request: HttpRequest, body: Element | None) -> HttpResponse:
    if body is not None and request.dav_kind in ("root", "principals", "principal"):
        handler = PRINCIPAL_REPORTS.get(body.tag)
    elif body is not None and request.dav_kind == "calendar":
        handler = REPORTS.get(body.tag)
    else:
        handler = None
    if handler is None:
        return error(
            403, element(DAV, "supported-report"), text=_("This report is not supported here.")
        )
    return handler(request.user, body)


def _own(request: HttpRequest, user_id: int) -> None:
    if request.user.pk != user_id:
        raise NotFound


def _guard(view):
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            return HttpResponse("Not found.\n", status=404, content_type="text/plain")

    return dav_login_required(wrapper)


def _write(request: HttpRequest, name: str) -> HttpResponse:
    user = request.user
    wait = ratelimit.count(f"dav-writes:{user.pk}", WRITES_PER_HOUR, 3600)
    if wait is not None:
        answer = HttpResponse(status=429)
        answer["Retry-After"] = str(wait)
        return answer
    if_match = request.headers.get("If-Match")
    try:
        if request.method == "DELETE":
            writes.delete_object(user, name, if_match=if_match)
            return HttpResponse(status=204)
        if len(request.body) > MAX_BODY:
            return error(
                403,
                element(CALDAV, "max-resource-size"),
                text=_("The event is larger than %(n)d bytes.") % {"n": MAX_BODY},
            )
        content_type = request.content_type or ""
        if content_type and content_type != "text/calendar":
            return error(
                415 if content_type != "application/octet-stream" else 403,
                element(CALDAV, "supported-calendar-data"),
                text=_("Send the event as text/calendar."),
            )
        written = writes.put_object(
            user,
            name,
            request.body,
            if_match=if_match,
            if_none_match=request.headers.get("If-None-Match"),
        )
    except writes.WriteRefused as exc:
        if exc.condition is None:
            return HttpResponse(
                f"{exc.message}\n", status=exc.status, content_type="text/plain; charset=utf-8"
            )
        namespace = DAV if exc.condition in DAV_CONDITIONS else CALDAV
        return error(exc.status, element(namespace, exc.condition), text=exc.message)
    # No ETag: what we store is our rendering, not the client's bytes (RFC 4791 §5.3.4),
    # so the client fetches it again.
    return HttpResponse(status=201 if written.created else 204)


@_guard
def root(request: HttpRequest) -> HttpResponse:
    """``/dav/``: where a client starts, told who it is signed in as."""
    request.dav_kind = "root"
    user = request.user
    return _collection(
        request, properties.root(user, request.path), lambda: [properties.principal(user)]
    )


@_guard
def principals(request: HttpRequest) -> HttpResponse:
    """``/dav/principals/``: searched for colleagues, never listed."""
    request.dav_kind = "principals"
    resource = properties.Resource(
        properties.principals_href(),
        {
            tag(DAV, "resourcetype"): lambda: element(
                DAV, "resourcetype", None, element(DAV, "collection")
            )
        },
        (tag(DAV, "resourcetype"),),
    )
    return _collection(request, resource, lambda: [properties.principal(request.user)])


@_guard
def principal(request: HttpRequest, user_id: int) -> HttpResponse:
    """Mine, or a colleague's (as a search found it); anyone else's is a 404."""
    user = request.user
    if user_id == user.pk:
        request.dav_kind = "principal"
        return _collection(request, properties.principal(user), list)
    colleague = User.objects.filter(pk=user_id, account_id=user.account_id, is_active=True).first()
    if colleague is None:
        raise NotFound
    request.dav_kind = "colleague"
    return _collection(request, properties.principal(colleague, viewer=user), list)


@_guard
def home(request: HttpRequest, user_id: int) -> HttpResponse:
    _own(request, user_id)
    request.dav_kind = "home"
    user = request.user
    return _collection(request, properties.home(user), lambda: [_calendar_resource(user)])


@_guard
def calendar(request: HttpRequest, user_id: int) -> HttpResponse:
    _own(request, user_id)
    request.dav_kind = "calendar"
    user = request.user

    def children():
        base = properties.calendar_href(user)
        objects = calendar_objects.all_objects(user)
        return [properties.calendar_object(user, o, base=base) for o in objects]

    return _collection(request, _calendar_resource(user), children)


@_guard
def unknown_collection(request: HttpRequest, user_id: int, name: str) -> HttpResponse:
    """Any other collection in my home: none exists, and a client cannot make one."""
    _own(request, user_id)
    if request.method in ("MKCALENDAR", "MKCOL"):
        return _read_only()
    raise NotFound


@_guard
def calendar_object(request: HttpRequest, user_id: int, name: str) -> HttpResponse:
    _own(request, user_id)
    user = request.user
    if request.method == "OPTIONS":
        return _options(OBJECT_METHODS)
    if request.method in ("PUT", "DELETE"):
        return _write(request, name)
    if request.method in WRITES:
        return _read_only()
    obj = calendar_objects.object_named(user, name)
    if obj is None:
        raise NotFound
    if request.method == "PROPFIND":
        try:
            names, names_only = _propfind_names(_body(request))
        except BadXml as exc:
            return _bad_request(exc)
        return multistatus(
            [response(properties.calendar_object(user, obj), names, names_only=names_only)]
        )
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(OBJECT_METHODS)
    if obj.etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]:
        answer: HttpResponse = HttpResponseNotModified()
    else:
        data = calendar_objects.render(user, [obj])[obj.uid]
        answer = HttpResponse(
            b"" if request.method == "HEAD" else data,
            content_type="text/calendar; charset=utf-8",
        )
        answer["Content-Length"] = str(len(data))
    answer["ETag"] = obj.etag
    answer["Last-Modified"] = http_date(obj.last_modified.timestamp())
    return answer
