"""How the runtime's errors answer an HTTP request."""

from __future__ import annotations

import json
from typing import Any

import attrs

from actors._core._errors import ActorError, ActorFailed, ActorStopped, AskTimeout, MailboxFull

__all__ = ["ErrorResponse", "error_response"]


@attrs.frozen
class ErrorResponse:
    """The HTTP answer to a runtime error (see ``error_response``).

    ``body`` is JSON-ready: ``{"error": type name, "detail": what it means for the client,
    "correlation_id": the request's correlation id}``; the detail never includes the
    failing handler's own exception text, which stays in the logs under that id.
    """

    status: int
    headers: tuple[tuple[str, str], ...]
    body: dict[str, Any]

    def encoded_body(self) -> bytes:
        """The body as UTF-8 JSON bytes."""
        return json.dumps(self.body).encode()


def error_response(
    error: ActorError,
    *,
    correlation_id: int | str | None = None,
    retry_after: int = 1,
) -> ErrorResponse:
    """Map a runtime error to the HTTP response a client should get.

    ``ActorStopped`` and ``MailboxFull`` are 503 Service Unavailable with ``Retry-After:
    retry_after`` (the actor is restarting, stopped, or overloaded: the client may retry);
    ``AskTimeout`` is 504 Gateway Timeout; ``ActorFailed`` and every other ``ActorError``
    (a start failure, a supervisor that gave up) are 500. The body carries the error's
    correlation id, or ``correlation_id`` when the error has none.

    Raises:
        TypeError: ``error`` is not an ``ActorError``.
        ValueError: ``retry_after`` is negative.
    """
    if not isinstance(error, ActorError):
        raise TypeError(f"error_response() maps ActorError, got {type(error).__name__}")
    if isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0:
        raise ValueError(f"retry_after must be an int >= 0 (seconds), got {retry_after!r}")
    headers: tuple[tuple[str, str], ...] = ()
    if isinstance(error, ActorStopped | MailboxFull):
        status = 503
        headers = (("retry-after", str(retry_after)),)
        detail = (
            "the service is overloaded; retry later"
            if isinstance(error, MailboxFull)
            else "the service is temporarily unavailable; retry later"
        )
    elif isinstance(error, AskTimeout):
        status, detail = 504, "the service did not answer in time"
    elif isinstance(error, ActorFailed):
        status, detail = 500, "the service failed while handling the request"
    else:
        status, detail = 500, "the service failed"
    known = error.correlation_id if error.correlation_id is not None else correlation_id
    body = {"error": type(error).__name__, "detail": detail, "correlation_id": known}
    return ErrorResponse(status, (("content-type", "application/json"), *headers), body)
