"""The actor cell: one actor slot and its incarnations.

A cell lives as long as the slot: from spawn until the actor stops for good. A ref points at
its cell, so refs stay valid across restarts. Each *incarnation* (an instance made by the
factory) is served by its own asyncio task; a restart ends one incarnation's task and starts
another while the mailbox, the queued messages and every ref survive.

The cell starts incarnations and serves their messages (the hot loop, failures, control
messages); it acts on the mailbox's verdicts for messages the mailbox did not simply accept
(the admission rules are ``Mailbox.offer``); and it ends incarnations and the slot (halt,
restart, graceful stop, kill, the final bookkeeping). State transitions are made
synchronously by whoever causes them (a parent, a kill, an overdue timer), never by relying
on a cancelled task to cooperate: a handler that swallows cancellation can delay nothing but
itself. What a refused message becomes is ``_refusals``; death watch is ``_watch``; the
states are in ``_state``.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import weakref
from collections.abc import Callable
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

from actors._core import _log, _trace_hooks
from actors._core._actor import Actor, ChildFailure
from actors._core._envelope import Envelope, next_message_id
from actors._core._errors import ActorStartError, ActorStopped, AskTimeout, SupervisionError
from actors._core._handler_timeout import limit_handler
from actors._core._log import error_fields, log_limited, logger
from actors._core._mailbox import CLOSED, DROPPED, FULL, REJECTED, Mailbox, MailboxStatistics
from actors._core._messages import Overflow
from actors._core._redelivery import Redelivery
from actors._core._refusals import fail_reply, full_error, refuse
from actors._core._state import (
    _NO_CELLS,
    _RESUME,
    _WAKE,
    HALTED,
    RUNNING,
    STARTING,
    STOPPED,
    STOPPING,
    SUSPENDED,
    _ChildFailed,
    _Halt,
    current_cell,
)
from actors._core._timings import Timings
from actors._core._watch import notify_watchers, unwatch, watch

if TYPE_CHECKING:
    # cycle: typing only; the cell owns its Context, timers and system (Runtime), which each
    # point back at it.
    from actors._core._context import Context
    from actors._core._retry import Retry
    from actors._core._runtime import Runtime
    from actors._core._timers import Timer

__all__ = ["ActorCell"]

_ASYNC, _SYNC, _BLOCKING = 0, 1, 2

# How each actor class's receive is called, worked out once per class (inspecting a method on
# every spawn costs more than the rest of the spawn's bookkeeping).
_receive_modes: weakref.WeakKeyDictionary[type, int] = weakref.WeakKeyDictionary()

# The children of a cell that never had one: read-only, so no code can fill the shared
# instance by mistake (an empty dict per actor would cost 64 bytes).
_NO_CHILDREN = cast("dict[str, ActorCell]", MappingProxyType({}))


class ActorCell:
    """The runtime's record of one actor slot. Private: users hold ``ActorRef``s."""

    # Slots, and containers created on first use: an idle actor should cost less memory
    # than a task with an asyncio.Queue.
    __slots__ = (
        "_deferred",
        "_drain",
        "_receive",
        "_receive_mode",
        "_stop_handle",
        "_stopped",
        "actor_class",
        "ask_timeouts",
        "children",
        "context",
        "current",
        "dead_lettered",
        "deadlines",
        "ended",
        "factory",
        "failed",
        "handler_timeout",
        "incarnation",
        "instance",
        "late_replies",
        "loop",
        "mailbox",
        "name",
        "overflows",
        "parent",
        "path",
        "processed",
        "redelivery",
        "ref",
        "restarts",
        "shutdown_timeout",
        "state",
        "system",
        "task",
        "timers",
        "timings",
        "watchers",
        "watching",
    )

    def __init__(
        self,
        system: Runtime,
        parent: ActorCell | None,
        name: str,
        path: str,
        factory: Callable[[], Actor],
        capacity: int,
        overflow: Overflow,
        shutdown: float | None,
        retry: Retry | None = None,
        handler_timeout: float | None = None,
    ) -> None:
        from actors._core._context import Context
        from actors._core._ref import ActorRef

        self.system = system
        self.loop = system.loop
        self.parent = parent
        self.name = name
        self.path = path
        self.factory = factory
        self.shutdown_timeout = shutdown
        # The message-handling policies; None (the default) costs nothing per message.
        self.handler_timeout = handler_timeout
        # Metrics: 1 in `timing_sample` accepted messages is timed (mailbox wait and handling
        # time), so timing costs little per message; the counts below are exact.
        # The system's ask timeouts, held here so that an ask reaches them in one step.
        self.deadlines = deadlines = system._ask_deadlines()
        self.mailbox = Mailbox(
            capacity,
            overflow,
            deadlines.clock,
            system._timing_mask + 1 if system.metrics_enabled else 0,
        )
        self.ref = ActorRef(self)
        self.redelivery = None if retry is None else Redelivery(retry, self.mailbox, self.loop)
        self.context: Context = Context(self)
        # Children in start order (dict order); a child leaves when it reaches STOPPED. Until
        # the first child, the shared read-only empty mapping (see `add_child`).
        self.children: dict[str, ActorCell] = _NO_CHILDREN
        self.instance: Actor | None = None
        # The task serving the current incarnation; None when HALTED or STOPPED. A task that
        # finds it is no longer `self.task` has been taken over and must do nothing more.
        self.task: asyncio.Task[None] | None = None
        self.state = STARTING
        # How the slot ended, once STOPPED: Terminated.reason ("stopped", "killed", "timeout").
        self.ended = "stopped"
        self.incarnation = 0
        # The envelope being handled; None between messages. Cleared by whoever finishes it,
        # so a handler that returns after being abandoned can tell it no longer owns it.
        self.current: Envelope | None = None
        # Created on first use (the empty frozenset is shared and never mutated).
        self.watchers: set[ActorCell] | frozenset[ActorCell] = _NO_CELLS
        self.watching: set[ActorCell] | frozenset[ActorCell] = _NO_CELLS
        self.timers: set[Timer] | frozenset[Timer] = _NO_CELLS
        # Completed when the slot reaches STOPPED; created by the first wait_stopped().
        self._stopped: asyncio.Future[None] | None = None
        # How a message is handed to the instance: `_receive(instance, message)`. The class's
        # own function when possible (shared by every actor of the class: a bound method
        # per actor would cost 64 bytes), else a wrapper of the instance's callable.
        self._receive: Callable[[Any, Any], Any] | None = None
        self._receive_mode = _ASYNC
        self._drain = False  # whether a graceful stop processes what is queued
        self._stop_handle: asyncio.TimerHandle | None = None
        # Child failures that came while SUSPENDED, replayed on resume.
        self._deferred: list[_ChildFailed] | None = None
        self.timings: Timings | None = None
        # Ledger (see MailboxStatistics) and counters, plain ints on the hot path.
        self.processed = 0
        self.failed = 0
        self.dead_lettered = 0
        self.restarts = 0
        self.late_replies = 0
        self.ask_timeouts = 0
        self.overflows = 0
        # The metrics label: the factory's name until an instance exists, then its class.
        self.actor_class = _name_of(factory)

    def __repr__(self) -> str:
        return f"<ActorCell {self.path} {self.state.name}>"

    def writable_children(self) -> dict[str, ActorCell]:
        """The children dict, made a real one on the first child (to add to it)."""
        children = self.children
        if children is _NO_CHILDREN:
            children = self.children = {}
        return children

    # ----------------------------------------------------------------- incarnations

    def start_incarnation(self) -> asyncio.Future[None] | None:
        """Start a new incarnation: build the instance from the factory, then serve it in a
        new task.

        Returns None when the incarnation already runs (its class has no ``on_start`` and no
        declared subscriptions: nothing to wait for, so a spawn costs no loop round trip), or
        a future that completes once ``on_start`` finished in the new task (or fails with
        ActorStartError). Raises ActorStartError at once when the factory raised or did not
        return an Actor.
        """
        self.state = STARTING
        self.incarnation += 1
        try:
            instance = self.factory()
            if not isinstance(instance, Actor):
                raise TypeError(
                    f"the factory {self.factory!r} returned {type(instance).__name__}, not an Actor"
                )
            instance._context = self.context
            self.actor_class = type(instance).__name__
            self._bind_receive(instance)
        except Exception as exc:
            raise self._start_failed(exc) from exc
        self.instance = instance
        if type(instance).on_start is Actor.on_start and not instance.subscriptions:
            self.state = RUNNING
            self.task = self.loop.create_task(self._main(None), name=f"actor {self.path}")
            if _log.debug_enabled:
                logger.debug("actor.started", actor=self.path, actor_class=self.actor_class)
            return None
        started: asyncio.Future[None] = self.loop.create_future()
        self.task = self.loop.create_task(self._main(started), name=f"actor {self.path}")
        return started

    async def _main(self, started: asyncio.Future[None] | None) -> None:
        # The incarnation's task: on_start (when the class has one), then the hot loop, in
        # one coroutine, so an idle actor holds one frame. While the mailbox's interrupt flag
        # is clear (the actor RUNNING, no control message, no notice), a message costs one
        # flag read on top of taking it: the flag is set by whatever needs the general path
        # (put_control, put_notice, a stop, a failure) and cleared there once nothing but
        # user messages is left. Handling is inlined (no coroutine per message); the rare
        # paths are method calls.
        current_cell.set(self)
        me = self.task
        system = self.system
        system._idle_leave()
        try:
            if started is not None and not await self._begin(started):
                return
            mailbox = self.mailbox
            user = mailbox.user
            receive = self._receive
            assert receive is not None
            instance = self.instance
            is_async = self._receive_mode == _ASYNC
            mailbox.interrupt = True  # the first pass takes the general path
            # Invariant: this task owns the incarnation (self.task is me) whenever it
            # reaches the fast path. Ownership is only taken away while a handler runs
            # (abandon: `current` cleared, checked below) or by cancelling this task, and
            # the general path checks it. The general path reads the mailbox's lanes and the
            # state as attributes: every local costs 8 bytes in each idle actor's frame.
            envelope: Envelope | None
            while True:
                if not mailbox.interrupt and user:
                    envelope = user.popleft()
                    if mailbox.putters:
                        mailbox.admit_blocked()
                else:
                    envelope = None
                    if self.task is not me:
                        return
                    if user is not mailbox.user:
                        user = mailbox.user  # the lane's first message made it a deque
                        continue
                    if mailbox.interrupt:
                        if mailbox.control:
                            if await self._handle_control(mailbox.control.popleft()):
                                return
                            continue
                        if self.state is RUNNING:
                            redelivery = self.redelivery
                            if redelivery is not None and redelivery.front is not None:
                                # A message a Retry holds goes first, once its delay is over
                                # (a timer wakes the task then); the interrupt flag stays
                                # set, so no fast path while one is held.
                                envelope = redelivery.take_front()
                                if envelope is None and mailbox.notices:
                                    envelope = mailbox.notices.popleft()
                            elif not mailbox.notices:
                                mailbox.interrupt = False
                                continue
                            else:
                                envelope = mailbox.notices.popleft()
                        elif self.state is STOPPING:
                            if not (self._drain and (mailbox.notices or user)):
                                await self._finish_stop()
                                return
                            envelope = (mailbox.notices or user).popleft()
                    if envelope is None:
                        # Idle: wait for the next message (inlined to save a frame per actor);
                        # a failed or halted actor waits for its parent's control message only.
                        waiter = self.loop.create_future()
                        mailbox.waiter = waiter
                        mailbox.waiting_for_user = self.state is RUNNING and (
                            self.redelivery is None or self.redelivery.front is None
                        )
                        system._idle_enter()
                        try:
                            await waiter
                        finally:
                            # Only our own: after a halt, the next incarnation's task may wait.
                            if mailbox.waiter is waiter:
                                mailbox.waiter = None
                            system._idle_leave()
                        continue
                if envelope.deadline is not None and envelope.deadline <= mailbox.clock():
                    self._expired(envelope)
                    continue
                self.current = envelope
                enqueued = envelope.enqueued_at
                began = mailbox.clock() if enqueued >= 0.0 else 0.0
                try:
                    if is_async:
                        result = await receive(instance, envelope.message)
                    elif self._receive_mode == _SYNC:
                        result = receive(instance, envelope.message)
                    else:
                        result = await self._receive_in_thread(receive, instance, envelope.message)
                except Exception as exc:
                    if self.current is envelope:
                        self._handler_failed(envelope, exc)
                    else:
                        mailbox.interrupt = True  # abandoned, as below
                    continue
                if self.current is not envelope:
                    # Abandoned: whoever took over accounted for it (and may own the slot now).
                    mailbox.interrupt = True
                    continue
                self.current = None
                self.processed += 1
                if enqueued >= 0.0:
                    self._observe(enqueued, began)
                reply = envelope.reply
                if reply is not None:
                    if reply.done():
                        self.late_replies += 1
                    else:
                        reply.set_result(result)

        except asyncio.CancelledError:
            if self.task is me:
                # Cancelled from outside the runtime (e.g. the loop is shutting down).
                self._finalize("stopped")
            raise
        finally:
            system._idle_enter()
            system._tasks.discard(me)

    async def _begin(self, started: asyncio.Future[None]) -> bool:
        """Run ``on_start`` (and declared subscriptions) in the incarnation's own task."""
        instance = self.instance
        assert instance is not None
        try:
            await instance.on_start()
            if instance.subscriptions:
                await self.system._subscribe_declared(self.ref, instance.subscriptions)
        except Exception as exc:
            await self._abort_start(exc, started)
            return False
        if self.state is STARTING:
            self.state = RUNNING
        if not started.done():
            started.set_result(None)
        if _log.debug_enabled:
            logger.debug("actor.started", actor=self.path, actor_class=self.actor_class)
        return True

    def _bind_receive(self, instance: Actor) -> None:
        cls = type(instance)
        mode = _receive_modes.get(cls)
        if mode is None:
            is_async = inspect.iscoroutinefunction(instance.receive)
            if instance.blocking:
                if is_async:
                    raise TypeError(
                        f"{cls.__name__} sets blocking = True, so its receive() must be"
                        " a plain def, not async def"
                    )
                mode = _BLOCKING
            else:
                mode = _ASYNC if is_async else _SYNC
            _receive_modes[cls] = mode
        self._receive_mode = mode
        wrap = _trace_hooks.wrap_receive
        function = getattr(cls, "receive", None)
        timeout = self.handler_timeout
        limited = timeout is not None and mode != _SYNC
        # (Not `instance.__dict__`: reading it would make the instance's dict a real one.)
        if wrap is None and not limited and getattr(instance.receive, "__func__", None) is function:
            self._receive = function
            return
        bound = instance.receive if wrap is None else wrap(self, instance.receive, mode)
        if timeout is not None and limited:
            # An inline (plain def) handler holds the loop: nothing can stop it midway.
            bound = limit_handler(self, bound, mode == _BLOCKING, timeout)
            self._receive_mode = _ASYNC
        self._receive = lambda _instance, message: bound(message)

    async def _abort_start(self, exc: Exception, started: asyncio.Future[None]) -> None:
        # Whatever on_start began (timers, children) is undone before the failure is told.
        self._cancel_timers()
        await self._stop_children()
        error = self._start_failed(exc)
        if not started.done():
            started.set_exception(error)

    def _start_failed(self, exc: Exception) -> ActorStartError:
        """Undo a failed start (nothing stays registered for a first start; a restart leaves
        the slot HALTED with its messages) and return the error to raise."""
        self.instance = None
        if isinstance(exc, ActorStartError):
            reason = f"a child failed to start: {exc}"
        else:
            reason = f"actor failed to start: {exc!r}"
        error = ActorStartError(reason, path=self.path)
        error.__cause__ = exc
        log_limited(
            "error",
            "actor.start_failed",
            self.path,
            actor=self.path,
            actor_class=self.actor_class,
            **error_fields(exc),
        )
        if self.incarnation == 1 or self.state is STOPPING:
            self._finalize("stopped")
        else:
            self.state = HALTED
            self.task = None
        return error

    async def _receive_in_thread(
        self, receive: Callable[[Any, Any], Any], instance: Actor | None, message: Any
    ) -> Any:
        context = contextvars.copy_context()
        return await self.system._blocking_pool.run(context.run, receive, instance, message)

    def _observe(self, enqueued: float, started: float) -> None:
        """Record one sampled message's time in mailbox and handling time (histograms)."""
        finished = self.mailbox.clock()
        timings = self.timings
        if timings is None:
            timings = self.timings = Timings()
        timings.observe(started - enqueued, finished - started)

    def _expired(self, envelope: Envelope) -> None:
        """Dead-letter a message whose deadline passed before its handler ran (its asker, if
        still waiting, gets AskTimeout): nobody waits for its outcome any more."""
        self.dead_lettered += 1
        self.system.dead_letters.record(envelope.message, self.ref, "expired")
        reply = envelope.reply
        if reply is not None and not reply.done():
            reply.set_exception(
                AskTimeout(
                    "the deadline passed before the handler ran",
                    path=self.path,
                    message_type=type(envelope.message).__name__,
                    correlation_id=envelope.correlation_id,
                )
            )

    def _handler_failed(self, envelope: Envelope, exc: Exception) -> None:
        self.current = None
        self.failed += 1
        redelivery = self.redelivery
        if redelivery is None:
            ending: tuple[str, BaseException] | None = ("failed", exc)
            retried: dict[str, object] = {}
        else:
            ending = redelivery.on_failure(envelope, exc, self.path)
            retried = {"attempt": len(envelope.errors), "retrying": ending is None}
        if ending is not None:
            reason, error = ending
            self.dead_lettered += 1
            self.system.dead_letters.record(envelope.message, self.ref, reason, error)
            fail_reply(envelope, f"the handler raised {type(exc).__name__}: {exc}", exc, self.path)
        # Rate-limited per actor: a failing actor in a restart loop must not flood the log.
        log_limited(
            "error",
            "actor.failed",
            self.path,
            actor=self.path,
            actor_class=self.actor_class,
            message_type=type(envelope.message).__name__,
            correlation_id=envelope.correlation_id,
            **retried,
            **error_fields(exc),
        )
        if self.state is STOPPING:
            return  # keep draining; a stopping actor is not restarted
        # A SupervisionError means the actor failed because of its children (a supervisor
        # gave up while handling a child's end): that is an escalation wherever it is raised.
        escalated = isinstance(exc, SupervisionError)
        self._suspend_and_report(ChildFailure(self.ref, exc, envelope.message, escalated))

    def _suspend_and_report(self, failure: ChildFailure) -> None:
        self.state = SUSPENDED
        self.mailbox.interrupt = True
        parent = self.parent
        if parent is None:
            self.system._top_level_failed(self, failure)
        else:
            parent.mailbox.put_control(_ChildFailed(self, failure))

    async def _handle_control(self, item: object) -> bool:
        """Handle one control message; True when this incarnation's task must end."""
        if isinstance(item, _ChildFailed):
            await self._on_child_failed(item)
        elif isinstance(item, _Halt):
            if self.state < STOPPING:
                await self._end_incarnation()
                if self.state < STOPPING:
                    self.state = HALTED
                    self.task = None
                else:
                    self._finalize("stopped")
            if not item.done.done():
                item.done.set_result(None)
            return True
        elif item is _RESUME and self.state is SUSPENDED:
            self.state = RUNNING
            for deferred in self._deferred or ():
                self.mailbox.put_control(deferred)
            self._deferred = None
        return False

    async def _on_child_failed(self, item: _ChildFailed) -> None:
        child = item.child
        if child.parent is not self or child.state is not SUSPENDED:
            return  # stale: the child was stopped or restarted meanwhile
        if self.state is SUSPENDED:
            if self._deferred is None:
                self._deferred = []
            self._deferred.append(item)
            return
        instance = self.instance
        if self.state >= STOPPING or instance is None:
            child.request_stop(child.shutdown_timeout)
            return
        try:
            await instance.on_child_failed(item.failure)
        except Exception as exc:
            # Not counted in `failed`: that counts messages whose handler raised.
            log_limited(
                "error",
                "actor.escalated",
                self.path,
                actor=self.path,
                actor_class=self.actor_class,
                child=child.path,
                **error_fields(exc),
            )
            if self.state < STOPPING:
                self._suspend_and_report(ChildFailure(self.ref, exc, None, True))

    # ----------------------------------------------------------------- intake

    def offer(self, envelope: Envelope) -> bool:
        """Deliver without waiting.

        Returns False only when the mailbox is full and its overflow is BLOCK (the caller
        waits or raises). Refusals by other policies and by a stopped actor become dead
        letters (and fail a pending ask). Raises MailboxFull for REJECT.
        """
        verdict = self.mailbox.offer(envelope)
        return not verdict or self.settle(envelope, verdict)

    def settle(self, envelope: Envelope, verdict: int) -> bool:
        """Act on a verdict of ``Mailbox.offer`` other than ``ACCEPTED``.

        Returns False for ``FULL`` (the sender must wait or give up), True once the envelope
        is settled: dead-lettered (``stopped``, ``mailbox_full``; a pending ask fails at once)
        or, for ``EVICTED``, accepted with the evicted one dead-lettered. Raises MailboxFull
        for ``REJECTED``.
        """
        if verdict == FULL:
            return False
        if verdict == CLOSED:
            self._refuse(envelope, "stopped")
            return True
        if verdict == REJECTED:
            raise full_error(envelope, self.path, "mailbox full")
        mailbox = self.mailbox
        self.system._note_overflow(self, mailbox.overflow)
        if verdict == DROPPED:
            self._refuse(envelope, "mailbox_full")
        else:
            self.dead_lettered += 1
            self._refuse(mailbox.take_evicted(), "mailbox_full")
        return True

    async def offer_waiting(
        self,
        envelope: Envelope,
        timeout: float | None,
        until: asyncio.Future[Any] | None = None,
    ) -> None:
        """Deliver to a full BLOCK mailbox, waiting for this sender's turn (at most
        ``timeout`` seconds, and not after ``until`` completed: an ask whose deadline passed
        meanwhile is not delivered). Raises MailboxFull when no room was made in time."""
        mailbox = self.mailbox
        if await mailbox.wait_to_deliver(envelope, timeout, until):
            return
        if until is not None and until.done():
            return  # the asker has its answer (AskTimeout): nothing to deliver
        if not mailbox.accepting:
            self._refuse(envelope, "stopped")
            return
        raise full_error(envelope, self.path, f"no room in the mailbox within {timeout}s")

    def deliver_notice(self, message: Any) -> None:
        """Queue a runtime notice (Terminated) for the handler, ahead of user messages."""
        if self.state >= STOPPING:
            return
        message_id = next_message_id()
        envelope = Envelope(message, None, None, message_id, message_id, None, self.loop.time())
        self.mailbox.put_notice(envelope)

    def _refuse(self, envelope: Envelope, reason: str) -> None:
        """Dead-letter an envelope addressed to this actor and fail its ask, if any."""
        refuse(self.system.dead_letters, self.ref, envelope, reason)

    # ----------------------------------------------------------------- ending

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
            self.system._track(task)  # it may still run its cleanup
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
            self.system._track(task)  # it may still run its cleanup

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

    def request_stop(self, timeout: float | None, *, drain: bool = True) -> None:
        """Begin a graceful stop (idempotent); ``stopped`` completes when it is over.

        With ``drain`` the queued messages are handled first; without, the message being
        handled finishes, ``on_stop`` runs, and the queued ones become dead letters
        (``stopped``)."""
        if self.state >= STOPPING:
            return
        if self._idle_with_nothing_to_run(empty_mailbox=drain):
            # Parked with nothing to drain, no children, no timers and no on_stop: the
            # graceful stop has nothing to do, so it is bookkeeping, done here and now.
            self.state = STOPPING
            self._finalize("stopped")
            return
        # A failed or halted actor has no healthy instance to drain the queue with.
        self._drain = drain and self.state in (RUNNING, STARTING)
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
        if self.redelivery is not None:
            self._drop_held()
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
            self.system._track(task)  # it may still run its cleanup
        parent = self.parent
        siblings = self.system._top if parent is None else parent.children
        if siblings.get(self.name) is self:
            del siblings[self.name]
        self.system._unregister(self)
        notify_watchers(self, ended)
        self.system._retire(self)
        stopped = self._stopped
        if stopped is not None and not stopped.done():
            stopped.set_result(None)
        if _log.debug_enabled:
            logger.debug("actor.stopped", actor=self.path, reason=reason)

    def _drop_held(self) -> None:
        """The slot ends with messages held for another attempt: each becomes a dead letter
        (``failed``, its last error) and its asker gets ActorFailed."""
        assert self.redelivery is not None
        for envelope in self.redelivery.drop_all():
            error = envelope.errors[-1]
            self.dead_lettered += 1
            self.system.dead_letters.record(envelope.message, self.ref, "failed", error)
            fail_reply(
                envelope, f"the handler raised {type(error).__name__}: {error}", error, self.path
            )

    async def wait_stopped(self) -> None:
        if self.state is STOPPED:
            return
        stopped = self._stopped
        if stopped is None:
            stopped = self._stopped = self.loop.create_future()
        await asyncio.shield(stopped)

    # ----------------------------------------------------------------- watch, timers

    def watch(self, target: ActorCell) -> None:
        """Watch ``target`` (see ``_watch.watch``). Raises ValueError for itself."""
        watch(self, target)

    def unwatch(self, target: ActorCell) -> None:
        """Stop watching ``target`` (see ``_watch.unwatch``)."""
        unwatch(self, target)

    def _cancel_timers(self) -> None:
        for timer in list(self.timers):
            timer.cancel()
        self.timers = _NO_CELLS

    # ----------------------------------------------------------------- introspection

    def count_ask_timeout(self) -> None:
        """Count an ``AskTimeout`` a caller received: on the cell while it lives, else in the
        totals the system keeps for stopped actors (where the cell's counters went)."""
        if self.state is STOPPED:
            self.system._retired_ask_timeout(self)
        else:
            self.ask_timeouts += 1

    def _class_name(self) -> str:
        return self.actor_class

    def statistics(self) -> MailboxStatistics:
        mailbox = self.mailbox
        return MailboxStatistics(
            depth=len(mailbox.user),
            capacity=mailbox.capacity,
            high_water_mark=mailbox.high_water_mark,
            accepted=mailbox.accepted,
            processed=self.processed,
            dead_lettered=self.dead_lettered,
            failed=self.failed,
            blocked_senders=len(mailbox.putters),
        )


def _name_of(factory: Callable[..., Any]) -> str:
    inner = getattr(factory, "func", factory)  # functools.partial
    return getattr(inner, "__name__", type(inner).__name__)
