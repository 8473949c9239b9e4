"""Helpers shared by the test suites of several apps (not shipped behaviour)."""
