"""Shared fixtures: named people whose access differs.

- ``owner``: account admin of "Acme" (Europe/Berlin);
- ``colleague``: another employee of Acme (America/New_York);
- ``stranger``: admin of another account, "Globex", who must never see Acme's data.
"""

from __future__ import annotations

import pytest

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts with empty counters (sign-in failures, rate limits, flags)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _language_back_to_default():
    """A page request in Italian leaves Italian active in this thread (LocaleMiddleware
    activates, nothing deactivates); services called directly afterwards must not speak it."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def acme(db):
    from accounts.models import Account

    return Account.objects.create(name="Acme", plan="free")


@pytest.fixture
def owner(acme):
    from accounts.models import User

    return User.objects.create_user(
        "alice@acme.test",
        PASSWORD,
        account=acme,
        full_name="Alice Owner",
        timezone="Europe/Berlin",
        is_account_admin=True,
    )


@pytest.fixture
def colleague(acme):
    from accounts.models import User

    return User.objects.create_user(
        "bob@acme.test",
        PASSWORD,
        account=acme,
        full_name="Bob Colleague",
        timezone="America/New_York",
    )


@pytest.fixture
def stranger(db):
    from accounts.models import Account, User

    globex = Account.objects.create(name="Globex", plan="paid")
    return User.objects.create_user(
        "sam@globex.test",
        PASSWORD,
        account=globex,
        full_name="Sam Stranger",
        timezone="UTC",
        is_account_admin=True,
    )


def _token_for(user) -> str:
    from accounts.services import create_api_token

    return create_api_token(user, "tests")[1]


@pytest.fixture
def owner_token(owner) -> str:
    return _token_for(owner)


@pytest.fixture
def colleague_token(colleague) -> str:
    return _token_for(colleague)


@pytest.fixture
def stranger_token(stranger) -> str:
    return _token_for(stranger)


def pytest_runtest_setup(item):
    """``@pytest.mark.postgres_only``: skipped on SQLite, whose in-memory test database
    cannot be shared between the concurrent connections these tests open."""
    if item.get_closest_marker("postgres_only") is None:
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: concurrent connections to one shared database "
            "(run with DATABASE_URL=postgres://...)"
        )


@pytest.fixture(autouse=True)
def _occurrence_store_agrees(request):
    """After a test that wrote to the database: stored occurrences match a fresh expansion."""
    uses_db = {"db", "transactional_db", "django_db_reset_sequences"} & set(request.fixturenames)
    if not uses_db or request.node.get_closest_marker("browser"):
        yield
        return
    # Asked for here, the database fixture is torn down after this check, not before.
    request.getfixturevalue(sorted(uses_db)[0])
    yield
    from testsupport.occurrence_store import disagreements

    problems = disagreements()
    assert not problems, "occurrence store out of step:\n" + "\n".join(problems)
