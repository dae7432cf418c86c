"""The retries of one actor: the messages its ``Retry`` holds for another attempt.

A cell spawned with a ``Retry`` has one ``Redelivery`` (others have ``None`` and pay nothing).
When a handler raises, the cell asks ``on_failure`` whether the message is held for another
attempt; the errors of the attempts so far ride on the envelope (``Envelope.errors``), so a
retried message carries its history and nothing is kept for it once it ends.

A held message is in neither the mailbox nor the handler, so this object owns it until it is
delivered again or the slot ends (``drop_all``). Held first (the default): one at a time, in
``front``; the cell serves it before any queued message once ``front_due`` has passed, and a
loop timer wakes the cell then. Held for the back (``to_back``): a loop timer per message puts
it at the back of the mailbox when its delay has passed.
"""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

from actors._core._handling_errors import RetriesExhausted
from actors._core._state import _WAKE

if TYPE_CHECKING:
    # cycle: typing only; the cell owns its Redelivery, which holds the cell's envelopes and
    # hands them back to the cell's mailbox.
    from actors._core._envelope import Envelope
    from actors._core._mailbox import Mailbox
    from actors._core._retry import Retry

__all__ = ["Redelivery"]


class Redelivery:
    """The held messages of one actor slot (private)."""

    __slots__ = (
        "_back",
        "_front_timer",
        "_loop",
        "_mailbox",
        "_rng",
        "front",
        "front_due",
        "policy",
        "retries",
    )

    def __init__(self, policy: Retry, mailbox: Mailbox, loop: asyncio.AbstractEventLoop) -> None:
        self.policy = policy
        self._mailbox = mailbox
        self._loop = loop
        self._rng = random.Random()
        # Invariant: `front` is held exactly while `_front_timer` is armed or has fired; it
        # is delivered (take_front) or dropped (drop_all), never both.
        self.front: Envelope | None = None
        self.front_due = 0.0
        self._front_timer: asyncio.TimerHandle | None = None
        # Messages waiting for their delay before going to the back of the mailbox, by id.
        self._back: dict[int, tuple[asyncio.TimerHandle, Envelope]] = {}
        # Messages delivered again so far (the metric actors_message_retries_total).
        self.retries = 0

    @property
    def held(self) -> int:
        """How many accepted messages wait here for another attempt (in the ledger, they
        are neither processed nor dead-lettered yet)."""
        return len(self._back) + (self.front is not None)

    def on_failure(
        self, envelope: Envelope, error: Exception, path: str
    ) -> tuple[str, BaseException] | None:
        """The handler of ``envelope`` raised ``error``: hold the message for another attempt
        (returns None) or say how it ends: ``("max_attempts", RetriesExhausted)`` once every
        attempt failed, ``("failed", error)`` for an error the policy does not retry."""
        policy = self.policy
        errors: list[BaseException] | None = envelope.errors
        if errors is None:
            errors = envelope.errors = []
        errors.append(error)
        if not policy.retries(error) or (self.front is not None and not policy.to_back):
            # Not retried: an error outside `on`, or a notice failing while a message is
            # already held first (one held first at a time keeps the order exact).
            return "failed", error
        attempt = len(errors) + 1
        if attempt > policy.max_attempts:
            exhausted = RetriesExhausted(
                f"failed {len(errors)} attempts; last: {type(error).__name__}: {error}",
                errors=errors,
                path=path,
                message_type=type(envelope.message).__name__,
                correlation_id=envelope.correlation_id,
            )
            exhausted.__cause__ = error
            return "max_attempts", exhausted
        loop = self._loop
        due = loop.time() + policy.delay_before(attempt, self._rng)
        if policy.to_back:
            handle = loop.call_at(due, self._to_back, envelope.message_id)
            self._back[envelope.message_id] = (handle, envelope)
        else:
            self.front = envelope
            self.front_due = due
            self._front_timer = loop.call_at(due, self._mailbox.put_control, _WAKE)
        return None

    def holds_until(self, now: float) -> bool:
        """Whether a message held first waits for a delay not over at ``now`` (so the
        actor's queue waits too)."""
        return self.front is not None and self.front_due > now

    def take_front(self) -> Envelope | None:
        """The message held first, if its delay has passed (it leaves the hold); else None."""
        front = self.front
        if front is None or self.front_due > self._loop.time():
            return None
        self.front = None
        self._front_timer = None
        self.retries += 1
        return front

    def _to_back(self, message_id: int) -> None:
        _, envelope = self._back.pop(message_id)
        self.retries += 1
        self._mailbox.requeue(envelope)

    def drop_all(self) -> list[Envelope]:
        """Give up every held message (the slot ends): timers off; returns them, for the
        cell to dead-letter."""
        dropped: list[Envelope] = []
        if self.front is not None:
            dropped.append(self.front)
            self.front = None
        if self._front_timer is not None:
            self._front_timer.cancel()
            self._front_timer = None
        for handle, envelope in self._back.values():
            handle.cancel()
            dropped.append(envelope)
        self._back.clear()
        return dropped

    def __repr__(self) -> str:
        return f"<Redelivery {self.policy!r} held={self.held}>"
