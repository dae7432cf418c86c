"""Idle tracking: how many incarnations are running, and waiting (exactly, not by polling)
until every mailbox is empty, no handler runs and no timer is due. ``ActorSystem`` holds
one ``IdleTracker``; its ``wait_idle`` delegates here."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from actors._core._state import RUNNING

if TYPE_CHECKING:
    from actors._core._cell import ActorCell

__all__ = ["IdleTracker"]


class IdleTracker:
    """The count of incarnation tasks that are running (not waiting on an empty mailbox),
    and the waiters of ``ActorSystem.wait_idle``.

    Cells call ``enter`` and ``leave`` around every wait for a message: the system binds
    these two methods once as its own ``_idle_enter`` and ``_idle_leave``, so the hot path
    pays no extra attribute hop or call layer for them.
    """

    __slots__ = ("_active", "_backlogged", "_registry", "_waiters")

    def __init__(self, registry: dict[str, ActorCell], backlogged: Callable[[], bool]) -> None:
        self._registry = registry
        # True while the event bus still has events to hand to full subscribers.
        self._backlogged = backlogged
        self._active = 0
        self._waiters: list[asyncio.Future[None]] = []

    def enter(self) -> None:
        """An incarnation waits for a message (or ended): one fewer is running."""
        self._active -= 1
        if self._active == 0 and self._waiters:
            for waiter in self._waiters:
                if not waiter.done():
                    waiter.set_result(None)
            self._waiters.clear()

    def leave(self) -> None:
        """An incarnation runs (it started, or a message woke it)."""
        self._active += 1

    async def wait(self, loop: asyncio.AbstractEventLoop) -> None:
        """See ``ActorSystem.wait_idle``."""
        while not self.is_idle(loop):
            if self._active == 0:
                # Work was handed over but not yet picked up (a woken actor, a due timer):
                # let the loop run the callbacks that are ready, then check again.
                await asyncio.sleep(0)
                continue
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            await waiter

    def is_idle(self, loop: asyncio.AbstractEventLoop) -> bool:
        """True when no incarnation runs and no live actor has work it will do now."""
        if self._active:
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
