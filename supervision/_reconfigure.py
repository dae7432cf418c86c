"""One step of a reload, carried out by the supervisor it concerns, in its own task.

``apply_tree`` (``supervision.reload``) sends each step as a ``ReloadStep`` message, so a
step runs between two of the supervisor's other messages (a child's failure is handled
before or after it, never in the middle) and a stop request is seen between two steps.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import attrs

from actors import Actor, ActorStartError, RestartIntensity
from supervision._admin import Refused
from supervision._children import ChildRecord, StartFailed
from supervision._spec import ChildSpec
from supervision._strategy import Strategy

if TYPE_CHECKING:
    # cycle: typing only; the supervisor sends its ReloadStep messages here to be carried out.
    from supervision._supervisor import Supervisor

__all__ = ["ReloadStep", "carry_out", "subscriptions_of"]


@attrs.frozen
class ReloadStep:
    """A supervisor's part of a reload (sent by ``apply_tree``; not for applications).

    ``settings`` takes ``strategy`` (and, for a dynamic supervisor, ``template`` and
    ``max_children``) for future failures; ``remove`` stops the child ``name`` for good;
    ``add`` starts ``spec``; ``update`` gives the child ``name`` its new ``spec`` in place;
    ``restart`` gives it ``spec`` and restarts it from there; ``replace`` stops it and starts
    ``spec`` in its place. After ``move``, ``add`` and ``replace`` the children take the
    start order ``order``.
    """

    action: Literal["settings", "remove", "move", "add", "update", "restart", "replace"]
    name: str = ""
    spec: ChildSpec | None = None
    order: tuple[str, ...] = ()
    strategy: Strategy | None = None
    template: ChildSpec | None = None
    max_children: int | None = None


async def carry_out(supervisor: Supervisor, step: ReloadStep) -> Refused | None:
    """Apply ``step`` to ``supervisor``'s children; a step that cannot be applied is
    answered as ``Refused`` (``ActorStartError`` for a child that failed to start)."""
    records = supervisor._records
    if step.action == "settings":
        _settings(supervisor, step)
        return None
    if step.action == "move":
        _order(supervisor, step.order)
        return None
    spec = step.spec
    if step.action == "add":
        assert spec is not None
        if spec.name in records:
            return Refused(ValueError(f"{supervisor.context.path} already has {spec.name!r}"))
        try:
            await supervisor._spawn_child(spec)
        except ActorStartError as error:
            return Refused(error)
        _order(supervisor, step.order)
        return None
    record = records.get(step.name)
    if record is None:
        return Refused(LookupError(f"{supervisor.context.path} has no child {step.name!r}"))
    if step.action == "remove":
        # A child removed from the tree is not asked to finish its queue: what is queued
        # becomes dead letters (reason "stopped"), counted, as the reload's plan says.
        await supervisor._stop_for_good(record, drain=False)
        return None
    assert spec is not None
    if step.action == "replace":
        await supervisor._stop_for_good(record)
        try:
            await supervisor._spawn_child(spec)
        except ActorStartError as error:
            return Refused(error)
        _order(supervisor, step.order)
        return None
    _reconfigure(supervisor, record, spec)
    if step.action == "restart" and record.state == "running":
        try:
            await supervisor._start(record)
        except ActorStartError as error:
            # As a failed restart: halted, its messages queueing, and handled by the
            # strategy (counted against the budget) like any other.
            record.state = "restarting"
            supervisor._retry_later(StartFailed(record.spec.name, record.ref, error))
            return Refused(error)
    return None


def _settings(supervisor: Supervisor, step: ReloadStep) -> None:
    strategy = step.strategy
    assert strategy is not None
    old = supervisor.strategy
    supervisor.strategy = strategy  # type: ignore[misc]  # the instance's own, from now on
    if (old.max_restarts, old.within) != (strategy.max_restarts, strategy.within):
        supervisor._intensity = RestartIntensity(strategy.max_restarts, strategy.within)
    if old.backoff != strategy.backoff:
        for record in supervisor._records.values():
            if record.state == "running":
                record.backoff = None  # the next restart starts the new backoff's sequence
    if step.template is not None:
        supervisor.child_spec = step.template  # type: ignore[attr-defined]
        supervisor.max_children = step.max_children  # type: ignore[attr-defined]


def _reconfigure(supervisor: Supervisor, record: ChildRecord, spec: ChildSpec) -> None:
    record.spec = spec
    if record.ref.is_alive:
        supervisor.context.reconfigure_child(
            record.ref,
            factory=spec.factory,
            shutdown=spec.shutdown_timeout,
            capacity=spec.capacity,
            overflow=spec.overflow,
        )


def _order(supervisor: Supervisor, order: tuple[str, ...]) -> None:
    records = supervisor._records
    ordered = {name: records[name] for name in order if name in records}
    ordered.update((name, record) for name, record in records.items() if name not in ordered)
    supervisor._records = ordered
    context = supervisor.context
    alive = [name for name, record in ordered.items() if context.child(name) == record.ref]
    context.order_children(alive)


def subscriptions_of(factory: Callable[[], Actor]) -> tuple[str, ...]:
    """The bus patterns an actor built by ``factory`` declares (``Actor.subscriptions``)."""
    while isinstance(factory, functools.partial):
        factory = factory.func
    declared: Any = getattr(factory, "subscriptions", ())
    return tuple(declared) if isinstance(declared, tuple | list) else ()
