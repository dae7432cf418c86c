"""The circuit breakers' and the loop monitor's part of ``ActorSystem.health()``."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from actors._core._breaker import CircuitBreaker
from actors._core._breaker_state import CLOSED
from actors._core._health import Health
from actors._observability._loop_monitor import LoopMonitor

__all__ = ["with_resilience"]


def with_resilience(
    health: Health, breakers: Iterable[CircuitBreaker], monitor: LoopMonitor | None
) -> Health:
    """``health`` with the breakers' statistics and the loop's report added: ``degraded``
    (unless already ``failed``) while a breaker is open or half-open, or after the loop was
    recently held past its degraded threshold."""
    reports = tuple(breaker.statistics() for breaker in breakers)
    loop = None if monitor is None else monitor.health()
    status = health.status
    if status == "ok" and (
        any(report.state is not CLOSED for report in reports)
        or (loop is not None and loop.status != "ok")
    ):
        status = "degraded"
    return attrs.evolve(health, status=status, circuit_breakers=reports, loop=loop)
