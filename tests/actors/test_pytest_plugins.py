"""actors.testing's pytest plugin alongside pytest-asyncio (strict and auto mode) and anyio's
plugin, with async fixtures: each case runs a small test file with pytester."""

from __future__ import annotations

import pytest

# Shared by the test files below: an actor, and checks that everything ran on one loop.
COMMON = """
import asyncio
import pytest
from actors import Actor, ActorSystem
from actors.testing import VirtualTimeLoop

class Echo(Actor):
    def receive(self, message):
        return message

SYSTEMS = []
"""

# Last in each file: the systems of the tests above were shut down after each test.
CHECK = """
def test_every_system_was_shut_down():
    assert SYSTEMS and [system for system in SYSTEMS if not system.is_closed] == []
"""

ACTORS_RUNNER_TESTS = """
@pytest.fixture
async def echo(actor_system):
    # An async fixture of a test this plugin runs: on the test's own loop.
    ref = await actor_system.spawn(Echo, name="echo")
    yield ref
    await ref.stop()

@pytest.mark.actors
async def test_an_async_fixture_runs_on_the_tests_loop(actor_system, echo):
    assert actor_system.loop is asyncio.get_running_loop()
    assert await echo.ask(1) == 1
    SYSTEMS.append(actor_system)

async def test_virtual_time_is_this_plugins_loop(actor_system, virtual_time):
    assert isinstance(asyncio.get_running_loop(), VirtualTimeLoop)
    assert await (await actor_system.spawn(Echo)).ask(2) == 2
    await asyncio.sleep(3600)
    assert virtual_time.time() == 3600
    SYSTEMS.append(actor_system)
"""


def run(pytester: pytest.Pytester, *args: str, ini: str = "") -> pytest.RunResult:
    if "no:asyncio" not in args:  # pytest-asyncio warns (an error here) when it is unset
        ini = f"asyncio_default_fixture_loop_scope = function\n{ini}"
    pytester.makeini(f"[pytest]\n{ini}")
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_with_pytest_asyncio_in_strict_mode(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        COMMON
        + ACTORS_RUNNER_TESTS
        + """
import pytest_asyncio

@pytest_asyncio.fixture
async def asyncio_echo(actor_system):
    return await actor_system.spawn(Echo, name="echo")

@pytest.mark.asyncio
async def test_pytest_asyncio_runs_it_and_actor_system_binds_to_its_loop(
    actor_system, asyncio_echo
):
    assert actor_system.loop is asyncio.get_running_loop()
    assert not isinstance(asyncio.get_running_loop(), VirtualTimeLoop)
    assert await asyncio_echo.ask("x") == "x"
    SYSTEMS.append(actor_system)
"""
        + CHECK
    )
    result = run(pytester, ini="asyncio_mode = strict")
    result.assert_outcomes(passed=4)


def test_with_pytest_asyncio_in_auto_mode(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        COMMON
        + ACTORS_RUNNER_TESTS
        + """
@pytest.fixture
async def auto_echo(actor_system):
    return await actor_system.spawn(Echo, name="echo")

async def test_pytest_asyncio_runs_an_unmarked_test_with_actor_system(actor_system, auto_echo):
    assert actor_system.loop is asyncio.get_running_loop()
    assert await auto_echo.ask("x") == "x"
    SYSTEMS.append(actor_system)
"""
        + CHECK
    )
    result = run(pytester, ini="asyncio_mode = auto")
    result.assert_outcomes(passed=4)


def test_with_anyios_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        COMMON
        + ACTORS_RUNNER_TESTS
        + """
@pytest.fixture
def anyio_backend():
    return "asyncio"  # the runtime runs on asyncio

@pytest.fixture
async def anyio_echo(actor_system, anyio_backend):
    return await actor_system.spawn(Echo, name="echo")

@pytest.mark.anyio
async def test_anyio_runs_it_and_actor_system_binds_to_its_loop(actor_system, anyio_echo):
    assert actor_system.loop is asyncio.get_running_loop()
    assert await anyio_echo.ask("x") == "x"
    SYSTEMS.append(actor_system)
"""
        + CHECK
    )
    result = run(pytester, "-p", "no:asyncio")
    result.assert_outcomes(passed=4)


def test_without_other_plugins(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(COMMON + ACTORS_RUNNER_TESTS + CHECK)
    result = run(pytester, "-p", "no:asyncio", "-p", "no:anyio")
    result.assert_outcomes(passed=3)


def test_asking_for_both_runners_in_strict_mode_is_a_usage_error(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.asyncio
        async def test_both(virtual_time):
            pass
        """
    )
    result = run(pytester, ini="asyncio_mode = strict")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*marked asyncio and asks for actor-supervision's runner*"])


def test_a_wider_scoped_async_fixture_is_refused_under_this_runner(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.fixture(scope="module")
        async def shared():
            return 1

        @pytest.mark.actors
        async def test_uses_it(shared):
            pass
        """
    )
    result = run(pytester, "-p", "no:asyncio", "-p", "no:anyio")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*must be function-scoped*"])
