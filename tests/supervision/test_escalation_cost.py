"""Escalation through a chain of N supervisors costs the same per level at every depth.

In a chain of supervisors where every level but the root has ``max_restarts=0``, a leaf's
failure climbs to the root, which restarts its child and so rebuilds the whole chain. The
work per level (one climb plus one supervisor rebuilt) must not grow with N. Counted, not
timed: the Python function calls the runtime makes from the leaf's failure to the new leaf's
``on_start``, with logging enabled (captured), divided by N, at N=25 and at N=100 (both deeper
than the ``CHAIN_LINKS`` causes a log line describes, below which levels are cheaper). Before
the fix every level described its error's whole cause chain: twice the work per level at
N=100.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from types import FrameType
from typing import Any

from structlog.testing import capture_logs

from actors import Actor, ActorSystem
from supervision import ChildSpec, OneForOne, Supervisor


class Leaf(Actor):
    def __init__(self, started: asyncio.Event) -> None:
        self.started = started

    async def on_start(self) -> None:
        self.started.set()

    async def receive(self, message: Any) -> Any:
        raise RuntimeError("leaf failed")


class Level(Supervisor):
    """One level of the chain; ``depth`` levels below it, the last one holding the leaf."""

    def __init__(self, depth: int, started: asyncio.Event, *, root: bool = False) -> None:
        self.strategy = OneForOne(max_restarts=100 if root else 0, within=60.0)
        if depth == 1:
            self.children = [ChildSpec("leaf", functools.partial(Leaf, started))]
        else:
            self.children = [ChildSpec("s", functools.partial(Level, depth - 1, started))]


async def calls_per_level(depth: int) -> float:
    """Python function calls per level for one leaf failure, escalated to the root and
    rebuilt, in a chain of ``depth`` supervisors (the second failure: the first warms up)."""
    started = asyncio.Event()
    calls = 0

    def count(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    async with ActorSystem(f"chain{depth}") as system:
        await system.spawn(functools.partial(Level, depth, started, root=True), name="chain")
        path = "/chain" + "/s" * (depth - 1) + "/leaf"
        for round_ in range(2):
            leaf = system.lookup(path)
            assert leaf is not None
            started.clear()
            if round_ == 1:
                sys.setprofile(count)
            try:
                await leaf.tell("fail")
                await started.wait()
            finally:
                sys.setprofile(None)
    return calls / depth


async def test_escalation_work_per_level_does_not_grow_with_depth() -> None:
    with capture_logs() as logs:
        shallow = await calls_per_level(25)
        deep = await calls_per_level(100)
    assert any(line["event"] == "supervisor.gave_up" for line in logs)
    assert deep <= shallow * 1.1, (shallow, deep)
