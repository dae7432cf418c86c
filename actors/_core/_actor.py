"""The ``Actor`` base class users subclass."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import attrs

if TYPE_CHECKING:
    # cycle: typing only; an Actor reads its Context and refs, which point back at the actor's
    # cell and class.
    from actors._core._context import Context
    from actors._core._ref import ActorRef

__all__ = ["Actor", "ChildFailure"]


@attrs.frozen
class ChildFailure:
    """What a parent learns when one of its children failed.

    Attributes:
        child: the failed child's ref. The child is suspended: it handles no message until
            its parent resumes, restarts or stops it (through ``self.context``).
        error: the exception. For a child that failed while handling a message, what its
            handler raised; for a child that failed because one of *its* children failed
            and it could not handle that (``escalated``), the exception it raised then.
        message: the message whose handler raised, or ``None``.
        escalated: True when the failure comes from the child's own ``on_child_failed``
            (for example a supervisor that gave up), False for a failing handler.
    """

    child: ActorRef
    error: BaseException
    message: Any = None
    escalated: bool = False


class Actor:
    """An object with private state, served one message at a time by its own task.

    Subclass it and implement ``receive``. The runtime creates instances from a factory (the
    class itself or a zero-argument callable) because a restart needs a fresh instance; the
    instance's ``context`` is set before ``on_start`` runs.

    Attributes:
        blocking: when True, ``receive`` must be a plain ``def``; it runs in the system's
            bounded thread pool so a blocking library does not freeze the event loop.
        subscriptions: event bus patterns (``("orders.>",)``) the runtime subscribes the
            actor to on ``system.bus`` after ``on_start``, at spawn and after every restart,
            so they are active when ``spawn`` returns. An invalid pattern makes the start
            fail with ``ActorStartError`` (``__cause__`` the ``ValueError``). The overflow
            policy is the default one unless the actor subscribed itself with another.
    """

    blocking: ClassVar[bool] = False
    subscriptions: ClassVar[tuple[str, ...]] = ()

    _context: Context | None = None

    def __repr__(self) -> str:
        context = self._context
        where = "(not started)" if context is None else context.path
        return f"<{type(self).__name__} {where}>"

    @property
    def context(self) -> Context:
        """The actor's view of the runtime: its ref, parent, children, timers, and the metadata
        of the message being handled.

        Raises:
            RuntimeError: when read before the runtime started this instance (for example
                in ``__init__``).
        """
        context = self._context
        if context is None:
            raise RuntimeError(
                f"{type(self).__name__}.context is not available before the actor is started;"
                " use on_start() for work that needs it"
            )
        return context

    async def on_start(self) -> None:
        """Called in the actor's task before its first message, at spawn and after every
        restart. If it raises, the spawn (or restart) fails with ``ActorStartError``."""

    def receive(self, message: Any) -> Any:
        """Handle one message. The return value answers an ``ask``; raising fails the actor.

        May be ``async def`` or a plain ``def`` (which runs inline and must not block, unless
        the class sets ``blocking = True``). The default raises ``NotImplementedError``.
        (Declared as a plain ``def`` returning ``Any`` so that both kinds of override
        type-check.)
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement receive()")

    async def on_stop(self) -> None:
        """Called in the actor's task when it stops for good and before every restart, after
        its children have stopped. An exception here is logged, never propagated."""

    def introspect(self) -> dict[str, Any]:
        """Extra fields for this actor's entry in a tree snapshot (``actors.snapshot_tree``,
        the live view): a JSON-ready dict, read on the system's loop when a snapshot is taken.

        The default adds nothing. ``supervision.Supervisor`` adds its strategy, its restarts
        in the current window against its budget and its children's specs; ``Pool`` its
        routing. A ``children`` list of ``{"name", "state"}`` dicts tells the snapshot which
        halted children wait for a backoff delay. Must not block or await; an exception is
        logged and shown as ``introspect_error`` instead of the fields.
        """
        return {}

    async def on_child_failed(self, failure: ChildFailure) -> None:
        """Decide what happens to a failed child; runs in this actor's task.

        The child stays suspended until this actor calls ``self.context.resume_child``,
        ``restart_child`` or ``stop_child`` for it (now or later, for example after a backoff
        timer). Raising from here fails this actor in turn (escalation). The default stops
        the child; ``supervision.Supervisor`` overrides it with restart strategies.
        """
        self.context.stop_child(failure.child)
