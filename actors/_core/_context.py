"""``Context``: an actor's view of the runtime."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from actors._core._local import local_cell, not_a_ref
from actors._core._messages import Overflow
from actors._core._ref import ActorRef
from actors._core._state import STOPPING
from actors._core._timers import Timer, check_delay

if TYPE_CHECKING:
    # cycle: typing only; a Context is the view of one cell, which owns it and the Actor it serves.
    from actors._core._actor import Actor
    from actors._core._cell import ActorCell
    from actors._core._retry import Retry

    # The one arrow from the core up to the facade, for typing only (the contract in
    # pyproject.toml lists it): `Context.system` hands users the ActorSystem they know.
    from actors._system._system import ActorSystem

__all__ = ["Context"]


class Context:
    """What an actor knows and can do: ``self.context`` inside an ``Actor``.

    The message metadata (``sender``, ``correlation_id``, ``message_id``, ``causation_id``,
    ``topic``) describes the message being handled and is ``None`` between messages.
    The child-directive methods (``resume_child``, ``restart_child``, ``halt_child``,
    ``stop_child``) are the mechanism parents (supervisors) use on failed children.
    """

    __slots__ = ("_cell",)

    def __init__(self, cell: ActorCell) -> None:
        self._cell = cell

    def __repr__(self) -> str:
        return f"<Context {self._cell.path}>"

    @property
    def ref(self) -> ActorRef:
        """This actor's own ref."""
        return self._cell.ref

    @property
    def name(self) -> str:
        """This actor's name."""
        return self._cell.name

    @property
    def path(self) -> str:
        """This actor's path."""
        return self._cell.path

    @property
    def parent(self) -> ActorRef | None:
        """The parent's ref; ``None`` for a top-level actor."""
        parent = self._cell.parent
        return None if parent is None else parent.ref

    @property
    def system(self) -> ActorSystem:
        """The system this actor runs in."""
        return cast("ActorSystem", self._cell.system)

    @property
    def is_stopping(self) -> bool:
        """True once this actor has begun stopping for good (it will not be restarted)."""

        return self._cell.state >= STOPPING

    @property
    def children(self) -> tuple[ActorRef, ...]:
        """The live children, in start order."""
        return tuple(child.ref for child in self._cell.children.values())

    def child(self, name: str) -> ActorRef | None:
        """The live child named ``name``, or ``None``."""
        child = self._cell.children.get(name)
        return None if child is None else child.ref

    @property
    def sender(self) -> ActorRef | None:
        """The actor that sent the message being handled (``None`` from outside actors)."""
        envelope = self._cell.current
        return None if envelope is None else envelope.sender

    @property
    def correlation_id(self) -> int | str | None:
        """The correlation id of the message being handled."""
        envelope = self._cell.current
        return None if envelope is None else envelope.correlation_id

    @property
    def message_id(self) -> int | None:
        """The id of the message being handled."""
        envelope = self._cell.current
        return None if envelope is None else envelope.message_id

    @property
    def causation_id(self) -> int | None:
        """The id of the message whose handler sent the message being handled."""
        envelope = self._cell.current
        return None if envelope is None else envelope.causation_id

    @property
    def attempt(self) -> int:
        """Which delivery of the message being handled this is: 1 for the first, 2 for its
        first retry (see ``Retry``); 1 between messages."""
        envelope = self._cell.current
        errors = None if envelope is None else envelope.errors
        return 1 if errors is None else len(errors) + 1

    @property
    def deadline(self) -> float | None:
        """The loop time (``loop.time()``) by which the message being handled must be
        answered: its ask's deadline, or the one it inherited from the handler that sent it;
        ``None`` without one. Asks and tells sent from this handler inherit it."""
        envelope = self._cell.current
        return None if envelope is None else envelope.deadline

    def time_left(self) -> float | None:
        """Seconds until ``deadline`` (``0.0`` once it passed), or ``None`` without one."""
        envelope = self._cell.current
        deadline = None if envelope is None else envelope.deadline
        if deadline is None:
            return None
        return max(0.0, deadline - self._cell.mailbox.clock())

    @property
    def topic(self) -> str | None:
        """The topic the event being handled was published on (bus events only)."""
        envelope = self._cell.current
        return None if envelope is None else envelope.topic

    async def spawn(
        self,
        factory: Callable[[], Actor],
        *,
        name: str | None = None,
        capacity: int = 1000,
        overflow: Overflow = Overflow.BLOCK,
        shutdown: float | None = 5.0,
        position: int | None = None,
        retry: Retry | None = None,
        handler_timeout: float | None = None,
    ) -> ActorRef:
        """Spawn a child of this actor; see ``ActorSystem.spawn`` for the arguments.

        The child's path is this actor's path plus ``/name``. It stops when this actor stops
        or restarts (children stop in reverse start order), and its failures are handled by
        this actor's ``on_child_failed``. ``position`` places it in the start order (an index
        into ``children``; default: last), for a child re-created in the place of one that
        stopped.
        """
        return await self._cell.system._spawn(
            self._cell,
            factory,
            name=name,
            capacity=capacity,
            overflow=overflow,
            shutdown=shutdown,
            position=position,
            retry=retry,
            handler_timeout=handler_timeout,
        )

    def watch(self, ref: ActorRef) -> None:
        """Receive ``Terminated(ref)`` once when ``ref`` stops for good (at once if it already
        has). Watching twice is the same as once. A remote ref is watched through its node
        (``Terminated`` also when the node is lost, reason ``node_lost``).

        Raises:
            ValueError: watching oneself.
            TypeError: ``ref`` is not an ``ActorRef`` (a supervision ``PathRef`` names a
                path: watch its ``current()`` ref).
        """
        if not isinstance(ref, ActorRef):
            raise not_a_ref("watch()", ref)
        ref._watched_by(self._cell)

    def unwatch(self, ref: ActorRef) -> None:
        """Stop watching ``ref``; no ``Terminated`` for it arrives after this call.

        Raises TypeError when ``ref`` is not an ``ActorRef``."""
        if not isinstance(ref, ActorRef):
            raise not_a_ref("unwatch()", ref)
        ref._unwatched_by(self._cell)

    def schedule_once(self, delay: float, message: Any) -> Timer:
        """Send ``message`` to this actor after ``delay`` seconds (loop time).

        Raises ValueError for a negative or non-finite delay.
        """
        delay = check_delay("delay", delay, allow_zero=True)
        cell = self._cell
        return Timer(cell, message, cell.loop.time() + delay, None)

    def schedule_every(
        self, interval: float, message: Any, *, initial_delay: float | None = None
    ) -> Timer:
        """Send ``message`` to this actor every ``interval`` seconds, at a fixed rate.

        The first delivery is after ``initial_delay`` (default: ``interval``). Raises
        ValueError for a non-positive interval or a negative initial delay.
        """
        interval = check_delay("interval", interval, allow_zero=False)
        first = interval if initial_delay is None else initial_delay
        first = check_delay("initial_delay", first, allow_zero=True)
        cell = self._cell
        return Timer(cell, message, cell.loop.time() + first, interval)

    def stop(self) -> None:
        """Stop this actor gracefully once the current handler returns (see
        ``ActorRef.stop``), within its shutdown time."""
        cell = self._cell
        cell.request_stop(cell.shutdown_timeout)

    # ------------------------------------------------------------ child directives

    def _child(self, ref: ActorRef, call: str) -> ActorCell:
        cell = local_cell(ref, call)
        if cell.parent is not self._cell:
            raise ValueError(f"{ref.path} is not a child of {self._cell.path}")
        return cell

    def resume_child(self, ref: ActorRef) -> None:
        """Let a failed child go on with the same instance (its state kept) and its next
        message. Does nothing for a child that is not failed. Raises ValueError when ``ref``
        is not this actor's child, TypeError when it is no local ``ActorRef``."""
        self._child(ref, "resume_child()").resume()

    async def halt_child(self, ref: ActorRef, *, timeout: float | None = None) -> None:
        """End a child's current incarnation (its children stop, then ``on_stop``) but keep
        the slot: its ref stays valid and messages keep queueing until ``restart_child``.

        Waits for the message in flight at most ``timeout`` seconds (default: the child's
        shutdown time), then abandons it (dead letter, reason ``timeout``).
        Raises ValueError when ``ref`` is not this actor's child, TypeError when it is no
        local ``ActorRef``.
        """
        cell = self._child(ref, "halt_child()")
        await cell.halt(cell.shutdown_timeout if timeout is None else timeout)

    async def restart_child(self, ref: ActorRef, *, timeout: float | None = None) -> None:
        """Halt a child's incarnation (as ``halt_child``) and start a fresh instance from its
        factory; the mailbox, its queued messages and every ref are kept. The old
        incarnation's ``on_stop`` finishes before the new one's ``on_start`` begins.

        Raises:
            ActorStartError: the new instance's factory or ``on_start`` raised; the child
                stays halted (messages queue) until restarted or stopped.
            ActorStopped: the child is stopping or stopped.
            ValueError: ``ref`` is not this actor's child.
            TypeError: ``ref`` is no local ``ActorRef`` (a remote ref, a ``PathRef``).
        """
        cell = self._child(ref, "restart_child()")
        await cell.restart(cell.shutdown_timeout if timeout is None else timeout)

    def reconfigure_child(
        self,
        ref: ActorRef,
        *,
        factory: Callable[[], Actor],
        shutdown: float | None,
        capacity: int,
        overflow: Overflow,
    ) -> None:
        """Change a child's settings in place, without restarting it: the ``factory`` its
        next restart builds from, its ``shutdown`` time, and its mailbox's ``capacity`` and
        ``overflow`` policy (queued messages are kept; see ``ActorSystem.spawn``). The
        running instance is not touched; ``restart_child`` afterwards starts one from the new
        factory.

        Raises:
            ValueError: ``ref`` is not this actor's child, or ``capacity`` is not >= 1.
            TypeError: ``factory`` is not callable, ``overflow`` not an ``Overflow``, or
                ``ref`` is no local ``ActorRef``.
        """
        cell = self._child(ref, "reconfigure_child()")
        if not callable(factory):
            raise TypeError(f"factory must be callable, got {factory!r}")
        cell.mailbox.resize(capacity, overflow)
        cell.factory = factory
        cell.shutdown_timeout = shutdown

    def order_children(self, names: Sequence[str]) -> None:
        """Put the children named in ``names`` in that start order (which sets the reverse
        order they stop in); children not named keep their place after them. Nothing is
        restarted.

        Raises ValueError when a name is not a child of this actor or appears twice.
        """
        children = self._cell.children
        if len(set(names)) != len(names) or any(name not in children for name in names):
            raise ValueError(
                f"order_children: {list(names)!r} are not distinct children of {self.path}"
            )
        ordered = {name: children[name] for name in names}
        ordered.update((name, cell) for name, cell in children.items() if name not in ordered)
        children.clear()
        children.update(ordered)

    def stop_child(
        self, ref: ActorRef, *, timeout: float | None = None, drain: bool = True
    ) -> None:
        """Begin stopping a child for good (graceful, within ``timeout`` or its shutdown
        time); ``await ref.wait_stopped()`` to wait for it. With ``drain`` (the default) a
        running child handles its queued messages first; with ``drain=False`` it finishes
        the message in hand and its queued messages become dead letters (``stopped``), as
        they do for a failed child. Raises ValueError when ``ref`` is not this actor's child,
        TypeError when it is no local ``ActorRef``."""
        cell = self._child(ref, "stop_child()")
        cell.request_stop(cell.shutdown_timeout if timeout is None else timeout, drain=drain)
