"""From typed specs to a running tree: supervisors, child specs and factories.

Each supervisor node becomes a ``Supervisor`` subclass made here, whose ``strategy`` and
``children`` class attributes are the node's; each worker becomes a ``ChildSpec`` whose
factory is the actor class with the node's ``args`` (ref arguments made ``PathRef``s to
their nodes); a worker or pool that subscribes
becomes a subclass of its class with ``subscriptions`` set, so that the runtime subscribes
it after every start (the bus then follows restarts by itself).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar, cast

from actors import Actor, ActorRef, ActorSystem, ClusterConfig, Overflow, Pool, Retry, Routing
from supervision._backoff import Backoff
from supervision._decider import ExceptionDecider
from supervision._dynamic import DynamicSupervisor
from supervision._path_ref import PathRef
from supervision._spec import DEFAULT_SHUTDOWN, ChildSpec
from supervision._strategy import Directive, OneForAll, OneForOne, Restart, RestForOne, Strategy
from supervision._supervisor import Supervisor
from supervision.config._durable import with_durable_subscriptions
from supervision.config._error import ConfigError, ConfigProblem
from supervision.config._refs import REF_KEY, absolute_path, node_paths, ref_problem, refs_of
from supervision.config._resolve import (
    Unusable,
    fit_args,
    resolve_actor,
    resolve_callable,
    resolve_exception,
)
from supervision.config._running import remember_tree
from supervision.config._spec import (
    INFINITY,
    BackoffSpec,
    ChildNode,
    DynamicSupervisorSpec,
    PoolSpec,
    RetrySpec,
    SupervisorSpec,
    TemplateSpec,
    TreeSpec,
    WorkerSpec,
)

__all__ = ["build_specs", "create_system", "spawn_tree"]

_A = TypeVar("_A", bound=Actor)

_STRATEGIES: dict[str, type[Strategy]] = {
    "one_for_one": OneForOne,
    "one_for_all": OneForAll,
    "rest_for_one": RestForOne,
}


def create_system(spec: TreeSpec, cluster: ClusterConfig | None = None) -> ActorSystem:
    """A new ``ActorSystem`` with the ``[system]`` settings of ``spec`` (name, threads,
    dead-letter buffer, timing sample, loop thresholds) and its circuit breakers made, a
    node of ``cluster`` when given (see ``cluster_config``). The graceful shutdown time is
    ``spec.system.shutdown``, for the caller to pass to ``system.shutdown``."""
    settings = spec.system
    system = ActorSystem(
        settings.name,
        blocking_threads=settings.blocking_threads,
        dead_letter_buffer=settings.dead_letter_buffer,
        timing_sample=settings.timing_sample,
        cluster=cluster,
        loop_block_threshold=_seconds_or_off(settings.loop_block_threshold),
        loop_degraded_threshold=_seconds_or_off(settings.loop_degraded_threshold),
    )
    for name, breaker in settings.circuit_breakers.items():
        system.circuit_breaker(
            name,
            max_failures=breaker.max_failures,
            reset_timeout=breaker.reset_timeout,
            call_timeout=_seconds_or_off(breaker.call_timeout),
            max_reset_timeout=breaker.max_reset_timeout,
            backoff_factor=breaker.backoff_factor,
        )
    return system


def _seconds_or_off(value: float | str) -> float | None:
    return None if value == "off" else float(value)


async def spawn_tree(system: ActorSystem, spec: TreeSpec) -> ActorRef:
    """Start the tree of ``spec`` (from ``load_tree``) in ``system`` and return the root
    supervisor's ref, once every child has started (in declaration order).

    This is the documented equivalent of ``system.spawn_tree(spec)``: the kernel does not
    know about supervision. The root is a top-level actor named ``spec.tree.name``; when it
    gives up, ``system.wait_closed()`` raises ``RestartIntensityExceeded``.

    Raises:
        ConfigError: an actor class, key function, exception class or ref path named by a
            spec built by hand (not by ``load_tree``, which checks them) cannot be used;
            nothing was started.
        ActorStartError: a child's constructor or ``on_start`` raised (cause attached); the
            children already started were stopped.
        ValueError: the system already has a top-level actor of that name.
    """
    root = spec.tree
    factory = build_root(spec, system)
    ref = await system.spawn(
        factory,
        name=root.name,
        capacity=root.mailbox.capacity,
        overflow=Overflow(root.mailbox.overflow),
        shutdown=None if root.shutdown in (None, INFINITY) else cast(float, root.shutdown),
    )
    remember_tree(system, spec)  # what `apply_tree` diffs a new file against
    return ref


def build_root(spec: TreeSpec, system: ActorSystem) -> Callable[[], Actor]:
    """The root supervisor's factory (a ``Supervisor`` subclass), whose ref arguments reach
    actors of ``system``. Raises ConfigError."""
    builder = _Builder(system, node_paths(spec))
    factory = builder.supervisor(spec.tree, "$.tree")
    if builder.problems:
        raise ConfigError(builder.problems)
    return factory


def build_specs(
    spec: TreeSpec, system: ActorSystem
) -> tuple[type[Supervisor], dict[str, ChildSpec]]:
    """The root supervisor's class and the ``ChildSpec`` of every other node, by path
    (``/shop/orders``), as ``spawn_tree`` would start them (for a reload). Raises
    ConfigError."""
    builder = _Builder(system, node_paths(spec))
    root = builder.supervisor(spec.tree, "$.tree")
    if builder.problems:
        raise ConfigError(builder.problems)
    return root, builder.built


class _Builder:
    def __init__(self, system: ActorSystem, nodes: dict[str, tuple[str, str]]) -> None:
        self.problems: list[ConfigProblem] = []
        self.system = system
        self.path_at = {location: path for location, (path, _) in nodes.items()}
        self.nodes = dict(nodes.values())  # path -> what the node is
        self.built: dict[str, ChildSpec] = {}  # path -> the spec made for the node

    def supervisor(self, node: SupervisorSpec, location: str) -> type[Supervisor]:
        children = [
            spec
            for index, child in enumerate(node.children)
            if (spec := self.child(child, f"{location}.children[{index}]")) is not None
        ]
        attributes = {
            "strategy": _strategy(
                node.strategy,
                node.max_restarts,
                node.within,
                node.backoff,
                self.decider(node.decider, f"{location}.decider"),
            ),
            "children": tuple(children),
            "__module__": __name__,
            "__doc__": f"The supervisor {node.name!r} declared at {location}.",
        }
        # Named after the node, so that logs and metrics (actor_class) tell them apart.
        return cast(type[Supervisor], type(node.name, (Supervisor,), attributes))

    def child(self, node: ChildNode, location: str) -> ChildSpec | None:
        factory: Callable[[], Actor] | None
        if isinstance(node, SupervisorSpec):
            factory = self.supervisor(node, location)
        elif isinstance(node, DynamicSupervisorSpec):
            factory = self.dynamic(node, location)
        elif isinstance(node, PoolSpec):
            factory = self.pool(node, location)
        else:
            factory = self.worker(node, location)
        if factory is None:
            return None
        handling: dict[str, Any] = {}
        if isinstance(node, WorkerSpec):
            handling = self.handling(node, location)
        spec = ChildSpec(
            node.name,
            factory,
            restart=Restart(node.restart),
            shutdown=_shutdown(node.shutdown),
            capacity=node.mailbox.capacity,
            overflow=Overflow(node.mailbox.overflow),
            **handling,
        )
        self.built[self.path_at[location]] = spec
        return spec

    def handling(self, node: WorkerSpec | TemplateSpec | PoolSpec, location: str) -> dict[str, Any]:
        """The ``retry`` and ``handler_timeout`` options of a worker's ``ChildSpec`` (or of a
        pool's routees)."""
        return {
            "retry": None if node.retry is None else self.retry(node.retry, f"{location}.retry"),
            "handler_timeout": node.handler_timeout,
        }

    def retry(self, spec: RetrySpec, location: str) -> Retry:
        on: list[type[Exception]] = []
        for index, reference in enumerate(spec.on):
            try:
                on.append(resolve_exception(reference))
            except Unusable as problem:
                self.unusable(f"{location}.on[{index}]", problem)
        return Retry(
            spec.max_attempts,
            backoff=None if spec.backoff is None else _backoff(spec.backoff),
            on=tuple(on) or (Exception,),
            to_back=spec.to_back,
        )

    def worker(
        self, node: WorkerSpec | TemplateSpec, location: str, *, partial: bool = False
    ) -> Callable[[], Actor] | None:
        cls = self.actor_class(node.actor, node.args, location, partial=partial)
        if cls is None:
            return None
        args = self.refs(fit_args(cls, node.args, partial=partial), location)
        patterns = [entry for entry in node.subscribe if isinstance(entry, str)]
        durables = [entry for entry in node.subscribe if not isinstance(entry, str)]
        cls = with_durable_subscriptions(_with_subscriptions(cls, patterns), durables)
        return functools.partial(cls, **args) if args else cls

    def pool(self, node: PoolSpec, location: str) -> Callable[[], Actor] | None:
        cls = self.actor_class(node.actor, node.args, location, partial=False)
        options = node.pool
        key: Callable[[Any], Hashable] | None = None
        if options.key is not None:
            try:
                key = resolve_callable(options.key)
            except Unusable as problem:
                self.unusable(f"{location}.pool.key", problem)
        if cls is None:
            return None
        args = self.refs(fit_args(cls, node.args), location)
        routee: Callable[[], Actor] = functools.partial(cls, **args) if args else cls
        pool_class = _with_subscriptions(Pool, node.subscribe)
        return pool_class.factory(
            routee,
            options.size,
            Routing(options.routing),
            key=key,
            routee_capacity=options.routee_mailbox.capacity,
            routee_overflow=Overflow(options.routee_mailbox.overflow),
            strategy=OneForOne(
                max_restarts=options.max_restarts,
                within=options.within,
                decider=self.decider(options.decider, f"{location}.pool.decider"),
            ),
            cluster=options.cluster,
            **self.handling(node, location),
            durable=options.durable,
        )

    def dynamic(self, node: DynamicSupervisorSpec, location: str) -> type[Supervisor] | None:
        template = node.template
        factory = self.worker(template, f"{location}.template", partial=True)
        if factory is None:
            return None
        child_spec = ChildSpec(
            template.name if template.name is not None else node.name,
            factory,
            restart=Restart(template.restart),
            shutdown=_shutdown(template.shutdown),
            capacity=template.mailbox.capacity,
            overflow=Overflow(template.mailbox.overflow),
            **self.handling(template, f"{location}.template"),
        )
        attributes = {
            "strategy": _strategy(
                "one_for_one",
                node.max_restarts,
                node.within,
                node.backoff,
                self.decider(node.decider, f"{location}.decider"),
            ),
            "child_spec": child_spec,
            "max_children": node.max_children,
            "__module__": __name__,
            "__doc__": f"The dynamic supervisor {node.name!r} declared at {location}.",
        }
        return cast(
            type[Supervisor],
            type(node.name, (DynamicSupervisor,), attributes),  # named after the node
        )

    def actor_class(
        self, reference: str, args: dict[str, Any], location: str, *, partial: bool
    ) -> type[Actor] | None:
        try:
            cls = resolve_actor(reference)
        except Unusable as problem:
            self.unusable(f"{location}.actor", problem)
            return None
        try:
            fit_args(cls, args, partial=partial)
        except Unusable as problem:
            self.unusable(f"{location}.args", problem)
            return None
        return cls

    def refs(self, args: dict[str, Any], location: str) -> dict[str, Any]:
        """``args`` with each ref table replaced by a ``PathRef`` to its node."""
        base = self.path_at[location.removesuffix(".template")]
        for key, written in refs_of(args):
            where = f"{location}.args.{key}.{REF_KEY}"
            problem = ref_problem(where, base, written, repr(written), self.nodes)
            if problem is not None:
                self.problems.append(problem)
            else:
                args[key] = PathRef(self.system, absolute_path(base, written))
        return args

    def decider(self, table: Mapping[str, str], location: str) -> ExceptionDecider | None:
        """The node's ``decider`` table as an ``ExceptionDecider`` (``None`` when empty)."""
        pairs: dict[type[BaseException], Directive] = {}
        for reference, directive in table.items():
            try:
                pairs[resolve_exception(reference)] = Directive(directive)
            except Unusable as problem:
                self.unusable(f"{location}[{reference!r}]", problem)
        return ExceptionDecider(pairs) if pairs else None

    def unusable(self, location: str, problem: Unusable) -> None:
        self.problems.append(
            ConfigProblem(location + problem.where, problem.expected, problem.found, problem.hint)
        )


def _strategy(
    name: str,
    max_restarts: int,
    within: float,
    backoff: BackoffSpec | None,
    decider: ExceptionDecider | None,
) -> Strategy:
    return _STRATEGIES[name](
        max_restarts=max_restarts,
        within=float(within),
        backoff=None if backoff is None else _backoff(backoff),
        decider=decider,
    )


def _backoff(spec: BackoffSpec) -> Backoff:
    return Backoff(
        min=spec.min,
        max=spec.max,
        factor=spec.factor,
        jitter=spec.jitter,
        reset_after=spec.reset_after,
    )


def _shutdown(value: float | str | None) -> Any:
    if value is None:
        return DEFAULT_SHUTDOWN  # by kind: 5 s for a worker, no limit for a supervisor
    if value == INFINITY:
        return None
    return float(value)


def _with_subscriptions(cls: type[_A], patterns: Sequence[str]) -> type[_A]:
    """``cls`` itself, or a subclass of it that also subscribes to ``patterns``."""
    if not patterns:
        return cls
    declared: tuple[str, ...] = tuple(cls.subscriptions)
    combined = tuple(dict.fromkeys((*declared, *patterns)))
    subclass = type(
        cls.__name__,
        (cls,),
        {
            "subscriptions": combined,
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__,
        },
    )
    return cast(type[_A], subclass)
