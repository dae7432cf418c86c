"""``Retry``: the declared policy for a message whose handler raised.

A frozen spec and pure functions of it (does an error qualify, how long before attempt n);
the runtime state of one actor's retries is ``_redelivery.Redelivery``.
"""

from __future__ import annotations

import random

import attrs

from actors._core._backoff import Backoff

__all__ = ["Retry"]


def _check_max_attempts(instance: Retry, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"Retry.max_attempts must be an int, got {value!r}")
    if value < 1:
        raise ValueError(f"Retry.max_attempts must be >= 1, got {value!r}")


def _check_backoff(
    instance: Retry, attribute: attrs.Attribute[Backoff | None], value: Backoff | None
) -> None:
    if value is not None and not isinstance(value, Backoff):
        raise TypeError(f"Retry.backoff must be a Backoff or None, got {value!r}")


def _to_types(value: object) -> tuple[type[Exception], ...]:
    items = value if isinstance(value, tuple | list) else (value,)
    return tuple(items)  # each item is checked by _check_on


def _check_on(
    instance: Retry, attribute: attrs.Attribute[tuple[type[Exception], ...]], value: object
) -> None:
    assert isinstance(value, tuple)
    if not value:
        raise ValueError("Retry.on must name at least one exception type")
    for item in value:
        if not (isinstance(item, type) and issubclass(item, Exception)):
            raise TypeError(
                f"Retry.on must hold Exception subclasses (errors that fail a handler),"
                f" got {item!r}"
            )


@attrs.frozen
class Retry:
    """Try a failed message again, up to ``max_attempts`` deliveries in all.

    Given to ``spawn(..., retry=Retry(...))`` or ``ChildSpec(..., retry=...)``. When the
    handler raises an error that is an instance of one of ``on``, the actor fails as usual
    (its parent decides: resume, restart or stop), but the message is not dead-lettered: it
    is delivered again to the resumed or restarted instance, after the backoff's delay
    counted from the failure (``backoff.base_delay(n - 2)`` with its jitter, before attempt
    ``n``; at once without a backoff). ``self.context.attempt`` tells the handler which
    attempt it runs (1 for the first delivery). After ``max_attempts`` failed attempts the
    message becomes a dead letter with reason ``max_attempts`` whose error,
    ``RetriesExhausted``, carries every attempt's error. An error that is not in ``on``
    ends the message at once (dead letter ``failed``), whatever the attempt.

    Order: by default (``to_back=False``) the retried message goes first, before the
    messages queued behind it, so that two messages from one sender are still handled in the
    order they were sent (FIFO per sender, as OTP and Akka users rely on); the actor handles
    nothing else while the backoff runs (system messages, such as a stop, are still served).
    With ``to_back=True`` the message goes to the back of the mailbox once its delay has
    passed, and the actor handles the others meanwhile: the order is lost, the throughput
    kept.

    An asker of a retried message is answered once, by the final outcome: the reply of the
    attempt that succeeded, or ``ActorFailed`` whose ``__cause__`` is the last attempt's
    error. Its own timeout still applies, and a message whose ask deadline passed is not
    tried again (dead letter ``expired``).

    Attributes:
        max_attempts: deliveries in all, the first included (>= 1; 1 never retries).
        backoff: the delay schedule between attempts, or ``None`` for no delay.
        on: the exception types that are retried (default: any ``Exception``).
        to_back: put a retried message at the back of the mailbox instead of first.

    Raises:
        TypeError: ``max_attempts`` is not an int, ``backoff`` not a ``Backoff``, or ``on``
            holds something other than an ``Exception`` subclass.
        ValueError: ``max_attempts < 1``, or ``on`` is empty.
    """

    max_attempts: int = attrs.field(default=3, validator=_check_max_attempts)
    backoff: Backoff | None = attrs.field(default=None, kw_only=True, validator=_check_backoff)
    on: tuple[type[Exception], ...] = attrs.field(
        default=(Exception,), kw_only=True, converter=_to_types, validator=_check_on
    )
    to_back: bool = attrs.field(
        default=False, kw_only=True, validator=attrs.validators.instance_of(bool)
    )

    def retries(self, error: BaseException) -> bool:
        """Whether a handler failing with ``error`` has its message tried again (if attempts
        are left)."""
        return isinstance(error, self.on)

    def delay_before(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after a failure before delivery number ``attempt`` (>= 2), jitter
        included (drawn from ``rng``, default the ``random`` module's). Raises ValueError for
        ``attempt < 2``."""
        if attempt < 2:
            raise ValueError(f"attempt must be >= 2 (the first waits for nothing), got {attempt!r}")
        backoff = self.backoff
        if backoff is None:
            return 0.0
        delay = backoff.base_delay(attempt - 2)
        if backoff.jitter > 0:
            delay *= (rng or random).uniform(1 - backoff.jitter, 1 + backoff.jitter)
        return max(0.0, delay)
