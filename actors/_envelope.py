"""The envelope a message travels in: the message plus its metadata."""

from __future__ import annotations

import asyncio
import itertools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from actors._ref import ActorRef

__all__ = ["Envelope", "next_message_id"]

# Ids come from one process-wide counter: unique, ordered and far cheaper than uuid4().
next_message_id = itertools.count(1).__next__


class Envelope:
    """One message on its way to (or inside) an actor.

    A plain slotted class rather than attrs: one is built per message on the hot path.
    """

    __slots__ = (
        "causation_id",
        "correlation_id",
        "enqueued_at",
        "message",
        "message_id",
        "reply",
        "sender",
        "topic",
    )

    def __init__(
        self,
        message: Any,
        sender: ActorRef | None,
        reply: asyncio.Future[Any] | None,
        message_id: int,
        correlation_id: int | str,
        causation_id: int | None,
        enqueued_at: float,
        topic: str | None = None,
    ) -> None:
        self.message = message
        self.sender = sender
        # The asker's future; None for a tell. Whoever finishes the envelope (handler
        # returned, handler raised, actor stopped) completes it unless it is already done.
        self.reply = reply
        self.message_id = message_id
        self.correlation_id = correlation_id
        # The id of the message whose handler sent this one (None from outside any handler).
        self.causation_id = causation_id
        self.enqueued_at = enqueued_at
        self.topic = topic

    def __repr__(self) -> str:
        return f"<Envelope #{self.message_id} {type(self.message).__name__}>"
