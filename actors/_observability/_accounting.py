"""Totals per actor class, kept when actors stop, so counters survive their actors."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from actors._core._timings import Timings

if TYPE_CHECKING:
    from actors._core._cell import ActorCell

__all__ = ["Accounting", "ClassTotals", "SystemStatistics"]


@attrs.frozen
class SystemStatistics:
    """Totals of a whole system since it started (``ActorSystem.statistics()``); counts of
    stopped actors included. The same counters the metrics are read from."""

    live_actors: int
    processed: int
    failed: int
    restarts: int
    ask_timeouts: int
    dead_letters: int
    dead_letters_by_reason: dict[str, int]


class ClassTotals:
    """Counters of all the actors of one class (live ones added at read time)."""

    __slots__ = (
        "ask_timeouts",
        "capacity",
        "depth",
        "failed",
        "late_replies",
        "live",
        "overflows",
        "processed",
        "retries",
        "timings",
    )

    def __init__(self) -> None:
        self.processed = 0
        self.failed = 0
        self.ask_timeouts = 0
        self.late_replies = 0
        self.overflows = 0
        self.retries = 0
        self.live = 0
        self.depth = 0
        self.capacity = 0
        self.timings = Timings()

    def add(self, cell: ActorCell) -> None:
        self.processed += cell.processed
        self.failed += cell.failed
        self.ask_timeouts += cell.ask_timeouts
        self.late_replies += cell.late_replies
        self.overflows += cell.overflows
        if cell.redelivery is not None:
            self.retries += cell.redelivery.retries
        if cell.timings is not None:
            self.timings.merge(cell.timings)

    def copy(self) -> ClassTotals:
        clone = ClassTotals()
        for name in (
            "processed",
            "failed",
            "ask_timeouts",
            "late_replies",
            "overflows",
            "retries",
        ):
            setattr(clone, name, getattr(self, name))
        clone.timings.merge(self.timings)
        return clone


def _supervisor(cell: ActorCell) -> str:
    return "/" if cell.parent is None else cell.parent.path


class Accounting:
    """The retired totals of one system, and the snapshot the metrics collector reads."""

    def __init__(self) -> None:
        self._retired: dict[str, ClassTotals] = {}
        self._retired_restarts: Counter[tuple[str, str]] = Counter()

    def retire(self, cell: ActorCell) -> None:
        """Fold a stopped actor's counters into its class's totals."""
        totals = self._retired.get(cell.actor_class)
        if totals is None:
            totals = self._retired[cell.actor_class] = ClassTotals()
        totals.add(cell)
        if cell.restarts:
            self._retired_restarts[(_supervisor(cell), cell.actor_class)] += cell.restarts

    def retired_ask_timeout(self, cell: ActorCell) -> None:
        """Count an ask timeout that a caller received after ``cell`` was retired."""
        totals = self._retired.get(cell.actor_class)
        if totals is None:
            totals = self._retired[cell.actor_class] = ClassTotals()
        totals.ask_timeouts += 1

    def snapshot(
        self, live: Iterable[ActorCell]
    ) -> tuple[dict[str, ClassTotals], Counter[tuple[str, str]]]:
        """Totals per class and restarts per (supervisor, class), live actors included."""
        totals = {name: retired.copy() for name, retired in self._retired.items()}
        restarts = Counter(self._retired_restarts)
        for cell in live:
            entry = totals.get(cell.actor_class)
            if entry is None:
                entry = totals[cell.actor_class] = ClassTotals()
            entry.add(cell)
            entry.live += 1
            entry.depth += len(cell.mailbox.user)
            entry.capacity += cell.mailbox.capacity
            if cell.restarts:
                restarts[(_supervisor(cell), cell.actor_class)] += cell.restarts
        return totals, restarts
