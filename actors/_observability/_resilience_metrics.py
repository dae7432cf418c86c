"""Metrics of a system's circuit breakers and of its event loop's lag, read at scrape time
(the breakers and the loop monitor keep plain counters; nothing is observed per call)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from actors._core._breaker import CircuitBreaker
from actors._observability._loop_monitor import LAG_BUCKETS, LoopMonitor

__all__ = ["RESILIENCE_FAMILIES", "ResilienceCollector"]

RESILIENCE_FAMILIES: dict[str, str] = {
    "actors_circuit_breaker_state": (
        "State of each circuit breaker of the system: 0 closed, 1 half-open, 2 open."
    ),
    "actors_circuit_breaker_calls_total": "Calls a circuit breaker let through.",
    "actors_circuit_breaker_failures_total": (
        "Calls through a circuit breaker that raised or timed out (timeouts included)."
    ),
    "actors_circuit_breaker_timeouts_total": "Calls through a circuit breaker that timed out.",
    "actors_circuit_breaker_rejections_total": (
        "Calls a circuit breaker refused with CircuitOpen while open or half-open."
    ),
    "actors_event_loop_lag_seconds": (
        "How long the loop monitor's probe waited for the event loop (one sample every"
        " loop_block_threshold / 2 seconds)."
    ),
    "actors_event_loop_blocked_total": (
        "Times the event loop was held longer than loop_block_threshold."
    ),
}


def _counter(name: str, labels: list[str]) -> CounterMetricFamily:
    return CounterMetricFamily(
        name.removesuffix("_total"), RESILIENCE_FAMILIES[name], labels=labels
    )


class ResilienceCollector(Collector):
    """Reads a system's breakers and loop monitor at scrape time; registered by the system."""

    def __init__(self, breakers: Iterable[CircuitBreaker], monitor: LoopMonitor | None) -> None:
        self._breakers = breakers
        self._monitor = monitor

    def __repr__(self) -> str:
        return f"<ResilienceCollector monitor={self._monitor!r}>"

    def describe(self) -> list[Metric]:
        return []  # not known before the first scrape; avoids auto-describe collecting

    def collect(self) -> Iterator[Metric]:
        label = ["breaker"]
        state = GaugeMetricFamily(
            "actors_circuit_breaker_state",
            RESILIENCE_FAMILIES["actors_circuit_breaker_state"],
            labels=label,
        )
        calls = _counter("actors_circuit_breaker_calls_total", label)
        failures = _counter("actors_circuit_breaker_failures_total", label)
        timeouts = _counter("actors_circuit_breaker_timeouts_total", label)
        rejections = _counter("actors_circuit_breaker_rejections_total", label)
        for breaker in self._breakers:
            names = [breaker.name]
            state.add_metric(names, breaker.state.value)
            calls.add_metric(names, breaker.calls)
            failures.add_metric(names, breaker.failures)
            timeouts.add_metric(names, breaker.timeouts)
            rejections.add_metric(names, breaker.rejections)
        yield from (state, calls, failures, timeouts, rejections)
        monitor = self._monitor
        if monitor is None:
            return
        lag = HistogramMetricFamily(
            "actors_event_loop_lag_seconds", RESILIENCE_FAMILIES["actors_event_loop_lag_seconds"]
        )
        counts = list(monitor.lag_counts)
        cumulative = 0
        buckets: list[tuple[str, float]] = []
        for bound, count in zip(LAG_BUCKETS, counts, strict=False):
            cumulative += count
            buckets.append((repr(bound), cumulative))
        buckets.append(("+Inf", cumulative + counts[-1]))
        lag.add_metric([], buckets, sum_value=monitor.lag_sum)
        blocked = _counter("actors_event_loop_blocked_total", [])
        blocked.add_metric([], monitor.blocked)
        yield from (lag, blocked)
