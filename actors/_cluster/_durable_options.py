"""The settings of one durable subscription (``subscribe(..., durable=...)``), validated
before anything reaches the server, and the redelivery delay rule (pure)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable

import attrs

__all__ = ["DurableOptions", "redelivery_delay"]

# JetStream consumer names: one subject token (no '.', '*', '>', whitespace).
_NAME = re.compile(r"[A-Za-z0-9_-]+")


def _durable(instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f"durable must be a str, got {type(value).__name__}")
    if not _NAME.fullmatch(value):
        raise ValueError(
            "durable must be letters, digits, '_' or '-' (a JetStream consumer name),"
            f" got {value!r}"
        )


def _count(low: int, high: int) -> Callable[[object, attrs.Attribute[int], object], None]:
    def check(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{attribute.name} must be an int, got {value!r}")
        if not low <= value <= high:
            raise ValueError(f"{attribute.name} must be between {low} and {high}, got {value}")

    return check


def _seconds(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what} must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be >= 0 seconds, got {value!r}")
    return float(value)


def _backoff(value: object) -> tuple[float, ...]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, Iterable) or isinstance(value, str):
        raise TypeError(f"backoff must be a list of seconds, got {value!r}")
    delays = tuple(_seconds(delay, f"backoff[{index}]") for index, delay in enumerate(value))
    if not delays:
        raise ValueError("backoff must hold at least one delay (use [0] for none)")
    return delays


def _ack_wait(instance: object, attribute: attrs.Attribute[float], value: object) -> None:
    if _seconds(value, "ack_wait") <= 0:
        raise ValueError(f"ack_wait must be > 0 seconds, got {value!r}")


@attrs.frozen(kw_only=True)
class DurableOptions:
    """See ``ActorSystem.subscribe`` for the meaning of each field."""

    durable: str = attrs.field(validator=_durable)
    max_deliver: int = attrs.field(default=5, validator=_count(1, 10_000))
    max_ack_pending: int = attrs.field(default=256, validator=_count(1, 65_536))
    backoff: tuple[float, ...] = attrs.field(default=(0.1, 1.0, 5.0), converter=_backoff)
    ack_wait: float = attrs.field(default=30.0, validator=_ack_wait)


def redelivery_delay(backoff: tuple[float, ...], delivered: int) -> float:
    """The delay before redelivering an event whose ``delivered``-th delivery failed: the
    ``delivered``-th entry of ``backoff`` (1-based), its last entry once past the end."""
    return backoff[min(delivered, len(backoff)) - 1]
