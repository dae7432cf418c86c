"""The pytest plugin shipped with actor-supervision (registered through ``pytest11``).

It runs ``async def`` tests that use its loop fixtures (``virtual_time``, ``actors_loop``) or
carry the ``actors`` marker, each on a fresh event loop, and fails a test that leaves an
asyncio task behind. Function-scoped ``async def`` fixtures those tests use run on the same
loop.

It shares the session with pytest-asyncio and anyio's plugin: a test those run (marked
``asyncio`` or ``anyio``, or every async test in their auto modes) runs on their loop, and
``actor_system`` works there too: the system binds to that loop and is shut down on it
right after the test. Only tests that ask for this plugin (the ``actors`` marker, or the
``virtual_time`` / ``actors_loop`` fixtures) are taken back from pytest-asyncio's auto mode;
marking a test both ``asyncio`` (in strict mode) or ``anyio`` and ``actors`` is an error.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable, Generator, Iterator
from typing import Any, cast

import pytest

from actors._system._system import ActorSystem
from actors.testing._nats_server import NatsServer
from actors.testing._virtual_time import VirtualTimeLoop

_OUR_FIXTURES = frozenset({"actors_loop", "actor_system", "virtual_time"})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "actors(virtual_time=False): run this async test on a fresh event loop made by"
        " actor-supervision's plugin (a virtual-time loop with virtual_time=True), and fail it"
        " if it leaves a task behind",
    )


# Fixtures that only make sense on this plugin's loop: asking for one claims the test.
_LOOP_FIXTURES = frozenset({"actors_loop", "virtual_time"})


def _claims(item: pytest.Item) -> bool:
    """Whether the test asked for this plugin's runner (marker or loop fixture)."""
    return item.get_closest_marker("actors") is not None or not _LOOP_FIXTURES.isdisjoint(
        getattr(item, "fixturenames", ())
    )


def _run_elsewhere(item: pytest.Item) -> bool:
    """Whether another plugin runs this test: anyio (``anyio_backend``) or pytest-asyncio."""
    return "anyio_backend" in getattr(item, "fixturenames", ()) or (
        type(item).__module__ == "pytest_asyncio.plugin"
    )


def _handled(item: pytest.Function) -> bool:
    return (
        inspect.iscoroutinefunction(item.obj)
        and not _run_elsewhere(item)
        and (_claims(item) or not _OUR_FIXTURES.isdisjoint(item.fixturenames))
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    # pytest-asyncio's auto mode turns every async test into its own item kind at
    # collection. Give back the ones that asked for this plugin; in strict mode, where its
    # marker is explicit, asking for both is a mistake worth saying.
    strict = _asyncio_mode(config) == "strict"
    for index, item in enumerate(items):
        if not _claims(item):
            continue
        if "anyio_backend" in getattr(item, "fixturenames", ()):
            raise pytest.UsageError(
                f"{item.nodeid}: run by anyio's plugin (anyio marker or anyio_backend) and"
                " asks for actor-supervision's runner (the actors marker, actors_loop or"
                " virtual_time); use one: actor_system works under both"
            )
        if type(item).__module__ != "pytest_asyncio.plugin":
            continue
        if strict:
            raise pytest.UsageError(
                f"{item.nodeid}: marked asyncio and asks for actor-supervision's runner"
                " (the actors marker, actors_loop or virtual_time); use one: actor_system"
                " works under both"
            )
        items[index] = _plain_function(cast("pytest.Function", item))
    for item in items:
        # The tests run here get their loop from the actors_loop fixture, set up first so
        # that it is torn down last: after every fixture (actor_system, async ones) used it.
        if (
            isinstance(item, pytest.Function)
            and _handled(item)
            and "actors_loop" not in item.fixturenames
        ):
            item.fixturenames.insert(0, "actors_loop")


def _asyncio_mode(config: pytest.Config) -> str | None:
    if not config.pluginmanager.hasplugin("asyncio"):
        return None
    mode = config.getoption("asyncio_mode", None) or config.getini("asyncio_mode")
    return str(mode)


def _plain_function(item: pytest.Function) -> pytest.Function:
    """The item as a plain ``pytest.Function`` without pytest-asyncio's marker."""
    plain = pytest.Function.from_parent(
        item.parent,
        name=item.name,
        callspec=getattr(item, "callspec", None),
        callobj=item.obj,
        fixtureinfo=item._fixtureinfo,
        keywords=item.keywords,
        originalname=item.originalname,
    )
    plain.own_markers = [mark for mark in item.own_markers if mark.name != "asyncio"]
    return plain


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
def actor_system(request: pytest.FixtureRequest) -> Iterator[ActorSystem]:
    """A fresh ``ActorSystem`` named after the test, shut down after it on its loop.

    Under this plugin's runner that is the test's fresh loop; in a test run by
    pytest-asyncio or anyio, the system binds to their loop when first used and is shut
    down on it as soon as the test's body returns.
    """
    node = request.node
    if isinstance(node, pytest.Function) and _handled(node):
        request.getfixturevalue("actors_loop")  # so that the loop outlives this fixture
    system = ActorSystem(node.name[:60])
    yield system
    loop = system._loop
    if loop is None or system.is_closed:
        return
    if loop.is_closed():
        pytest.fail(
            f"{system!r} was used on an event loop that closed before it was shut down",
            pytrace=False,
        )
    loop.run_until_complete(system.shutdown())


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    # A test run by another plugin that uses actor_system: shut the system down on that
    # plugin's loop, inside the test's coroutine, before the plugin closes the loop.
    if (
        not isinstance(item, pytest.Function)
        or not _run_elsewhere(item)
        or "actor_system" not in item.funcargs
        or not inspect.iscoroutinefunction(item.obj)
    ):
        return (yield)
    test = item.obj
    system = cast("ActorSystem", item.funcargs["actor_system"])

    @functools.wraps(test)
    async def then_shut_down(*args: Any, **kwargs: Any) -> Any:
        try:
            return await test(*args, **kwargs)
        finally:
            if system._loop is asyncio.get_running_loop():
                await system.shutdown()

    item.obj = then_shut_down
    try:
        return (yield)
    finally:
        item.obj = test


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    # Async fixtures of a test this plugin runs: run them on the test's loop.
    func = fixturedef.func
    # The test that needs the fixture (request.node is its module for a wider scope).
    node = getattr(request, "_pyfuncitem", request.node)
    if not (
        (inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func))
        and isinstance(node, pytest.Function)
        and _handled(node)
    ):
        return (yield)
    if fixturedef.scope != "function":
        raise pytest.UsageError(
            f"async fixture {fixturedef.argname!r} has scope {fixturedef.scope!r}:"
            " actor-supervision's runner gives each test a fresh loop, so its async"
            " fixtures must be function-scoped"
        )
    loop = cast("asyncio.AbstractEventLoop", request.getfixturevalue("actors_loop"))
    fixturedef.func = _on_loop(func, loop)  # type: ignore[misc]
    try:
        return (yield)
    finally:
        fixturedef.func = func  # type: ignore[misc]


def _on_loop(func: Callable[..., Any], loop: asyncio.AbstractEventLoop) -> Callable[..., Any]:
    """A synchronous fixture function running the async fixture ``func`` on ``loop``."""
    if inspect.isasyncgenfunction(func):

        @functools.wraps(func)
        def generator(*args: Any, **kwargs: Any) -> Iterator[Any]:
            agen = func(*args, **kwargs)
            value = loop.run_until_complete(agen.__anext__())
            yield value
            try:
                loop.run_until_complete(agen.__anext__())
            except StopAsyncIteration:
                return
            raise RuntimeError(f"async fixture {func.__name__} yielded more than once")

        return generator

    @functools.wraps(func)
    def coroutine(*args: Any, **kwargs: Any) -> Any:
        return loop.run_until_complete(func(*args, **kwargs))

    return coroutine


@pytest.fixture(scope="module")
def nats_server() -> Iterator[NatsServer]:
    """A real ``nats-server`` on a free loopback port, shared by the tests of one module;
    its URL is ``nats_server.url``. Tests that stop or kill the server should start their
    own ``NatsServer`` instead. Fails (FileNotFoundError) when there is no binary."""
    server = NatsServer()
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not _handled(pyfuncitem):
        return None
    arguments: dict[str, Any] = {
        name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames
    }
    loop = cast("asyncio.AbstractEventLoop", pyfuncitem.funcargs["actors_loop"])
    loop.run_until_complete(pyfuncitem.obj(**arguments))
    return True
