"""``ChildSpec``: how a supervisor starts, restarts and stops one child."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any

import attrs

from actors import Actor, Overflow, Retry
from supervision._strategy import Restart

__all__ = ["ChildSpec", "is_supervisor_factory"]

_NAME = re.compile(r"[^/\s$][^/\s]*")


class _Default:
    """Marker for "the default shutdown": 5 s for a worker, no limit for a supervisor."""

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT_SHUTDOWN: Any = _Default()
WORKER_SHUTDOWN = 5.0


def is_supervisor_factory(factory: Callable[..., Any]) -> bool:
    """Whether ``factory`` builds a supervisor (a Supervisor subclass, or a partial of one)."""
    from supervision._supervisor import Supervisor

    while isinstance(factory, functools.partial):
        factory = factory.func
    return isinstance(factory, type) and issubclass(factory, Supervisor)


def _check_name(spec: ChildSpec, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"ChildSpec name must be a str, got {type(value).__name__}")
    if not _NAME.fullmatch(value):
        raise ValueError(
            f"invalid child name {value!r}: non-empty, without '/' or whitespace, not starting"
            " with '$'"
        )


def _check_factory(spec: ChildSpec, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not callable(value):
        raise TypeError(f"ChildSpec {spec.name!r}: factory must be callable, got {value!r}")
    if isinstance(value, type) and not issubclass(value, Actor):
        raise TypeError(
            f"ChildSpec {spec.name!r}: factory {value.__name__} is a class but not an Actor"
        )


def _check_shutdown(spec: ChildSpec, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None or value is DEFAULT_SHUTDOWN:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"ChildSpec {spec.name!r}: shutdown must be seconds or None")
    if not math.isfinite(value) or value < 0:
        raise ValueError(
            f"ChildSpec {spec.name!r}: shutdown must be a finite number >= 0 or None, got {value!r}"
        )


def _check_capacity(spec: ChildSpec, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"ChildSpec {spec.name!r}: capacity must be an int >= 1, got {value!r}")


def _check_handler_timeout(
    spec: ChildSpec, attribute: attrs.Attribute[float | None], value: float | None
) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"ChildSpec {spec.name!r}: handler_timeout must be seconds or None")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(
            f"ChildSpec {spec.name!r}: handler_timeout must be a finite number > 0 or None,"
            f" got {value!r}"
        )


@attrs.frozen
class ChildSpec:
    """How a supervisor starts, restarts and stops one child.

    ``ChildSpec(name, factory, *, restart=..., shutdown=..., capacity=1000, overflow=...,
    retry=None, handler_timeout=None)``.

    Attributes:
        name: the child's name; its path is the supervisor's path plus ``/name``.
        factory: an ``Actor`` subclass or a zero-argument callable returning one (use
            ``functools.partial`` for arguments); called again for every restart.
        restart: ``Restart.PERMANENT`` (always restarted), ``TRANSIENT`` (only after a
            failure) or ``TEMPORARY`` (never).
        shutdown: seconds a graceful stop of the child may take before it is cancelled;
            ``None`` waits without limit. Default: 5.0 for a worker, ``None`` for a child that
            is itself a supervisor (its own children's shutdown times bound it).
        capacity: the child's mailbox bound.
        overflow: what the child's full mailbox does (default ``Overflow.BLOCK``).
        retry: an ``actors.Retry``: a message whose handler raised is delivered again (to
            the instance this supervisor resumed or restarted) instead of dead-lettered at
            once. Every failed attempt is a failure of the child, so each one the strategy
            answers with a restart counts toward ``max_restarts``.
        handler_timeout: seconds one handler of the child may run before it fails with
            ``actors.HandlerTimeout``; ``None``: no limit.

    Raises:
        TypeError: a field has the wrong type (``factory`` not callable, ``restart`` not a
            ``Restart``, ...); the message names the field.
        ValueError: a field is out of range (an empty or invalid ``name``, ``capacity < 1``,
            a negative ``shutdown``); the message names the field and the value.
    """

    name: str = attrs.field(validator=_check_name)
    factory: Callable[[], Actor] = attrs.field(validator=_check_factory)
    restart: Restart = attrs.field(
        default=Restart.PERMANENT, kw_only=True, validator=attrs.validators.instance_of(Restart)
    )
    shutdown: float | None = attrs.field(
        default=DEFAULT_SHUTDOWN, kw_only=True, validator=_check_shutdown
    )
    capacity: int = attrs.field(default=1000, kw_only=True, validator=_check_capacity)
    overflow: Overflow = attrs.field(
        default=Overflow.BLOCK, kw_only=True, validator=attrs.validators.instance_of(Overflow)
    )
    retry: Retry | None = attrs.field(
        default=None,
        kw_only=True,
        validator=attrs.validators.optional(attrs.validators.instance_of(Retry)),
    )
    handler_timeout: float | None = attrs.field(
        default=None, kw_only=True, validator=_check_handler_timeout
    )
    # The effective shutdown time, resolved once here: supervisors read it on every halt and
    # start of the child, and resolving the default walks the factory's partials.
    _shutdown_timeout: float | None = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if self.shutdown is DEFAULT_SHUTDOWN:
            resolved = None if is_supervisor_factory(self.factory) else WORKER_SHUTDOWN
        else:
            resolved = self.shutdown
        object.__setattr__(self, "_shutdown_timeout", resolved)

    @property
    def shutdown_timeout(self) -> float | None:
        """The effective shutdown time (resolving the default by the kind of child)."""
        return self._shutdown_timeout

    @property
    def is_supervisor(self) -> bool:
        """Whether the factory builds a supervisor."""
        return is_supervisor_factory(self.factory)
