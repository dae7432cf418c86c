"""The supervision part of the error hierarchy."""

from __future__ import annotations

from actors import ActorError

__all__ = ["RestartIntensityExceeded", "SupervisionError"]


class SupervisionError(ActorError):
    """Base class of the errors raised by supervisors.

    A supervisor raises it (from its failure handling) when a child's failure is escalated by
    its decider (``Directive.ESCALATE``); ``__cause__`` is the child's exception. The
    supervisor fails with it and its own parent handles that failure.
    """


class RestartIntensityExceeded(SupervisionError):
    """A supervisor restarted its children more than ``max_restarts`` times within ``within``
    seconds and gave up.

    It has stopped its children (reverse start order) and fails with this error, whose
    ``__cause__`` is the failing child's exception; escalating through several levels keeps
    the whole chain (``chain`` lists it). At the root, ``ActorSystem.wait_closed()`` raises it
    so a service exits non-zero and its orchestrator restarts it.
    """

    @property
    def chain(self) -> tuple[BaseException, ...]:
        """This error and its causes, outermost first (follows ``__cause__``)."""
        found: list[BaseException] = []
        error: BaseException | None = self
        while error is not None and error not in found:
            found.append(error)
            error = error.__cause__
        return tuple(found)
