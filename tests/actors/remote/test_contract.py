"""One contract of tell/ask/ordering/overflow/ask-failure, run against a local ref and a
remote ref (an actor on another node, over a real nats-server)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from actors import (
    Actor,
    ActorFailed,
    ActorStopped,
    AskTimeout,
    MailboxFull,
    Overflow,
)
from actors.testing import NatsServer
from tests.actors.remote._cluster import Item, harness

pytestmark = pytest.mark.real_time

TRANSPORTS = ["local", "remote"]


class Recorder(Actor):
    def __init__(self) -> None:
        self.log: list[Any] = []

    async def receive(self, message: Any) -> Any:
        if message == "get":
            return list(self.log)
        if message == "boom":
            raise RuntimeError("boom")
        if isinstance(message, Item):
            return Item(message.n * 2)
        self.log.append(message)
        return None


class Gated(Actor):
    """Blocks on its first message until the gate opens."""

    def __init__(self, gate: asyncio.Event, log: list[Any]) -> None:
        self.gate = gate
        self.log = log

    async def receive(self, message: Any) -> Any:
        await self.gate.wait()
        self.log.append(message)
        return message


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_tells_arrive_in_send_order(transport: str, nats_server: NatsServer) -> None:
    async with harness(transport, nats_server.url) as h:
        ref = await h.spawn(Recorder, "recorder")
        for n in range(300):
            ref.tell_nowait(n)
        await ref.tell("last")
        assert await ref.ask("get") == [*range(300), "last"]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_ask_returns_what_the_handler_returned(
    transport: str, nats_server: NatsServer
) -> None:
    async with harness(transport, nats_server.url) as h:
        ref = await h.spawn(Recorder, "recorder")
        assert await ref.ask(Item(21)) == Item(42)
        assert await ref.ask("get") == []


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_ask_fails_at_once_when_the_handler_raises(
    transport: str, nats_server: NatsServer
) -> None:
    async with harness(transport, nats_server.url) as h:
        ref = await h.spawn(Recorder, "recorder")
        with pytest.raises(ActorFailed) as caught:
            await ref.ask("boom", timeout=30.0)
        error = caught.value
        if h.remote:
            assert error.remote_type == "RuntimeError"
            assert error.remote_message == "boom"
            assert error.remote_traceback is not None
            assert "raise RuntimeError" in error.remote_traceback
        else:
            assert isinstance(error.__cause__, RuntimeError)
        assert error.path == ref.path


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_ask_to_a_stopped_actor_raises_actor_stopped(
    transport: str, nats_server: NatsServer
) -> None:
    async with harness(transport, nats_server.url) as h:
        ref = await h.spawn(Recorder, "recorder")
        local = h.host.lookup("/recorder")
        assert local is not None
        await local.stop()
        with pytest.raises(ActorStopped):
            await ref.ask("get", timeout=30.0)
        await ref.tell("late")
        await h.sync()
        assert h.host.dead_letters.by_reason.get("stopped") == 2  # the ask and the tell


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_ask_without_a_reply_in_time_raises_ask_timeout(
    transport: str, nats_server: NatsServer
) -> None:
    async with harness(transport, nats_server.url) as h:
        gate = asyncio.Event()
        ref = await h.spawn(lambda: Gated(gate, []), "gated")
        with pytest.raises(AskTimeout):
            await ref.ask("never", timeout=0.2)
        gate.set()


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_a_full_drop_newest_mailbox_dead_letters_on_the_receiving_side(
    transport: str, nats_server: NatsServer
) -> None:
    async with harness(transport, nats_server.url) as h:
        gate = asyncio.Event()
        log: list[Any] = []
        ref = await h.spawn(
            lambda: Gated(gate, log), "gated", capacity=2, overflow=Overflow.DROP_NEWEST
        )
        await ref.tell(0)
        await h.sync()
        local = h.host.lookup("/gated")
        assert local is not None
        for n in range(1, 6):
            await ref.tell(n)
        await h.sync()
        assert h.host.dead_letters.by_reason.get("mailbox_full") == 3
        gate.set()
        await h.host.wait_idle()
        assert log == [0, 1, 2]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_an_ask_to_a_full_reject_mailbox_raises_mailbox_full(
    transport: str, nats_server: NatsServer
) -> None:
    async with harness(transport, nats_server.url) as h:
        gate = asyncio.Event()
        ref = await h.spawn(lambda: Gated(gate, []), "gated", capacity=1, overflow=Overflow.REJECT)
        await ref.tell(0)
        await h.sync()
        await ref.tell(1) if h.remote else ref.tell_nowait(1)
        with pytest.raises(MailboxFull) as caught:
            await ref.ask(2, timeout=30.0)
        assert caught.value.message == 2
        gate.set()
