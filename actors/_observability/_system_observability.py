"""The system's observability: overflow and dead-letter logs, counters kept when actors stop,
the Prometheus registry, statistics and health. A mixin of ``ActorSystem``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry

from actors._core._cell import ActorCell
from actors._core._dead_letters import DeadLetters
from actors._core._health import Health, SupervisorHealth
from actors._core._log import log_limited
from actors._core._messages import DeadLetter, Overflow
from actors._core._state import SUSPENDED
from actors._observability._accounting import Accounting, SystemStatistics

__all__ = ["SystemObservability"]


class SystemObservability:
    """The observability part of ``ActorSystem`` (a mixin)."""

    if TYPE_CHECKING:
        overflows: int
        dead_letters: DeadLetters
        _accounting: Accounting
        _registry_instance: CollectorRegistry | None
        _registry: dict[str, ActorCell]
        _fatal: BaseException | None

    def _note_overflow(self, cell: ActorCell, overflow: Overflow) -> None:
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

    def _log_dead_letter(self, letter: DeadLetter) -> None:
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

    def _retire(self, cell: ActorCell) -> None:
        self._accounting.retire(cell)

    def _retired_ask_timeout(self, cell: ActorCell) -> None:
        self._accounting.retired_ask_timeout(cell)

    # ------------------------------------------------------------------ observability

    @property
    def registry(self) -> CollectorRegistry:
        """The Prometheus registry holding this system's metrics (see ``actors.metrics``).

        Raises RuntimeError when the system was created with ``metrics=False``.
        """
        if self._registry_instance is None:
            raise RuntimeError(f"{self!r} was created with metrics=False")
        return self._registry_instance

    def statistics(self) -> SystemStatistics:
        """Totals since the system started: live actors, messages processed and failed,
        restarts, ask timeouts and dead letters (stopped actors' counts included)."""
        totals, restarts = self._accounting.snapshot(self._registry.values())
        letters = self.dead_letters
        return SystemStatistics(
            live_actors=len(self._registry),
            processed=sum(entry.processed for entry in totals.values()),
            failed=sum(entry.failed for entry in totals.values()),
            restarts=sum(restarts.values()),
            ask_timeouts=sum(entry.ask_timeouts for entry in totals.values()),
            dead_letters=letters.count,
            dead_letters_by_reason=letters.by_reason,
        )

    def health(self) -> Health:
        """The system's health, derived from the supervision tree (see ``Health``).

        Each supervisor (and pool) reports its status and its restarts in the current window
        against its budget. Overall ``failed`` when one gave up or the system shut down on a
        failure; ``degraded`` while restarts are under way or recent, or a failed actor
        awaits its parent's decision; ``ok`` otherwise.
        """
        reports: list[SupervisorHealth] = []
        failed_actors = 0
        live = 0
        for cell in self._registry.values():
            live += 1
            if cell.state is SUSPENDED:
                failed_actors += 1
            reporter = getattr(cell.instance, "supervision_health", None)
            if reporter is not None:
                report = reporter()
                if isinstance(report, SupervisorHealth):
                    reports.append(report)
        error = None if self._fatal is None else repr(self._fatal)
        if error is not None or any(r.status == "gave_up" for r in reports):
            status = "failed"
        elif failed_actors or any(r.status != "running" or r.restarts for r in reports):
            status = "degraded"
        else:
            status = "ok"
        return Health(status, live, failed_actors, tuple(reports), error)
