"""Helpers for the durable-event tests: a node with declared streams, a supervised
subscriber that records what it handled."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import msgspec

from actors import Actor, ActorRef, ActorSystem, ChildFailure, ClusterConfig, DurableStream
from tests.actors.remote._cluster import MESSAGES


class Event(msgspec.Struct):
    """A durable event: ``n`` numbers it; ``poison`` makes the handler raise."""

    n: int
    poison: bool = False


DURABLE_MESSAGES: list[type[msgspec.Struct]] = [*MESSAGES, Event]


def durable_node(
    url: str,
    name: str = "a",
    *,
    system: str = "durable",
    streams: list[DurableStream] | None = None,
) -> ActorSystem:
    """Node ``name`` of system ``system`` keeping ``orders.>`` in stream ``orders``."""
    if streams is None:
        streams = [DurableStream(name="orders", subjects=["orders.>"])]
    return ActorSystem(
        system,
        cluster=ClusterConfig(
            servers=[url],
            node=name,
            messages=DURABLE_MESSAGES,
            heartbeat_interval=0.2,
            heartbeat_timeout=1.0,
            streams=streams,
        ),
    )


class Recorder:
    """What the subscribers of one test handled, and a way to wait for it."""

    def __init__(self) -> None:
        self.handled: list[tuple[str | None, int]] = []
        self.attempts: dict[int, int] = {}
        self.gate: asyncio.Event | None = None
        self.changed = asyncio.Event()

    def record(self, topic: str | None, n: int) -> None:
        self.handled.append((topic, n))
        self.changed.set()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()


def subscriber_of(recorder: Recorder) -> type[Actor]:
    class Subscriber(Actor):
        async def receive(self, message: Any) -> None:
            if isinstance(message, Event):
                recorder.attempts[message.n] = recorder.attempts.get(message.n, 0) + 1
                recorder.changed.set()
                if recorder.gate is not None:
                    await recorder.gate.wait()
                if message.poison:
                    raise RuntimeError(f"poison event {message.n}")
                recorder.record(self.context.topic, message.n)

    return Subscriber


class Restarting(Actor):
    """Spawns one child and restarts it whenever it fails (as a supervisor would)."""

    def __init__(self, child: type[Actor]) -> None:
        self.child_factory = child
        self.child: ActorRef | None = None

    async def on_start(self) -> None:
        self.child = await self.context.spawn(self.child_factory, name="subscriber")

    async def receive(self, message: Any) -> Any:
        return self.child

    async def on_child_failed(self, failure: ChildFailure) -> None:
        await self.context.restart_child(failure.child)


async def supervised(system: ActorSystem, recorder: Recorder, name: str = "billing") -> ActorRef:
    """A subscriber under a restarting parent; returns the subscriber's ref."""
    child = subscriber_of(recorder)
    parent = await system.spawn(lambda: Restarting(child), name=name)
    ref: ActorRef = await parent.ask("child")
    return ref
