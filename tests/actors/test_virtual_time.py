import asyncio
import functools
import time

import pytest

from actors.testing._virtual_time import (
    VirtualTimeLoop,
    new_virtual_loop,
    run_virtual,
    virtual_time,
)


def _running_virtual_loop() -> VirtualTimeLoop:
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualTimeLoop)
    return loop


async def _one_full_iteration() -> None:
    # Resolving a future from a plain callback takes one whole loop iteration, and that
    # iteration runs every timer due by then, so afterwards "due timers have fired" holds.
    loop = asyncio.get_running_loop()
    future: asyncio.Future[None] = loop.create_future()
    loop.call_soon(future.set_result, None)
    await future


def test_sleep_advances_virtual_time_exactly_and_returns_at_once() -> None:
    async def main() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        before = loop.time()
        await asyncio.sleep(60)
        return before, loop.time()

    started = time.perf_counter()
    before, after = run_virtual(main())
    elapsed = time.perf_counter() - started

    assert (before, after) == (0.0, 60.0)
    assert elapsed < 1.0


def test_clock_starts_at_the_given_start() -> None:
    async def main() -> tuple[float, float]:
        loop = asyncio.get_running_loop()
        before = loop.time()
        await asyncio.sleep(0.2)
        return before, loop.time()

    before, after = run_virtual(main(), start=0.1)

    assert before == 0.1
    assert after == 0.1 + 0.2


def test_sleep_longer_than_the_maximum_select_timeout_lands_on_its_deadline() -> None:
    three_days = 3 * 24 * 3600.0

    async def main() -> float:
        await asyncio.sleep(three_days)
        return asyncio.get_running_loop().time()

    assert run_virtual(main()) == three_days


def test_timers_fire_in_deadline_order_at_their_exact_virtual_times() -> None:
    async def main() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        fired: list[tuple[str, float]] = []
        done = loop.create_future()

        def record(name: str) -> None:
            fired.append((name, loop.time()))
            if len(fired) == 4:
                done.set_result(None)

        loop.call_later(3.0, record, "later 3")
        loop.call_at(loop.time() + 1.0, record, "at 1")
        loop.call_later(2.5, record, "later 2.5")
        loop.call_at(0.5, record, "at 0.5")
        await done
        return fired

    assert run_virtual(main()) == [
        ("at 0.5", 0.5),
        ("at 1", 1.0),
        ("later 2.5", 2.5),
        ("later 3", 3.0),
    ]


def test_cancelled_timer_does_not_fire_and_the_next_one_fires_at_its_time() -> None:
    async def main() -> list[float]:
        loop = asyncio.get_running_loop()
        fired: list[float] = []
        loop.call_later(1.0, fired.append, -1.0).cancel()
        await asyncio.sleep(2.0)
        fired.append(loop.time())
        return fired

    assert run_virtual(main()) == [2.0]


def test_wait_for_a_future_that_never_completes_times_out_at_exactly_the_timeout() -> None:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        never_set: asyncio.Future[None] = loop.create_future()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(never_set, 30)
        return loop.time()

    assert run_virtual(main()) == 30.0


def test_asyncio_timeout_expires_at_exactly_its_deadline() -> None:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(5):
                await asyncio.sleep(10)
        return loop.time()

    assert run_virtual(main()) == 5.0


@pytest.mark.real_time
def test_run_in_executor_returns_the_thread_result_when_no_timer_is_pending() -> None:
    def blocking() -> str:
        time.sleep(0.05)
        return "from thread"

    async def main() -> tuple[str, float]:
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(None, blocking)
        return result, loop.time()

    assert run_virtual(main()) == ("from thread", 0.0)


@pytest.mark.real_time
def test_loopback_tcp_echo_works() -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def main() -> bytes:
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"hello\n")
            await writer.drain()
            echoed = await reader.readline()
            writer.close()
            await writer.wait_closed()
        return echoed

    assert run_virtual(main()) == b"hello\n"


def test_manual_mode_fires_timers_only_once_advance_reaches_them() -> None:
    async def main() -> list[float]:
        loop = _running_virtual_loop()
        fired: list[float] = []
        loop.call_later(10.0, lambda: fired.append(loop.time()))

        loop.advance(9.5)
        await _one_full_iteration()
        assert fired == []
        assert loop.time() == 9.5

        loop.advance(0.5)
        await _one_full_iteration()
        return fired

    assert run_virtual(main(), autojump=False) == [10.0]


@pytest.mark.real_time
def test_manual_mode_lets_executor_work_finish_under_a_pending_timeout() -> None:
    def blocking() -> str:
        time.sleep(0.05)
        return "from thread"

    async def main() -> tuple[str, float]:
        loop = asyncio.get_running_loop()
        result = await asyncio.wait_for(loop.run_in_executor(None, blocking), 1.0)
        return result, loop.time()

    runner = asyncio.Runner(loop_factory=functools.partial(VirtualTimeLoop, autojump=False))
    with runner:
        assert runner.run(main()) == ("from thread", 0.0)


def test_advance_rejects_negative_or_infinite_time() -> None:
    loop = new_virtual_loop()
    try:
        for bad in (-1.0, float("inf"), float("nan")):
            with pytest.raises(ValueError, match="non-negative"):
                loop.advance(bad)
        assert loop.time() == 0.0
    finally:
        loop.close()


def test_new_virtual_loop_runs_coroutines_on_virtual_time() -> None:
    loop = new_virtual_loop(start=100.0)
    try:
        loop.run_until_complete(asyncio.sleep(50))
        assert loop.time() == 150.0
    finally:
        loop.close()


def test_runner_with_the_loop_class_as_factory_uses_virtual_time() -> None:
    async def main() -> float:
        await asyncio.sleep(7)
        return _running_virtual_loop().time()

    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        assert runner.run(main()) == 7.0


def test_virtual_time_makes_asyncio_run_use_a_virtual_loop() -> None:
    async def main() -> tuple[bool, float]:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(3600)
        return isinstance(loop, VirtualTimeLoop), loop.time()

    with virtual_time(start=10.0):
        assert asyncio.run(main()) == (True, 3610.0)


def test_virtual_time_restores_the_previous_policy_on_exit() -> None:
    previous = asyncio.get_event_loop_policy()
    with virtual_time():
        assert asyncio.get_event_loop_policy() is not previous
    assert asyncio.get_event_loop_policy() is previous


def test_virtual_time_restores_the_previous_policy_when_the_block_raises() -> None:
    previous = asyncio.get_event_loop_policy()
    with pytest.raises(RuntimeError, match="boom"), virtual_time():
        raise RuntimeError("boom")
    assert asyncio.get_event_loop_policy() is previous


@pytest.mark.real_time
def test_a_timeout_around_executor_work_does_not_fire_early_under_autojump() -> None:
    async def main() -> tuple[str, float]:
        loop = asyncio.get_running_loop()
        # A thread that needs 50 ms of real time under a 30-second (virtual) timeout: the clock
        # follows real time while the thread runs, so the result wins.
        result = await asyncio.wait_for(
            loop.run_in_executor(None, _sleep_then_return, 0.05, "done"), 30.0
        )
        return result, loop.time()

    result, elapsed = run_virtual(main())
    assert result == "done"
    assert 0.04 <= elapsed < 30.0


def _sleep_then_return(seconds: float, value: str) -> str:
    time.sleep(seconds)
    return value
