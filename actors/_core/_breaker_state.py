"""The circuit breaker's state machine: pure, no I/O, the time passed in on every call.

Akka's ``CircuitBreaker`` is the model. ``CLOSED``: calls go through; ``max_failures``
consecutive failures trip it. ``OPEN``: calls are refused at once; after the reset timeout
the next call is let through as the one trial, which makes the breaker ``HALF_OPEN``. The
trial's success closes it; its failure opens it again, for a reset timeout multiplied by
``backoff_factor`` (at most ``max_reset_timeout``). Closing restores the first timeout.
"""

from __future__ import annotations

import enum

__all__ = ["BreakerMachine", "CircuitState"]


class CircuitState(enum.Enum):
    """The state of a ``CircuitBreaker``; ``value`` is the number its metric exports."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


CLOSED = CircuitState.CLOSED
HALF_OPEN = CircuitState.HALF_OPEN
OPEN = CircuitState.OPEN


class BreakerMachine:
    """The transitions of one breaker.

    A call asks ``admit(now)`` first: it returns a ticket, or ``None`` when the call must be
    refused. The call's end is reported with its ticket (``succeeded``, ``failed``, or
    ``released`` when it ended without an outcome, e.g. cancelled). A ticket is the
    ``generation`` the call was admitted in; every transition starts a new generation, so a
    call admitted before the breaker changed state cannot change the new state (Akka ignores
    outcomes reported while open the same way). Each method returns the transition it made,
    as ``(old, new)``, or ``None``.
    """

    __slots__ = (
        "backoff_factor",
        "current_reset_timeout",
        "failures",
        "generation",
        "max_failures",
        "max_reset_timeout",
        "opened_at",
        "reset_timeout",
        "state",
        "trial_running",
    )

    def __init__(
        self,
        max_failures: int,
        reset_timeout: float,
        *,
        max_reset_timeout: float | None = None,
        backoff_factor: float = 1.0,
    ) -> None:
        self.max_failures = max_failures
        self.reset_timeout = reset_timeout
        self.max_reset_timeout = reset_timeout if max_reset_timeout is None else max_reset_timeout
        self.backoff_factor = backoff_factor
        self.state = CLOSED
        # Consecutive failures while CLOSED; reset by a success and by every transition.
        self.failures = 0
        self.generation = 0
        # Meaningful while OPEN: when it opened, and for how long it stays open.
        self.opened_at = 0.0
        self.current_reset_timeout = reset_timeout
        # HALF_OPEN only: whether the one trial call is under way.
        self.trial_running = False

    def state_at(self, now: float) -> CircuitState:
        """The state a call made at ``now`` finds: an ``OPEN`` breaker whose reset timeout
        has passed reads ``HALF_OPEN`` (the next call is the trial)."""
        if self.state is OPEN and now >= self.opened_at + self.current_reset_timeout:
            return HALF_OPEN
        return self.state

    def remaining(self, now: float) -> float:
        """Seconds until an ``OPEN`` breaker lets a trial through (0.0 when not open)."""
        if self.state is not OPEN:
            return 0.0
        return max(0.0, self.opened_at + self.current_reset_timeout - now)

    def admit(self, now: float) -> tuple[int | None, tuple[CircuitState, CircuitState] | None]:
        """Whether a call at ``now`` may go through: its ticket (or ``None``: refuse it), and
        the transition to ``HALF_OPEN`` when this call is the trial."""
        state = self.state
        if state is CLOSED:
            return self.generation, None
        if state is OPEN:
            if now < self.opened_at + self.current_reset_timeout:
                return None, None
            transition = self._move(HALF_OPEN)
            self.trial_running = True
            return self.generation, transition
        if self.trial_running:
            return None, None
        self.trial_running = True  # the trial before was released without an outcome
        return self.generation, None

    def succeeded(self, ticket: int, now: float) -> tuple[CircuitState, CircuitState] | None:
        """A call admitted with ``ticket`` returned."""
        if ticket != self.generation:
            return None
        if self.state is CLOSED:
            self.failures = 0
            return None
        if self.state is HALF_OPEN:
            self.current_reset_timeout = self.reset_timeout
            return self._move(CLOSED)
        return None

    def failed(self, ticket: int, now: float) -> tuple[CircuitState, CircuitState] | None:
        """A call admitted with ``ticket`` raised or timed out."""
        if ticket != self.generation:
            return None
        if self.state is CLOSED:
            self.failures += 1
            if self.failures < self.max_failures:
                return None
            return self._open(now)
        if self.state is HALF_OPEN:
            self.current_reset_timeout = min(
                self.current_reset_timeout * self.backoff_factor, self.max_reset_timeout
            )
            return self._open(now)
        return None

    def released(self, ticket: int) -> None:
        """A call admitted with ``ticket`` ended without an outcome (it was cancelled): a
        trial frees its place for the next call."""
        if ticket == self.generation and self.state is HALF_OPEN:
            self.trial_running = False

    def _open(self, now: float) -> tuple[CircuitState, CircuitState]:
        self.opened_at = now
        return self._move(OPEN)

    def _move(self, state: CircuitState) -> tuple[CircuitState, CircuitState]:
        old = self.state
        self.state = state
        self.generation += 1
        self.failures = 0
        self.trial_running = False
        return old, state
