"""Restart strategies and the pure decision of which children to stop, restart and forget.

The rules are OTP's (``supervisor.erl``, ``do_restart/3`` and ``restart/3``), stated here once:

- A child's restart type says whether *its own* termination leads to a restart:
  ``PERMANENT`` always, ``TRANSIENT`` only after a failure (an exception, or being killed:
  anything but a normal exit), ``TEMPORARY`` never.
- A terminated child that is not to be restarted is left alone and nothing else happens: no
  sibling is stopped or restarted. A ``TEMPORARY`` child is forgotten; a ``TRANSIENT`` one
  keeps its spec, not running (OTP's ``del_child``), and the supervisor starts it again
  when a later restart of its group starts every kept spec of the group.
- Otherwise the strategy picks the group restarted together with it:
  ``one_for_one`` only the child itself; ``one_for_all`` every child; ``rest_for_one`` the
  child and every child started after it. The rest of the group (the *bystanders*) is stopped
  in reverse start order, then the group is started again in start order.
- A ``TEMPORARY`` bystander is stopped but not started again: it is forgotten, like a
  ``TEMPORARY`` child that terminated on its own. ``PERMANENT`` and ``TRANSIENT`` bystanders
  are restarted, since the supervisor (not the child) ended them.

Whether the supervisor may restart at all (restart intensity) and how long it waits (backoff)
are decided elsewhere: see ``_intensity`` and ``_backoff``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeAlias

import attrs

from actors import RestartIntensity
from supervision._backoff import Backoff

__all__ = [
    "ChildState",
    "Decider",
    "Directive",
    "OneForAll",
    "OneForOne",
    "RestForOne",
    "Restart",
    "RestartPlan",
    "Strategy",
    "default_decider",
    "needs_restart",
    "plan_restart",
]


class Restart(enum.Enum):
    """When a terminated child is restarted (OTP's restart types)."""

    PERMANENT = "permanent"
    """Always restarted, whether it failed or exited normally."""
    TRANSIENT = "transient"
    """Restarted only when it failed; a normal exit ends it for good."""
    TEMPORARY = "temporary"
    """Never restarted; forgotten once it terminates or is stopped by a group restart."""


class Directive(enum.Enum):
    """What a supervisor does with a child whose handler raised."""

    RESUME = "resume"
    """Keep the instance and its state; carry on with the next message."""
    RESTART = "restart"
    """Replace the instance by a fresh one from the child's factory (subject to the strategy)."""
    STOP = "stop"
    """Stop the child for good."""
    ESCALATE = "escalate"
    """Fail the supervisor itself, so that its own parent decides."""


Decider: TypeAlias = Callable[[BaseException], Directive]
"""Maps the exception a child raised to the directive its supervisor applies."""


def default_decider(error: BaseException) -> Directive:
    """Return ``RESTART`` for an ``Exception`` and ``ESCALATE`` for any other ``BaseException``.

    Never raises. Exceptions outside ``Exception`` (``KeyboardInterrupt``, ``SystemExit``,
    ``CancelledError``, ...) are not handler bugs a fresh instance could cure.
    """
    if isinstance(error, Exception):
        return Directive.RESTART
    return Directive.ESCALATE


def needs_restart(restart: Restart, abnormal: bool) -> bool:
    """Return whether a child that terminated on its own is restarted, by its restart type.

    ``abnormal`` is ``True`` when the child failed (raised) and ``False`` for a normal exit.
    ``PERMANENT``: always; ``TRANSIENT``: only when ``abnormal``; ``TEMPORARY``: never.
    Never raises.
    """
    match restart:
        case Restart.PERMANENT:
            return True
        case Restart.TRANSIENT:
            return abnormal
        case Restart.TEMPORARY:
            return False


def _validate_max_restarts(instance: Any, attribute: attrs.Attribute[int], value: int) -> None:
    RestartIntensity.validate_max_restarts(value)


def _validate_within(instance: Any, attribute: attrs.Attribute[float], value: float) -> None:
    RestartIntensity.validate_within(value)


def _validate_decider(
    instance: Any, attribute: attrs.Attribute[Decider | None], value: Decider | None
) -> None:
    if value is not None and not callable(value):
        raise TypeError(f"decider must be a callable or None, got {value!r}")


@attrs.frozen
class Strategy:
    """Restart policy of a supervisor; use one of ``OneForOne``, ``OneForAll``, ``RestForOne``.

    ``max_restarts`` within ``within`` seconds is the restart intensity (a sliding window, see
    ``RestartIntensity``): one restart more than that and the supervisor gives up. ``backoff``,
    when set, spaces restarts out. ``decider`` maps a child's exception to a ``Directive``;
    ``None`` means ``default_decider``.

    Raises ``TypeError`` when this base class is instantiated directly, when ``max_restarts``
    is not an ``int`` (``bool`` included), ``within`` not a number, ``backoff`` not a
    ``Backoff`` or ``decider`` not callable; ``ValueError`` when ``max_restarts < 0`` or
    ``within`` is not a finite number ``> 0``.
    """

    name: ClassVar[str]
    """OTP's name for the strategy, as written in configuration files (``"one_for_one"``)."""

    # Invariant: max_restarts and within pass the same checks as RestartIntensity's, so a
    # strategy can always build its supervisor's RestartIntensity.
    max_restarts: int = attrs.field(default=3, validator=_validate_max_restarts)
    within: float = attrs.field(default=5.0, validator=_validate_within)
    backoff: Backoff | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(Backoff))
    )
    decider: Decider | None = attrs.field(default=None, validator=_validate_decider)

    def __attrs_pre_init__(self) -> None:
        # Which children a restart touches depends on the concrete strategy; a bare Strategy
        # has no answer, so it must not exist.
        if type(self) is Strategy:
            raise TypeError("Strategy is abstract: use OneForOne, OneForAll or RestForOne")

    def decide(self, error: BaseException) -> Directive:
        """Return the directive for ``error``, from ``decider`` or else ``default_decider``.

        Raises ``TypeError`` when the decider returns something other than a ``Directive``;
        whatever the decider itself raises propagates unchanged.
        """
        decider = self.decider if self.decider is not None else default_decider
        directive = decider(error)
        if not isinstance(directive, Directive):
            raise TypeError(
                f"decider {decider!r} returned {directive!r} for {error!r}, expected a Directive"
            )
        return directive


@attrs.frozen
class OneForOne(Strategy):
    """Restart only the child that terminated."""

    name: ClassVar[str] = "one_for_one"


@attrs.frozen
class OneForAll(Strategy):
    """Stop every other child, then restart them all (children depend on each other)."""

    name: ClassVar[str] = "one_for_all"


@attrs.frozen
class RestForOne(Strategy):
    """Restart the child that terminated and every child started after it.

    For children that depend on their earlier siblings (each one on those before it).
    """

    name: ClassVar[str] = "rest_for_one"


@attrs.frozen
class ChildState:
    """What ``plan_restart`` needs to know about one child: its name and restart type."""

    name: str = attrs.field(validator=attrs.validators.instance_of(str))
    restart: Restart = attrs.field(validator=attrs.validators.instance_of(Restart))


@attrs.frozen
class RestartPlan:
    """The outcome of a child's termination, for the supervisor to carry out in this order.

    1. ``stop``: running children to stop, in reverse start order. Never the terminated child.
    2. ``remove``: children to forget for good (their specs are dropped), in start order.
    3. ``start``: children to start again, in start order.

    A name appears at most once in each field, and never in both ``start`` and ``remove``;
    every stopped child is either started again or removed.
    """

    stop: tuple[str, ...]
    start: tuple[str, ...]
    remove: tuple[str, ...]


def plan_restart(
    strategy: Strategy, children: Sequence[ChildState], failed: str, abnormal: bool
) -> RestartPlan:
    """Decide which children to stop, restart and forget after the child ``failed`` terminated.

    ``children`` are all the supervisor's children in start order, the terminated one
    included. ``abnormal`` is ``True`` when it failed (raised) and ``False`` when it exited
    normally. The rules are in this module's docstring. Pure: intensity and backoff are not
    consulted.

    Raises ``ValueError`` when ``failed`` is not the name of one of ``children``, or when two
    children share a name; ``TypeError`` for an unknown ``Strategy`` subclass.
    """
    names = [child.name for child in children]
    if len(set(names)) != len(names):
        duplicates = sorted({name for name in names if names.count(name) > 1})
        raise ValueError(f"children must have distinct names, duplicated: {duplicates!r}")
    try:
        index = names.index(failed)
    except ValueError:
        raise ValueError(f"failed child {failed!r} is not among the children {names!r}") from None

    restart = children[index].restart
    if not needs_restart(restart, abnormal):
        removed = (failed,) if restart is Restart.TEMPORARY else ()
        return RestartPlan(stop=(), start=(), remove=removed)

    match strategy:
        case OneForOne():
            group: Sequence[ChildState] = children[index : index + 1]
        case OneForAll():
            group = children
        case RestForOne():
            group = children[index:]
        case _:
            raise TypeError(f"unknown strategy {strategy!r}")

    bystanders = [child for child in group if child.name != failed]
    return RestartPlan(
        stop=tuple(child.name for child in reversed(bystanders)),
        start=tuple(
            child.name
            for child in group
            if child.name == failed or child.restart is not Restart.TEMPORARY
        ),
        remove=tuple(child.name for child in bystanders if child.restart is Restart.TEMPORARY),
    )
