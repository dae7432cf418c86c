"""``PathRef``: a ref that names a place in the tree, and follows whichever actor is there.

An ``ActorRef`` names one slot: it survives restarts of that actor, but not the re-creation
of the slot. When a supervisor restarts a child that is itself a supervisor, the child's own
children are spawned again as new slots, and refs to them held elsewhere (a sibling subtree
that was not restarted) would go stale. A ``PathRef`` looks the path up again once the slot
it last reached has stopped, so it reaches the new slot as soon as it is spawned. This is
Akka's ``ActorSelection`` and Erlang's registered names, for the one tree of a system.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actors import ActorRef, ActorStopped

if TYPE_CHECKING:
    from actors import ActorSystem, MailboxStatistics

__all__ = ["PathRef"]


class PathRef:
    """A ref to whichever actor lives at ``path`` in ``system``, looked up again whenever the
    actor it last reached has stopped for good.

    ``PathRef(system, "/shop/payments/ledger")``. It has the messaging half of
    ``ActorRef``'s API (``tell``, ``tell_nowait``, ``ask``, ``statistics``, ``path``,
    ``name``, ``is_alive``) with the same arguments, errors and dead letters; ``current()``
    gives the ``ActorRef`` it reaches now (to ``watch``, ``stop`` or compare). Configuration
    files hand these to actors for ``args = { ledger = { ref = "../ledger" } }``.

    While no actor lives at the path (before it starts, or between a subtree's stop and its
    restart), a message goes where one sent to a stopped actor goes: ``tell`` makes it a
    dead letter (reason ``stopped``) and ``ask`` raises ``ActorStopped`` at once. Use it
    from the event loop's thread only. Two ``PathRef``s are equal when they name the same
    path in the same system.

    Raises:
        ValueError: ``path`` does not start with ``/``.
    """

    __slots__ = ("_last", "_path", "_system")

    def __init__(self, system: ActorSystem, path: str) -> None:
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"an actor path starts with '/', got {path!r}")
        self._system = system
        self._path = path.rstrip("/") or "/"
        # The slot last reached. Invariant: reused while it is alive, since a ref stays valid
        # across restarts of its actor; once it has stopped the path is looked up again.
        self._last: ActorRef | None = None

    def __repr__(self) -> str:
        return f"<PathRef {self._path}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PathRef):
            return NotImplemented
        return self._system is other._system and self._path == other._path

    def __hash__(self) -> int:
        return hash((id(self._system), self._path))

    @property
    def path(self) -> str:
        """The path this ref names, for example ``/shop/payments/ledger``."""
        return self._path

    @property
    def name(self) -> str:
        """The last segment of the path."""
        return self._path.rpartition("/")[2]

    @property
    def is_alive(self) -> bool:
        """True while an actor lives at the path."""
        return self.current() is not None

    def current(self) -> ActorRef | None:
        """The ``ActorRef`` of the actor living at the path now, or ``None``."""
        last = self._last
        if last is not None and last.is_alive:
            return last
        found = self._system.lookup(self._path)
        if found is not None:
            self._last = found
        return found

    def _target(self) -> ActorRef | None:
        # The live slot, else the stopped one last reached (which dead-letters and fails
        # asks exactly as a stopped ActorRef does), else None: nothing was ever there.
        current = self.current()
        return current if current is not None else self._last

    def _nobody(self, message: Any) -> ActorStopped:
        return ActorStopped(
            "no actor at this path", path=self._path, message_type=type(message).__name__
        )

    async def tell(
        self,
        message: Any,
        *,
        timeout: float | None = None,
        correlation_id: int | str | None = None,
    ) -> None:
        """``ActorRef.tell`` to the actor at the path. With no actor there, ``message``
        becomes a dead letter (reason ``stopped``). Raises what ``ActorRef.tell`` raises."""
        target = self._target()
        if target is None:
            self._system.dead_letters.record(message, None, "stopped", self._nobody(message))
            return
        await target.tell(message, timeout=timeout, correlation_id=correlation_id)

    def tell_nowait(self, message: Any, *, correlation_id: int | str | None = None) -> None:
        """``ActorRef.tell_nowait`` to the actor at the path. With no actor there,
        ``message`` becomes a dead letter (reason ``stopped``). Raises ``MailboxFull`` as
        ``ActorRef.tell_nowait`` does."""
        target = self._target()
        if target is None:
            self._system.dead_letters.record(message, None, "stopped", self._nobody(message))
            return
        target.tell_nowait(message, correlation_id=correlation_id)

    async def ask(
        self,
        message: Any,
        *,
        timeout: float | None = 5.0,
        correlation_id: int | str | None = None,
    ) -> Any:
        """``ActorRef.ask`` to the actor at the path: its reply.

        Raises:
            ActorStopped: no actor lives at the path (at once), or it stopped before it
                handled the message.
            ActorFailed, AskTimeout, MailboxFull, ActorError: as ``ActorRef.ask``.
        """
        target = self._target()
        if target is None:
            raise self._nobody(message)
        return await target.ask(message, timeout=timeout, correlation_id=correlation_id)

    def statistics(self) -> MailboxStatistics:
        """``ActorRef.statistics()`` of the actor at the path.

        Raises:
            ActorStopped: no actor has lived at the path yet.
        """
        target = self._target()
        if target is None:
            raise ActorStopped("no actor at this path", path=self._path)
        return target.statistics()
