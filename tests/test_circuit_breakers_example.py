"""The example of the how-to "Circuit breakers and blocked loops" does what the page says."""

from __future__ import annotations

import asyncio
import re

import pytest
from structlog.testing import capture_logs


@pytest.mark.real_time
def test_the_breaker_fails_fast_then_recovers_and_the_blocking_handler_is_named(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from examples import circuit_breakers

    circuit_breakers.GATEWAY.up = False
    circuit_breakers.GATEWAY.requests = 0
    with capture_logs() as lines:
        outcome = asyncio.run(circuit_breakers.main())
    answers = outcome["answers"]
    assert answers[:3] == ["failed: gateway unreachable"] * 3
    assert all(answer.startswith("later: retry in ") for answer in answers[3:5])
    assert answers[5] == "receipt-o5"
    assert outcome["blocked_by"] == "/report"
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [
        "breaker: OPEN | health: degraded",
        "gateway requests: 3",
        "breaker: CLOSED | health: ok",
    ]
    # On a loaded machine the loop may also stall on its own: count at least the handler's.
    assert re.fullmatch(r"loop blocked \d+ time\(s\), last by /report", out[3])
    assert out[4:] == ["health: degraded"]
    events = [line["event"] for line in lines if line["event"].startswith("breaker")]
    assert events == ["breaker.opened", "breaker.half_open", "breaker.closed"]
    blocked = [
        (line["actor"], line["message_type"])
        for line in lines
        if line["event"] == "loop.blocked" and line["actor"] is not None
    ]
    assert blocked == [("/report", "str")]
