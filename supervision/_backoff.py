"""Exponential backoff between restarts: a frozen spec and a small mutable schedule.

No I/O and no clock: the caller passes the current (monotonic) time, and the randomness comes
from an injectable ``random.Random`` so schedules are reproducible in tests.

The n-th consecutive restart (n counted from 0) waits ``min(max, min * factor**n)``, scaled by
a uniform random factor in ``[1 - jitter, 1 + jitter]``. A quiet period of at least
``effective_reset_after`` seconds since the previous failure starts the count again from 0.
"""

from __future__ import annotations

import math
import random

import attrs

__all__ = ["Backoff", "BackoffState"]


def _check_number(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"Backoff.{field} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"Backoff.{field} must be finite, got {value!r}")
    return value


def _validate_min(instance: Backoff, attribute: attrs.Attribute[float], value: float) -> None:
    if _check_number("min", value) <= 0:
        raise ValueError(f"Backoff.min must be > 0, got {value!r}")


def _validate_max(instance: Backoff, attribute: attrs.Attribute[float], value: float) -> None:
    # attrs runs validators after every field is set, and in field order, so `min` is already
    # known to be valid here.
    if _check_number("max", value) < instance.min:
        raise ValueError(f"Backoff.max must be >= min ({instance.min!r}), got {value!r}")


def _validate_factor(instance: Backoff, attribute: attrs.Attribute[float], value: float) -> None:
    if _check_number("factor", value) < 1:
        raise ValueError(f"Backoff.factor must be >= 1, got {value!r}")


def _validate_jitter(instance: Backoff, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0 <= _check_number("jitter", value) < 1:
        raise ValueError(f"Backoff.jitter must be >= 0 and < 1, got {value!r}")


def _validate_reset_after(
    instance: Backoff, attribute: attrs.Attribute[float | None], value: float | None
) -> None:
    if value is not None and _check_number("reset_after", value) <= 0:
        raise ValueError(f"Backoff.reset_after must be None or > 0, got {value!r}")


@attrs.frozen
class Backoff:
    """How long to wait before each restart of a failing child.

    ``min`` is the first delay and ``max`` the ceiling (both in seconds); each consecutive
    restart multiplies the delay by ``factor``. ``jitter`` spreads every delay uniformly over
    ``[delay * (1 - jitter), delay * (1 + jitter)]`` so that siblings failing together do not
    restart in lockstep. After ``reset_after`` quiet seconds (default: halfway between ``min``
    and ``max``) the next failure starts again from ``min``.

    Raises ``TypeError`` when a field is not a number (``bool`` is rejected) and ``ValueError``
    naming the field and the value when ``min <= 0``, ``max < min``, ``factor < 1``, ``jitter``
    is outside ``[0, 1)``, ``reset_after`` is not ``None`` and ``<= 0``, or any number is not
    finite.
    """

    min: float = attrs.field(validator=_validate_min)
    max: float = attrs.field(validator=_validate_max)
    factor: float = attrs.field(default=2.0, validator=_validate_factor)
    jitter: float = attrs.field(default=0.1, validator=_validate_jitter)
    reset_after: float | None = attrs.field(default=None, validator=_validate_reset_after)

    @property
    def effective_reset_after(self) -> float:
        """The quiet period that resets the schedule: ``reset_after``, or ``(min + max) / 2``."""
        if self.reset_after is not None:
            return float(self.reset_after)
        return (self.min + self.max) / 2

    def base_delay(self, attempt: int) -> float:
        """Return the delay before jitter for the ``attempt``-th consecutive restart (from 0).

        That is ``min(max, min * factor**attempt)``, computed without overflowing a float for a
        large ``attempt``. Raises ``ValueError`` when ``attempt`` is negative.
        """
        if attempt < 0:
            raise ValueError(f"attempt must be >= 0, got {attempt!r}")
        log_growth = attempt * math.log(self.factor)
        # Cap the exponent. The logs are taken separately because max / min can overflow. Past
        # the ceiling by a margin of 1 (a factor of e, far beyond any rounding error) the delay
        # is max for certain, and factor**attempt could overflow; below it, the exact formula
        # is used, so schedules match min(max, min * factor**attempt) to the last bit.
        if log_growth > math.log(self.max) - math.log(self.min) + 1.0:
            return float(self.max)
        try:
            grown = self.min * self.factor**attempt
        except OverflowError:
            # factor**attempt alone overflows only when min is tiny (max / min is beyond the
            # float range); the product itself is below e * max, so go through the logs.
            grown = math.exp(min(math.log(self.max), math.log(self.min) + log_growth))
        return float(min(self.max, grown))


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
