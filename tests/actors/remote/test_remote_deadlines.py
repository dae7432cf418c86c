"""Deadlines travel between nodes: an ask's deadline reaches the remote handler, which
inherits it for what it sends, and a nested remote ask waits at most the time left."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from actors import Actor, ActorRef, AskTimeout
from actors.testing import NatsServer
from tests.actors.remote._cluster import Item, two_nodes

pytestmark = pytest.mark.real_time


class TimeLeft(Actor):
    """Answers Item(n) with the seconds its deadline leaves, in milliseconds (-1: none);
    sleeps n ms first."""

    async def receive(self, message: Any) -> Any:
        await asyncio.sleep(message.n / 1000)
        left = self.context.time_left()
        return Item(-1 if left is None else round(left * 1000))


class Front(Actor):
    """Asks `back` (a remote ref) with a long timeout on behalf of its own caller; answers
    "report" with how long its last nested ask took to end (seconds)."""

    def __init__(self, back: ActorRef) -> None:
        self.back = back
        self.took = -1.0

    async def receive(self, message: Any) -> Any:
        if message == "report":
            return self.took
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            return await self.back.ask(message, timeout=60.0)
        except AskTimeout:
            return None
        finally:
            self.took = loop.time() - started


async def test_an_asks_deadline_reaches_the_remote_handler(nats_server: NatsServer) -> None:
    async with two_nodes(nats_server.url) as (a, b):
        await b.spawn(TimeLeft, name="left")
        remote = a.remote_ref("b", "/left")
        answer = await remote.ask(Item(0), timeout=5.0)
        assert 4000 < answer.n <= 5000
        told = await remote.ask(Item(0), timeout=None)
        assert told.n == -1  # no deadline, none invented


async def test_a_nested_remote_ask_waits_at_most_its_callers_time_left(
    nats_server: NatsServer,
) -> None:
    async with two_nodes(nats_server.url) as (a, b):
        await b.spawn(TimeLeft, name="left")
        front = await a.spawn(lambda: Front(a.remote_ref("b", "/left")), name="front")
        # The front asks with 60 s, but its caller gave 3 s: the remote handler sees <= 3 s.
        answer = await front.ask(Item(0), timeout=3.0)
        assert 2000 < answer.n <= 3000
        # A remote handler slower than the caller's deadline: the nested ask ends with it
        # (at 0.3 s), not when the remote handler answers (2 s) or at its own 60 s.
        with pytest.raises(AskTimeout):
            await front.ask(Item(2000), timeout=0.3)
        took = await front.ask("report", timeout=5.0)
        assert 0.25 <= took < 1.0


class Teller(Actor):
    """Tells `back` (a remote ref) what it is asked, from inside its handler."""

    def __init__(self, back: ActorRef) -> None:
        self.back = back

    async def receive(self, message: Any) -> Any:
        self.back.tell_nowait(message)
        return None


class Recorder(Actor):
    """Keeps the time left of every Item it is told; answers "seen" with them (ms)."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    async def receive(self, message: Any) -> Any:
        if message == "seen":
            return list(self.seen)
        left = self.context.time_left()
        self.seen.append(-1 if left is None else round(left * 1000))
        return None


async def test_a_tell_sent_from_a_handler_carries_its_deadline_to_the_other_node(
    nats_server: NatsServer,
) -> None:
    async with two_nodes(nats_server.url) as (a, b):
        recorder = await b.spawn(Recorder, name="recorder")
        teller = await a.spawn(lambda: Teller(a.remote_ref("b", "/recorder")), name="teller")
        await teller.ask(Item(1), timeout=4.0)
        await a.remote_ref("b", "/recorder").ask(Item(0), timeout=None)  # FIFO: after it
        seen = await recorder.ask("seen")
        assert 3000 < seen[0] <= 4000  # the told message had the asker's deadline
        assert seen[1] == -1  # the plain ask without timeout had none
