"""What the actor cell does with the mailbox's verdicts: dead letters and failed asks for
refused messages, waiting for a blocked sender's turn. A mixin of ``ActorCell``; the
admission rules themselves are ``Mailbox.offer``."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

from actors._core._envelope import Envelope, next_message_id
from actors._core._errors import ActorError, ActorFailed, ActorStopped, MailboxFull
from actors._core._mailbox import CLOSED, DROPPED, FULL, REJECTED, Mailbox
from actors._core._state import STOPPING, State

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
            raise self._full_error(envelope, "mailbox full")
        mailbox = self.mailbox
        self.system._note_overflow(cast("ActorCell", self), mailbox.overflow)
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
        raise self._full_error(envelope, f"no room in the mailbox within {timeout}s")

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
