"""Health reports derived from the supervision tree."""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["Health", "SupervisorHealth"]


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
class Health:
    """The system's health, for liveness and readiness probes (``ActorSystem.health()``).

    ``status`` is ``ok`` (nothing is failing), ``degraded`` (restarts are under way or
    recent, an actor waits in backoff, or a failed actor awaits its parent's decision: the
    service works but something is wrong) or ``failed`` (a supervisor gave up, or the system
    shut down because its root did). Serve ``ok`` and ``degraded`` as healthy (HTTP 200) and
    ``failed`` as unhealthy (503), as ``actors.metrics`` does at ``/healthz``.
    """

    status: str
    live_actors: int
    failed_actors: int
    supervisors: tuple[SupervisorHealth, ...]
    error: str | None = None

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
        }
