"""The pytest plugin shipped with actor-supervision (registered through ``pytest11``).

It runs ``async def`` tests that use its fixtures (``actor_system``, ``virtual_time``,
``actors_loop``) or carry the ``actors`` marker, each on a fresh event loop, and fails a test
that leaves an asyncio task behind. Async fixtures are not supported; build what a test needs
inside it, or use ``actor_system``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any, cast

import pytest

from actors._system._system import ActorSystem
from actors.testing._virtual_time import VirtualTimeLoop

_OUR_FIXTURES = frozenset({"actors_loop", "actor_system", "virtual_time"})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "actors(virtual_time=False): run this async test on a fresh event loop made by"
        " actor-supervision's plugin (a virtual-time loop with virtual_time=True), and fail it"
        " if it leaves a task behind",
    )


def _handled(item: pytest.Function) -> bool:
    return inspect.iscoroutinefunction(item.obj) and (
        item.get_closest_marker("actors") is not None
        or not _OUR_FIXTURES.isdisjoint(item.fixturenames)
    )


def _wants_virtual_time(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("actors")
    if marker is not None and marker.kwargs.get("virtual_time", False):
        return True
    return "virtual_time" in getattr(item, "fixturenames", ())


def _new_loop(virtual: bool) -> asyncio.AbstractEventLoop:
    return VirtualTimeLoop() if virtual else asyncio.new_event_loop()


def _close(loop: asyncio.AbstractEventLoop) -> list[str]:
    """Cancel what is left, close the loop, and return the names of the leaked tasks."""
    leaked = [task for task in asyncio.all_tasks(loop) if not task.done()]
    names = sorted(f"{task.get_name()}: {task.get_coro()!r}" for task in leaked)
    for task in leaked:
        task.cancel()
    if leaked:
        loop.run_until_complete(asyncio.gather(*leaked, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.run_until_complete(loop.shutdown_default_executor())
    loop.close()
    return names


@pytest.fixture
def actors_loop(request: pytest.FixtureRequest) -> Iterator[asyncio.AbstractEventLoop]:
    """The event loop the async test runs on: a fresh one per test, a `VirtualTimeLoop` when
    the test also uses ``virtual_time`` (or ``@pytest.mark.actors(virtual_time=True)``).
    The test fails if a task is still pending when it ends."""
    loop = _new_loop(_wants_virtual_time(request.node))
    yield loop
    leaked = _close(loop)
    if leaked:
        pytest.fail("the test left asyncio tasks behind:\n  " + "\n  ".join(leaked))


@pytest.fixture
def virtual_time(actors_loop: asyncio.AbstractEventLoop) -> VirtualTimeLoop:
    """Run the test on virtual time; the value is the loop (``.time()``, ``.advance()``).

    Timers, timeouts, restart windows and backoff then take no real time: the clock jumps to
    the next timer whenever every task is idle.
    """
    assert isinstance(actors_loop, VirtualTimeLoop)
    return actors_loop


@pytest.fixture
def actor_system(
    request: pytest.FixtureRequest, actors_loop: asyncio.AbstractEventLoop
) -> Iterator[ActorSystem]:
    """A fresh ``ActorSystem`` named after the test, shut down after it (on its loop)."""
    system = ActorSystem(request.node.name[:60])
    yield system

    async def _shutdown() -> None:
        await system.shutdown()

    if system._loop is not None:
        actors_loop.run_until_complete(_shutdown())


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not _handled(pyfuncitem):
        return None
    arguments: dict[str, Any] = {
        name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames
    }
    loop = cast("asyncio.AbstractEventLoop | None", pyfuncitem.funcargs.get("actors_loop"))
    own_loop = loop is None
    if loop is None:
        loop = _new_loop(_wants_virtual_time(pyfuncitem))
    try:
        loop.run_until_complete(pyfuncitem.obj(**arguments))
    finally:
        if own_loop:
            leaked = _close(loop)
            if leaked:
                pytest.fail("the test left asyncio tasks behind:\n  " + "\n  ".join(leaked))
    return True
