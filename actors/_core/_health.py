"""Health reports derived from the supervision tree."""

from __future__ import annotations

from typing import Any

import attrs

from actors._core._breaker import CircuitBreakerStatistics

__all__ = ["Health", "LoopHealth", "SupervisorHealth"]


@attrs.frozen
class SupervisorHealth:
    """How one supervisor (or pool) is doing.

    ``status`` is ``running``, ``restarting``, ``backoff`` or ``gave_up``; ``restarts`` is
    the number of restarts in its current window, against its budget ``max_restarts`` within
    ``within`` seconds.
    """

    path: str
    status: str
    restarts: int
    max_restarts: int
    within: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return attrs.asdict(self)


@attrs.frozen
class LoopHealth:
    """What the blocked-loop detector saw (``Health.loop``; ``None`` when it is off).

    ``status`` is ``degraded`` for ``degraded_for`` seconds after the loop was held for
    longer than ``degraded_threshold``, else ``ok``. ``blocked`` counts the times it was held
    longer than ``threshold``; ``last_blocked_for`` is how long the last of them lasted, and
    ``last_actor`` / ``last_message_type`` name the handler that held it, when it was one.
    """

    status: str
    threshold: float
    degraded_threshold: float | None
    degraded_for: float
    blocked: int
    last_blocked_for: float | None
    last_actor: str | None
    last_message_type: str | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return attrs.asdict(self)


@attrs.frozen
class Health:
    """The system's health, for liveness and readiness probes (``ActorSystem.health()``).

    ``status`` is ``ok`` (nothing is failing), ``degraded`` (restarts are under way or
    recent, an actor waits in backoff, a failed actor awaits its parent's decision, a
    blocking handler's thread is stuck past its ``handler_timeout``, or blocking handlers
    wait for a free thread: the service works but something is wrong) or ``failed`` (a
    supervisor gave up, or the system shut down because its root did). Serve ``ok`` and
    ``degraded`` as healthy (HTTP 200) and ``failed`` as unhealthy (503), as
    ``actors.metrics`` does at ``/healthz``.

    A circuit breaker of the system's (``ActorSystem.circuit_breaker``) that is open or
    half-open makes it ``degraded`` too (``circuit_breakers`` lists them all), and so does
    an event loop recently held too long by a handler (``loop``, see ``LoopHealth``).
    """

    status: str
    live_actors: int
    failed_actors: int
    supervisors: tuple[SupervisorHealth, ...]
    error: str | None = None
    circuit_breakers: tuple[CircuitBreakerStatistics, ...] = ()
    loop: LoopHealth | None = None
    #: threads of blocking handlers that overran their ``handler_timeout`` and still run.
    stuck_threads: int = 0
    #: whether blocking handlers wait for a thread now (every thread of the pool is busy).
    threads_saturated: bool = False

    @property
    def healthy(self) -> bool:
        """True unless ``status`` is ``failed``."""
        return self.status != "failed"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "status": self.status,
            "live_actors": self.live_actors,
            "failed_actors": self.failed_actors,
            "supervisors": [supervisor.to_dict() for supervisor in self.supervisors],
            "error": self.error,
            "circuit_breakers": [breaker.to_dict() for breaker in self.circuit_breakers],
            "loop": None if self.loop is None else self.loop.to_dict(),
            "stuck_threads": self.stuck_threads,
            "threads_saturated": self.threads_saturated,
        }
