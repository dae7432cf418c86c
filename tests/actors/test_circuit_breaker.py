"""actors.CircuitBreaker on virtual time: fail fast while open, one trial when half-open,
call timeouts, logs, metrics and health."""

from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs

from actors import (
    Actor,
    ActorError,
    ActorSystem,
    CircuitBreaker,
    CircuitOpen,
    CircuitState,
)
from actors.testing import VirtualTimeLoop


class Flaky:
    """A dependency whose calls fail while ``failing`` is set; counts its calls."""

    def __init__(self) -> None:
        self.failing = True
        self.calls = 0

    async def fetch(self, value: int, *, delay: float = 0.0) -> int:
        self.calls += 1
        if delay:
            await asyncio.sleep(delay)
        if self.failing:
            raise ConnectionError("dependency down")
        return value


async def _fail(breaker: CircuitBreaker, flaky: Flaky, times: int) -> None:
    for _ in range(times):
        with pytest.raises(ConnectionError):
            await breaker.call(flaky.fetch, 1)


async def test_max_failures_open_it_and_then_calls_fail_fast_without_running(
    virtual_time: VirtualTimeLoop,
) -> None:
    flaky = Flaky()
    breaker = CircuitBreaker(max_failures=3, reset_timeout=10.0, call_timeout=1.0, name="db")
    await _fail(breaker, flaky, 3)
    assert breaker.state is CircuitState.OPEN
    await asyncio.sleep(4.0)
    with pytest.raises(CircuitOpen) as refused:
        await breaker.call(flaky.fetch, 1)
    assert flaky.calls == 3  # refused calls never reach the dependency
    assert isinstance(refused.value, ActorError)
    assert refused.value.breaker == "db"
    assert refused.value.remaining == pytest.approx(6.0)
    stats = breaker.statistics()
    assert (stats.calls, stats.failures, stats.rejections, stats.successes) == (3, 3, 1, 0)


async def test_a_success_resets_the_count_of_consecutive_failures(
    virtual_time: VirtualTimeLoop,
) -> None:
    flaky = Flaky()
    breaker = CircuitBreaker(max_failures=2, reset_timeout=10.0, call_timeout=None)
    for _ in range(3):
        await _fail(breaker, flaky, 1)
        flaky.failing = False
        assert await breaker.call(flaky.fetch, 7) == 7
        flaky.failing = True
    assert breaker.state is CircuitState.CLOSED


async def test_after_reset_timeout_exactly_one_trial_runs_and_its_success_closes_it(
    virtual_time: VirtualTimeLoop,
) -> None:
    flaky = Flaky()
    breaker = CircuitBreaker(max_failures=1, reset_timeout=10.0, call_timeout=5.0)
    await _fail(breaker, flaky, 1)
    await asyncio.sleep(10.0)
    assert breaker.state is CircuitState.HALF_OPEN
    flaky.failing = False
    trial = asyncio.create_task(breaker.call(flaky.fetch, 1, delay=1.0))
    await asyncio.sleep(0.5)
    with pytest.raises(CircuitOpen) as refused:
        await breaker.call(flaky.fetch, 2)
    assert refused.value.remaining == 0.0
    assert await trial == 1
    assert flaky.calls == 2
    assert breaker.state is CircuitState.CLOSED
    assert await breaker.call(flaky.fetch, 3) == 3


async def test_a_failed_trial_opens_it_again_for_a_longer_reset_timeout_up_to_the_maximum(
    virtual_time: VirtualTimeLoop,
) -> None:
    flaky = Flaky()
    breaker = CircuitBreaker(
        max_failures=1,
        reset_timeout=10.0,
        call_timeout=None,
        backoff_factor=2.0,
        max_reset_timeout=30.0,
    )
    await _fail(breaker, flaky, 1)
    opened_for = []
    for _ in range(4):
        remaining = breaker.statistics().remaining
        opened_for.append(remaining)
        await asyncio.sleep(remaining - 0.5)
        assert breaker.state is CircuitState.OPEN
        await asyncio.sleep(0.5)
        assert breaker.state is CircuitState.HALF_OPEN
        await _fail(breaker, flaky, 1)  # the trial fails
    assert opened_for == [10.0, 20.0, 30.0, 30.0]
    await asyncio.sleep(30.0)
    flaky.failing = False
    assert await breaker.call(flaky.fetch, 1) == 1
    assert breaker.statistics().reset_timeout == 10.0  # closing restores the first timeout


async def test_a_call_longer_than_call_timeout_is_cancelled_and_counts_as_a_failure(
    virtual_time: VirtualTimeLoop,
) -> None:
    flaky = Flaky()
    flaky.failing = False
    breaker = CircuitBreaker(max_failures=2, reset_timeout=10.0, call_timeout=2.0, name="slow")
    started = virtual_time.time()
    with pytest.raises(TimeoutError, match=r"'slow'.*call_timeout=2\.0"):
        await breaker.call(flaky.fetch, 1, delay=60.0)
    assert virtual_time.time() - started == 2.0
    with pytest.raises(TimeoutError):
        await breaker.call(flaky.fetch, 1, delay=60.0)
    assert breaker.state is CircuitState.OPEN
    assert breaker.statistics().timeouts == 2


async def test_a_cancelled_trial_is_no_verdict_and_frees_the_trial_for_the_next_call(
    virtual_time: VirtualTimeLoop,
) -> None:
    flaky = Flaky()
    breaker = CircuitBreaker(max_failures=1, reset_timeout=10.0, call_timeout=None)
    await _fail(breaker, flaky, 1)
    await asyncio.sleep(10.0)
    flaky.failing = False
    trial = asyncio.create_task(breaker.call(flaky.fetch, 1, delay=5.0))
    await asyncio.sleep(1.0)
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial
    assert breaker.state is CircuitState.HALF_OPEN
    assert breaker.statistics().failures == 1
    assert await breaker.call(flaky.fetch, 2) == 2
    assert breaker.state is CircuitState.CLOSED


async def test_async_with_protects_a_block_like_call(virtual_time: VirtualTimeLoop) -> None:
    breaker = CircuitBreaker(max_failures=2, reset_timeout=10.0, call_timeout=1.0)
    async with breaker:
        pass
    with pytest.raises(ValueError, match="bad"):
        async with breaker:
            raise ValueError("bad")
    with pytest.raises(TimeoutError, match=r"call_timeout=1\.0"):
        async with breaker:
            await asyncio.sleep(5.0)
    assert breaker.state is CircuitState.OPEN
    body_ran = False
    with pytest.raises(CircuitOpen):
        async with breaker:
            body_ran = True
    assert not body_ran
    stats = breaker.statistics()
    assert (stats.successes, stats.failures, stats.timeouts, stats.rejections) == (1, 2, 1, 1)


async def test_state_changes_are_logged(virtual_time: VirtualTimeLoop) -> None:
    flaky = Flaky()
    breaker = CircuitBreaker(max_failures=1, reset_timeout=10.0, call_timeout=None, name="db")
    with capture_logs() as lines:
        await _fail(breaker, flaky, 1)
        await asyncio.sleep(10.0)
        flaky.failing = False
        await breaker.call(flaky.fetch, 1)
    events = [
        (line["event"], line["log_level"]) for line in lines if line["event"].startswith("breaker.")
    ]
    assert events == [
        ("breaker.opened", "warning"),
        ("breaker.half_open", "info"),
        ("breaker.closed", "info"),
    ]
    opened = next(line for line in lines if line["event"] == "breaker.opened")
    assert opened["breaker"] == "db"
    assert opened["error_type"] == "ConnectionError"


def test_bad_arguments_are_refused_with_the_argument_named() -> None:
    with pytest.raises(ValueError, match="max_failures"):
        CircuitBreaker(max_failures=0)
    with pytest.raises(ValueError, match="reset_timeout"):
        CircuitBreaker(reset_timeout=-1.0)
    with pytest.raises(ValueError, match="call_timeout"):
        CircuitBreaker(call_timeout=0.0)
    with pytest.raises(ValueError, match="backoff_factor"):
        CircuitBreaker(backoff_factor=0.5)
    with pytest.raises(ValueError, match="max_reset_timeout"):
        CircuitBreaker(reset_timeout=10.0, max_reset_timeout=5.0)
    with pytest.raises(ValueError, match="name"):
        CircuitBreaker(name="")


# ----------------------------------------------------------------------------- the system


class Payments(Actor):
    """Charges through a flaky gateway behind the system's breaker ``gateway``; answers
    what happened, as a handler with a fallback would."""

    gateway = Flaky()

    async def on_start(self) -> None:
        self.breaker = self.context.system.circuit_breaker(
            "gateway", max_failures=2, reset_timeout=30.0, call_timeout=1.0
        )

    async def receive(self, message: object) -> object:
        assert isinstance(message, int)
        try:
            return await self.breaker.call(self.gateway.fetch, message)
        except (ConnectionError, CircuitOpen) as error:
            return type(error).__name__


async def test_a_systems_breaker_is_shared_by_name_and_reported_in_metrics_and_health(
    virtual_time: VirtualTimeLoop,
) -> None:
    Payments.gateway = Flaky()
    async with ActorSystem("shop") as system:
        ref = await system.spawn(Payments, name="payments")
        breaker = system.circuit_breaker("gateway")
        assert system.circuit_breakers == (breaker,)
        assert system.health().status == "ok"
        assert [await ref.ask(1) for _ in range(3)] == [
            "ConnectionError",
            "ConnectionError",
            "CircuitOpen",
        ]
        health = system.health()
        assert health.status == "degraded"
        assert [(b.name, b.state) for b in health.circuit_breakers] == [
            ("gateway", CircuitState.OPEN)
        ]
        assert health.to_dict()["circuit_breakers"][0]["state"] == "open"
        registry = system.registry
        labels = {"breaker": "gateway"}
        assert registry.get_sample_value("actors_circuit_breaker_state", labels) == 2
        assert registry.get_sample_value("actors_circuit_breaker_calls_total", labels) == 2
        assert registry.get_sample_value("actors_circuit_breaker_failures_total", labels) == 2
        assert registry.get_sample_value("actors_circuit_breaker_rejections_total", labels) == 1
        # Another actor (or a restarted one) asking for the breaker gets the same, still open.
        other = await system.spawn(Payments, name="payments-2")
        assert await other.ask(1) == "CircuitOpen"
        await asyncio.sleep(30.0)
        Payments.gateway.failing = False
        assert await other.ask(5) == 5
        assert system.health().status == "ok"
        assert registry.get_sample_value("actors_circuit_breaker_state", labels) == 0


async def test_asking_for_a_breaker_with_other_settings_is_an_error(
    actor_system: ActorSystem,
) -> None:
    actor_system.circuit_breaker("db", max_failures=3)
    assert actor_system.circuit_breaker("db", max_failures=3) is actor_system.circuit_breaker("db")
    with pytest.raises(ValueError, match="'db' already exists with other settings"):
        actor_system.circuit_breaker("db", max_failures=4)
    with pytest.raises(TypeError):
        actor_system.circuit_breaker("other", max_failure=3)
    assert [b.name for b in actor_system.circuit_breakers] == ["db"]
