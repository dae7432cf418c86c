"""A node serving a cluster pool is SIGKILLed mid-traffic: only the asks its routees held
are lost (each ends once, with AskTimeout); the pool keeps serving from the other node."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys

import pytest

from actors import ActorSystem, AskTimeout
from actors.testing import NatsServer
from tests.actors.remote._pool_process import SYSTEM, Worker, config

pytestmark = pytest.mark.real_time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
# Asks in the burst the kill lands in, and after it; each bounded by ASK_TIMEOUT.
IN_FLIGHT = 16
AFTER = 100
ASK_TIMEOUT = 3.0
# Seconds each ask of the burst holds its routee: 16 asks on one node's 2 routees still end
# within ASK_TIMEOUT, and none held by b has ended when b is killed.
WORK = 0.3


def _start_node(url: str, name: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.actors.remote._pool_process", url, name],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


async def _line(process: subprocess.Popen[str], expected: str, timeout: float) -> None:
    assert process.stdout is not None
    loop = asyncio.get_running_loop()
    text = await asyncio.wait_for(loop.run_in_executor(None, process.stdout.readline), timeout)
    assert text.strip() == expected, text


async def test_a_killed_node_loses_only_its_routees_work_and_the_pool_keeps_serving() -> None:
    with NatsServer() as server:
        child = _start_node(server.url, "b")
        try:
            async with ActorSystem(SYSTEM, cluster=config(server.url, "a")) as a:
                pool = await a.spawn_pool(Worker, size=2, name="work", cluster=True)
                await _line(child, "ready", 20.0)
                await a.cluster.wait_for("b", timeout=20.0)
                # Both nodes serve: a bounded warm-up until b has answered.
                nodes: set[str] = set()
                for n in range(200):
                    nodes.add((await pool.ask([n, 0]))[0])
                    if nodes == {"a", "b"}:
                        break
                assert nodes == {"a", "b"}

                # A burst of slow asks; b is killed while its routees hold theirs.
                async def one(n: int, work: float) -> str:
                    try:
                        node, _, answered = await pool.ask([n, work], timeout=ASK_TIMEOUT)
                    except AskTimeout:
                        return "timeout"
                    assert answered == n
                    return str(node)

                local = a.lookup("/work")
                assert local is not None
                before = local.statistics().accepted
                burst = [asyncio.ensure_future(one(n, WORK)) for n in range(IN_FLIGHT)]
                await asyncio.sleep(WORK / 2)  # the asks are on their routees (real time)
                child.send_signal(signal.SIGKILL)
                child.wait(10)
                outcomes = collections.Counter(await asyncio.gather(*burst))
                # Every ask ended once: answered by a, or lost with b (timed out).
                assert sum(outcomes.values()) == IN_FLIGHT
                assert set(outcomes) <= {"a", "timeout"}
                assert outcomes["a"] > 0
                assert outcomes["timeout"] > 0
                # What a's pool received is exactly what it answered: every ask lost was
                # one that NATS had handed to b.
                assert local.statistics().accepted - before == outcomes["a"]

                # Once b is declared down (NATS dropped its subscription when its connection
                # closed, well before), a serves everything: nothing else is lost.
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 10.0
                while a.cluster.member("b") is not None:
                    assert loop.time() < deadline, "b was not declared down"
                    await asyncio.sleep(0.05)
                after = await asyncio.gather(*(one(n, 0.0) for n in range(AFTER)))
                assert collections.Counter(after) == {"a": AFTER}
                await a.wait_idle()
                stats = local.statistics()
                assert stats.accepted == stats.processed + stats.dead_lettered
                assert stats.dead_lettered == 0
                print(f"burst {dict(outcomes)}; after the kill {AFTER}/{AFTER} answered by a")
        finally:
            if child.poll() is None:
                child.kill()
            child.wait(10)
            if child.stdout is not None:
                child.stdout.close()
