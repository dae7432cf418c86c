"""Exponential backoff between restarts: the small mutable schedule of one child.

The frozen spec, ``Backoff``, is public in ``actors`` (retries use it too) and re-exported
here. No I/O and no clock: the caller passes the current (monotonic) time, and the randomness comes
from an injectable ``random.Random`` so schedules are reproducible in tests.

The n-th consecutive restart (n counted from 0) waits ``min(max, min * factor**n)``, scaled by
a uniform random factor in ``[1 - jitter, 1 + jitter]``. A quiet period of at least
``effective_reset_after`` seconds since the previous failure starts the count again from 0.
"""

from __future__ import annotations

import math
import random

from actors import Backoff

__all__ = ["Backoff", "BackoffState"]


class BackoffState:
    """The restart schedule of one child: consecutive failures so far and the last one's time.

    ``next_delay(now)`` is called once per restart; it returns how long to wait and advances
    the schedule. Delays are always in ``[0, max * (1 + jitter)]`` (and at least
    ``min * (1 - jitter)``). With ``jitter = 0`` they never decrease until a quiet period of
    ``effective_reset_after`` seconds (or ``reset()``) starts the schedule again.

    ``rng`` supplies the jitter; pass a seeded ``random.Random`` for a reproducible schedule.
    By default each state gets its own unseeded generator.
    """

    __slots__ = ("_attempt", "_backoff", "_last_failure", "_rng")

    def __init__(self, backoff: Backoff, rng: random.Random | None = None) -> None:
        self._backoff = backoff
        self._rng = rng if rng is not None else random.Random()
        # Invariant: _attempt >= 0 is the number of restarts since the schedule last started
        # over; _last_failure is None exactly when no restart was recorded since then or since
        # construction (after reset() both are back to their initial values).
        self._attempt = 0
        self._last_failure: float | None = None

    @property
    def backoff(self) -> Backoff:
        """The spec this schedule follows."""
        return self._backoff

    @property
    def attempt(self) -> int:
        """How many consecutive restarts were scheduled since the last reset.

        A quiet period is only noticed by the next ``next_delay`` call, so this value does not
        drop to 0 on its own while time passes.
        """
        return self._attempt

    def next_delay(self, now: float) -> float:
        """Return the delay (seconds) before the restart of a failure at ``now``, and record it.

        When at least ``effective_reset_after`` seconds passed since the previously recorded
        failure, the schedule starts over from ``min`` first. Raises ``ValueError`` when
        ``now`` is not finite.
        """
        if not math.isfinite(now):
            raise ValueError(f"now must be a finite time, got {now!r}")
        backoff = self._backoff
        if (
            self._last_failure is not None
            and now - self._last_failure >= backoff.effective_reset_after
        ):
            self._attempt = 0
        delay = backoff.base_delay(self._attempt)
        if backoff.jitter > 0:
            # No draw when jitter is 0, so a jitter-free schedule is exact and leaves the rng
            # untouched.
            delay *= self._rng.uniform(1 - backoff.jitter, 1 + backoff.jitter)
        # Guards against rounding only: base_delay <= max and the factor <= 1 + jitter.
        delay = max(0.0, min(delay, backoff.max * (1 + backoff.jitter)))
        self._last_failure = now
        self._attempt += 1
        return delay

    def running_since(self, now: float) -> None:
        """Note that the child runs again from ``now``: the quiet period that resets the
        schedule counts from here, not from the failure, so a delay longer than
        ``effective_reset_after`` does not reset the schedule by itself.

        Raises ``ValueError`` when ``now`` is not finite.
        """
        if not math.isfinite(now):
            raise ValueError(f"now must be a finite time, got {now!r}")
        if self._last_failure is not None:
            self._last_failure = max(self._last_failure, now)

    def reset(self) -> None:
        """Start the schedule over: the next delay is based on ``min`` again."""
        self._attempt = 0
        self._last_failure = None

    def __repr__(self) -> str:
        return (
            f"BackoffState({self._backoff!r}, attempt={self._attempt}, "
            f"last_failure={self._last_failure!r})"
        )
