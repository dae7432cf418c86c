"""The system's observability: overflow and dead-letter logs, counters kept when actors stop,
the Prometheus registry, statistics and health. ``ActorSystem`` holds one
``SystemObservability`` and delegates ``registry``, ``statistics`` and ``health`` to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CollectorRegistry

from actors._core._blocking_pool import BlockingPool
from actors._core._cell import ActorCell
from actors._core._dead_letters import DeadLetters
from actors._core._health import Health, SupervisorHealth
from actors._core._log import log_limited
from actors._core._messages import DeadLetter, Overflow
from actors._core._state import SUSPENDED
from actors._observability._accounting import Accounting, SystemStatistics

__all__ = ["SystemObservability"]


class SystemObservability:
    """What one ``ActorSystem`` observes of its actors, and reports.

    Holds the system's live cells (read only), its dead letters, the counters of actors that
    stopped, and its Prometheus registry; ``fatal`` returns the error the system shut down
    on, if any. The public docstrings are on the ``ActorSystem`` members that delegate here.
    """

    __slots__ = (
        "_cells",
        "_fatal",
        "_registry_instance",
        "accounting",
        "dead_letters",
        "overflows",
    )

    def __init__(
        self,
        cells: dict[str, ActorCell],
        dead_letters: DeadLetters,
        registry: CollectorRegistry | None,
        fatal: Callable[[], BaseException | None],
    ) -> None:
        self._cells = cells
        self.dead_letters = dead_letters
        self._registry_instance = registry
        self._fatal = fatal
        self.accounting = Accounting()
        self.overflows = 0
        dead_letters.add_listener(self.log_dead_letter)

    def note_overflow(self, cell: ActorCell, overflow: Overflow) -> None:
        self.overflows += 1
        cell.overflows += 1
        log_limited(
            "warning",
            "mailbox.overflow",
            cell.path,
            actor=cell.path,
            actor_class=cell.actor_class,
            overflow=overflow.value,
            capacity=cell.mailbox.capacity,
        )

    def log_dead_letter(self, letter: DeadLetter) -> None:
        recipient = letter.recipient
        fields: dict[str, Any] = {
            "reason": letter.reason,
            "message_type": type(letter.message).__name__,
        }
        if recipient is not None:
            fields["actor"] = recipient.path
            fields["actor_class"] = recipient._cell.actor_class
        if letter.error is not None:
            fields["error_type"] = type(letter.error).__name__
        log_limited("info", "dead_letter", letter.reason, **fields)

    def registry(self) -> CollectorRegistry | None:
        """The Prometheus registry, or None when metrics are off."""
        return self._registry_instance

    def statistics(self) -> SystemStatistics:
        """See ``ActorSystem.statistics``."""
        totals, restarts = self.accounting.snapshot(self._cells.values())
        letters = self.dead_letters
        return SystemStatistics(
            live_actors=len(self._cells),
            processed=sum(entry.processed for entry in totals.values()),
            failed=sum(entry.failed for entry in totals.values()),
            restarts=sum(restarts.values()),
            ask_timeouts=sum(entry.ask_timeouts for entry in totals.values()),
            dead_letters=letters.count,
            dead_letters_by_reason=letters.by_reason,
        )

    def health(self, pool: BlockingPool | None = None) -> Health:
        """See ``ActorSystem.health``; ``pool``: the blocking handlers' threads, if any ran."""
        reports: list[SupervisorHealth] = []
        failed_actors = 0
        live = 0
        for cell in self._cells.values():
            live += 1
            if cell.state is SUSPENDED:
                failed_actors += 1
            reporter = getattr(cell.instance, "supervision_health", None)
            if reporter is not None:
                report = reporter()
                if isinstance(report, SupervisorHealth):
                    reports.append(report)
        fatal = self._fatal()
        error = None if fatal is None else repr(fatal)
        stuck = 0 if pool is None else pool.stuck_threads
        saturated = pool is not None and pool.saturated
        if error is not None or any(r.status == "gave_up" for r in reports):
            status = "failed"
        elif (
            failed_actors
            or stuck
            or saturated
            or any(r.status != "running" or r.restarts for r in reports)
        ):
            status = "degraded"
        else:
            status = "ok"
        return Health(
            status,
            live,
            failed_actors,
            tuple(reports),
            error,
            stuck_threads=stuck,
            threads_saturated=saturated,
        )
