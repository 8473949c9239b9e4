"""Who may call the API at all, and the one error shape of every failure."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import ApiToken
from accounts.services import revoke_api_token

from .conftest import errors_by_field

RANGE = "start=2026-05-04T00:00:00Z&end=2026-05-05T00:00:00Z"

ROUTES = [
    ("GET", "/me", None),
    ("PATCH", "/me", {"full_name": "Mallory"}),
    ("GET", "/users", None),
    ("POST", "/users", {"email": "m@x.test", "full_name": "M"}),
    ("GET", f"/events?{RANGE}", None),
    (
        "POST",
        "/events",
        {"title": "x", "start": "2026-05-04T09:00:00Z", "end": "2026-05-04T10:00:00Z"},
    ),
    ("GET", "/events/{id}", None),
    ("PATCH", "/events/{id}", {"title": "hijacked"}),
    ("DELETE", "/events/{id}", None),
    ("GET", f"/freebusy?users={{uid}}&{RANGE}", None),
]


def _fill(path: str, meeting, owner) -> str:
    return path.replace("{id}", str(meeting.pk)).replace("{uid}", str(owner.pk))


def _assert_401(response) -> None:
    assert response.status_code == 401, response.content
    body = response.json()
    assert body["errors"] == [] and "token" in body["detail"].lower()
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_route_refuses_a_missing_token(api, meeting, owner, method, path, body):
    from .conftest import snapshot

    before = snapshot(meeting)
    _assert_401(api.call(method, _fill(path, meeting, owner), None, body))
    assert snapshot(meeting) == before


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_every_route_refuses_a_revoked_token(api, meeting, owner, owner_token, method, path, body):
    from .conftest import snapshot

    token = ApiToken.objects.get(user=owner)
    revoke_api_token(owner, token.pk)
    before = snapshot(meeting)
    _assert_401(api.call(method, _fill(path, meeting, owner), owner_token, body))
    assert snapshot(meeting) == before


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer rdv_not-a-real-token",
        "Token {token}",
        "Basic {token}",
        "{token}",
        "Bearer {token}x",
        "Bearer " + "a" * 5000,
    ],
)
def test_malformed_or_unknown_credentials_are_401(client, owner_token, header):
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=header.format(token=owner_token))
    _assert_401(response)


def test_the_scheme_name_is_case_insensitive(client, owner_token):
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"bearer {owner_token}")
    assert response.status_code == 200


def test_a_session_cookie_alone_never_authenticates(client, owner):
    client.force_login(owner)
    assert client.session.get("_auth_user_id") == str(owner.pk)  # the session is valid
    _assert_401(client.get("/api/v1/me"))
    _assert_401(
        client.post(
            "/api/v1/events",
            data={"title": "x", "start": "2026-05-04T09:00:00Z", "end": "2026-05-04T10:00:00Z"},
            content_type="application/json",
        )
    )


def test_a_bearer_call_needs_no_csrf_token(owner, owner_token):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    response = browser.post(
        "/api/v1/events",
        data={"title": "x", "start": "2026-05-04T09:00:00Z", "end": "2026-05-04T10:00:00Z"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {owner_token}",
    )
    assert response.status_code == 201, response.content


def test_an_inactive_employee_token_is_401(api, owner, owner_token):
    owner.is_active = False
    owner.save()
    _assert_401(api.call("GET", "/me", owner_token))


def test_unknown_path_is_404_in_the_error_shape(api, owner_token):
    for token in (owner_token, None):
        response = api.call("GET", "/no/such/thing", token)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "errors": []}


def test_wrong_method_is_405_in_the_error_shape(api, owner_token):
    response = api.call("PUT", "/me", owner_token, {"full_name": "x"})
    assert response.status_code == 405
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "PATCH"}
    assert response.json()["errors"] == []


def test_unparsable_json_is_400_in_the_error_shape(api, owner_token):
    response = api.call("POST", "/events", owner_token, "{not json")
    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is not valid JSON.", "errors": []}


def test_a_body_that_is_not_an_object_is_422(api, owner_token):
    status, body = api.json("POST", "/events", owner_token, [1, 2])
    assert status == 422
    assert body["errors"] == [{"field": None, "message": "Send a JSON object."}]


def test_bad_path_id_is_422_naming_it(api, owner_token):
    status, body = api.json("GET", "/events/abc", owner_token)
    assert status == 422
    assert "event_id" in errors_by_field(body)


@pytest.mark.parametrize("event_id", ["0", "-1", str(2**63), str(10**30)])
def test_out_of_range_ids_are_a_clean_answer(api, owner_token, event_id):
    response = api.call("GET", f"/events/{event_id}", owner_token)
    assert response.status_code in (404, 422)
    assert "detail" in response.json()


class TestThrottle:
    @pytest.fixture(autouse=True)
    def _small_limit(self, monkeypatch):
        from api.api import THROTTLE

        monkeypatch.setattr(THROTTLE, "num_requests", 3)
        cache.clear()
        yield
        cache.clear()

    def test_too_many_requests_is_429_per_employee(self, api, owner_token, colleague_token):
        for _ in range(3):
            assert api.call("GET", "/me", owner_token).status_code == 200
        response = api.call("GET", "/me", owner_token)
        assert response.status_code == 429
        assert int(response["Retry-After"]) >= 1
        assert response.json()["errors"] == [] and response.json()["detail"]
        # Another employee has a budget of their own.
        assert api.call("GET", "/me", colleague_token).status_code == 200


def test_openapi_json_is_served_and_lists_the_paths(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Rendezvous API"
    assert schema["info"]["version"] == "1"
    paths = schema["paths"]
    assert {"get", "patch"} <= set(paths["/api/v1/me"])
    assert {"get", "post"} <= set(paths["/api/v1/users"])
    assert {"get", "post"} <= set(paths["/api/v1/events"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/events/{event_id}"])
    assert "get" in paths["/api/v1/freebusy"]
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    # Every operation requires the bearer token, except the public booking-link ones.
    for path, operations in paths.items():
        for operation in operations.values():
            public = path.startswith("/api/v1/public/")
            assert bool(operation.get("security")) is not public, operation.get("operationId")


def test_docs_page_is_served(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content


def test_openapi_documents_the_error_shape(client):
    schema = client.get("/api/v1/openapi.json").json()
    me = schema["paths"]["/api/v1/me"]
    assert {"200", "401", "429"} <= set(me["get"]["responses"])
    assert {"400", "422"} <= set(me["patch"]["responses"])
    ref = me["get"]["responses"]["401"]["content"]["application/json"]["schema"]["$ref"]
    error = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"detail", "errors"} <= set(error["required"])
    one = schema["paths"]["/api/v1/events/{event_id}"]
    assert {"403", "404"} <= set(one["patch"]["responses"])


class TestHandlersDirectly:
    """Error kinds no route of this issue raises yet still get the one shape."""

    @pytest.fixture
    def request_(self, rf):
        return rf.get("/api/v1/anything")

    def _answer(self, request, exc):
        import json

        from api.api import api

        response = api.on_exception(request, exc)
        return response.status_code, json.loads(response.content)

    def test_conflict_is_409_with_its_code(self, request_):
        from events.exceptions import Conflict

        status, body = self._answer(request_, Conflict("The slot is taken.", code="slot_taken"))
        assert status == 409
        assert body == {"detail": "The slot is taken.", "errors": [], "code": "slot_taken"}

    def test_a_validation_error_without_fields(self, request_):
        from django.core.exceptions import ValidationError

        status, body = self._answer(request_, ValidationError("Something is off."))
        assert status == 400
        assert body["errors"] == [{"field": None, "message": "Something is off."}]

    def test_several_messages_for_one_field_are_one_entry(self, request_):
        from django.core.exceptions import ValidationError

        status, body = self._answer(
            request_,
            ValidationError({"password": ["Too short.", "Too common."], "__all__": "Bad."}),
        )
        assert status == 400
        assert body["errors"] == [
            {"field": "password", "message": "Too short. Too common."},
            {"field": None, "message": "Bad."},
        ]

    def test_permission_denied_without_text(self, request_):
        from django.core.exceptions import PermissionDenied

        status, body = self._answer(request_, PermissionDenied())
        assert status == 403 and body["detail"] and body["errors"] == []

    def test_http404_text_never_reaches_the_client(self, request_):
        from django.http import Http404

        status, body = self._answer(request_, Http404("Event 7 of Acme"))
        assert (status, body) == (404, {"detail": "Not found.", "errors": []})


@pytest.mark.parametrize(
    ("loc", "field"),
    [
        (("body", "payload", "title"), "title"),
        (("body", "payload", "attendee_ids", 0), "attendee_ids.0"),
        (("body", "payload"), None),
        (("query", "start"), "start"),
        (("query", "query", "users", 1), "users.1"),
        (("path", "event_id"), "event_id"),
        ((), None),
    ],
)
def test_field_name_from_location(loc, field):
    from api.errors import field_name

    assert field_name(loc) == field
