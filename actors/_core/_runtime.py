"""What the core needs from the system it runs in, as a protocol.

The actor cell reports to its system (tasks to track, idle accounting, dead letters, failures
of top-level actors, retired actors' counters) and asks it for shared services (the loop, the
thread pool, ask deadlines, spawning). Naming those needs here keeps every import arrow of
the core pointing down: ``ActorSystem`` satisfies this protocol without the core importing it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    # cycle: typing only; the protocol of what cells need from their system names the cells and
    # what they hold.
    from actors._core._actor import Actor, ChildFailure
    from actors._core._blocking_pool import BlockingPool
    from actors._core._cell import ActorCell
    from actors._core._dead_letters import DeadLetters
    from actors._core._deadlines import AskDeadlines
    from actors._core._messages import Overflow
    from actors._core._ref import ActorRef
    from actors._core._retry import Retry

__all__ = ["Runtime"]


class Runtime(Protocol):
    """The services of an ``ActorSystem`` that actor cells use (private)."""

    dead_letters: DeadLetters
    metrics_enabled: bool
    _timing_mask: int
    _top: dict[str, ActorCell]
    _tasks: set[asyncio.Task[None]]

    @property
    def loop(self) -> asyncio.AbstractEventLoop: ...

    @property
    def _blocking_pool(self) -> BlockingPool: ...

    def _ask_deadlines(self) -> AskDeadlines: ...

    def _track(self, task: asyncio.Task[None]) -> None: ...

    def _idle_enter(self) -> None: ...

    def _idle_leave(self) -> None: ...

    def _unregister(self, cell: ActorCell) -> None: ...

    def _retire(self, cell: ActorCell) -> None: ...

    def _retired_ask_timeout(self, cell: ActorCell) -> None: ...

    def _note_overflow(self, cell: ActorCell, overflow: Overflow) -> None: ...

    def _top_level_failed(self, cell: ActorCell, failure: ChildFailure) -> None: ...

    async def _subscribe_declared(self, ref: ActorRef, patterns: object) -> None: ...

    async def _spawn(
        self,
        parent: ActorCell | None,
        factory: Callable[[], Actor],
        *,
        name: str | None,
        capacity: int,
        overflow: Overflow,
        shutdown: float | None,
        position: int | None = None,
        retry: Retry | None = None,
        handler_timeout: float | None = None,
    ) -> ActorRef: ...
