"""``ActorRef``: the handle through which everything talks to an actor."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from actors._core._errors import ActorError, AskTimeout, MailboxFull
from actors._core._state import STOPPING, current_cell

if TYPE_CHECKING:
    # cycle: typing only; a ref points at its cell and mailbox, and the cell owns its ref.
    from actors._core._cell import ActorCell
    from actors._core._mailbox import MailboxStatistics

__all__ = ["ActorRef", "inherited_timeout"]


class ActorRef:
    """A handle on one actor slot.

    A ref names the slot, not one incarnation: it stays valid across restarts, and messages
    queued before a restart go to the new incarnation. Refs are hashable, compare equal only
    to themselves (one ref per slot) and print as ``<ActorRef /shop/orders>``. Use them from
    the event loop's thread only.
    """

    __slots__ = ("__weakref__", "_cell", "_mailbox")

    def __init__(self, cell: ActorCell) -> None:
        self._cell = cell
        # The slot's mailbox outlives every incarnation: the tell path goes straight to it.
        self._mailbox = cell.mailbox

    def __repr__(self) -> str:
        return f"<ActorRef {self._cell.path}>"

    @property
    def path(self) -> str:
        """The actor's path, for example ``/shop/payments/ledger``."""
        return self._cell.path

    @property
    def name(self) -> str:
        """The last segment of the path: the name given at spawn."""
        return self._cell.name

    @property
    def is_alive(self) -> bool:
        """True until the actor has stopped for good (a restart keeps it alive)."""
        return self._cell.state < STOPPING

    async def tell(
        self,
        message: Any,
        *,
        timeout: float | None = None,
        correlation_id: int | str | None = None,
    ) -> None:
        """Send ``message``; returns once the mailbox accepted it.

        On a full mailbox whose overflow is ``block`` it waits for room, at most ``timeout``
        seconds (``None``: without limit). Other overflow policies never wait. A message sent
        to a stopped actor becomes a dead letter (reason ``stopped``); that is not an error.
        Inside a handler the message inherits the handled message's correlation id unless
        ``correlation_id`` is given.

        Raises:
            MailboxFull: the overflow is ``reject`` and the mailbox is full, or no room was
                made within ``timeout``; ``.message`` is the undelivered message.
        """
        envelope = self._mailbox.post(message, None, correlation_id)
        if envelope is not None:
            cell = self._cell
            if not cell.settle(envelope, self._mailbox.last_verdict):
                await cell.offer_waiting(envelope, timeout)

    def tell_nowait(self, message: Any, *, correlation_id: int | str | None = None) -> None:
        """Send ``message`` without ever waiting.

        Raises:
            MailboxFull: the mailbox is full and its overflow is ``block`` or ``reject``;
                ``.message`` is the undelivered message. Other policies drop to dead letters.
        """
        envelope = self._mailbox.post(message, None, correlation_id)
        if envelope is not None and not (cell := self._cell).settle(
            envelope, self._mailbox.last_verdict
        ):
            raise MailboxFull(
                "mailbox full",
                message=message,
                path=cell.path,
                correlation_id=envelope.correlation_id,
            )

    async def ask(
        self,
        message: Any,
        *,
        timeout: float | None = 5.0,
        correlation_id: int | str | None = None,
    ) -> Any:
        """Send ``message`` and wait for the reply: the value the handler returned.

        ``timeout`` bounds the whole exchange, including waiting for mailbox room (``None``:
        no limit). It travels with the message as its deadline: a message still queued when
        it passes is dead-lettered (``expired``) without being handled, and asks and tells
        its handler sends inherit it, so an ask made from a handler waits at most the
        smaller of its own ``timeout`` and the time its caller has left. Cancelling the
        caller cancels the wait; ``CancelledError`` propagates unchanged and a reply that
        comes later is discarded.

        Raises:
            ActorFailed: the handler raised; ``__cause__`` is its exception. Raised as soon
                as the handler raised.
            ActorStopped: the actor is stopped, or stopped before handling the message.
            AskTimeout: no reply within ``timeout`` (a ``TimeoutError``); a late reply is
                discarded and counted. Raised at once, without sending, when the inherited
                deadline has already passed.
            MailboxFull: the overflow policy refused or dropped the message.
            ActorError: the caller is this actor's own handler (it would wait for itself).
        """
        cell = self._cell
        sender = current_cell.get()
        if sender is cell and asyncio.current_task() is cell.task:
            raise ActorError(
                "an actor cannot ask itself from its own task: the reply could only come"
                " after the current handler returns; use tell, or do the work directly",
                path=cell.path,
                message_type=type(message).__name__,
            )
        if timeout is not None and timeout <= 0:
            raise ValueError(f"ask timeout must be > 0 or None, got {timeout!r}")
        reply: asyncio.Future[Any] = cell.loop.create_future()
        mailbox = self._mailbox
        handling = None if sender is None else sender.current
        if handling is not None and handling.deadline is not None:
            # Asked from a handler whose message has a deadline: wait no longer than it has.
            timeout = inherited_timeout(
                cell,
                message,
                handling.correlation_id if correlation_id is None else correlation_id,
                timeout,
                handling.deadline,
            )
        # From here the ask ends exactly once: the reply, a typed error, or the caller's
        # cancellation. An ask that never got into the mailbox cancels its reply future, so its
        # deadline passes it by (no phantom timeout, no never-retrieved exception).
        try:
            envelope = mailbox.post(message, reply, correlation_id)
            if envelope is None:
                # Accepted: appended just now, so it is the newest in the user lane.
                envelope = mailbox.user[-1]
            elif not cell.settle(envelope, mailbox.last_verdict):
                # Blocked: the mailbox takes the envelope in when this ask's turn comes; the
                # asker only awaits the reply, so its deadline (or its cancellation) also
                # ends the wait for room.
                mailbox.park(envelope)
            if timeout is not None:
                deadlines = cell.deadlines
                # The deadline travels with the message (see Context.deadline).
                envelope.deadline = deadline = deadlines.clock() + timeout
                if not reply.done():
                    deadlines.add(timeout, deadline, reply, envelope, cell)
        except BaseException:  # broad: any way out (a refusal, a cancellation) re-raises
            if not reply.done():
                reply.cancel()
            raise
        try:
            return await reply
        except AskTimeout:
            # Counted where the caller sees it, so the counter agrees with the callers.
            cell.count_ask_timeout()
            raise
        except asyncio.CancelledError:
            # Cancelled after the reply (or its error) was set but before we resumed: the
            # caller sees its cancellation, and the outcome it will never read is retrieved.
            if reply.done() and not reply.cancelled():
                reply.exception()
            raise

    async def stop(self, timeout: float | None = 5.0) -> None:
        """Stop gracefully and wait until the actor has stopped.

        The mailbox refuses new messages (they become dead letters, reason ``stopped``),
        queued messages are handled, children stop (reverse start order), then ``on_stop``
        runs. Past ``timeout`` seconds the actor is cancelled and what is still queued goes to
        dead letters (reason ``timeout``). Stopping a stopped actor returns at once.
        """
        cell = self._cell
        cell.request_stop(timeout)
        await cell.wait_stopped()

    def kill(self) -> None:
        """Stop at once, without ``on_stop``: the task and its children's are cancelled,
        queued messages become dead letters (reason ``stopped``), pending asks fail with
        ``ActorStopped``. ``is_alive`` is False when this returns."""
        self._cell.kill()

    async def wait_stopped(self) -> None:
        """Wait until the actor has stopped for good (after its ``on_stop`` finished)."""
        await self._cell.wait_stopped()

    def statistics(self) -> MailboxStatistics:
        """A snapshot of the mailbox and the message ledger (see ``MailboxStatistics``)."""
        return self._cell.statistics()

    def _local_cell(self, call: str) -> ActorCell:
        """The cell behind this ref, for ``call`` that needs an actor of this process (a
        remote ref refuses with a TypeError naming ``call``)."""
        return self._cell

    # Death watch dispatches on the ref so that a remote ref (which has no local cell) can
    # watch through its node; see RemoteActorRef.
    def _watched_by(self, watcher: ActorCell) -> None:
        watcher.watch(self._cell)

    def _unwatched_by(self, watcher: ActorCell) -> None:
        watcher.unwatch(self._cell)


def inherited_timeout(
    cell: ActorCell,
    message: Any,
    correlation_id: int | str,
    timeout: float | None,
    deadline: float,
) -> float:
    """The timeout of an ask to ``cell`` sent from a handler whose message must be answered
    by ``deadline``: the smaller of its own and the time left. Raises AskTimeout (counted,
    as every one a caller receives) when none is left: nothing is sent for a caller that
    has given up (gRPC's deadline propagation)."""
    left = deadline - cell.deadlines.clock()
    if left <= 0:
        cell.count_ask_timeout()
        raise AskTimeout(
            "the deadline inherited from the message being handled has passed",
            path=cell.path,
            message_type=type(message).__name__,
            correlation_id=correlation_id,
        )
    return left if timeout is None or left < timeout else timeout
