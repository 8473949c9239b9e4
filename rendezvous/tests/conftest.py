"""Fixtures the project-wide tests borrow from the apps' own."""

from booking.tests.conftest import link_token  # noqa: F401
