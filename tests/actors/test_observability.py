"""Logs, correlation in logs, rate limits, metrics, HTTP endpoints and health."""

from __future__ import annotations

import asyncio
import functools
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from prometheus_client import CollectorRegistry
from structlog.testing import LogCapture, capture_logs

from actors import Actor, ActorRef, ActorSystem, Overflow
from actors._core import _log
from actors.logging import add_message_context, configure
from actors.metrics import FAMILIES, asgi_app, serve
from actors.testing import VirtualTimeLoop
from supervision import Backoff, ChildSpec, OneForOne, Supervisor

from ._helpers import Recorder


@pytest.fixture
def fresh_limiter() -> Iterator[_log.RateLimiter]:
    saved = _log.limiter
    _log.limiter = _log.RateLimiter()
    yield _log.limiter
    _log.limiter = saved


@pytest.fixture
def merged_logs() -> Iterator[LogCapture]:
    """structlog configured as an application would (merging contextvars and adding the
    handled message's context), captured."""
    capture = LogCapture()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            add_message_context,
            capture,
        ]
    )
    yield capture
    structlog.reset_defaults()


def value(system: ActorSystem, name: str, **labels: str) -> float:
    result = system.registry.get_sample_value(name, labels)
    assert result is not None, (name, labels)
    return result


# ----------------------------------------------------------------------------- logs


async def test_a_failure_is_logged_with_its_stable_name_and_fields(
    actor_system: ActorSystem, fresh_limiter: _log.RateLimiter
) -> None:
    ref = await actor_system.spawn(Recorder, name="r")
    with capture_logs() as logs:
        await ref.tell("boom", correlation_id="req-1")
        await ref.wait_stopped()
    [failed] = [entry for entry in logs if entry["event"] == "actor.failed"]
    assert failed["actor"] == "/r"
    assert failed["actor_class"] == "Recorder"
    assert failed["message_type"] == "str"
    assert failed["correlation_id"] == "req-1"
    assert failed["error_type"] == "RuntimeError"
    assert failed["error"] == "boom"
    assert isinstance(failed["exc_info"], RuntimeError)
    [letter] = [entry for entry in logs if entry["event"] == "dead_letter"]
    assert (letter["reason"], letter["actor"]) == ("failed", "/r")


async def test_supervisor_events_carry_the_cause_chain(
    actor_system: ActorSystem, fresh_limiter: _log.RateLimiter
) -> None:
    class Sup(Supervisor):
        strategy = OneForOne(max_restarts=1, within=60.0)
        children = (ChildSpec("r", Recorder),)

    class Root(Supervisor):
        strategy = OneForOne(max_restarts=0)
        children = (ChildSpec("sup", Sup),)

    with capture_logs() as logs:
        await actor_system.spawn(Root, name="root")
        for _ in range(2):
            ref = actor_system.lookup("/root/sup/r")
            assert ref is not None
            await ref.tell("boom")
            await actor_system.wait_idle()
        with pytest.raises(Exception, match="gave up"):
            await actor_system.wait_closed()
    events = [entry["event"] for entry in logs]
    assert "supervisor.restarting" in events
    assert "actor.restarted" in events
    gave_up = [entry for entry in logs if entry["event"] == "supervisor.gave_up"]
    assert [entry["actor"] for entry in gave_up] == ["/root/sup", "/root"]
    assert gave_up[1]["error_type"] == "RestartIntensityExceeded"
    assert gave_up[1]["error_chain"] == ["RuntimeError: boom"]
    assert "system.shutdown" in events


async def test_overflow_is_logged(
    actor_system: ActorSystem, fresh_limiter: _log.RateLimiter
) -> None:
    gate = asyncio.Event()
    from ._helpers import Gate

    ref = await actor_system.spawn(
        functools.partial(Gate, gate, []), capacity=1, overflow=Overflow.DROP_NEWEST
    )
    ref.tell_nowait("wait")
    await asyncio.sleep(0)
    with capture_logs() as logs:
        ref.tell_nowait(1)
        ref.tell_nowait(2)
    [overflow] = [entry for entry in logs if entry["event"] == "mailbox.overflow"]
    assert (overflow["actor"], overflow["overflow"], overflow["capacity"]) == (
        ref.path,
        "drop_newest",
        1,
    )
    gate.set()


async def test_a_restart_loop_does_not_flood_the_log(
    actor_system: ActorSystem, fresh_limiter: _log.RateLimiter
) -> None:
    class Sup(Supervisor):
        strategy = OneForOne(max_restarts=1000, within=1.0)
        children = (ChildSpec("r", Recorder),)

    await actor_system.spawn(Sup, name="sup")
    ref = actor_system.lookup("/sup/r")
    assert ref is not None
    with capture_logs() as logs:
        for _ in range(200):
            await ref.tell("boom")
        await actor_system.wait_idle()
    failed = [entry for entry in logs if entry["event"] == "actor.failed"]
    assert len(failed) == fresh_limiter.limit
    assert fresh_limiter.suppressed_total >= 190 * 2  # failures and their dead letters
    assert value(actor_system, "actors_log_lines_suppressed_total") >= 380


def test_the_rate_limiter_reports_what_it_held_back_on_the_next_line() -> None:
    limiter = _log.RateLimiter(limit=2, window=0.0)  # every call starts a new window
    assert limiter.allow("k") == (True, 0)
    limiter = _log.RateLimiter(limit=2, window=3600.0)
    assert [limiter.allow("k")[0] for _ in range(5)] == [True, True, False, False, False]
    assert limiter.suppressed_total == 3
    limiter.window = 0.0
    assert limiter.allow("k") == (True, 3)


async def test_the_users_own_logs_in_a_handler_carry_actor_and_correlation_id(
    actor_system: ActorSystem, merged_logs: LogCapture
) -> None:
    class Chatty(Actor):
        def __init__(self, next_hop: ActorRef | None) -> None:
            self.next_hop = next_hop

        async def receive(self, message: Any) -> Any:
            structlog.get_logger().info("user.event", hop=self.context.name)
            if self.next_hop is not None:
                await self.next_hop.ask(message)
            return None

    last = await actor_system.spawn(functools.partial(Chatty, None), name="c")
    first = await actor_system.spawn(functools.partial(Chatty, last), name="a")
    await first.tell("go", correlation_id="trace-9")
    await actor_system.wait_idle()
    mine = [entry for entry in merged_logs.entries if entry["event"] == "user.event"]
    assert [(entry["hop"], entry["actor"], entry["correlation_id"]) for entry in mine] == [
        ("a", "/a", "trace-9"),
        ("c", "/c", "trace-9"),
    ]


def test_configure_writes_json_lines_and_filters_by_level() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    try:
        configure(format="json", level="warning", stream=stream)
        logger = structlog.get_logger()
        logger.info("hidden")
        logger.warning("shown", answer=42)
        try:
            raise ValueError("bad")
        except ValueError:
            logger.error("failed", exc_info=True)
    finally:
        structlog.reset_defaults()
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["shown", "failed"]
    assert lines[0]["answer"] == 42
    assert lines[0]["level"] == "warning"
    assert lines[1]["exception"][0]["exc_type"] == "ValueError"


@pytest.mark.parametrize(
    ("arguments", "match"),
    [({"format": "xml"}, "format"), ({"level": "loud"}, "level")],
)
def test_configure_rejects_unknown_formats_and_levels(
    arguments: dict[str, Any], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        configure(**arguments)


# ----------------------------------------------------------------------------- metrics


async def test_metrics_after_a_known_workload_are_exact(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    class Sup(Supervisor):
        strategy = OneForOne(max_restarts=10, within=60.0)
        children = (ChildSpec("r", Recorder), ChildSpec("s", Recorder))

    class Slow(Actor):
        async def receive(self, message: Any) -> Any:
            await asyncio.sleep(10)

    await actor_system.spawn(Sup, name="sup")
    r = actor_system.lookup("/sup/r")
    assert r is not None
    for n in range(32):
        await r.tell(n)
    for _ in range(3):
        await r.tell("boom")
    await actor_system.wait_idle()
    slow = await actor_system.spawn(Slow, name="slow")
    with pytest.raises(TimeoutError):
        await slow.ask("x", timeout=1.0)
    extra = await actor_system.spawn(Recorder, name="extra")
    await extra.tell(1)
    await extra.stop()  # a stopped actor's counts are kept
    await actor_system.wait_idle()

    assert value(actor_system, "actors_messages_processed_total", actor_class="Recorder") == 33
    assert value(actor_system, "actors_messages_failed_total", actor_class="Recorder") == 3
    assert (
        value(actor_system, "actors_restarts_total", supervisor="/sup", actor_class="Recorder") == 3
    )
    assert value(actor_system, "actors_dead_letters_total", reason="failed") == 3
    assert value(actor_system, "actors_live", actor_class="Recorder") == 2
    assert value(actor_system, "actors_live", actor_class="Sup") == 1
    assert value(actor_system, "actors_ask_timeouts_total", actor_class="Slow") == 1
    assert value(actor_system, "actors_mailbox_capacity", actor_class="Recorder") == 2000
    assert value(actor_system, "actors_mailbox_depth", actor_class="Recorder") == 0
    # 1 in 16 accepted messages is timed: r accepted 35, so 2 samples.
    waited = value(
        actor_system, "actors_mailbox_wait_sampled_seconds_count", actor_class="Recorder"
    )
    assert waited == 2
    count = value(
        actor_system, "actors_message_processing_sampled_seconds_count", actor_class="Recorder"
    )
    assert count == 2
    assert value(actor_system, "actors_timing_sample") == 16
    exposition = actor_system.registry.collect()
    names = {metric.name for metric in exposition}
    assert {name.removesuffix("_total") for name in FAMILIES} <= names


async def test_an_injected_registry_is_used_and_metrics_can_be_turned_off() -> None:
    registry = CollectorRegistry()
    async with ActorSystem("injected", registry=registry) as system:
        ref = await system.spawn(Recorder)
        await ref.ask("get")
        assert system.registry is registry
        assert registry.get_sample_value("actors_live", {"actor_class": "Recorder"}) == 1
    async with ActorSystem("dark", metrics=False) as dark:
        with pytest.raises(RuntimeError, match="metrics=False"):
            _ = dark.registry


async def _http_get(port: int, path: str) -> tuple[int, str, str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
    await writer.drain()
    raw = await reader.read()
    writer.close()
    await writer.wait_closed()
    head, _, body = raw.decode().partition("\r\n\r\n")
    status = int(head.split()[1])
    content_type = next(
        line.split(":", 1)[1].strip()
        for line in head.splitlines()
        if line.lower().startswith("content-type")
    )
    return status, content_type, body


async def test_metrics_and_health_are_served_over_http_on_loopback(
    actor_system: ActorSystem,
) -> None:
    ref = await actor_system.spawn(Recorder, name="r")
    await ref.ask("get")
    server = await serve(actor_system, 0)
    port = server.sockets[0].getsockname()[1]
    try:
        status, content_type, body = await _http_get(port, "/metrics")
        assert status == 200
        assert content_type.startswith("text/plain")
        assert 'actors_messages_processed_total{actor_class="Recorder"} 1.0' in body
        status, content_type, body = await _http_get(port, "/healthz")
        assert (status, content_type) == (200, "application/json")
        assert json.loads(body)["status"] == "ok"
        status, _, _ = await _http_get(port, "/nowhere")
        assert status == 404
    finally:
        server.close()
        await server.wait_closed()


async def test_the_asgi_app_serves_metrics_and_health(actor_system: ActorSystem) -> None:
    app = asgi_app(actor_system)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        sent.append(message)

    await app({"type": "http", "path": "/healthz", "method": "GET"}, receive, send)
    assert sent[0]["status"] == 200
    assert json.loads(sent[1]["body"])["status"] == "ok"


# ----------------------------------------------------------------------------- health


async def test_health_goes_from_ok_to_degraded_to_failed_through_a_failing_tree(
    virtual_time: VirtualTimeLoop,
) -> None:
    class Payments(Supervisor):
        strategy = OneForOne(
            max_restarts=2, within=60.0, backoff=Backoff(min=5.0, max=5.0, jitter=0.0)
        )
        children = (ChildSpec("ledger", Recorder),)

    system = ActorSystem("health")
    await system.spawn(Payments, name="payments")
    health = system.health()
    assert health.status == "ok"
    assert [(s.path, s.status, s.restarts, s.max_restarts) for s in health.supervisors] == [
        ("/payments", "running", 0, 2)
    ]
    ledger = system.lookup("/payments/ledger")
    assert ledger is not None
    await ledger.tell("boom")
    await system.wait_idle()
    health = system.health()
    assert health.status == "degraded"
    assert health.supervisors[0].status == "backoff"
    assert health.supervisors[0].restarts == 1
    for _ in range(2):
        await asyncio.sleep(6.0)
        await ledger.tell("boom")
        await system.wait_idle()
    with pytest.raises(Exception, match="gave up"):
        await system.wait_closed()
    health = system.health()
    assert health.status == "failed"
    assert not health.healthy
    assert "RestartIntensityExceeded" in (health.error or "")


async def test_system_statistics_count_messages_failures_restarts_and_dead_letters(
    actor_system: ActorSystem,
) -> None:
    class Sup(Supervisor):
        children = (ChildSpec("r", Recorder),)

    await actor_system.spawn(Sup, name="sup")
    r = actor_system.lookup("/sup/r")
    assert r is not None
    for n in range(5):
        await r.tell(n)
    await r.tell("boom")
    extra = await actor_system.spawn(Recorder)
    await extra.tell("x")
    await extra.stop()
    await extra.tell("after stop")
    await actor_system.wait_idle()
    stats = actor_system.statistics()
    assert (stats.processed, stats.failed, stats.restarts) == (6, 1, 1)
    assert stats.live_actors == 2  # the supervisor and its child
    assert stats.dead_letters == 2
    assert stats.dead_letters_by_reason == {"failed": 1, "stopped": 1}


async def test_failure_handling_in_a_parent_is_not_tagged_with_an_old_correlation_id(
    actor_system: ActorSystem, merged_logs: LogCapture
) -> None:
    class Sup(Supervisor):
        children = (ChildSpec("r", Recorder),)

        async def receive(self, message: Any) -> Any:
            return await super().receive(message)

    sup = await actor_system.spawn(Sup, name="sup")
    await sup.tell("unrelated", correlation_id="old-request")  # the parent handles one
    await actor_system.wait_idle()
    r = actor_system.lookup("/sup/r")
    assert r is not None
    await r.tell("boom", correlation_id="new-request")
    await actor_system.wait_idle()
    [restarting] = [e for e in merged_logs.entries if e["event"] == "supervisor.restarting"]
    assert restarting.get("correlation_id") != "old-request"
