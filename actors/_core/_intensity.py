"""Restart intensity: the sliding window that decides when a supervisor gives up.

This is OTP's ``add_restart/3`` as a small mutable class with no I/O and no clock of its own:
the caller passes the current (monotonic) time on every call, so the same code runs on the
event loop's clock, on virtual time in tests, and in property tests over plain numbers.

Semantics, as in ``supervisor.erl``:

- A restart recorded at ``now`` stays in the window while ``stamp >= now - within``, so the
  window is the *closed* interval ``[now - within, now]``. OTP keeps a restart while
  ``R >= Now - Period`` and drops it only once it is strictly older than ``Period``; a restart
  exactly ``within`` seconds old still counts.
- Recording a restart *exceeds* the intensity when, counting the new restart, more than
  ``max_restarts`` restarts fall in the window. Exactly ``max_restarts`` is allowed.
- ``max_restarts = 0`` means the first restart already exceeds: the supervisor never restarts.
"""

from __future__ import annotations

import collections
import math

__all__ = ["RestartIntensity", "validate_max_restarts", "validate_within"]


def validate_max_restarts(value: object) -> int:
    """Check a ``max_restarts`` value and return it.

    Raises ``TypeError`` when ``value`` is not an ``int`` (``bool`` is rejected, although it is
    an ``int`` subclass, because ``max_restarts=True`` is always a mistake), and ``ValueError``
    when it is negative.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"max_restarts must be an int >= 0, got {value!r}")
    if value < 0:
        raise ValueError(f"max_restarts must be an int >= 0, got {value!r}")
    return value


def validate_within(value: object) -> float:
    """Check a ``within`` (window length, seconds) value and return it.

    Raises ``TypeError`` when ``value`` is not an ``int`` or ``float`` (``bool`` is rejected),
    and ``ValueError`` when it is not finite or not ``> 0``.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"within must be a number > 0, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"within must be a finite number > 0, got {value!r}")
    return float(value)


class RestartIntensity:
    """Tracks recent restarts and says when more than ``max_restarts`` fall within ``within``.

    The window is closed at both ends: a restart at ``stamp`` is in the window at ``now`` when
    ``now - within <= stamp <= now`` (OTP's choice). Times must be monotonic: each ``now``
    passed to ``add_restart`` is ``>=`` the previous one.

    Memory is bounded: at most ``max_restarts + 1`` timestamps are kept, which is all the
    decision needs (the window either holds more than ``max_restarts`` restarts or it does
    not).

    Raises ``TypeError`` / ``ValueError`` from the constructor for an invalid ``max_restarts``
    (not an ``int >= 0``) or ``within`` (not a finite number ``> 0``).
    """

    __slots__ = ("_max_restarts", "_stamps", "_within")

    def __init__(self, max_restarts: int, within: float) -> None:
        self._max_restarts = validate_max_restarts(max_restarts)
        self._within = validate_within(within)
        # Invariants: ascending order (oldest on the left); at most max_restarts + 1 entries,
        # the deque's maxlen drops the oldest once full, which never changes a decision
        # because max_restarts + 1 stamps in the window already means "exceeded"; every entry
        # was inside the window at the time of the latest add_restart.
        self._stamps: collections.deque[float] = collections.deque(maxlen=max_restarts + 1)

    @staticmethod
    def validate_max_restarts(value: object) -> int:
        """Check a ``max_restarts`` value and return it (see ``validate_max_restarts``).

        Raises ``TypeError`` for a non-``int`` (or a ``bool``), ``ValueError`` when negative.
        """
        return validate_max_restarts(value)

    @staticmethod
    def validate_within(value: object) -> float:
        """Check a ``within`` value (window length, seconds) and return it as a ``float``.

        Raises ``TypeError`` for a non-number (or a ``bool``), ``ValueError`` when it is not a
        finite number ``> 0``.
        """
        return validate_within(value)

    @property
    def max_restarts(self) -> int:
        """The largest number of restarts allowed within the window."""
        return self._max_restarts

    @property
    def within(self) -> float:
        """The length of the sliding window, in seconds."""
        return self._within

    def add_restart(self, now: float) -> bool:
        """Record a restart at time ``now``; return ``True`` when the intensity is exceeded.

        Restarts older than the window (``stamp < now - within``) are forgotten first. The
        result is ``True`` when, counting this one, more than ``max_restarts`` restarts fall in
        ``[now - within, now]``: the supervisor should give up instead of restarting. The
        restart is recorded either way.

        Raises ``ValueError`` when ``now`` is not finite or is earlier than the latest recorded
        restart (the clock must be monotonic); nothing is recorded then.
        """
        self._check_now(now)
        threshold = now - self._within
        while self._stamps and self._stamps[0] < threshold:
            self._stamps.popleft()
        self._stamps.append(now)
        return len(self._stamps) > self._max_restarts

    def restarts_in_window(self, now: float) -> int:
        """Return how many recorded restarts fall in ``[now - within, now]``, without recording.

        The count is capped at ``max_restarts + 1``, because older restarts beyond that are not
        kept. Raises ``ValueError`` when ``now`` is not finite or is earlier than the latest
        recorded restart.
        """
        self._check_now(now)
        # Stamps are in ascending order and time only moves forward, so those that left the
        # window never count again: drop them, and the rest is the count.
        threshold = now - self._within
        stamps = self._stamps
        while stamps and stamps[0] < threshold:
            stamps.popleft()
        return len(stamps)

    def reset(self) -> None:
        """Forget every recorded restart."""
        self._stamps.clear()

    def _check_now(self, now: float) -> None:
        if not math.isfinite(now):
            raise ValueError(f"now must be a finite time, got {now!r}")
        if self._stamps and now < self._stamps[-1]:
            raise ValueError(
                f"now must not go backwards: got {now!r}, latest restart at {self._stamps[-1]!r}"
            )

    def __repr__(self) -> str:
        return (
            f"RestartIntensity(max_restarts={self._max_restarts}, within={self._within}, "
            f"recent={list(self._stamps)})"
        )
