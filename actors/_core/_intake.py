"""How a message gets into an actor's mailbox: envelopes, overflow policies, blocked senders,
refusals to dead letters. A mixin of ``ActorCell`` (the hot path of every tell is here)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from actors._core._envelope import NOT_TIMED, Envelope, next_message_id
from actors._core._errors import ActorError, ActorFailed, ActorStopped, MailboxFull
from actors._core._mailbox import Mailbox
from actors._core._messages import Overflow
from actors._core._state import STOPPING, State, current_cell

if TYPE_CHECKING:
    from actors._core._cell import ActorCell
    from actors._core._ref import ActorRef
    from actors._core._runtime import Runtime

__all__ = ["MessageIntake", "fail_reply"]


class MessageIntake:
    """The message intake of an ``ActorCell`` (a mixin; the cell has the slots)."""

    # Empty slots keep ActorCell instances free of a __dict__; hidden from mypy, which would
    # otherwise refuse assignments to the cell's slots declared below.
    if not TYPE_CHECKING:
        __slots__ = ()

    if TYPE_CHECKING:
        state: State
        mailbox: Mailbox
        loop: asyncio.AbstractEventLoop
        system: Runtime
        path: str
        ref: ActorRef
        dead_lettered: int
        overflows: int
        timing: bool
        timing_mask: int
        clock: Callable[[], float]

    def envelope(
        self, message: Any, reply: asyncio.Future[Any] | None, correlation_id: int | str | None
    ) -> Envelope:
        """Wrap a message, inheriting sender and correlation from the handler we are in."""
        message_id = next_message_id()
        sender_cell = current_cell.get()
        if sender_cell is None:
            return Envelope(
                message,
                None,
                reply,
                message_id,
                message_id if correlation_id is None else correlation_id,
                None,
                NOT_TIMED,
            )
        handling = sender_cell.current
        if handling is None:
            causation = None
            correlation = message_id if correlation_id is None else correlation_id
        else:
            causation = handling.message_id
            correlation = handling.correlation_id if correlation_id is None else correlation_id
        return Envelope(
            message, sender_cell.ref, reply, message_id, correlation, causation, NOT_TIMED
        )

    def post(self, message: Any, correlation_id: int | str | None) -> Envelope | None:
        """``envelope`` and ``offer`` in one call, for ``tell``: the hot path.

        Returns None when the message was handled (accepted, or refused to dead letters), or
        its envelope when the mailbox is full and its overflow is BLOCK. Raises MailboxFull
        for REJECT.
        """
        envelope = self.envelope(message, None, correlation_id)
        if self.state < STOPPING:
            mailbox = self.mailbox
            user = mailbox.user
            depth = len(user)
            if depth < mailbox.capacity and not mailbox.putters:
                # _accepted(), inlined: this is the hot path of every tell.
                user.append(envelope)
                accepted = mailbox.accepted + 1
                mailbox.accepted = accepted
                if not accepted & self.timing_mask and self.timing:
                    envelope.enqueued_at = self.clock()
                if depth >= mailbox.high_water_mark:
                    mailbox.high_water_mark = depth + 1
                waiter = mailbox.waiter
                if waiter is not None and mailbox.waiting_for_user and not waiter.done():
                    waiter.set_result(None)
                return None
        return None if self.offer(envelope) else envelope

    def _accepted(self, mailbox: Mailbox, envelope: Envelope, depth: int) -> None:
        """Bookkeeping for a user message just appended: ledger, sampling, wake the task."""
        accepted = mailbox.accepted + 1
        mailbox.accepted = accepted
        if not accepted & self.timing_mask and self.timing:
            envelope.enqueued_at = self.clock()
        if depth > mailbox.high_water_mark:
            mailbox.high_water_mark = depth
        waiter = mailbox.waiter
        if waiter is not None and mailbox.waiting_for_user and not waiter.done():
            waiter.set_result(None)

    def offer(self, envelope: Envelope) -> bool:
        """Deliver without waiting.

        Returns False only when the mailbox is full and its overflow is BLOCK (the caller
        waits or raises). Refusals by other policies and by a stopped actor become dead
        letters (and fail a pending ask). Raises MailboxFull for REJECT.
        """
        if self.state >= STOPPING:
            self._refuse(envelope, "stopped")
            return True
        mailbox = self.mailbox
        user = mailbox.user
        if len(user) < mailbox.capacity and not mailbox.putters:
            user.append(envelope)
            self._accepted(mailbox, envelope, len(user))
            return True
        overflow = mailbox.overflow
        if overflow is Overflow.BLOCK:
            return False
        if overflow is Overflow.REJECT:
            raise self._full_error(envelope, "mailbox full")
        self.system._note_overflow(cast("ActorCell", self), overflow)
        if overflow is Overflow.DROP_NEWEST:
            self._refuse(envelope, "mailbox_full")
            return True
        evicted = mailbox.evict_oldest()
        self.dead_lettered += 1
        self._refuse(evicted, "mailbox_full")
        user.append(envelope)
        self._accepted(mailbox, envelope, len(user))
        return True

    async def offer_waiting(self, envelope: Envelope, timeout: float | None) -> None:
        """Deliver to a full BLOCK mailbox, waiting for room (at most ``timeout`` seconds).

        Raises MailboxFull when no room was made in time.
        """
        loop = self.loop
        deadline = None if timeout is None else loop.time() + timeout
        mailbox = self.mailbox
        while True:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                raise self._full_error(envelope, f"no room in the mailbox within {timeout}s")
            room = await mailbox.wait_for_room(remaining)
            if self.state >= STOPPING:
                self._refuse(envelope, "stopped")
                return
            if room and len(mailbox.user) < mailbox.capacity:
                mailbox.user.append(envelope)
                self._accepted(mailbox, envelope, len(mailbox.user))
                if mailbox.putters:
                    mailbox.wake_one_putter()  # room made meanwhile goes to the next in line
                return

    def _full_error(self, envelope: Envelope, reason: str) -> MailboxFull:
        return MailboxFull(
            reason,
            message=envelope.message,
            path=self.path,
            correlation_id=envelope.correlation_id,
        )

    def _refuse(self, envelope: Envelope, reason: str) -> None:
        """Dead-letter an envelope and fail its ask, if any."""
        self.system.dead_letters.record(envelope.message, self.ref, reason)
        reply = envelope.reply
        if reply is not None and not reply.done():
            error: ActorError
            if reason == "mailbox_full":
                error = self._full_error(envelope, "message dropped: mailbox full")
            else:
                error = ActorStopped(
                    f"actor stopped before handling the message ({reason})",
                    path=self.path,
                    message_type=type(envelope.message).__name__,
                    correlation_id=envelope.correlation_id,
                )
            reply.set_exception(error)

    def deliver_notice(self, message: Any) -> None:
        """Queue a runtime notice (Terminated) for the handler, ahead of user messages."""
        if self.state >= STOPPING:
            return
        message_id = next_message_id()
        envelope = Envelope(message, None, None, message_id, message_id, None, self.loop.time())
        self.mailbox.put_notice(envelope)


def fail_reply(envelope: Envelope, reason: str, cause: BaseException, path: str) -> None:
    """Answer a pending ask with ActorFailed (``cause`` attached), at once."""
    reply = envelope.reply
    if reply is not None and not reply.done():
        error = ActorFailed(
            reason,
            path=path,
            message_type=type(envelope.message).__name__,
            correlation_id=envelope.correlation_id,
        )
        error.__cause__ = cause
        reply.set_exception(error)
