"""The dead-letter office: where every undelivered or unprocessed message ends up."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from actors._core._messages import DeadLetter

if TYPE_CHECKING:
    # cycle: typing only; a dead letter names its recipient's ActorRef, whose cell records dead
    # letters.
    from actors._core._ref import ActorRef

__all__ = ["DeadLetters"]


class DeadLetters:
    """Counts dead letters by reason and keeps the most recent ones.

    ``system.dead_letters`` is the one instance of a system. Listeners (the event bus, a
    test) are called synchronously with each ``DeadLetter`` as it is recorded.
    """

    def __init__(self, buffer: int = 1000) -> None:
        if isinstance(buffer, bool) or not isinstance(buffer, int) or buffer < 0:
            raise ValueError(f"dead letter buffer must be an int >= 0, got {buffer!r}")
        self._count = 0
        self._by_reason: Counter[str] = Counter()
        self._recent: deque[DeadLetter] = deque(maxlen=buffer)
        self._listeners: list[Callable[[DeadLetter], None]] = []

    def __repr__(self) -> str:
        return f"<DeadLetters count={self._count} by_reason={dict(self._by_reason)!r}>"

    @property
    def count(self) -> int:
        """How many dead letters there have been."""
        return self._count

    @property
    def by_reason(self) -> dict[str, int]:
        """A copy of the counts per reason (``stopped``, ``mailbox_full``, ``failed``, ...)."""
        return dict(self._by_reason)

    @property
    def recent(self) -> tuple[DeadLetter, ...]:
        """The most recent dead letters, newest last (bounded by the buffer size)."""
        return tuple(self._recent)

    def record(
        self,
        message: Any,
        recipient: ActorRef | None,
        reason: str,
        error: BaseException | None = None,
    ) -> None:
        """Record a dead letter and tell the listeners."""
        letter = DeadLetter(message, recipient, reason, error)
        self._count += 1
        self._by_reason[reason] += 1
        self._recent.append(letter)
        for listener in self._listeners:
            listener(letter)

    def add_listener(self, listener: Callable[[DeadLetter], None]) -> None:
        """Call ``listener`` with every future dead letter."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[DeadLetter], None]) -> None:
        """Stop calling ``listener``. Raises ValueError if it was not added."""
        self._listeners.remove(listener)
