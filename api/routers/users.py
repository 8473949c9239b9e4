"""``/users``: the employees of my account."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from accounts.selectors import employees
from accounts.services import add_employee

from ..schemas import UserIn, UserOut, user_out

router = Router(tags=["users"])


@router.get("/users", response=list[UserOut], summary="Employees of my account")
def list_users(request: HttpRequest) -> list[dict[str, Any]]:
    """Active employees of the caller's account only, ordered by name."""
    return [user_out(u) for u in employees(request.auth)]


@router.post("/users", response={201: UserOut}, summary="Add an employee (admins only)")
def create_user(request: HttpRequest, payload: UserIn) -> tuple[int, dict[str, Any]]:
    """An account admin adds an employee to the same account; anyone else gets 403."""
    data = payload.dict()
    user = add_employee(request.auth, timezone_name=data.pop("timezone"), **data)
    return 201, user_out(user)
