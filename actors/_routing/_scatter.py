"""Scatter-gather and tail-chopping: one request asked of several actors, gathered into one
typed result (Akka's ``ScatterGatherFirstCompleted`` and ``TailChopping`` routing).

Both are built on ``ActorRef.ask``, one ask per target, so every ask ends exactly once and is
counted as any ask is: a timeout is an ``AskTimeout`` of that ask, and an ask abandoned
because another target answered first is a cancelled ask whose late reply is discarded and
counted by the target. The gathering itself never waits past ``timeout``.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from typing import Any

import attrs

from actors._core._errors import ActorError, AskTimeout
from actors._core._ref import ActorRef

__all__ = ["ScatterFailure", "ScatterReply", "ScatterResult", "scatter", "tail_chop"]


@attrs.frozen
class ScatterReply:
    """One target's answer to a scatter or tail-chop request."""

    target: ActorRef
    """The actor that answered (a pool's routee, a bus subscriber, or a ref given)."""
    value: Any
    """What its handler returned."""
    elapsed: float
    """Seconds from the start of the request to this reply (loop time)."""


@attrs.frozen
class ScatterFailure:
    """One target's failed answer: its ask raised an ``ActorError`` other than a timeout."""

    target: ActorRef
    """The actor asked."""
    error: ActorError
    """What its ask raised: ``ActorFailed`` (the handler raised), ``ActorStopped``,
    ``MailboxFull``, ``NodeUnreachable``, ..."""


@attrs.frozen
class ScatterResult:
    """What a scatter or tail-chop request gathered.

    Every target asked appears in exactly one of ``replies``, ``failures``, ``timed_out`` and
    ``abandoned``; targets never asked (tail-chopping stopped before reaching them) appear in
    none. ``asked`` lists the targets asked, in the order they were asked.
    """

    asked: tuple[ActorRef, ...]
    """The targets asked, in order."""
    replies: tuple[ScatterReply, ...]
    """The answers, in arrival order (with ``first=True``: the first one, and any that
    arrived in the same instant, such as replies from another node in one network batch)."""
    failures: tuple[ScatterFailure, ...]
    """The asks that failed, in the order they failed."""
    timed_out: tuple[ActorRef, ...]
    """The targets that had not answered when ``timeout`` passed (each ask's
    ``AskTimeout``)."""
    abandoned: tuple[ActorRef, ...]
    """The targets still working when another one answered first: their asks were
    cancelled and their late replies are discarded (counted as late replies)."""

    @property
    def first_reply(self) -> ScatterReply | None:
        """The reply that arrived first, or ``None`` when nobody answered."""
        return self.replies[0] if self.replies else None

    @property
    def values(self) -> tuple[Any, ...]:
        """The replies' values, in arrival order."""
        return tuple(reply.value for reply in self.replies)


def check_timeout(timeout: object, name: str = "timeout") -> float:
    """Return ``timeout`` if it is a finite number of seconds > 0; raise ``ValueError``
    (``TypeError`` for a non-number) naming ``name`` otherwise."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"{name} must be a number of seconds, got {timeout!r}")
    if not math.isfinite(timeout) or timeout <= 0:
        raise ValueError(f"{name} must be a finite number of seconds > 0, got {timeout!r}")
    return float(timeout)


class _Gathering:
    """The asks of one request in flight, and what each ended with.

    Invariant: every task in ``pending`` is an ask not yet ended; each asked target ends
    up in exactly one of the four outcome lists (abandoned ones when ``close`` runs).
    """

    def __init__(self, message: Any, timeout: float, correlation_id: int | str | None) -> None:
        self._message = message
        self._correlation_id = correlation_id
        self.loop = asyncio.get_running_loop()
        self.started = self.loop.time()
        self.deadline = self.started + timeout
        self.pending: dict[asyncio.Task[Any], ActorRef] = {}
        self._order: dict[asyncio.Task[Any], int] = {}
        self.asked: list[ActorRef] = []
        self.replies: list[ScatterReply] = []
        self.failures: list[ScatterFailure] = []
        self.timed_out: list[ActorRef] = []
        self.abandoned: list[ActorRef] = []

    def ask(self, target: ActorRef) -> None:
        """Ask ``target``, with what is left of the request's time as the ask's timeout."""
        remaining = self.deadline - self.loop.time()
        task = self.loop.create_task(
            target.ask(self._message, timeout=remaining, correlation_id=self._correlation_id)
        )
        self.pending[task] = target
        self._order[task] = len(self.asked)
        self.asked.append(target)

    async def wait(self, timeout: float | None = None) -> int:
        """Wait until some ask ends (or ``timeout`` passes); record the ended ones in the
        order they were asked; return how many replies arrived."""
        done, _ = await asyncio.wait(
            self.pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        arrived = 0
        for task in sorted(done, key=self._order.__getitem__):
            target = self.pending.pop(task)
            try:
                value = task.result()
            except AskTimeout:
                self.timed_out.append(target)
            except ActorError as error:
                self.failures.append(ScatterFailure(target, error))
            else:
                self.replies.append(ScatterReply(target, value, self.loop.time() - self.started))
                arrived += 1
        return arrived

    async def close(self) -> None:
        """Cancel the asks still pending (they are abandoned) and wait until they ended."""
        if not self.pending:
            return
        tasks = list(self.pending)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in sorted(tasks, key=self._order.__getitem__):
            self.abandoned.append(self.pending.pop(task))

    def result(self) -> ScatterResult:
        return ScatterResult(
            tuple(self.asked),
            tuple(self.replies),
            tuple(self.failures),
            tuple(self.timed_out),
            tuple(self.abandoned),
        )


async def scatter(
    targets: Sequence[ActorRef],
    message: Any,
    *,
    timeout: float,
    first: bool,
    correlation_id: int | str | None = None,
) -> ScatterResult:
    """Ask every target at once; gather every answer within ``timeout``, or stop at the
    first reply when ``first`` (the others are abandoned). See ``ActorSystem.scatter``."""
    gathering = _Gathering(message, check_timeout(timeout), correlation_id)
    try:
        for target in targets:
            gathering.ask(target)
        while gathering.pending:
            if await gathering.wait() and first:
                break
    finally:
        await gathering.close()
    return gathering.result()


async def tail_chop(
    targets: Sequence[ActorRef],
    message: Any,
    *,
    interval: float,
    timeout: float,
    correlation_id: int | str | None = None,
) -> ScatterResult:
    """Ask the targets one after the other, the next one when no reply came within
    ``interval`` (at once when an ask failed), until the first reply or ``timeout``.
    See ``ActorSystem.tail_chop``."""
    interval = check_timeout(interval, "interval")
    gathering = _Gathering(message, check_timeout(timeout), correlation_id)
    waiting = list(reversed(targets))  # the next target to ask is at the end
    try:
        next_at = gathering.loop.time()
        while True:
            now = gathering.loop.time()
            if now >= gathering.deadline:
                waiting.clear()  # no time left to ask anyone else
            if waiting and now >= next_at:
                gathering.ask(waiting.pop())
                next_at = now + interval
            if not gathering.pending:
                break
            failed_before = len(gathering.failures)
            wait_for = next_at - gathering.loop.time() if waiting else None
            if await gathering.wait(wait_for):
                break
            if len(gathering.failures) > failed_before:
                next_at = gathering.loop.time()  # a failed target will not answer: go on now
    finally:
        await gathering.close()
    return gathering.result()
