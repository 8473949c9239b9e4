"""One error shape for every failure of the API.

Every non-2xx answer is ``{"detail": str, "errors": [{"field": str | None, "message": str}]}``
(a 409, and a 403 the plan causes, add ``"code"``), whether it comes from a service (django ``ValidationError``,
``PermissionDenied``, ``Http404``, ``events.exceptions.Conflict``) or from django-ninja
itself (input validation, authentication, throttling, an unparsable body). Clients can
then show ``errors`` next to the named fields and ``detail`` everywhere else.

Status codes:

- 400: the input is well-formed but breaks a business rule (from a service);
- 401: missing, malformed, unknown or revoked bearer token;
- 403: the employee may see the resource but not do this to it, or the plan does not
  allow it (``code: plan_limit_reached``);
- 404: the resource does not exist *or belongs to someone the caller may not see*
  (one body for both, so ids of other accounts cannot be probed);
- 409: the request clashes with the current state (``code`` says how);
- 413: the request body is larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (refused before it
  is read, so nothing is parsed or written);
- 422: the input does not fit the schema (wrong type, missing field, naive time...);
- 429: too many requests for this employee (``Retry-After`` says when to come back).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from events.exceptions import Conflict

if TYPE_CHECKING:
    from ninja import NinjaAPI


def error_body(
    detail: str, errors: Iterable[tuple[str | None, str]] = (), **extra: Any
) -> dict[str, Any]:
    """The error document; ``errors`` is a sequence of (field, message) pairs."""
    return {
        "detail": str(detail),
        "errors": [{"field": field, "message": str(message)} for field, message in errors],
        **extra,
    }


#: The name every handler gives its ``Query[...]`` schema parameter.
QUERY_PARAM = "query"


def field_name(loc: Sequence[Any]) -> str | None:
    """Turn a ninja/pydantic error location into the name the client sent.

    ninja prefixes the location with the parameter source and, for a JSON body, with
    the handler's parameter name: ``("body", "payload", "attendee_ids", 0)`` is the
    client's ``attendee_ids.0``; ``("query", "start")`` is ``start``. An error about
    the body as a whole has no field (``None``).
    """
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form", "file"):
        source = parts.pop(0)
        # The handler's parameter name is not something the client sent. ninja always
        # keeps it for a body, and for a query schema only on nested errors
        # (``("query", "query", "users", 1)``); handlers name query schemas QUERY_PARAM.
        if parts and (source == "body" or (len(parts) > 1 and parts[0] == QUERY_PARAM)):
            parts.pop(0)
    if not parts:
        return None
    return ".".join(str(p) for p in parts)


# Pydantic's own messages are English-only; the common ones get a translated text.
def _schema_message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _("Send a JSON object.")
    if kind == "missing":
        return _("This field is required.")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind in ("string_type", "string_sub_type"):
        return _("Must be text.")
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _("Must be a whole number.")
    if kind in ("bool_type", "bool_parsing"):
        return _("Must be true or false.")
    if kind in ("list_type",):
        return _("Must be a list.")
    if kind in ("datetime_type", "datetime_parsing", "datetime_from_date_parsing"):
        return _("Enter a date and time in ISO 8601 with a UTC offset.")
    if kind == "timezone_aware":
        return _("Give a UTC offset (e.g. 2026-05-04T09:00:00+02:00); naive times are ambiguous.")
    if kind == "literal_error" and "expected" in ctx:
        return _("Choose one of: %(choices)s.") % {"choices": ctx["expected"]}
    if kind == "too_long" and "max_length" in ctx:
        return _("At most %(count)s items.") % {"count": ctx["max_length"]}
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return _("Out of range.")
    # Our own validators raise PydanticCustomError with an already translated text.
    return str(error.get("msg", _("Invalid value.")))


def _validation_error(request: HttpRequest, exc: DjangoValidationError, api: NinjaAPI):
    if hasattr(exc, "error_dict"):
        errors = [
            (None if field == NON_FIELD_ERRORS else field, " ".join(messages))
            for field, messages in exc.message_dict.items()
        ]
    else:
        errors = [(None, " ".join(exc.messages))]
    return api.create_response(
        request, error_body(_("The input is not valid."), errors), status=400
    )


def _schema_error(request: HttpRequest, exc: NinjaValidationError, api: NinjaAPI):
    errors = [(field_name(e.get("loc", ())), _schema_message(e)) for e in exc.errors]
    return api.create_response(
        request, error_body(_("The input is not valid."), errors), status=422
    )


def _permission_denied(request: HttpRequest, exc: PermissionDenied, api: NinjaAPI):
    detail = str(exc) or _("You are not allowed to do this.")
    # A refusal the plan causes (events.exceptions.PlanLimitReached) says so in ``code``.
    extra = {"code": exc.code} if isinstance(getattr(exc, "code", None), str) else {}
    return api.create_response(request, error_body(detail, **extra), status=403)


def _not_found(request: HttpRequest, exc: Http404, api: NinjaAPI):
    # One body for "missing" and "not yours": nothing about other accounts leaks.
    return api.create_response(request, error_body(_("Not found.")), status=404)


def _conflict(request: HttpRequest, exc: Conflict, api: NinjaAPI):
    return api.create_response(request, error_body(exc.message, code=exc.code), status=409)


def _too_big(request: HttpRequest, exc: RequestDataTooBig, api: NinjaAPI):
    # Django refuses the body on reading it; without this handler ninja would hand the
    # exception to Django (an HTML 400) or, with DEBUG on, answer 500 with a traceback.
    detail = _("The request body is too large (at most %(bytes)d bytes).") % {
        "bytes": settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    }
    return api.create_response(request, error_body(detail), status=413)


def _multipart_error(request: HttpRequest, exc: MultiPartParserError, api: NinjaAPI):
    # Django would answer its HTML 400; an API client gets the error shape it reads.
    detail = _("The request body is not valid multipart/form-data: %(reason)s") % {"reason": exc}
    return api.create_response(request, error_body(detail), status=400)


def _http_error(request: HttpRequest, exc: HttpError, api: NinjaAPI) -> HttpResponse:
    if isinstance(exc, AuthenticationError):
        response = api.create_response(
            request,
            error_body(_("Give a valid API token: Authorization: Bearer <token>.")),
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    if isinstance(exc, Throttled):
        detail = _("Too many requests; slow down.")
    elif exc.status_code == 400 and str(exc) == "Cannot parse request body":
        detail = _("The request body is not valid JSON.")
    else:
        detail = str(exc)
    return api.create_response(request, error_body(detail), status=exc.status_code)


def install(api: NinjaAPI) -> None:
    """Register the handlers; ninja picks the most specific class along the MRO."""
    handlers = {
        DjangoValidationError: _validation_error,
        NinjaValidationError: _schema_error,
        PermissionDenied: _permission_denied,
        Http404: _not_found,
        Conflict: _conflict,
        RequestDataTooBig: _too_big,
        MultiPartParserError: _multipart_error,
        HttpError: _http_error,
    }
    for exc_class, handler in handlers.items():
        api.add_exception_handler(
            exc_class, lambda request, exc, handler=handler: handler(request, exc, api)
        )
