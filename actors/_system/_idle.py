"""Idle tracking: waiting (exactly, not by polling) until every mailbox is empty, no
handler runs and no timer is due. ``ActorSystem`` holds one ``IdleTracker``; its
``wait_idle`` delegates here."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from actors._core._state import RUNNING

if TYPE_CHECKING:
    from actors._core._cell import ActorCell

__all__ = ["IdleTracker"]


class IdleTracker:
    """The waiters of ``ActorSystem.wait_idle``, and what counts as idle.

    The count of incarnation tasks that are running (not waiting on an empty mailbox) stays
    on the system: cells bump it through ``ActorSystem._idle_enter`` and ``_idle_leave``
    around every wait for a message, and a method of the system itself is the cheapest call
    there (a method bound from here costs more per call on CPython 3.11). The system calls
    ``wake`` when that count falls to zero while someone waits; ``active`` reads it.
    """

    __slots__ = ("_active", "_backlogged", "_registry", "waiters")

    def __init__(
        self,
        registry: dict[str, ActorCell],
        active: Callable[[], int],
        backlogged: Callable[[], bool],
    ) -> None:
        self._registry = registry
        self._active = active
        # True while the event bus still has events to hand to full subscribers.
        self._backlogged = backlogged
        # Never rebound (cleared in place): the system checks it on the hot path.
        self.waiters: list[asyncio.Future[None]] = []

    def wake(self) -> None:
        """No incarnation runs any more: wake every waiter (each checks again)."""
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_result(None)
        self.waiters.clear()

    async def wait(self, loop: asyncio.AbstractEventLoop) -> None:
        """See ``ActorSystem.wait_idle``."""
        while not self.is_idle(loop):
            if self._active() == 0:
                # Work was handed over but not yet picked up (a woken actor, a due timer):
                # let the loop run the callbacks that are ready, then check again.
                await asyncio.sleep(0)
                continue
            waiter: asyncio.Future[None] = loop.create_future()
            self.waiters.append(waiter)
            await waiter

    def is_idle(self, loop: asyncio.AbstractEventLoop) -> bool:
        """True when no incarnation runs and no live actor has work it will do now."""
        if self._active():
            return False
        now = loop.time()
        for cell in self._registry.values():
            mailbox = cell.mailbox
            if mailbox.control:
                return False
            # Queued messages and blocked senders are work only for an actor that will drain
            # them; a failed or halted one waits on its parent's decision (control, above).
            if (mailbox.user or mailbox.notices or mailbox.putters) and cell.state is RUNNING:
                # A message a Retry holds goes first: until its delay is over (a timer, due
                # later), the queue behind it waits too; notices are still served.
                redelivery = cell.redelivery
                if mailbox.notices or redelivery is None or not redelivery.holds_until(now):
                    return False
            for timer in cell.timers:
                if timer._due <= now:
                    return False
        return not self._backlogged()
