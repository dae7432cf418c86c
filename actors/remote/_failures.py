"""How an ask's failure crosses the wire: an error on the answering node becomes a
``Failure`` frame (type name, message, traceback text; never a pickled exception), and a
``Failure`` becomes the typed error the asker raises."""

from __future__ import annotations

import traceback
from typing import Any

from actors._cluster._remote_ref import RemoteActorRef
from actors._core._errors import (
    ActorError,
    ActorFailed,
    ActorStopped,
    AskTimeout,
    MailboxFull,
    SerializationError,
)
from actors.remote._wire import Failure

__all__ = ["error_for", "failure_for"]


def failure_for(error: BaseException) -> Failure:
    """The frame that tells the asker how its ask failed here."""
    if isinstance(error, ActorFailed):
        cause = error.__cause__ if error.__cause__ is not None else error
        trace = "".join(traceback.format_exception(cause))
        return Failure("failed", type(cause).__name__, str(cause), trace)
    if isinstance(error, SerializationError):
        return Failure("failed", "SerializationError", str(error), "")
    if isinstance(error, MailboxFull):
        return Failure("mailbox_full", "MailboxFull", str(error), "")
    if isinstance(error, AskTimeout):
        return Failure("timeout", "AskTimeout", str(error), "")
    return Failure("stopped", type(error).__name__, str(error), "")


def error_for(
    failure: Failure, ref: RemoteActorRef, message: Any, correlation: int | str
) -> ActorError:
    """The error an ask to ``ref`` raises for ``failure``."""
    node = ref.node
    context: dict[str, Any] = {
        "path": ref.path,
        "message_type": type(message).__name__,
        "correlation_id": correlation,
    }
    if failure.kind == "failed":
        error = ActorFailed(
            f"the remote handler on {node} raised {failure.error_type}: {failure.message}",
            **context,
        )
        error.remote_type = failure.error_type
        error.remote_message = failure.message
        error.remote_traceback = failure.traceback
        return error
    if failure.kind == "stopped":
        return ActorStopped(f"no live actor there on node {node}: {failure.message}", **context)
    if failure.kind == "mailbox_full":
        return MailboxFull(
            f"the remote mailbox on {node} is full",
            message=message,
            path=ref.path,
            correlation_id=correlation,
        )
    if failure.kind == "timeout":
        return AskTimeout(f"the remote node gave up: {failure.message}", **context)
    if failure.kind == "undecodable":
        return SerializationError(
            f"node {node} could not decode the message: {failure.message}", **context
        )
    return ActorError(f"remote failure {failure.kind}: {failure.message}", **context)
