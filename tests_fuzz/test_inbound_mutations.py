"""Mail from outside, mutated: real replies from other people's clients
(``../shared/interop/``) with bytes flipped, cut, repeated and spliced. The parser must
answer every one (a result, never an exception) and quickly."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mail.inbound_parse import extract_replies

INTEROP = Path(__file__).resolve().parents[1] / ".." / "shared" / "interop"
INBOUND = "inbound.example"
PLUS = f"reply+k5zq7mxw2pd4rn6tyh3jvbacegik@{INBOUND}"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20")) * 10


def corpus() -> list[bytes]:
    files = sorted(p for p in INTEROP.glob("*") if p.suffix in (".ics", ".eml"))
    if not files:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the interop corpus {INTEROP} is missing (CI=true)")
        pytest.skip(f"the interop corpus {INTEROP} is missing")
    return [p.read_bytes() for p in files]


@st.composite
def mutated(draw, originals: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(originals)))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "cut", "repeat", "insert", "splice"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[at : at + draw(st.integers(1, 200))]
        elif kind == "repeat":
            piece = bytes(data[at : at + draw(st.integers(1, 120))])
            data[at:at] = piece * draw(st.integers(1, 50))
        elif kind == "insert":
            data[at:at] = draw(
                st.sampled_from(
                    [b"\r\n", b"\x00", b"BEGIN:VEVENT\r\n", b"END:VCALENDAR\r\n", b"=?utf-8?b?",
                     b"Content-Type: multipart/mixed; boundary=x\r\n", b"ATTENDEE:mailto:",
                     b"\xed\xa0\x80", b";PARTSTAT=", b"--x\r\n", b"\r\n "]
                )
            )  # fmt: skip
        elif kind == "splice":
            other = draw(st.sampled_from(originals))
            data[at:] = other[draw(st.integers(0, len(other))) :]
    return bytes(data)


@pytest.fixture(scope="module")
def originals() -> list[bytes]:
    return corpus()


def test_mutated_replies_are_always_answered(originals):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
        database=None,
    )
    @given(raw=mutated(originals))
    def run(raw: bytes) -> None:
        started = time.monotonic()
        result = extract_replies(
            raw, envelope_sender="g@example.org", envelope_recipients=[PLUS],
            inbound_domain=INBOUND,
        )  # fmt: skip
        assert result.outcome in ("replies", "refresh", "counter", "ignored", "rejected")
        assert time.monotonic() - started < 2, len(raw)

    run()
