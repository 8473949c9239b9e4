"""``/users``: the employees of my account."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from accounts.selectors import employees
from accounts.services import add_employee

from ..schemas import UserIn, UserOut, answers, user_out

router = Router(tags=["users"])


@router.get("/users", response=answers(200, list[UserOut]), summary="Employees of my account")
def list_users(request: HttpRequest) -> list[dict[str, Any]]:
    """Active employees of the caller's account only, ordered by name."""
    return [user_out(u) for u in employees(request.auth)]


@router.post(
    "/users", response=answers(201, UserOut, 400, 403, 422), summary="Add an employee (admins only)"
)
def create_user(request: HttpRequest, payload: UserIn) -> Status:
    """An account admin adds an employee to the same account; anyone else gets 403."""
    data = payload.dict()
    user = add_employee(request.auth, timezone_name=data.pop("timezone"), **data)
    return Status(201, user_out(user))
