"""Child administration, as OTP's ``supervisor`` module offers it: the requests a supervisor
answers and the helpers that send them.

- ``terminate_child``: stop a child for good but keep its spec (OTP ``terminate_child``);
  ``which_children`` lists it as ``stopped``.
- ``restart_child``: start a stopped child again from its kept spec (OTP ``restart_child``).
- ``delete_child``: forget the spec of a stopped child (OTP ``delete_child``).
- ``stop_child``: stop a child for good and forget it (``terminate_child`` then
  ``delete_child``, in one step).
- ``count_children``: how many specs, running children, supervisors and workers (OTP
  ``count_children``).

Each helper asks the supervisor and raises the error it refused with: ``LookupError`` for a
name it has no child under, ``SupervisionError`` for a request the child's state does not
allow (``restart_child`` of a running child, ``delete_child`` of a running one, ...).
"""

from __future__ import annotations

from typing import Any

import attrs

from actors import ActorRef

__all__ = [
    "ChildCounts",
    "CountChildren",
    "DeleteChild",
    "RestartChild",
    "StopChild",
    "TerminateChild",
    "count_children",
    "delete_child",
    "restart_child",
    "stop_child",
    "terminate_child",
]


@attrs.frozen
class StopChild:
    """Ask a supervisor to stop the child named ``name`` for good and forget it. Prefer the
    ``stop_child`` helper."""

    name: str


@attrs.frozen
class TerminateChild:
    """Ask a supervisor to stop the child named ``name`` for good, keeping its spec. Prefer
    the ``terminate_child`` helper."""

    name: str


@attrs.frozen
class RestartChild:
    """Ask a supervisor to start its stopped child named ``name`` again. Prefer the
    ``restart_child`` helper."""

    name: str


@attrs.frozen
class DeleteChild:
    """Ask a supervisor to forget the spec of its stopped child named ``name``. Prefer the
    ``delete_child`` helper."""

    name: str


@attrs.frozen
class CountChildren:
    """Ask a supervisor for its ``ChildCounts``. Prefer the ``count_children`` helper."""


@attrs.frozen
class ChildCounts:
    """A supervisor's children counted as OTP's ``count_children`` does.

    Attributes:
        specs: the children it keeps a spec of, running or not (for a ``DynamicSupervisor``:
            the children it has started and not yet forgotten).
        active: those running now (not stopped, not halted for a restart or a backoff).
        supervisors: the specs whose child is itself a supervisor, running or not.
        workers: the other specs; ``supervisors + workers == specs``.
    """

    specs: int
    active: int
    supervisors: int
    workers: int


@attrs.frozen
class Refused:
    """A supervisor's answer to a request it refused: the helper raises ``error``."""

    error: BaseException


def _name(child: ActorRef | str) -> str:
    if isinstance(child, ActorRef):
        return child.name
    if isinstance(child, str):
        return child
    raise TypeError(f"a child is named by its ActorRef or its name, got {child!r}")


async def _request(supervisor: ActorRef, request: object, timeout: float | None) -> Any:
    answer = await supervisor.ask(request, timeout=timeout)
    if isinstance(answer, Refused):
        raise answer.error
    return answer


async def stop_child(
    supervisor: ActorRef, child: ActorRef | str, *, timeout: float | None = 5.0
) -> None:
    """Stop a child of ``supervisor`` (a ``Supervisor`` or a ``DynamicSupervisor``) for good
    and forget its spec; returns once it has stopped. A stopped child's spec is forgotten too.

    Raises LookupError when the supervisor has no such child; TypeError when ``child`` is
    neither a ref nor a name; AskTimeout or ActorStopped as ``ActorRef.ask``.
    """
    await _request(supervisor, StopChild(_name(child)), timeout)


async def terminate_child(
    supervisor: ActorRef, child: ActorRef | str, *, timeout: float | None = 5.0
) -> None:
    """Stop a child of ``supervisor`` for good (within its ``shutdown`` time) but keep its
    spec, as OTP's ``terminate_child``: ``WhichChildren`` lists it as ``stopped``,
    ``restart_child`` starts it again, and a ``OneForAll`` / ``RestForOne`` restart of its
    group starts it again too. A ``TEMPORARY`` child's spec is not kept (it is forgotten),
    nor is a ``DynamicSupervisor``'s child's. Terminating a stopped child does nothing.
    Returns once it has stopped.

    Raises LookupError when the supervisor has no such child; TypeError when ``child`` is
    neither a ref nor a name; AskTimeout or ActorStopped as ``ActorRef.ask``.
    """
    await _request(supervisor, TerminateChild(_name(child)), timeout)


async def restart_child(
    supervisor: ActorRef, name: str, *, timeout: float | None = 5.0
) -> ActorRef:
    """Start the stopped child ``name`` of the static ``supervisor`` again from its kept spec
    (as OTP's ``restart_child``; it does not count against the restart intensity). Returns
    the new child's ref once its ``on_start`` finished.

    Raises:
        LookupError: the supervisor has no child ``name``.
        SupervisionError: the child is running or restarting, or ``supervisor`` is a
            ``DynamicSupervisor`` (which keeps no stopped children).
        ActorStartError: the factory or ``on_start`` raised; the spec stays, stopped.
        AskTimeout, ActorStopped: as ``ActorRef.ask``.
    """
    answer = await _request(supervisor, RestartChild(_name(name)), timeout)
    assert isinstance(answer, ActorRef)
    return answer


async def delete_child(supervisor: ActorRef, name: str, *, timeout: float | None = 5.0) -> None:
    """Forget the spec of the stopped child ``name`` of the static ``supervisor`` (as OTP's
    ``delete_child``).

    Raises:
        LookupError: the supervisor has no child ``name``.
        SupervisionError: the child is running or restarting (``terminate_child`` it first),
            or ``supervisor`` is a ``DynamicSupervisor``.
        AskTimeout, ActorStopped: as ``ActorRef.ask``.
    """
    await _request(supervisor, DeleteChild(_name(name)), timeout)


async def count_children(supervisor: ActorRef, *, timeout: float | None = 5.0) -> ChildCounts:
    """The ``ChildCounts`` of ``supervisor`` (a ``Supervisor`` or a ``DynamicSupervisor``).

    Raises AskTimeout or ActorStopped as ``ActorRef.ask``.
    """
    answer = await _request(supervisor, CountChildren(), timeout)
    assert isinstance(answer, ChildCounts)
    return answer
