"""The states of an actor slot, the control messages its task serves, and the context
variable that tells code which actor's task it runs in."""

from __future__ import annotations

import asyncio
import contextvars
import enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # cycle: typing only; the current-cell variable names the cell and actor types, which use
    # these states.
    from actors._core._actor import ChildFailure
    from actors._core._cell import ActorCell

__all__ = [
    "HALTED",
    "RUNNING",
    "STARTING",
    "STOPPED",
    "STOPPING",
    "SUSPENDED",
    "State",
    "current_cell",
]

# Set once in every incarnation task (tasks copy the context they are created in), so code
# running in an actor's task finds its cell without a per-message contextvar write.
current_cell: contextvars.ContextVar[ActorCell | None] = contextvars.ContextVar(
    "actors_current_cell", default=None
)


class State(enum.IntEnum):
    STARTING = 0  # an incarnation's factory/on_start is running
    RUNNING = 1
    SUSPENDED = 2  # failed; serves control messages only until its parent decides
    HALTED = 3  # no incarnation (between a halt and the next start); messages queue
    STOPPING = 4  # graceful stop; the mailbox refuses new messages
    STOPPED = 5  # final: deregistered, watchers told, stopped future done


# Module constants: reading an enum member through its class costs a metaclass lookup
# (over 100 ns), several times per message on the hot path.
STARTING = State.STARTING
RUNNING = State.RUNNING
SUSPENDED = State.SUSPENDED
HALTED = State.HALTED
STOPPING = State.STOPPING
STOPPED = State.STOPPED


class _Resume:
    __slots__ = ()


class _Wake:
    __slots__ = ()


_RESUME = _Resume()
_WAKE = _Wake()


class _Halt:
    __slots__ = ("done",)

    def __init__(self, done: asyncio.Future[None]) -> None:
        self.done = done


class _ChildFailed:
    __slots__ = ("child", "failure")

    def __init__(self, child: ActorCell, failure: ChildFailure) -> None:
        self.child = child
        self.failure = failure


_NO_CELLS: frozenset[Any] = frozenset()
