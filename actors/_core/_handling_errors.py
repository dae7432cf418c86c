"""The errors of the message-handling policies: a handler that overran ``handler_timeout``,
and a message that failed every attempt its ``Retry`` allowed (a poison message).

They belong to the one hierarchy (``ActorError``); they live apart from ``_errors`` because
they come with the policies, not with the kernel's mechanics.
"""

from __future__ import annotations

from collections.abc import Sequence

from actors._core._errors import ActorError

__all__ = ["HandlerTimeout", "RetriesExhausted"]


class HandlerTimeout(ActorError, TimeoutError):
    """A handler was still running after the actor's ``handler_timeout``.

    Raised inside the actor in place of the handler's result, as the handler's failure: an
    ``async def receive`` has been cancelled; a ``blocking = True`` handler cannot be, so its
    thread keeps running, counted as stuck (``SystemStatistics.stuck_threads``, health
    ``degraded``) until it returns, and its late result is discarded. The actor fails as for
    any handler error, so its supervisor decides (and a ``Retry`` whose ``on`` matches it
    tries the message again). An asker gets ``ActorFailed`` whose ``__cause__`` is this
    error. It is also a builtin ``TimeoutError``.

    Attributes:
        timeout: the ``handler_timeout`` that was exceeded, in seconds.
        elapsed: how long the handler had run when it was stopped waiting for, in seconds.
    """

    __module__ = "actors"  # its public module, as tracebacks show it

    def __init__(
        self,
        reason: str,
        *,
        timeout: float,
        elapsed: float,
        path: str | None = None,
        message_type: str | None = None,
        correlation_id: int | str | None = None,
    ) -> None:
        super().__init__(
            reason, path=path, message_type=message_type, correlation_id=correlation_id
        )
        self.timeout = timeout
        self.elapsed = elapsed


class RetriesExhausted(ActorError):
    """A message failed on every attempt its actor's ``Retry`` allowed: a poison message.

    Not raised to callers: it is the ``error`` of the message's dead letter (reason
    ``max_attempts``), so a dead-letter subscriber sees every attempt's error in ``errors``,
    oldest first; ``__cause__`` is the last one. An asker of the message gets ``ActorFailed``
    whose ``__cause__`` is the last attempt's error. What to do: inspect or persist the
    dead letter; the message will not be tried again.

    Attributes:
        errors: each attempt's exception, in attempt order (``len(errors)`` attempts).
    """

    __module__ = "actors"  # its public module, as tracebacks show it

    def __init__(
        self,
        reason: str,
        *,
        errors: Sequence[BaseException],
        path: str | None = None,
        message_type: str | None = None,
        correlation_id: int | str | None = None,
    ) -> None:
        super().__init__(
            reason, path=path, message_type=message_type, correlation_id=correlation_id
        )
        self.errors = tuple(errors)
