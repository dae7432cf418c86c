"""Timers that send an actor a message later, or at a fixed rate."""

from __future__ import annotations

import asyncio
import math
import reprlib
from typing import TYPE_CHECKING, Any

from actors._core._envelope import NOT_TIMED, Envelope, next_message_id
from actors._core._state import STOPPING

if TYPE_CHECKING:
    # cycle: typing only; a timer belongs to a cell, which holds its timers.
    from actors._core._cell import ActorCell

__all__ = ["Timer"]


def check_delay(name: str, value: float, *, allow_zero: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number of seconds, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value!r}")
    return float(value)


class Timer:
    """A scheduled message for the actor that created it. ``cancel()`` stops it.

    Timers belong to one incarnation: they are cancelled when the actor stops or restarts,
    and never deliver into a stopped actor. Repeating timers run at a fixed rate: the n-th
    delivery is due at ``first + n * interval`` however late the previous one ran, so they do
    not drift. A delivery that finds the mailbox full follows its overflow policy, except that
    ``block`` cannot wait here: the message becomes a dead letter (``mailbox_full``).
    """

    __slots__ = ("_cell", "_due", "_handle", "_incarnation", "_interval", "_message", "active")

    def __init__(
        self, cell: ActorCell, message: Any, first_due: float, interval: float | None
    ) -> None:
        self._cell = cell
        self._message = message
        self._interval = interval
        self._incarnation = cell.incarnation
        self._due = first_due
        self.active = True
        self._handle: asyncio.TimerHandle | None = cell.loop.call_at(first_due, self._fire)
        if not isinstance(cell.timers, set):
            cell.timers = set()
        cell.timers.add(self)

    def __repr__(self) -> str:
        every = "once" if self._interval is None else f"every {self._interval:g}s"
        state = f"due at {self._due:g}" if self.active else "inactive"
        message = reprlib.repr(self._message)
        return f"<Timer {every} {message} for {self._cell.path}, {state}>"

    def cancel(self) -> None:
        """Stop the timer; a delivery not yet made will not be made. Idempotent."""
        self.active = False
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        timers = self._cell.timers
        if isinstance(timers, set):
            timers.discard(self)

    def _fire(self) -> None:
        cell = self._cell
        self._handle = None
        if not self.active or cell.incarnation != self._incarnation or cell.state >= STOPPING:
            self.cancel()
            return
        if self._interval is None:
            self.active = False
            if isinstance(cell.timers, set):
                cell.timers.discard(self)
        else:
            self._due += self._interval
            self._handle = cell.loop.call_at(self._due, self._fire)
        message_id = next_message_id()
        envelope = Envelope(self._message, cell.ref, None, message_id, message_id, None, NOT_TIMED)
        if not cell.offer(envelope):
            cell.system._note_overflow(cell, cell.mailbox.overflow)
            cell._refuse(envelope, "mailbox_full")
