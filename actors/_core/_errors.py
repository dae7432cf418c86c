"""The one error hierarchy of the runtime.

Every error carries the context it was raised in (actor path, message type, correlation id)
where that is known, so a log line or a traceback names the actor and message involved.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ActorError",
    "ActorFailed",
    "ActorStartError",
    "ActorStopped",
    "AmbiguousAsk",
    "AskTimeout",
    "CircuitOpen",
    "MailboxFull",
    "NodeUnreachable",
    "RestartIntensityExceeded",
    "SerializationError",
    "SupervisionError",
]


class ActorError(Exception):
    """Base class of every error raised by the runtime.

    Attributes:
        path: the path of the actor involved (``/shop/orders``), or ``None``.
        message_type: the name of the type of the message involved, or ``None``.
        correlation_id: the correlation id of the message involved, or ``None``.
    """

    __module__ = "actors"  # its public module, as tracebacks show it

    def __init__(
        self,
        reason: str,
        *,
        path: str | None = None,
        message_type: str | None = None,
        correlation_id: int | str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path
        self.message_type = message_type
        self.correlation_id = correlation_id

    def __repr__(self) -> str:
        context = [
            f"{field}={value!r}"
            for field, value in (
                ("path", self.path),
                ("message_type", self.message_type),
                ("correlation_id", self.correlation_id),
            )
            if value is not None
        ]
        return f"{type(self).__name__}({', '.join([repr(self.reason), *context])})"

    def __str__(self) -> str:
        details = []
        if self.path is not None:
            details.append(f"actor={self.path}")
        if self.message_type is not None:
            details.append(f"message={self.message_type}")
        if self.correlation_id is not None:
            details.append(f"correlation_id={self.correlation_id}")
        if not details:
            return self.reason
        return f"{self.reason} ({', '.join(details)})"


class ActorStopped(ActorError):
    """The target actor is not alive, or stopped before it handled the message.

    Raised by ``ask`` (at once, never after waiting for the timeout) when the actor is stopped
    or stops while the ask is pending, and by ``spawn`` on a system that is shut down.
    What to do: the actor is gone; look it up again or treat the request as failed.
    """

    __module__ = "actors"  # its public module, as tracebacks show it


class AskTimeout(ActorError, TimeoutError):
    """No reply arrived within the ask's timeout.

    Raised by ``ActorRef.ask``. The request may still be handled later; its late reply is then
    discarded (and counted), never delivered elsewhere. It is also a builtin ``TimeoutError``.
    """

    __module__ = "actors"  # its public module, as tracebacks show it


class AmbiguousAsk(ActorError):
    """An ask that more than one actor would answer: an ask to a ``BROADCAST`` pool.

    Raised by ``ask`` at once; nothing was delivered to any routee. What to do: gather the
    answers with ``ActorSystem.scatter(pool, message)`` (all of them within a timeout, or
    the first with ``first=True``), or ``tell`` to broadcast without a reply.
    """

    __module__ = "actors"  # its public module, as tracebacks show it


class MailboxFull(ActorError):
    """The mailbox had no room for the message.

    Raised by ``tell_nowait`` on a full mailbox whose overflow is ``block`` or ``reject``,
    by ``tell`` on a ``reject`` mailbox, and by ``tell(..., timeout=...)`` when no room was
    made within the timeout. The undelivered message is given back as ``.message``; it is not
    a dead letter, since the caller holds it.
    """

    __module__ = "actors"  # its public module, as tracebacks show it

    def __init__(
        self,
        reason: str,
        *,
        message: Any,
        path: str | None = None,
        correlation_id: int | str | None = None,
    ) -> None:
        super().__init__(
            reason,
            path=path,
            message_type=type(message).__name__,
            correlation_id=correlation_id,
        )
        self.message = message


class ActorFailed(ActorError):
    """The handler raised while handling this request.

    Raised by ``ask`` as soon as the handler raised; ``__cause__`` is the original exception.
    The actor itself is failed and handled by its parent (restarted, resumed or stopped).

    From a remote actor the exception is not re-created (no code is loaded from the
    network): ``remote_type``, ``remote_message`` and ``remote_traceback`` carry its type
    name, ``str()`` and formatted traceback, and ``__cause__`` is ``None``. They are
    ``None`` for a local actor.
    """

    __module__ = "actors"  # its public module, as tracebacks show it

    remote_type: str | None = None
    remote_message: str | None = None
    remote_traceback: str | None = None


class NodeUnreachable(ActorError):
    """The cluster node that hosts the target actor cannot be reached.

    Raised by a remote ref's ``ask`` when NATS reports that nothing listens for the node
    (its process is gone), when the node was declared down by heartbeats while the ask was
    pending, when this node is not connected to NATS, and by ``ActorSystem.remote_ref`` for a
    node that is not a member. ``node`` names it. What to do: treat the request as failed;
    the node may come back as a new incarnation (``system.cluster`` publishes ``member_up``).
    """

    __module__ = "actors"  # its public module, as tracebacks show it

    def __init__(
        self,
        reason: str,
        *,
        node: str | None = None,
        path: str | None = None,
        message_type: str | None = None,
        correlation_id: int | str | None = None,
    ) -> None:
        super().__init__(
            reason, path=path, message_type=message_type, correlation_id=correlation_id
        )
        self.node = node


class SerializationError(ActorError, TypeError):
    """A message (or a reply) cannot cross the process boundary.

    Raised at the sender by a remote ref's ``tell``, ``tell_nowait`` and ``ask`` when the
    message's type is not registered in ``ClusterConfig.messages`` or msgspec cannot encode
    it; ``message_type`` names the type and nothing was sent. A handler's reply that cannot
    be encoded reaches the asker as ``ActorFailed`` naming this error. What to do: register
    the type (a ``msgspec.Struct``) in ``ClusterConfig(messages=[...])`` on every node.
    It is also a builtin ``TypeError``.
    """

    __module__ = "actors"  # its public module, as tracebacks show it


class ActorStartError(ActorError):
    """The actor's factory or ``on_start`` raised.

    Raised by ``spawn`` (nothing stays registered) and by a restart of a failed actor;
    ``__cause__`` is the original exception.
    """

    __module__ = "actors"  # its public module, as tracebacks show it


class SupervisionError(ActorError):
    """Base class of the errors raised by supervisors.

    A supervisor raises it (from its failure handling) when a child's failure is escalated by
    its decider (``Directive.ESCALATE``); ``__cause__`` is the child's exception. The
    supervisor fails with it and its own parent handles that failure.
    """

    __module__ = "actors"  # its public module, as tracebacks show it


class RestartIntensityExceeded(SupervisionError):
    """A supervisor restarted its children more than ``max_restarts`` times within ``within``
    seconds and gave up.

    It has stopped its children (reverse start order) and fails with this error, whose
    ``__cause__`` is the failing child's exception; escalating through several levels keeps
    the whole chain (``chain`` lists it). At the root, ``ActorSystem.wait_closed()`` raises it
    so a service exits non-zero and its orchestrator restarts it.
    """

    __module__ = "actors"  # its public module, as tracebacks show it

    @property
    def chain(self) -> tuple[BaseException, ...]:
        """This error and its causes, outermost first (follows ``__cause__``)."""
        found: list[BaseException] = []
        error: BaseException | None = self
        while error is not None and error not in found:
            found.append(error)
            error = error.__cause__
        return tuple(found)


class CircuitOpen(ActorError):
    """A ``CircuitBreaker`` refused the call without running it.

    Raised by ``CircuitBreaker.call`` and ``async with breaker:`` while the breaker is open
    (too many recent failures) or half-open with its one trial call under way. An
    ``ActorError`` because the runtime raises it, so ``except ActorError`` in a handler
    catches it with the rest. What to do: fail fast (answer the request with an error, use a
    fallback); ``remaining`` says how many seconds until the breaker lets a trial through.

    Attributes:
        breaker: the breaker's name.
        remaining: seconds until the next trial is let through (0.0 while a trial runs).
    """

    __module__ = "actors"  # its public module, as tracebacks show it

    def __init__(
        self, reason: str, *, breaker: str, remaining: float, path: str | None = None
    ) -> None:
        super().__init__(reason, path=path)
        self.breaker = breaker
        self.remaining = remaining
