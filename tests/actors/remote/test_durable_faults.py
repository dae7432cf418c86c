"""Durable events under faults, with real processes on loopback: the subscriber's node
SIGKILLed and restarted while 10,000 events are published, and nats-server killed and
restarted (file storage) between publish and consume."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Iterator

import pytest

from actors.testing import NatsServer
from tests.actors.remote._durable import Event, Recorder, durable_node, supervised

pytestmark = pytest.mark.real_time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
EVENTS = 10_000
ACK_WAIT = 1.0
MAX_ACK_PENDING = 64
KILLS = 2


@pytest.fixture
def js_server() -> Iterator[NatsServer]:
    server = NatsServer(jetstream=True)
    server.start()
    try:
        yield server
    finally:
        server.close()


class SubscriberNode:
    """``tests/actors/remote/_durable_node_process.py`` in a child process; ``seen`` counts
    every ``n <N>`` line it printed (one per handled delivery)."""

    def __init__(self, seen: collections.Counter[int]) -> None:
        self.seen = seen
        self.process: asyncio.subprocess.Process | None = None
        self.ready = asyncio.Event()
        self.progress = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def wait_seen(self, count: int) -> None:
        """Wait until ``count`` distinct events were handled (by any incarnation)."""
        while len(self.seen) < count:
            self.progress.clear()
            await self.progress.wait()

    async def start(self, url: str) -> None:
        self.ready = asyncio.Event()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.actors.remote._durable_node_process",
            url,
            str(ACK_WAIT),
            str(MAX_ACK_PENDING),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        self._reader = asyncio.get_running_loop().create_task(self._read(self.process))
        async with asyncio.timeout(20):
            await self.ready.wait()

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        async for line in process.stdout:
            if line.startswith(b"n "):
                self.seen[int(line[2:])] += 1
                self.progress.set()
            elif line.startswith(b"ready"):
                self.ready.set()

    async def kill(self) -> None:
        """SIGKILL, then wait for the process and for the last of its output."""
        assert self.process is not None
        assert self._reader is not None
        self.process.kill()
        await self.process.wait()
        await self._reader

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                async with asyncio.timeout(10):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._reader is not None:
            await self._reader


@contextlib.asynccontextmanager
async def subscriber_node(
    url: str, seen: collections.Counter[int]
) -> AsyncIterator[SubscriberNode]:
    node = SubscriberNode(seen)
    try:
        await node.start(url)
        yield node
    finally:
        await node.stop()


async def test_every_acknowledged_publish_is_processed_while_the_subscriber_node_is_killed(
    js_server: NatsServer,
) -> None:
    seen: collections.Counter[int] = collections.Counter()
    published = 0
    async with (
        asyncio.timeout(120),
        subscriber_node(js_server.url, seen) as node,
        durable_node(js_server.url, "pub", system="dfaults") as publisher,
    ):

        async def publish_all() -> None:
            nonlocal published
            for n in range(EVENTS):
                await publisher.publish("orders.paid", Event(n))
                published += 1  # acknowledged by the server

        publishing = asyncio.get_running_loop().create_task(publish_all())
        try:
            for kill in range(1, KILLS + 1):
                # Kill the subscriber's node mid-stream, then start it again.
                target = kill * EVENTS // (KILLS + 1)
                await node.wait_seen(target)
                await node.kill()
                await node.start(js_server.url)
            await publishing
        finally:
            if not publishing.done():
                publishing.cancel()
                await asyncio.wait([publishing])
        await node.wait_seen(EVENTS)  # the last ones are redeliveries
    assert published == EVENTS
    assert set(seen) == set(range(EVENTS))  # at least once: none lost
    duplicates = sum(seen.values()) - EVENTS
    # A duplicate is an event handled but not acknowledged when its node died: at most
    # max_ack_pending per kill.
    assert duplicates <= KILLS * MAX_ACK_PENDING
    print(f"durable fault test: {EVENTS} events, {KILLS} SIGKILLs, {duplicates} duplicates")


async def test_acknowledged_publishes_survive_a_killed_and_restarted_server(
    js_server: NatsServer,
) -> None:
    async with durable_node(js_server.url, system="survive") as system:
        recorder = Recorder()
        ref = await supervised(system, recorder)
        await system.subscribe(ref, "orders.>", durable="billing")
        await system.unsubscribe(ref)  # the consumer stays on the server
        for n in range(1000):
            await system.publish("orders.paid", Event(n))
    js_server.kill()
    js_server.start()
    async with durable_node(js_server.url, system="survive") as system:
        recorder = Recorder()
        ref = await supervised(system, recorder)
        await system.subscribe(ref, "orders.>", durable="billing")
        await recorder.wait_for(lambda: len(recorder.handled) == 1000, timeout=30)
        assert [n for _, n in recorder.handled] == list(range(1000))
