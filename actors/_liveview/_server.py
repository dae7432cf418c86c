"""A small HTTP/1.1 server for an ASGI application, on the system's event loop.

What ``supervise run --ui-port`` uses, so the live view needs no web server dependency.
One request per connection (``Connection: close``); a response without ``content-length``
(the event stream) is delimited by closing the connection. Closing the server also ends
the connections still open, so pages see at once that the server is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, MutableMapping
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from actors._core._log import error_fields, logger

__all__ = ["AsgiServer", "start_server"]

Scope = MutableMapping[str, Any]
App = Callable[
    [
        Scope,
        Callable[[], Awaitable[MutableMapping[str, Any]]],
        Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ],
    Awaitable[None],
]

_MAX_HEADER_LINES = 100
_MAX_BODY = 64 * 1024
_CLOSE_TIMEOUT = 5.0  # seconds a request may take to end once its connection is dropped


class _BadRequest(Exception):
    pass


class AsgiServer:
    """A running server (``start_server``); ``await close()`` to stop it."""

    def __init__(
        self, server: asyncio.Server, connections: dict[asyncio.Task[None], asyncio.StreamWriter]
    ) -> None:
        self._server = server
        self._connections = connections

    @property
    def port(self) -> int:
        """The port it listens on (useful after binding port 0)."""
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def host(self) -> str:
        """The address it listens on."""
        host: str = self._server.sockets[0].getsockname()[0]
        return host

    async def close(self) -> None:
        """Stop listening and end every open connection (event streams included)."""
        self._server.close()
        # Dropping the connections ends what serves them: a stream sees its client gone.
        for writer in list(self._connections.values()):
            writer.transport.abort()
        if self._connections:
            _, stuck = await asyncio.wait(list(self._connections), timeout=_CLOSE_TIMEOUT)
            for task in stuck:
                task.cancel()
            if stuck:
                await asyncio.wait(stuck)
        await self._server.wait_closed()


async def start_server(app: App, host: str, port: int, *, root_path: str = "") -> AsgiServer:
    """Serve ``app`` on ``host:port`` (``port=0``: any free port). Raises OSError when the
    address cannot be bound."""
    connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        connections[task] = writer
        try:
            await _serve_one(app, reader, writer, root_path)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away; nothing to answer
        except Exception as exc:
            logger.error("liveview.request_failed", **error_fields(exc))
        finally:
            connections.pop(task, None)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    server = await asyncio.start_server(handle, host, port)
    return AsgiServer(server, connections)


async def _serve_one(
    app: App, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, root_path: str
) -> None:
    try:
        method, target, headers, body = await _read_request(reader)
    except _BadRequest as error:
        message = f"{error}\n".encode()
        writer.write(
            b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n"
            + f"Content-Length: {len(message)}\r\n\r\n".encode()
            + message
        )
        await writer.drain()
        return
    raw_path, _, query = target.partition("?")
    peer = writer.get_extra_info("peername")
    sock = writer.get_extra_info("sockname")
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": root_path + unquote(raw_path),
        "raw_path": (root_path + raw_path).encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "root_path": root_path,
        "headers": headers,
        "client": None if peer is None else (peer[0], peer[1]),
        "server": None if sock is None else (sock[0], sock[1]),
    }
    delivered = False

    async def receive() -> MutableMapping[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        # Nothing more comes from a client after its request: wait for it to hang up.
        while await reader.read(4096):
            pass
        return {"type": "http.disconnect"}

    started = False

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal started
        if message["type"] == "http.response.start":
            started = True
            status = int(message["status"])
            try:
                reason = HTTPStatus(status).phrase
            except ValueError:  # a status code without a standard phrase
                reason = ""
            lines = [f"HTTP/1.1 {status} {reason}"]
            for name, value in message.get("headers", ()):
                lines.append(f"{name.decode('latin-1')}: {value.decode('latin-1')}")
            lines.append("Connection: close")
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        elif message["type"] == "http.response.body":
            writer.write(message.get("body", b""))
            await writer.drain()

    await app(scope, receive, send)
    if not started:
        raise RuntimeError("the ASGI application returned without a response")


async def _read_request(
    reader: asyncio.StreamReader,
) -> tuple[str, str, list[tuple[bytes, bytes]], bytes]:
    line = await reader.readline()
    parts = line.decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise _BadRequest(f"bad request line {line[:100]!r}")
    method, target, _ = parts
    headers: list[tuple[bytes, bytes]] = []
    length = 0
    for _ in range(_MAX_HEADER_LINES):
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, sep, value = raw.decode("latin-1").partition(":")
        if not sep:
            raise _BadRequest(f"bad header line {raw[:100]!r}")
        key = name.strip().lower()
        headers.append((key.encode("latin-1"), value.strip().encode("latin-1")))
        if key == "content-length":
            try:
                length = int(value)
            except ValueError:
                raise _BadRequest(f"bad content-length {value.strip()!r}") from None
    else:
        raise _BadRequest(f"more than {_MAX_HEADER_LINES} header lines")
    if not 0 <= length <= _MAX_BODY:
        raise _BadRequest(f"a request body of {length} bytes is not accepted here")
    body = await reader.readexactly(length) if length else b""
    return method, target, headers, body
