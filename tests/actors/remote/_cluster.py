"""Helpers for the remote tests: nodes of one cluster on a test's nats-server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import msgspec

from actors import Actor, ActorRef, ActorSystem, ClusterConfig, Overflow


class Item(msgspec.Struct):
    """A registered message type."""

    n: int


class Pointer(msgspec.Struct):
    """A message carrying a ref."""

    ref: ActorRef
    note: str = ""


MESSAGES: list[type[msgspec.Struct]] = [Item, Pointer]


def node(
    url: str,
    name: str,
    *,
    system: str = "test",
    heartbeat_interval: float = 0.2,
    heartbeat_timeout: float = 1.0,
) -> ActorSystem:
    """An ActorSystem that is node ``name`` of the cluster on ``url``."""
    return ActorSystem(
        system,
        cluster=ClusterConfig(
            servers=[url],
            node=name,
            messages=MESSAGES,
            heartbeat_interval=heartbeat_interval,
            heartbeat_timeout=heartbeat_timeout,
        ),
    )


@contextlib.asynccontextmanager
async def two_nodes(url: str, **options: Any) -> AsyncIterator[tuple[ActorSystem, ActorSystem]]:
    """Nodes ``a`` and ``b``, each a member in the other's view."""
    async with node(url, "a", **options) as a, node(url, "b", **options) as b:
        await a.cluster.wait_for("b")
        await b.cluster.wait_for("a")
        yield a, b


class Sync(Actor):
    """Answers every ask: an ask to it from node a is handled after every frame a sent to
    its node before (one subscription per node, FIFO per sender)."""

    async def receive(self, message: object) -> object:
        return message


class Harness:
    """Spawns actors on the host system and hands back the ref the test uses: the local ref
    itself, or a remote ref from node a to the actor on node b."""

    def __init__(self, host: ActorSystem, sender: ActorSystem | None) -> None:
        self.host = host
        self.sender = sender
        self._sync: ActorRef | None = None

    @property
    def remote(self) -> bool:
        return self.sender is not None

    async def spawn(
        self,
        factory: Callable[[], Actor],
        name: str,
        *,
        capacity: int = 1000,
        overflow: Overflow = Overflow.BLOCK,
    ) -> ActorRef:
        ref = await self.host.spawn(factory, name=name, capacity=capacity, overflow=overflow)
        if self.sender is None:
            return ref
        return self.sender.remote_ref("b", ref.path)

    async def sync(self) -> None:
        """Returns once everything sent so far reached the host's mailboxes."""
        if self._sync is None:
            self._sync = await self.spawn(Sync, "sync")
        await self._sync.ask("sync")


@contextlib.asynccontextmanager
async def harness(kind: str, url: str) -> AsyncIterator[Harness]:
    if kind == "local":
        async with ActorSystem("local") as system:
            yield Harness(system, None)
    else:
        async with two_nodes(url) as (a, b):
            yield Harness(b, a)


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait for a condition that another process or node makes true (bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.01)
