"""The fuzzers call the WSGI application itself (as a server would), not Django's test
client: keep it from closing the test's database connection after each request (the
test client does the same), or PostgreSQL loses the test's transaction."""

from __future__ import annotations

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
