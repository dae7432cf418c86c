"""``flush`` and ``leave`` put the commands a client buffered on the socket before their
PING, so the server has handled them when the PONG comes back (nats-py's own ``flush``
writes its PING ahead of them). Checked on the bytes the client sends, recorded by a
loopback TCP relay in front of a real nats-server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import nats
import pytest

from actors.remote._flush import flush, leave
from actors.testing import NatsServer

pytestmark = pytest.mark.real_time


@contextlib.asynccontextmanager
async def relay(server: NatsServer) -> AsyncIterator[tuple[str, bytearray]]:
    """A loopback relay to ``server``; yields its URL and the bytes clients sent through it."""
    sent = bytearray()
    tasks: list[asyncio.Task[None]] = []
    writers: list[asyncio.StreamWriter] = []

    async def pipe(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, record: bool
    ) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                if record:
                    sent.extend(data)
                writer.write(data)
                await writer.drain()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(server.host, server.port)
        writers.extend((writer, upstream_writer))
        tasks.append(asyncio.create_task(pipe(reader, upstream_writer, True)))
        tasks.append(asyncio.create_task(pipe(upstream_reader, writer, False)))

    listening = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    try:
        yield f"nats://127.0.0.1:{port}", sent
    finally:
        listening.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for writer in writers:
            writer.close()
        for writer in writers:
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
        await listening.wait_closed()


def after(sent: bytearray, mark: int) -> list[bytes]:
    """The protocol lines sent since ``mark`` (commands only: PUB payloads aside)."""
    return [line for line in bytes(sent[mark:]).split(b"\r\n") if line]


async def test_flush_sends_what_was_buffered_before_its_ping(nats_server: NatsServer) -> None:
    async with relay(nats_server) as (url, sent):
        nc = await nats.connect(url)
        try:
            await nc.flush()
            mark = len(sent)
            await nc.subscribe("flushed.subject")
            await flush(nc)
            lines = after(sent, mark)
            assert lines[0].startswith(b"SUB flushed.subject"), lines
            assert b"PING" in lines[1:], lines
        finally:
            await nc.close()


async def test_nats_py_flush_alone_would_ping_first(nats_server: NatsServer) -> None:
    # Why flush exists: if nats-py stops writing its PING ahead of its buffer, this fails,
    # and flush can go back to being nc.flush().
    async with relay(nats_server) as (url, sent):
        nc = await nats.connect(url)
        try:
            await nc.flush()
            mark = len(sent)
            await nc.subscribe("plain.subject")
            await nc.flush()
            lines = after(sent, mark)
            assert lines[0] == b"PING", lines
        finally:
            await nc.close()


async def test_leave_unsubscribes_before_its_ping_and_handles_what_came(
    nats_server: NatsServer,
) -> None:
    handled: list[bytes] = []
    async with relay(nats_server) as (url, sent):
        nc = await nats.connect(url)
        other = await nats.connect(nats_server.url)
        try:

            async def on_message(msg: nats.aio.msg.Msg) -> None:
                handled.append(msg.data)

            subscription = await nc.subscribe("work", queue="pool", cb=on_message)
            await flush(nc)
            for n in range(20):
                await other.publish("work", str(n).encode())
            await other.flush()
            mark = len(sent)
            await leave(nc, subscription)
            lines = after(sent, mark)
            assert lines[0].startswith(b"UNSUB "), lines
            assert b"PING" in lines[1:], lines
            # Everything the server routed to the subscription before was handled, not dropped.
            assert handled == [str(n).encode() for n in range(20)]
        finally:
            await other.close()
            await nc.close()
