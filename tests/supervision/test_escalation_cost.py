"""Escalation through a chain of N supervisors costs the same per level at every depth.

In a chain of supervisors where every level but the root has ``max_restarts=0``, a leaf's
failure climbs to the root, which restarts its child and so rebuilds the whole chain. The
work per level (one climb plus one supervisor rebuilt) must not grow with N. Counted, not
timed: the Python function calls the runtime makes from the leaf's failure to the new leaf's
``on_start``, divided by N, at N=50 and at N=100 (both much deeper than the 8 causes a log
line describes, below which levels are cheaper), with logging captured (fields computed, not
rendered), and rendered by ``actors.logging.configure`` as console lines with tracebacks and as
JSON. Before the fix every level described, and rendered, its error's whole cause chain (every
level below): the work per level grew with N.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import logging
import sys
from collections.abc import Iterator
from types import FrameType
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from actors import Actor, ActorSystem
from actors.logging import configure
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


class _Discard(io.TextIOBase):
    """A stream that keeps nothing (the rendering is the work counted, not the output)."""

    def write(self, text: str) -> int:
        return len(text)

    def isatty(self) -> bool:
        return False


@contextlib.contextmanager
def logging_as(mode: str) -> Iterator[list[Any]]:
    """Logs captured (``captured``) or rendered by ``configure`` (``console``, ``json``)."""
    if mode == "captured":
        with capture_logs() as logs:
            yield logs
        return
    with restored_logging():
        configure(mode, "info", stream=_Discard())  # type: ignore[arg-type]
        yield []


@contextlib.contextmanager
def restored_logging() -> Iterator[None]:
    """Put structlog and the root logger back as they were (``configure`` changes both)."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    try:
        yield
    finally:
        structlog.reset_defaults()
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]


@pytest.mark.parametrize("mode", ["captured", "console", "json"])
async def test_escalation_work_per_level_does_not_grow_with_depth(mode: str) -> None:
    with logging_as(mode) as logs:
        shallow = await calls_per_level(50)
        deep = await calls_per_level(100)
    if mode == "captured":
        assert any(line["event"] == "supervisor.gave_up" for line in logs)
    assert deep <= shallow * 1.1, (shallow, deep)


@pytest.mark.real_time  # the benchmark measures wall-clock time; the figures are not checked
def test_the_escalation_benchmark_reports_the_cost_per_level(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from benchmarks import escalation

    with restored_logging():
        assert escalation.main(["--depths", "1,3", "--failures", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "CPU per level" in lines[0]
    assert [line.split()[0] for line in lines[1:]] == ["1", "3"]
    with pytest.raises(ValueError, match="depth and failures"):
        escalation.chain_latencies(0, 1)
