"""One boundary for the text that enters: what can never be stored or shown stops here.

A lone UTF-16 surrogate (``"\\ud800"`` in JSON) cannot be encoded for any database and
made every text field answer 500; a NUL was stored by SQLite and refused by PostgreSQL;
other control characters end up in headers, calendars and pages. Each view used to be
one place to forget. This middleware looks at every query parameter, form field, file
name and JSON string once, before any view runs, and answers a 4xx naming the field:
the API's JSON error (422, the input does not fit the schema), a page's 400.

Tab, line feed and carriage return are text (descriptions, comments); any other C0
control character, DEL and any unpaired surrogate are refused. Clean JSON costs one
regular-expression scan of the raw body: it is parsed here only when an escape that
could decode to such a character appears in it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from accounts.text import text_problem

# JSON escapes that may decode to a forbidden character (a surrogate pair is fine: the
# parsed value is checked before anything is refused).
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:00[01][0-9a-fA-F]|007[fF]|[dD][89a-fA-F][0-9a-fA-F]{2})")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
API_PREFIX = "/api/"


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(field path, text) for every key and string in parsed JSON: ``guests.0.email``."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, str(key)
            yield from _strings(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}" if path else str(index))


class InputBoundaryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self._first_problem(request)
        if refused is not None:
            return self._refuse(request, *refused)
        return self.get_response(request)

    def _first_problem(self, request: HttpRequest) -> tuple[str, str] | None:
        for key, values in request.GET.lists():
            for field, text in ((key, key), *((key, v) for v in values)):
                if reason := text_problem(text):
                    return field, reason
        if request.content_type == "application/json":
            return self._json_problem(request)
        if request.content_type in _FORM_TYPES and request.method in ("POST", "PUT", "PATCH"):
            return self._form_problem(request)
        return None

    def _json_problem(self, request: HttpRequest) -> tuple[str, str] | None:
        try:
            body = request.body
        except RequestDataTooBig:
            return None  # the view answers 413
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            return "body", _("is not valid UTF-8 (at byte %(position)d).") % {"position": exc.start}
        if not _SUSPECT_ESCAPE.search(body):
            return None
        try:
            data = json.loads(body)
        except ValueError:
            return None  # not JSON: the view says so
        for field, text in _strings(data, ""):
            if reason := text_problem(text):
                return field or "body", reason
        return None

    def _form_problem(self, request: HttpRequest) -> tuple[str, str] | None:
        try:
            fields, files = request.POST, request.FILES
        except (MultiPartParserError, RequestDataTooBig):
            return None  # the view answers with its own error
        for key, values in fields.lists():
            for text in (key, *values):
                if reason := text_problem(text):
                    return key, reason
        for key, uploaded in files.items():
            if reason := text_problem(uploaded.name or ""):
                return key, reason
        return None

    def _refuse(self, request: HttpRequest, field: str, reason: str) -> HttpResponse:
        detail = _("“%(field)s” %(reason)s") % {"field": field, "reason": reason}
        if request.path.startswith(API_PREFIX):
            from api.errors import error_body

            return JsonResponse(error_body(detail, [(field, reason)]), status=422)
        page = render_to_string("400.html", {"reason": detail}, request=request)
        return HttpResponse(page, status=400)
