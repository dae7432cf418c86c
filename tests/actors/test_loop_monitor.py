"""The blocked-loop detector: a handler that holds the event loop is named, logged,
measured and reported in health."""

from __future__ import annotations

import threading
import time

import pytest
from structlog.testing import capture_logs

from actors import Actor, ActorSystem
from actors._observability._loop_monitor import DEGRADED_FOR, LoopMonitor


class Blocking(Actor):
    """Holds the loop with a blocking call, as a handler must never do."""

    async def receive(self, message: object) -> object:
        assert isinstance(message, float)
        time.sleep(message)  # noqa: ASYNC251 - the blocking call under test
        return "done"


class Report:
    """A message type the log line must name."""


class Sleepy(Actor):
    def receive(self, message: object) -> object:
        time.sleep(0.5)
        return None


@pytest.mark.real_time
async def test_a_handler_that_blocks_the_loop_is_named_logged_measured_and_degrades_health() -> (
    None
):
    async with ActorSystem(
        "blocked", loop_block_threshold=0.1, loop_degraded_threshold=0.2
    ) as system:
        ref = await system.spawn(Sleepy, name="sleepy")
        assert system.health().status == "ok"
        with capture_logs() as lines:
            await ref.ask(Report())
        # (Filtered by actor: on a loaded machine the loop may also stall on its own.)
        blocked = [
            line for line in lines if line["event"] == "loop.blocked" and line["actor"] is not None
        ]
        assert len(blocked) == 1, lines
        line = blocked[0]
        assert line["log_level"] == "warning"
        assert line["actor"] == "/sleepy"
        assert line["message_type"] == "Report"
        assert line["system"] == "blocked"
        # The probe is posted every threshold / 2 (later when the machine is loaded), so it
        # sees less than the whole block; it logs only a wait longer than the threshold.
        assert 0.1 <= line["blocked_for"] < 5.0
        health = system.health()
        assert health.status == "degraded"
        assert health.loop is not None
        assert health.loop.status == "degraded"
        assert (health.loop.last_actor, health.loop.last_message_type) == ("/sleepy", "Report")
        blocks = health.to_dict()["loop"]["blocked"]
        assert blocks >= 1
        registry = system.registry
        assert registry.get_sample_value("actors_event_loop_blocked_total") == blocks
        count = registry.get_sample_value("actors_event_loop_lag_seconds_count")
        assert count is not None
        assert count >= 1
        fast = registry.get_sample_value("actors_event_loop_lag_seconds_bucket", {"le": "0.1"})
        assert fast is not None
        assert fast < count  # the block's sample is above 0.1 s


@pytest.mark.real_time
async def test_a_short_block_is_logged_without_degrading_health() -> None:
    async with ActorSystem(
        "short", loop_block_threshold=0.05, loop_degraded_threshold=5.0
    ) as system:
        ref = await system.spawn(Blocking, name="blocking")
        with capture_logs() as lines:
            await ref.ask(0.3)
        named = [line["actor"] for line in lines if line["event"] == "loop.blocked"]
        assert [actor for actor in named if actor is not None] == ["/blocking"]
        assert system.health().status == "ok"


async def test_the_detector_can_be_turned_off() -> None:
    before = {thread.name for thread in threading.enumerate()}
    async with ActorSystem("off", loop_block_threshold=None) as system:
        assert system.health().loop is None
        started = {thread.name for thread in threading.enumerate()} - before
        assert not any("loop-monitor" in name for name in started)


def test_degraded_health_lasts_degraded_for_seconds_after_a_long_block() -> None:
    now = [100.0]
    monitor = LoopMonitor("clocked", {}, 0.1, 1.0, clock=lambda: now[0])
    now[0] = 100.05
    monitor._probe(100.0)  # a 50 ms lag: below the threshold
    assert monitor.blocked == 0
    assert monitor.health().status == "ok"
    now[0] = 102.0
    monitor._probe(100.5)  # held for 1.5 s
    assert monitor.blocked == 1
    assert monitor.health().last_blocked_for == pytest.approx(1.5)
    assert monitor.health().last_actor is None  # the thread named nobody: a plain callback
    now[0] += DEGRADED_FOR - 0.1
    assert monitor.health().status == "degraded"
    now[0] += 0.2
    assert monitor.health().status == "ok"
    assert sum(monitor.lag_counts) == 2


def test_thresholds_are_validated() -> None:
    with pytest.raises(ValueError, match="loop_block_threshold"):
        ActorSystem(loop_block_threshold=0.0)
    with pytest.raises(ValueError, match="loop_degraded_threshold"):
        ActorSystem(loop_block_threshold=0.5, loop_degraded_threshold=0.1)
