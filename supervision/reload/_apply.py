"""``apply_tree``: change a running tree to a new spec, step by step, without restarting
what did not change; ``plan_reload``: the plan alone."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from prometheus_client import Counter

from actors import ActorRef, ActorSystem, Pool, ResizePool
from actors.logging import error_fields, logger
from supervision._admin import Refused
from supervision._errors import SupervisionError
from supervision._reconfigure import ReloadStep
from supervision._spec import ChildSpec
from supervision._supervisor import Supervisor
from supervision.config._build import build_specs
from supervision.config._error import ConfigError, ConfigProblem
from supervision.config._resolve import Unusable, resolve_actor
from supervision.config._running import remember_tree, running_tree
from supervision.config._spec import (
    DynamicSupervisorSpec,
    PoolSpec,
    SupervisorSpec,
    TreeSpec,
    WorkerSpec,
)
from supervision.reload._diff import ReloadChange, ReloadPlan, diff_trees
from supervision.reload._model import Node, RunningModel, flatten

__all__ = ["ReloadError", "apply_tree", "plan_reload"]

_COUNTERS: weakref.WeakKeyDictionary[ActorSystem, Counter] = weakref.WeakKeyDictionary()


class ReloadError(SupervisionError):
    """A reload failed midway: ``step`` (a ``ReloadChange``) could not be applied; ``__cause__``
    is why (``ActorStartError`` for a child whose ``on_start`` raised).

    The steps before it (``applied``) hold and are the running tree's spec now; ``step``
    and those after it (``not_applied``) did not happen, except that a child whose restart
    failed is left halted and handled by its supervisor's strategy, as any failed restart.
    ``apply_tree`` with the same (or a corrected) spec again completes the reload.
    """

    __module__ = "supervision"  # its public module, as tracebacks show it

    def __init__(
        self,
        step: ReloadChange,
        applied: Sequence[ReloadChange],
        not_applied: Sequence[ReloadChange],
    ) -> None:
        super().__init__(f"reload step failed: {step.line()}", path=step.path)
        self.step = step
        self.applied = tuple(applied)
        self.not_applied = tuple(not_applied)


def plan_reload(system: ActorSystem, spec: TreeSpec) -> ReloadPlan:
    """The plan ``apply_tree(system, spec)`` would apply, without applying anything.

    Raises:
        SupervisionError: ``system`` runs no tree started by ``spawn_tree``.
    """
    return diff_trees(_running(system), spec)


async def apply_tree(system: ActorSystem, spec: TreeSpec) -> ReloadPlan:
    """ReloadChange the tree ``system`` runs (started by ``spawn_tree``) into the tree of ``spec``
    (from ``load_tree``) and return the plan applied (see ``ReloadPlan``).

    Everything is checked before anything changes. Then, supervisor by supervisor from the
    root: removed children stop (reverse start order, each within its shutdown time);
    moved ones take their new place; added ones start at their place in declaration order;
    settings that can change in place do (the instance and its queued messages kept);
    children whose actor class or arguments changed restart (same ref, same mailbox). A
    supervisor's new strategy and budget apply to its future failures. Unchanged actors are
    not touched. ``[system]`` and ``[cluster]`` changes are listed as ignored. Logged as
    ``tree.reloaded`` (or ``tree.reload_failed``) and counted in the metric
    ``supervision_tree_reloads_total{outcome}``.

    Raises:
        ConfigError: ``spec`` cannot be built (an actor class or key function that does not
            resolve, a bad ref) or renames the root; nothing was changed.
        ReloadError: a step failed (its cause attached); the steps before it hold, and
            applying the spec again completes the reload.
        SupervisionError: ``system`` runs no tree started by ``spawn_tree``, or its root
            has stopped.
    """
    running = _running(system)
    plan = diff_trees(running, spec)
    if plan.root_renamed is not None:
        _count(system, "refused")
        raise ConfigError(
            [
                ConfigProblem(
                    "$.tree.name",
                    f"the running root's name {running.tree.name!r}",
                    repr(spec.tree.name),
                    "a reload cannot rename the root; start the process again",
                )
            ]
        )
    try:
        root_class, built = build_specs(spec, system)
    except ConfigError:
        _count(system, "refused")
        raise
    model = RunningModel(running)
    root = system.lookup(model.root)
    if root is None or not root.is_alive:
        raise SupervisionError(f"the tree's root {model.root} is not running", path=model.root)
    nodes: dict[str, Node] = {}
    order: dict[str, list[str]] = {}
    flatten(spec.tree, model.root, nodes, order)
    applier = _Applier(system, model, nodes, order, built, root_class)
    for index, change in enumerate(plan.changes):
        try:
            await applier.apply(change)
        except Exception as error:
            remember_tree(system, model.spec())
            _count(system, "failed")
            logger.error(
                "tree.reload_failed",
                root=model.root,
                step=change.line(),
                applied=index,
                not_applied=len(plan.changes) - index,
                **error_fields(error),
            )
            raise ReloadError(change, plan.changes[:index], plan.changes[index:]) from error
    remember_tree(system, model.spec())
    _count(system, "applied")
    logger.info(
        "tree.reloaded",
        root=model.root,
        changes=len(plan.changes),
        plan=plan.summary(),
        ignored=list(plan.ignored),
    )
    return plan


def _running(system: ActorSystem) -> TreeSpec:
    running = running_tree(system)
    if running is None:
        raise SupervisionError(f"{system!r} runs no tree started by spawn_tree")
    return running


def _count(system: ActorSystem, outcome: str) -> None:
    if not system.metrics_enabled:
        return
    counter = _COUNTERS.get(system)
    if counter is None:
        counter = _COUNTERS[system] = Counter(
            "supervision_tree_reloads",
            "Reloads of the supervision tree (apply_tree), by outcome: applied, failed or"
            " refused (an invalid spec; nothing changed).",
            ["outcome"],
            registry=system.registry,
        )
    counter.labels(outcome).inc()


class _Applier:
    def __init__(
        self,
        system: ActorSystem,
        model: RunningModel,
        nodes: dict[str, Node],
        order: dict[str, list[str]],
        built: dict[str, ChildSpec],
        root_class: type[Supervisor],
    ) -> None:
        self.system = system
        self.model = model
        self.nodes = nodes
        self.order = order
        self.built = built
        self.root_class = root_class

    async def apply(self, change: ReloadChange) -> None:
        path = change.path
        parent, _, name = path.rpartition("/")
        node = self.nodes.get(path)
        action = change.action
        if action == "settings":
            await self._ask(path, self._settings(path))
            self.model.record(change, node, ())
            return
        if action == "remove":
            await self._ask(parent, ReloadStep("remove", name))
            self.model.record(change, None, ())
            return
        target = self.model.order_after(change, self.order)
        if action == "move":
            await self._ask(parent, ReloadStep("move", order=target))
            self.model.record(change, None, target)
            return
        assert node is not None
        old = self.model.nodes[path] if action in ("update", "restart") else None
        step = ReloadStep(action, name, self.built[path], target)
        await self._ask(parent, step)
        self.model.record(change, node, target)
        if old is not None:
            await self._in_place(path, old, node, change.fields, restarted=action == "restart")

    async def _in_place(
        self, path: str, old: Node, new: Node, fields: tuple[str, ...], *, restarted: bool
    ) -> None:
        """What an update changes in the running child itself: a supervisor's settings, a
        pool's size, the bus subscriptions."""
        if isinstance(new, SupervisorSpec | DynamicSupervisorSpec):
            if any(not field.startswith(("restart", "shutdown", "mailbox")) for field in fields):
                await self._ask(path, self._settings(path))
            return
        assert isinstance(old, WorkerSpec | PoolSpec)
        assert isinstance(new, WorkerSpec | PoolSpec)
        if isinstance(new, PoolSpec) and not restarted and "pool.size" in fields:
            await self._ask(path, ResizePool(new.pool.size), answer=False)
        before, after = _patterns(old), _patterns(new)
        if before == after:
            return
        ref = self._ref(path)
        for pattern in before:
            if pattern not in after:
                await self.system.unsubscribe(ref, pattern)
        for pattern in after:
            if pattern not in before:
                await self.system.subscribe(ref, pattern)

    def _settings(self, path: str) -> ReloadStep:
        factory: Any = self.root_class if path == self.model.root else self.built[path].factory
        template = getattr(factory, "child_spec", None)
        return ReloadStep(
            "settings",
            strategy=factory.strategy,
            template=template,
            max_children=getattr(factory, "max_children", None),
        )

    def _ref(self, path: str) -> ActorRef:
        ref = self.system.lookup(path)
        if ref is None:
            raise SupervisionError(f"{path} is not running", path=path)
        return ref

    async def _ask(self, path: str, message: object, *, answer: bool = True) -> None:
        reply = await self._ref(path).ask(message, timeout=None)
        if answer and isinstance(reply, Refused):
            raise reply.error


def _patterns(node: WorkerSpec | PoolSpec) -> tuple[str, ...]:
    """Every pattern the node's actor subscribes to: its class's own, then the file's."""
    declared: tuple[str, ...] = Pool.subscriptions
    if isinstance(node, WorkerSpec):
        try:
            declared = tuple(resolve_actor(node.actor).subscriptions)
        except Unusable:  # checked by load_tree and build_specs already
            declared = ()
    written = (entry for entry in node.subscribe if isinstance(entry, str))  # not durables
    return tuple(dict.fromkeys((*declared, *written)))
