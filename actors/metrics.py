"""Prometheus metrics and health endpoints for an ``ActorSystem``.

The runtime's hot path only bumps plain integers on each actor's record;
``RuntimeCollector`` turns them into metric families when the registry is scraped. Every
system registers one in its own registry (``system.registry``; pass ``registry=`` to
``ActorSystem`` to use another), so several systems in a process never clash.

Serve the metrics with ``asgi_app(system)`` inside an ASGI application, or with
``await serve(system, port)`` (what ``supervise run --metrics-port`` does): both answer
``/metrics`` (Prometheus text format) and ``/healthz`` (JSON; 200 when ``ok`` or
``degraded``, 503 when ``failed``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from actors._core import _log
from actors._core._timings import BUCKETS

if TYPE_CHECKING:
    from actors._asgi._metrics_app import MetricsApp
    from actors._system._system import ActorSystem

__all__ = ["FAMILIES", "RuntimeCollector", "asgi_app", "serve"]

FAMILIES: dict[str, str] = {
    "actors_messages_processed_total": "Messages handled without raising, by actor class.",
    "actors_messages_failed_total": (
        "Handler calls that raised (each failed attempt of a retried message), by actor class."
    ),
    "actors_message_retries_total": (
        "Failed messages delivered again by a Retry policy (each redelivery), by actor class."
    ),
    "actors_message_processing_sampled_seconds": (
        "Time handling a message, by actor class: a histogram of 1 in actors_timing_sample"
        " messages, so its _count is the sample's size, not the number of messages."
    ),
    "actors_mailbox_wait_sampled_seconds": (
        "Time a message waited in the mailbox, by actor class: a histogram of 1 in"
        " actors_timing_sample messages, so its _count is the sample's size."
    ),
    "actors_timing_sample": (
        "1 in this many accepted messages is timed for the _sampled_seconds histograms"
        " (ActorSystem(timing_sample=...)); 1 means every message."
    ),
    "actors_mailbox_depth": "Messages queued now, summed by actor class.",
    "actors_mailbox_capacity": "Mailbox capacity, summed by actor class.",
    "actors_mailbox_overflows_total": "Messages refused or dropped by a full mailbox.",
    "actors_restarts_total": "Restarts, by supervisor path and actor class.",
    "actors_dead_letters_total": "Dead letters, by reason.",
    "actors_live": "Live actors, by actor class.",
    "actors_ask_timeouts_total": "Asks that timed out, by the asked actor's class.",
    "actors_late_replies_total": "Replies discarded because their ask had timed out.",
    "actors_log_lines_suppressed_total": "Log lines held back by the runtime's rate limit.",
    "actors_blocking_threads_busy": "Blocking handlers running or waiting for a thread now.",
    "actors_blocking_threads_stuck": (
        "Threads of blocking handlers that overran their handler_timeout and still run."
    ),
    "actors_blocking_saturations_total": (
        "Blocking handlers that found every thread of the pool busy and had to wait."
    ),
}


def _counter(name: str, labels: list[str]) -> CounterMetricFamily:
    # prometheus_client adds the _total suffix itself.
    return CounterMetricFamily(name.removesuffix("_total"), FAMILIES[name], labels=labels)


class RuntimeCollector(Collector):
    """Reads a system's counters at scrape time; registered by ``ActorSystem`` itself."""

    def __init__(self, system: ActorSystem) -> None:
        self._system = system

    def __repr__(self) -> str:
        return f"<RuntimeCollector of system {self._system.name!r}>"

    def describe(self) -> list[Metric]:
        return []  # not known before the first scrape; avoids auto-describe collecting

    def collect(self) -> Iterator[Metric]:
        system = self._system
        totals, restarts = system._observability.accounting.snapshot(system._registry.values())
        label = ["actor_class"]
        processed = _counter("actors_messages_processed_total", label)
        failed = _counter("actors_messages_failed_total", label)
        retries = _counter("actors_message_retries_total", label)
        timeouts = _counter("actors_ask_timeouts_total", label)
        late = _counter("actors_late_replies_total", label)
        overflows = _counter("actors_mailbox_overflows_total", label)
        live = GaugeMetricFamily("actors_live", FAMILIES["actors_live"], labels=label)
        depth = GaugeMetricFamily(
            "actors_mailbox_depth", FAMILIES["actors_mailbox_depth"], labels=label
        )
        capacity = GaugeMetricFamily(
            "actors_mailbox_capacity", FAMILIES["actors_mailbox_capacity"], labels=label
        )
        handling = HistogramMetricFamily(
            "actors_message_processing_sampled_seconds",
            FAMILIES["actors_message_processing_sampled_seconds"],
            labels=label,
        )
        waiting = HistogramMetricFamily(
            "actors_mailbox_wait_sampled_seconds",
            FAMILIES["actors_mailbox_wait_sampled_seconds"],
            labels=label,
        )
        sample = GaugeMetricFamily(
            "actors_timing_sample", FAMILIES["actors_timing_sample"], value=system.timing_sample
        )
        for actor_class, entry in sorted(totals.items()):
            labels = [actor_class]
            processed.add_metric(labels, entry.processed)
            failed.add_metric(labels, entry.failed)
            retries.add_metric(labels, entry.retries)
            timeouts.add_metric(labels, entry.ask_timeouts)
            late.add_metric(labels, entry.late_replies)
            overflows.add_metric(labels, entry.overflows)
            live.add_metric(labels, entry.live)
            depth.add_metric(labels, entry.depth)
            capacity.add_metric(labels, entry.capacity)
            timings = entry.timings
            handling.add_metric(labels, _buckets(timings.handling), sum_value=timings.handling_sum)
            waiting.add_metric(labels, _buckets(timings.wait), sum_value=timings.wait_sum)
        restarts_family = _counter("actors_restarts_total", ["supervisor", "actor_class"])
        for (supervisor, actor_class), count in sorted(restarts.items()):
            restarts_family.add_metric([supervisor, actor_class], count)
        dead = _counter("actors_dead_letters_total", ["reason"])
        for reason, count in sorted(system.dead_letters.by_reason.items()):
            dead.add_metric([reason], count)
        suppressed = _counter("actors_log_lines_suppressed_total", [])
        suppressed.add_metric([], _log.limiter.suppressed_total)
        pool = system._blocking_pool_instance
        busy = GaugeMetricFamily(
            "actors_blocking_threads_busy",
            FAMILIES["actors_blocking_threads_busy"],
            value=0 if pool is None else pool.busy,
        )
        stuck = GaugeMetricFamily(
            "actors_blocking_threads_stuck",
            FAMILIES["actors_blocking_threads_stuck"],
            value=0 if pool is None else pool.stuck_threads,
        )
        saturations = _counter("actors_blocking_saturations_total", [])
        saturations.add_metric([], 0 if pool is None else pool.saturations)
        yield from (
            processed,
            failed,
            retries,
            handling,
            waiting,
            sample,
            depth,
            capacity,
            overflows,
            restarts_family,
            dead,
            live,
            timeouts,
            late,
            suppressed,
            busy,
            stuck,
            saturations,
        )


def _buckets(counts: list[int]) -> list[tuple[str, float]]:
    cumulative = 0
    result: list[tuple[str, float]] = []
    for bound, count in zip(BUCKETS, counts, strict=False):
        cumulative += count
        result.append((repr(bound), cumulative))
    result.append(("+Inf", cumulative + counts[-1]))
    return result


def _respond(system: ActorSystem, path: str) -> tuple[int, str, bytes]:
    if path == "/metrics":
        return 200, CONTENT_TYPE_LATEST, generate_latest(system.registry)
    if path == "/healthz":
        health = system.health()
        body = json.dumps(health.to_dict()).encode()
        return (200 if health.healthy else 503), "application/json", body
    return 404, "text/plain; charset=utf-8", b"not found: try /metrics or /healthz\n"


def asgi_app(
    system: ActorSystem | Callable[[], ActorSystem | None] | None = None,
) -> MetricsApp:
    """An ASGI application serving ``metrics`` (Prometheus text format) and ``healthz``
    (JSON) for ``system``, under whatever prefix it is mounted at.

    Mounted at ``/ops`` it answers ``/ops/metrics`` and ``/ops/healthz``; mounted at
    ``/metrics`` it answers ``/metrics/`` (where frameworks redirect ``/metrics``) and
    ``/metrics/healthz``; served alone, ``/metrics`` and ``/healthz``. The read-only live
    view of the tree (``actors.liveview``) is under ``ui/`` beside them. The prefix comes
    from the ASGI ``root_path``. Other paths answer 404, other methods than GET and HEAD 405, and
    lifespan events are acknowledged.

    ``system`` may be the system, a zero-argument callable returning the current one (asked
    on every request), or omitted and given later with ``.bind(system)``: ASGI applications
    are built at import time, before a lifespan starts the system. Until there is a system,
    requests answer 503.

    Raises:
        TypeError: ``system`` is neither a system, a callable nor ``None``.
        RuntimeError: (on a request) the system was created with ``metrics=False``.
    """
    # Imported here: _asgi_metrics reuses this module's responses, so it imports this one.
    from actors._asgi._metrics_app import MetricsApp

    return MetricsApp(system)


async def serve(system: ActorSystem, port: int, host: str = "127.0.0.1") -> asyncio.Server:
    """Serve ``/metrics`` and ``/healthz`` over HTTP on ``host:port`` (``port=0``: any free
    port; read it from ``server.sockets``). Close the returned server to stop.

    A minimal HTTP/1.0 server on the system's event loop, for ``supervise run``; inside an
    ASGI service, prefer ``asgi_app``. Raises OSError when the port cannot be bound.
    """

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await reader.readline()
            while (await reader.readline()).strip():
                pass  # headers are not needed
            parts = request.decode("latin-1").split()
            if len(parts) < 2 or parts[0] != "GET":
                status, content_type, body = 405, "text/plain", b"only GET\n"
            else:
                status, content_type, body = _respond(system, parts[1].split("?")[0])
            reason = {200: "OK", 404: "Not Found", 405: "Method Not Allowed"}.get(
                status, "Service Unavailable"
            )
            writer.write(
                f"HTTP/1.0 {status} {reason}\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)
