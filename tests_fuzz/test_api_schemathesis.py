"""Every API operation, fuzzed from our own OpenAPI schema (schemathesis): no answer is a
5xx (for valid inputs and for inputs that break the schema), and every answer to a valid
request matches the schema. Authenticated as an employee,
and without a token (public routes answer, the others must give their 401).

Budget sized for CI: ``FUZZ_EXAMPLES`` cases per operation (20 by default). A failure
names the operation and prints hypothesis' reproduction blob and seed.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
    database=None,
)


def operations():
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    return [result.ok() for result in schema.get_all_operations()]


def fuzz(operation, headers: dict[str, str], checks: list) -> None:
    """Valid inputs (positive) and inputs that break the schema (negative) alike."""
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @FUZZ
        @given(case=operation.as_strategy(mode))
        def run(case):
            case.call_and_validate(headers=headers, checks=checks)

        try:
            run()
        except Unsatisfiable:
            if mode is GenerationMode.POSITIVE:
                raise
            # An operation without a parameter has nothing to break.


@pytest.mark.django_db
def test_as_an_employee_nothing_answers_5xx(owner, owner_token, colleague):
    for operation in operations():
        fuzz(operation, {"Authorization": f"Bearer {owner_token}"}, [not_a_server_error])


@pytest.mark.django_db
def test_valid_requests_get_answers_that_match_the_schema(owner, owner_token, colleague):
    for operation in operations():

        @FUZZ
        @given(case=operation.as_strategy(GenerationMode.POSITIVE))
        def run(case):
            case.call_and_validate(
                headers={"Authorization": f"Bearer {owner_token}"},
                checks=[not_a_server_error, response_schema_conformance],
            )

        run()


@pytest.mark.django_db
def test_without_a_token_nothing_answers_5xx(owner):
    for operation in operations():
        fuzz(operation, {}, [not_a_server_error])


#: What a hostile client puts in a field the schema calls a string (each once answered
#: 500 somewhere: an unpaired surrogate, NUL, the ends of the calendar, a name with <>).
HOSTILE = [
    "A\ud800B",
    "\udfff",
    "A\x00B",
    "\x1b[31m\x7f",
    "9999-12-31T22:00:00-12:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-30",
    "Ann <Sales>",
    '"ceo@bank.test"@client.test',
    "x" * 5000,
]


def _surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


@pytest.mark.django_db
def test_hostile_strings_in_any_field_get_a_4xx(owner, owner_token, colleague):
    headers = {"Authorization": f"Bearer {owner_token}"}
    for operation in operations():

        @FUZZ
        @given(
            case=operation.as_strategy(GenerationMode.POSITIVE),
            hostile=st.sampled_from(HOSTILE),
            pick=st.integers(min_value=0),
        )
        def run(case, hostile, pick):
            for part in ("body", "query"):
                values = getattr(case, part, None)
                json_body = part == "body" and case.media_type == "application/json"
                if _surrogate(hostile) and not json_body:
                    continue  # only JSON can carry one (as an escape); URLs and forms are UTF-8
                if isinstance(values, dict):
                    keys = sorted(k for k, v in values.items() if isinstance(v, str))
                    if keys:
                        values[keys[pick % len(keys)]] = hostile
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        run()
