"""``RequestContext``: the ASGI middleware that gives each request a correlation id and
turns runtime errors into HTTP responses."""

from __future__ import annotations

import re
import uuid
from typing import Any

from actors._asgi._errors import error_response
from actors._asgi._metrics_app import Receive, Scope, Send
from actors._core._ambient import correlation_scope
from actors._core._errors import ActorError

__all__ = ["RequestContext"]

# What a request id from a client may look like: printable, no separators that could forge
# log fields or headers, bounded.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


class RequestContext:
    """ASGI middleware: a correlation id per request, and runtime errors as responses.

    - Reads the request id from ``header`` (default ``X-Request-ID``), or makes one (a
      random hex string) when it is missing or not a plain token of at most 128
      characters; every ``tell``, ``ask`` and ``publish`` made while handling the request,
      and the log lines written then, carry it as their correlation id
      (``actors.correlation_scope``). The response echoes it in the same header.
    - An ``ActorError`` escaping the application before the response started is answered
      with ``error_response``: 503 with ``Retry-After`` for ``ActorStopped`` and
      ``MailboxFull``, 504 for ``AskTimeout``, 500 for ``ActorFailed``, with the
      correlation id in the JSON body. Other exceptions pass through unchanged.

    Add it as a middleware of the framework, so that it sits inside the framework's own
    error handling: ``app.add_middleware(RequestContext)`` (Starlette, FastAPI). Wrapping a
    plain ASGI application works too: ``app = RequestContext(app)``.

    Args:
        app: the ASGI application to wrap.
        header: the request-id header's name (case-insensitive).
        retry_after: the ``Retry-After`` seconds of a 503.

    Raises:
        ValueError: ``header`` is empty or ``retry_after`` negative.
    """

    def __init__(self, app: Any, *, header: str = "X-Request-ID", retry_after: int = 1) -> None:
        if not isinstance(header, str) or not header.strip():
            raise ValueError(f"header must be a non-empty header name, got {header!r}")
        if isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0:
            raise ValueError(f"retry_after must be an int >= 0 (seconds), got {retry_after!r}")
        self.app = app
        self.header = header.strip().lower()
        self._header = self.header.encode("latin-1")
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"<RequestContext header={self.header!r} app={self.app!r}>"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self._request_id(scope)
        started = False

        async def send_with_id(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [
                    (name, value)
                    for name, value in message.get("headers", ())
                    if name.lower() != self._header
                ]
                headers.append((self._header, request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        with correlation_scope(request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except ActorError as error:
                if started:
                    raise  # too late for a status: the server closes the connection
                answer = error_response(
                    error, correlation_id=request_id, retry_after=self.retry_after
                )
                body = answer.encoded_body()
                headers = [
                    (name.encode("latin-1"), value.encode("latin-1"))
                    for name, value in answer.headers
                ]
                headers.append((b"content-length", str(len(body)).encode()))
                await send_with_id(
                    {"type": "http.response.start", "status": answer.status, "headers": headers}
                )
                await send_with_id({"type": "http.response.body", "body": body})

    def _request_id(self, scope: Scope) -> str:
        for name, value in scope.get("headers", ()):
            if name.lower() == self._header:
                text: str = value.decode("latin-1")
                if _REQUEST_ID.fullmatch(text):
                    return text
                break
        return uuid.uuid4().hex
