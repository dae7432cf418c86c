"""``Backoff``: an exponential delay schedule, as a frozen spec.

Used by supervisors between restarts (``supervision``) and by ``Retry`` between the attempts
of a failing message, so it lives in the core. No I/O and no clock.

The n-th consecutive delay (n counted from 0) is ``min(max, min * factor**n)``, scaled by a
uniform random factor in ``[1 - jitter, 1 + jitter]``.
"""

from __future__ import annotations

import math

import attrs

__all__ = ["Backoff"]


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
    """How long to wait before each restart of a failing child, or each new attempt of a
    failing message (``Retry``).

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
