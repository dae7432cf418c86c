"""The how-to "Handle failing messages" example does what its page says."""

from __future__ import annotations

import pytest

from actors.testing import run_virtual


def test_the_failing_messages_example_retries_quarantines_and_propagates_deadlines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from examples import failing_messages

    outcome = run_virtual(failing_messages.main())
    assert outcome == {
        "flaky": "charged after 3 attempt(s)",
        "poison": ("max_attempts", 3),
        "slow": "charged after 2 attempt(s)",
        "checkout": ("charged after 1 attempt(s)", 2.0),
        "late": "timed out",
        "dead_letters": {"max_attempts": 1},
    }
    out = capsys.readouterr().out
    assert "poison: card '4242' always breaks the gateway" in out
    assert "dead letter: max_attempts after 3 attempts" in out
