"""The circuit breaker's pure state machine, against a model (hypothesis)."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from actors import CircuitState
from actors._core._breaker_state import BreakerMachine

MAX_FAILURES = 3
RESET = 10.0
FACTOR = 2.0
MAX_RESET = 35.0


class BreakerAgainstModel(RuleBasedStateMachine):
    """Random calls (admitted or refused, ending in success, failure or cancellation, in
    any order) and time steps; the machine must agree with a plain model of Akka's rules."""

    def __init__(self) -> None:
        super().__init__()
        self.machine = BreakerMachine(
            MAX_FAILURES, RESET, max_reset_timeout=MAX_RESET, backoff_factor=FACTOR
        )
        self.now = 0.0
        # The model: state name, consecutive failures, when it opened, for how long, whether
        # a trial runs, and a period counter that every state change moves on.
        self.state = "closed"
        self.failures = 0
        self.opened_at = 0.0
        self.reset = RESET
        self.trial = False
        self.period = 0
        # Calls under way: (ticket, the model's period when admitted).
        self.pending: list[tuple[int, int]] = []

    def _change(self, state: str) -> None:
        self.state = state
        self.period += 1
        self.failures = 0
        self.trial = False

    @rule(seconds=st.sampled_from([0.0, 0.5, 3.0, 9.99, 10.0, 25.0]))
    def advance(self, seconds: float) -> None:
        self.now += seconds

    @rule()
    def start_call(self) -> None:
        ticket, _ = self.machine.admit(self.now)
        expect_admitted = False
        if self.state == "closed":
            expect_admitted = True
        elif self.state == "open" and self.now >= self.opened_at + self.reset:
            self._change("half_open")
            self.trial = True
            expect_admitted = True
        elif self.state == "half_open" and not self.trial:
            self.trial = True
            expect_admitted = True
        assert (ticket is not None) == expect_admitted, (self.state, self.now)
        if ticket is not None:
            self.pending.append((ticket, self.period))

    @precondition(lambda self: bool(self.pending))
    @rule(index=st.integers(min_value=0), outcome=st.sampled_from(["ok", "error", "cancel"]))
    def finish_call(self, index: int, outcome: str) -> None:
        ticket, period = self.pending.pop(index % len(self.pending))
        current = period == self.period
        if outcome == "ok":
            self.machine.succeeded(ticket, self.now)
            if current and self.state == "closed":
                self.failures = 0
            elif current and self.state == "half_open":
                self.reset = RESET
                self._change("closed")
        elif outcome == "error":
            self.machine.failed(ticket, self.now)
            if current and self.state == "closed":
                self.failures += 1
                if self.failures == MAX_FAILURES:
                    self._change("open")
                    self.opened_at = self.now
            elif current and self.state == "half_open":
                self.reset = min(self.reset * FACTOR, MAX_RESET)
                self._change("open")
                self.opened_at = self.now
        else:
            self.machine.released(ticket)
            if current and self.state == "half_open":
                self.trial = False

    @invariant()
    def agrees_with_the_model(self) -> None:
        machine = self.machine
        expected = {
            "closed": CircuitState.CLOSED,
            "open": CircuitState.OPEN,
            "half_open": CircuitState.HALF_OPEN,
        }[self.state]
        assert machine.state is expected
        assert machine.failures == self.failures
        assert machine.trial_running == self.trial
        assert machine.current_reset_timeout == self.reset
        assert RESET <= machine.current_reset_timeout <= MAX_RESET
        if self.state == "open":
            assert machine.remaining(self.now) == max(0.0, self.opened_at + self.reset - self.now)
            reads = (
                CircuitState.HALF_OPEN
                if self.now >= self.opened_at + self.reset
                else CircuitState.OPEN
            )
            assert machine.state_at(self.now) is reads
        else:
            assert machine.remaining(self.now) == 0.0
            assert machine.state_at(self.now) is expected


TestBreakerAgainstModel = BreakerAgainstModel.TestCase
TestBreakerAgainstModel.settings = settings(max_examples=300, stateful_step_count=60, deadline=None)


def test_max_failures_consecutive_failures_open_and_a_success_resets_the_count() -> None:
    machine = BreakerMachine(2, 5.0)
    ticket, _ = machine.admit(0.0)
    assert ticket is not None
    assert machine.failed(ticket, 0.0) is None
    assert machine.succeeded(ticket, 0.0) is None
    assert machine.failed(ticket, 0.0) is None
    assert machine.failed(ticket, 1.0) == (CircuitState.CLOSED, CircuitState.OPEN)
    assert machine.admit(5.9) == (None, None)
    trial, transition = machine.admit(6.0)
    assert trial is not None
    assert transition == (CircuitState.OPEN, CircuitState.HALF_OPEN)
    assert machine.admit(6.0) == (None, None)  # exactly one trial
    assert machine.succeeded(trial, 6.5) == (CircuitState.HALF_OPEN, CircuitState.CLOSED)
