"""How incarnations and slots end: halt (for a restart), restart, graceful stop, kill, the
final bookkeeping, and death watch. A mixin of ``ActorCell``.

State transitions are made synchronously by whoever causes them (a parent, a kill, an overdue
timer), never by relying on a cancelled task to cooperate: a handler that swallows
cancellation can delay nothing but itself.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

from actors._core import _log
from actors._core._actor import Actor
from actors._core._envelope import Envelope
from actors._core._errors import ActorStopped
from actors._core._log import error_fields, log_limited, logger
from actors._core._mailbox import Mailbox
from actors._core._messages import Terminated
from actors._core._state import (
    _NO_CELLS,
    _RESUME,
    _WAKE,
    HALTED,
    RUNNING,
    STARTING,
    STOPPED,
    STOPPING,
    State,
    _ChildFailed,
    _Halt,
)

if TYPE_CHECKING:
    from actors._core._cell import ActorCell
    from actors._core._ref import ActorRef
    from actors._core._runtime import Runtime
    from actors._core._timers import Timer

__all__ = ["Ending"]


class Ending:
    """How an ``ActorCell``'s incarnations and the slot itself end (a mixin)."""

    # Empty slots keep ActorCell instances free of a __dict__; hidden from mypy, which would
    # otherwise refuse assignments to the cell's slots declared below.
    if not TYPE_CHECKING:
        __slots__ = ()

    if TYPE_CHECKING:
        state: State
        task: asyncio.Task[None] | None
        instance: Actor | None
        current: Envelope | None
        children: dict[str, ActorCell]
        timers: set[Timer] | frozenset[Timer]
        watchers: set[ActorCell] | frozenset[ActorCell]
        watching: set[ActorCell] | frozenset[ActorCell]
        ended: str
        mailbox: Mailbox
        loop: asyncio.AbstractEventLoop
        system: Runtime
        parent: ActorCell | None
        name: str
        path: str
        ref: ActorRef
        actor_class: str
        restarts: int
        dead_lettered: int
        shutdown_timeout: float | None
        _stopped: asyncio.Future[None] | None
        _stop_handle: asyncio.TimerHandle | None
        _drain: bool
        _deferred: list[_ChildFailed] | None

        def start_incarnation(self) -> asyncio.Future[None] | None: ...
        def _refuse(self, envelope: Envelope, reason: str) -> None: ...
        def deliver_notice(self, message: Any) -> None: ...
        def _class_name(self) -> str: ...

    async def _end_incarnation(self) -> None:
        """Timers off, children stopped (reverse start order), then on_stop."""
        self._cancel_timers()
        await self._stop_children()
        instance = self.instance
        if instance is not None:
            try:
                await instance.on_stop()
            except Exception as exc:
                log_limited(
                    "error",
                    "actor.stop_failed",
                    self.path,
                    actor=self.path,
                    actor_class=self.actor_class,
                    **error_fields(exc),
                )
        self.instance = None

    async def _stop_children(self) -> None:
        for child in reversed(list(self.children.values())):
            child.request_stop(child.shutdown_timeout)
            await child.wait_stopped()

    async def _finish_stop(self) -> None:
        await self._end_incarnation()
        self._finalize("stopped")

    # ----------------------------------------------------------------- directives

    def resume(self) -> None:
        """Let a SUSPENDED actor go on with the same instance and the next message."""
        self.mailbox.put_control(_RESUME)

    async def halt(self, timeout: float | None) -> None:
        """End the current incarnation (on_stop, children) but keep the slot and mailbox.

        Waits for the message in flight to finish; past ``timeout`` the incarnation is
        abandoned: its task is cancelled and whatever it was handling is dead-lettered.
        """
        task = self.task
        if task is None or self.state >= STOPPING:
            return
        if self._idle_with_nothing_to_run():
            # Parked between messages with nothing to stop and no on_stop to run: ending the
            # incarnation is bookkeeping, done here rather than by a round trip to its task.
            self.instance = None
            self.task = None
            self.state = HALTED
            task.cancel()
            return
        done: asyncio.Future[None] = self.loop.create_future()
        self.mailbox.put_control(_Halt(done))
        handle = None
        if timeout is not None:
            handle = self.loop.call_later(timeout, self._halt_overdue, done, timeout)
        try:
            await done
        finally:
            if handle is not None:
                handle.cancel()

    def _idle_with_nothing_to_run(self, *, empty_mailbox: bool = False) -> bool:
        """Whether ending the current incarnation runs no code: its task is parked between
        messages, with no control message, child, timer or ``on_stop`` to see to (and, with
        ``empty_mailbox``, no queued message to drain, as a graceful stop would)."""
        instance = self.instance
        mailbox = self.mailbox
        return (
            self.task is not None
            and self.current is None
            and mailbox.waiter is not None
            and not mailbox.control
            and not self.children
            and not self.timers
            and (instance is None or type(instance).on_stop is Actor.on_stop)
            and not (empty_mailbox and (mailbox.user or mailbox.notices))
        )

    def _halt_overdue(self, done: asyncio.Future[None], timeout: float) -> None:
        if not done.done():
            self._force_halt(timeout)
            done.set_result(None)

    def _force_halt(self, timeout: float | None) -> None:
        task = self.task
        logger.warning(
            "actor.halt_timeout", actor=self.path, actor_class=self._class_name(), timeout=timeout
        )
        self._abandon_current("timeout")
        self._cancel_timers()
        for child in reversed(list(self.children.values())):
            child.kill()
        self.instance = None
        self.task = None
        if self.state < STOPPING:
            self.state = HALTED
        if task is not None:
            task.cancel()

    async def restart(self, halt_timeout: float | None) -> None:
        """Halt the current incarnation (if any) and start a fresh one from the factory.

        Raises ActorStartError if the new incarnation's factory or on_start raised (the slot
        is then HALTED, its messages still queued), ActorStopped if the actor is stopping.
        """
        await self.halt(halt_timeout)
        if self.state >= STOPPING:
            raise ActorStopped("cannot restart a stopped actor", path=self.path)
        self.restarts += 1
        started = self.start_incarnation()
        if started is not None:
            await started
        log_limited(
            "info",
            "actor.restarted",
            self.path,
            actor=self.path,
            actor_class=self.actor_class,
            restarts=self.restarts,
        )

    def request_stop(self, timeout: float | None) -> None:
        """Begin a graceful stop (idempotent); ``stopped`` completes when it is over."""
        if self.state >= STOPPING:
            return
        if self._idle_with_nothing_to_run(empty_mailbox=True):
            # Parked with an empty mailbox, no children, no timers and no on_stop: the
            # graceful stop has nothing to do, so it is bookkeeping, done here and now.
            self.state = STOPPING
            self._finalize("stopped")
            return
        # A failed or halted actor has no healthy instance to drain the queue with.
        self._drain = self.state in (RUNNING, STARTING)
        self.state = STOPPING
        # Blocked senders wake, see the mailbox closed and dead-letter their messages.
        for envelope in self.mailbox.stop_accepting():
            self._refuse(envelope, "stopped")  # a parked ask: never accepted
        if self.task is None:
            self._finalize("stopped")
            return
        if timeout is not None:
            self._stop_handle = self.loop.call_later(timeout, self._stop_overdue, timeout)
        self.mailbox.put_control(_WAKE)

    def _stop_overdue(self, timeout: float) -> None:
        self._stop_handle = None
        self.stop_overdue(timeout)

    def stop_overdue(self, timeout: float) -> None:
        """End a stop that took longer than ``timeout``: report it, then stop at once
        (queued messages become dead letters, reason ``timeout``). Idempotent."""
        if self.state is STOPPED:
            return
        logger.warning(
            "actor.stop_timeout",
            actor=self.path,
            actor_class=self._class_name(),
            timeout=timeout,
            queued=len(self.mailbox.user) + len(self.mailbox.notices),
        )
        self._finalize("timeout", ended="timeout")

    def kill(self) -> None:
        """Stop at once: no on_stop, queued messages dead-lettered, children killed first."""
        self._finalize("stopped", ended="killed")

    def _abandon_current(self, reason: str) -> None:
        envelope = self.current
        if envelope is not None:
            self.current = None
            self.dead_lettered += 1
            self._refuse(envelope, reason)

    def _finalize(self, reason: str, *, ended: str = "stopped") -> None:
        """Make the slot STOPPED, synchronously. Idempotent. ``reason``: the dead letters'
        reason; ``ended``: how the slot ended, as watchers' ``Terminated.reason`` says."""
        if self.state is STOPPED:
            return
        self.state = STOPPED
        self.ended = ended
        if self._stop_handle is not None:
            self._stop_handle.cancel()
            self._stop_handle = None
        for child in reversed(list(self.children.values())):
            child.kill()
        self._cancel_timers()
        self._abandon_current(reason)
        drained, parked = self.mailbox.close()
        for envelope in parked:
            self._refuse(envelope, "stopped")  # a parked ask: never accepted
        for envelope in drained:
            self.dead_lettered += 1
            self._refuse(envelope, reason)
        for item in self.mailbox.control:
            if isinstance(item, _Halt) and not item.done.done():
                item.done.set_result(None)
        self.mailbox.control = ()
        self._deferred = None
        self.instance = None
        task = self.task
        self.task = None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        parent = self.parent
        siblings = self.system._top if parent is None else parent.children
        if siblings.get(self.name) is self:
            del siblings[self.name]
        self.system._unregister(cast("ActorCell", self))
        for target in self.watching:
            if isinstance(target.watchers, set):
                target.watchers.discard(self)
        self.watching = _NO_CELLS
        for watcher in self.watchers:
            if self in watcher.watching:
                watcher.deliver_notice(Terminated(self.ref, ended))
        self.watchers = _NO_CELLS
        self.system._retire(cast("ActorCell", self))
        stopped = self._stopped
        if stopped is not None and not stopped.done():
            stopped.set_result(None)
        if _log.debug_enabled:
            logger.debug("actor.stopped", actor=self.path, reason=reason)

    async def wait_stopped(self) -> None:
        if self.state is STOPPED:
            return
        stopped = self._stopped
        if stopped is None:
            stopped = self._stopped = self.loop.create_future()
        await asyncio.shield(stopped)

    # ----------------------------------------------------------------- watch, timers

    def watch(self, target: ActorCell) -> None:
        if target is self:
            raise ValueError(f"{self.path} cannot watch itself")
        if target in self.watching:
            return
        if not isinstance(self.watching, set):
            self.watching = set()
        self.watching.add(target)
        if target.state is STOPPED:
            self.deliver_notice(Terminated(target.ref, target.ended))
        else:
            if not isinstance(target.watchers, set):
                target.watchers = set()
            target.watchers.add(cast("ActorCell", self))

    def unwatch(self, target: ActorCell) -> None:
        if target not in self.watching or not isinstance(self.watching, set):
            return
        self.watching.discard(target)
        if isinstance(target.watchers, set):
            target.watchers.discard(self)
        # A Terminated already queued for it is withdrawn: after unwatch none arrives.
        notices = self.mailbox.notices
        for envelope in list(notices):
            message = envelope.message
            if isinstance(message, Terminated) and message.ref._cell is target:
                notices.remove(envelope)  # type: ignore[union-attr]  # non-empty: a deque
                self.mailbox.accepted -= 1

    def _cancel_timers(self) -> None:
        for timer in list(self.timers):
            timer.cancel()
        self.timers = _NO_CELLS
