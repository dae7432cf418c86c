"""The typed form of a configuration file: frozen msgspec Structs, one per kind of node.

``load_tree`` checks a file's plain data first (so that it can report every problem at once,
see ``_validate``), then decodes it into these Structs with ``msgspec.convert``.
The constraints written here with ``msgspec.Meta`` are the same ones the validator checks;
the defaults written here are the documented defaults (``docs/reference/configuration.md``).

A child of a supervisor is one of four kinds, told apart by the ``kind`` tag, which a file
may omit: ``load_tree`` infers it from the keys (``pool`` -> pool, ``template`` -> dynamic
supervisor, ``actor`` -> worker, ``children``, ``strategy``, ``max_restarts``, ``within``,
``backoff`` or ``decider`` -> supervisor).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

import msgspec

from supervision.config._cluster_spec import ClusterSpec
from supervision.config._durable_spec import DurableSubscriptionSpec

__all__ = [
    "DIRECTIVES",
    "INFINITY",
    "KINDS",
    "OVERFLOWS",
    "RESTARTS",
    "ROUTINGS",
    "STRATEGIES",
    "BackoffSpec",
    "ChildNode",
    "CircuitBreakerSpec",
    "DynamicSupervisorSpec",
    "MailboxSpec",
    "PoolOptions",
    "PoolSpec",
    "RetrySpec",
    "SupervisorSpec",
    "SystemSpec",
    "TemplateSpec",
    "TreeSpec",
    "WorkerSpec",
]

INFINITY = "infinity"
"""The ``shutdown`` value meaning "wait without limit" (OTP's word)."""

STRATEGIES = ("one_for_one", "one_for_all", "rest_for_one")
RESTARTS = ("permanent", "transient", "temporary")
OVERFLOWS = ("block", "drop_newest", "drop_oldest", "reject")
ROUTINGS = ("round_robin", "least_loaded", "consistent_hash", "broadcast")
KINDS = ("worker", "pool", "supervisor", "dynamic_supervisor")
DIRECTIVES = ("resume", "restart", "stop", "escalate")

Strategy: TypeAlias = Literal["one_for_one", "one_for_all", "rest_for_one"]
RestartType: TypeAlias = Literal["permanent", "transient", "temporary"]
OverflowName: TypeAlias = Literal["block", "drop_newest", "drop_oldest", "reject"]
RoutingName: TypeAlias = Literal["round_robin", "least_loaded", "consistent_hash", "broadcast"]
DirectiveName: TypeAlias = Literal["resume", "restart", "stop", "escalate"]
DeciderTable: TypeAlias = dict[str, DirectiveName]
"""A ``decider``: exception classes (``"builtins:ValueError"``, ``"pkg.mod:Error"``) to
directives, in the order written; ``supervision.ExceptionDecider`` matches them."""
Seconds: TypeAlias = Annotated[float, msgspec.Meta(ge=0)]
PositiveSeconds: TypeAlias = Annotated[float, msgspec.Meta(gt=0)]
Shutdown: TypeAlias = Seconds | Literal["infinity"]
Count: TypeAlias = Annotated[int, msgspec.Meta(ge=0)]
PositiveCount: TypeAlias = Annotated[int, msgspec.Meta(ge=1)]


class _Spec(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, omit_defaults=True
):
    pass


class MailboxSpec(_Spec, frozen=True):
    """A mailbox: ``capacity`` (default 1000) and ``overflow`` (default ``"block"``)."""

    capacity: PositiveCount = 1000
    overflow: OverflowName = "block"


class BackoffSpec(_Spec, frozen=True):
    """Delays between restarts, as ``supervision.Backoff``: ``min`` and ``max`` seconds,
    ``factor`` (default 2.0), ``jitter`` (default 0.1), ``reset_after`` (default: halfway)."""

    min: PositiveSeconds
    max: PositiveSeconds
    factor: Annotated[float, msgspec.Meta(ge=1)] = 2.0
    jitter: Annotated[float, msgspec.Meta(ge=0, lt=1)] = 0.1
    reset_after: PositiveSeconds | None = None


class RetrySpec(_Spec, frozen=True):
    """A worker's ``retry``, as ``actors.Retry``: ``max_attempts`` (default 3), ``backoff``
    between attempts (default none), ``on``: the exception classes retried (default: any
    ``Exception``), ``to_back`` (default false: a retried message goes first)."""

    max_attempts: PositiveCount = 3
    backoff: BackoffSpec | None = None
    on: tuple[str, ...] = ()
    to_back: bool = False


class WorkerSpec(_Spec, frozen=True, tag_field="kind", tag="worker"):
    """A worker child: an instance of ``actor`` (``"package.module:Class"``) built with
    ``args`` as keyword arguments, subscribed on the bus to the patterns in ``subscribe``
    (and durably, for its ``{ pattern, durable, ... }`` entries).

    ``shutdown`` is seconds or ``"infinity"``; ``None`` means the default by kind (5.0, or
    ``"infinity"`` when ``actor`` is itself a ``Supervisor`` subclass). ``retry`` tries a
    message whose handler raised again; ``handler_timeout`` (seconds) limits one handler.
    """

    name: str
    actor: str
    args: dict[str, Any] = msgspec.field(default_factory=dict)
    subscribe: tuple[str | DurableSubscriptionSpec, ...] = ()
    restart: RestartType = "permanent"
    shutdown: Shutdown | None = None
    mailbox: MailboxSpec = msgspec.field(default_factory=MailboxSpec)
    retry: RetrySpec | None = None
    handler_timeout: PositiveSeconds | None = None


class PoolOptions(_Spec, frozen=True):
    """A pool's own settings: ``size`` routees, ``routing``, the routing ``key`` function for
    ``consistent_hash``, the routees' restart budget and ``decider``, their mailbox, and
    ``cluster``: whether this node's pool serves the pool spread over the cluster (see
    ``actors.ClusterPoolRef``), and ``durable``: with ``cluster``, the durable pool's name
    (its messages wait in a JetStream work queue; see ``actors.DurablePool``)."""

    size: PositiveCount
    routing: RoutingName = "round_robin"
    key: str | None = None
    max_restarts: Count = 3
    within: PositiveSeconds = 5.0
    decider: DeciderTable = msgspec.field(default_factory=dict)
    routee_mailbox: MailboxSpec = msgspec.field(default_factory=MailboxSpec)
    cluster: bool = False
    durable: str | None = None


class PoolSpec(_Spec, frozen=True, tag_field="kind", tag="pool"):
    """A pool child: ``pool.size`` routees of ``actor`` built with ``args``, behind one ref.
    ``subscribe`` subscribes the pool itself, which routes each event to one routee.
    ``retry`` and ``handler_timeout`` are each routee's, as for a worker (the pool itself
    only routes)."""

    name: str
    actor: str
    pool: PoolOptions
    args: dict[str, Any] = msgspec.field(default_factory=dict)
    subscribe: tuple[str, ...] = ()
    restart: RestartType = "permanent"
    shutdown: Shutdown | None = None
    mailbox: MailboxSpec = msgspec.field(default_factory=MailboxSpec)
    retry: RetrySpec | None = None
    handler_timeout: PositiveSeconds | None = None


class SupervisorSpec(_Spec, frozen=True, tag_field="kind", tag="supervisor"):
    """A supervisor: its ``strategy``, restart budget (``max_restarts`` within ``within``
    seconds), optional ``backoff``, ``decider`` (exception class -> directive; empty: restart
    on any ``Exception``), and ``children`` in start order. ``[tree]`` is one."""

    name: str
    strategy: Strategy = "one_for_one"
    max_restarts: Count = 3
    within: PositiveSeconds = 5.0
    backoff: BackoffSpec | None = None
    decider: DeciderTable = msgspec.field(default_factory=dict)
    children: tuple[ChildNode, ...] = ()
    restart: RestartType = "permanent"
    shutdown: Shutdown | None = None
    mailbox: MailboxSpec = msgspec.field(default_factory=MailboxSpec)


class TemplateSpec(_Spec, frozen=True):
    """The template of a dynamic supervisor's children: a worker whose ``name`` (default:
    the supervisor's name) is the prefix of the generated names (``session-1``, ...)."""

    actor: str
    name: str | None = None
    args: dict[str, Any] = msgspec.field(default_factory=dict)
    subscribe: tuple[str | DurableSubscriptionSpec, ...] = ()
    restart: RestartType = "permanent"
    shutdown: Shutdown | None = None
    mailbox: MailboxSpec = msgspec.field(default_factory=MailboxSpec)
    retry: RetrySpec | None = None
    handler_timeout: PositiveSeconds | None = None


class DynamicSupervisorSpec(_Spec, frozen=True, tag_field="kind", tag="dynamic_supervisor"):
    """A dynamic supervisor: starts with no children; ``supervision.start_child`` starts
    them from ``template``, at most ``max_children`` (``None``: no limit), restarted one for
    one within the restart budget."""

    name: str
    template: TemplateSpec
    max_children: Count | None = None
    max_restarts: Count = 3
    within: PositiveSeconds = 5.0
    backoff: BackoffSpec | None = None
    decider: DeciderTable = msgspec.field(default_factory=dict)
    restart: RestartType = "permanent"
    shutdown: Shutdown | None = None
    mailbox: MailboxSpec = msgspec.field(default_factory=MailboxSpec)


ChildNode: TypeAlias = WorkerSpec | PoolSpec | SupervisorSpec | DynamicSupervisorSpec
"""Any child of a supervisor."""


class CircuitBreakerSpec(_Spec, frozen=True):
    """A ``[system.circuit_breakers.NAME]`` table: the settings of the system's circuit
    breaker ``NAME`` (see ``actors.CircuitBreaker``): ``max_failures`` (default 10),
    ``reset_timeout`` (default 15.0 s), ``call_timeout`` (default 10.0 s, ``"off"`` for no
    limit), ``max_reset_timeout`` (default: no growth, or unbounded with a
    ``backoff_factor``) and ``backoff_factor`` (default 1.0)."""

    max_failures: PositiveCount = 10
    reset_timeout: PositiveSeconds = 15.0
    call_timeout: PositiveSeconds | Literal["off"] = 10.0
    max_reset_timeout: PositiveSeconds | None = None
    backoff_factor: Annotated[float, msgspec.Meta(ge=1.0)] = 1.0


class SystemSpec(_Spec, frozen=True):
    """The ``[system]`` table: the ``ActorSystem``'s ``name`` (default ``"actors"``), how long
    a graceful ``shutdown`` of everything may take (default 10.0 s), ``blocking_threads``
    (default 8), ``dead_letter_buffer`` (default 1000), ``timing_sample`` (1 in how many
    messages the histograms time; default 16), and the blocked-loop detector's
    ``loop_block_threshold`` (default 0.1 s) and ``loop_degraded_threshold`` (default 1.0 s),
    each ``"off"`` to turn it off, and the system's ``circuit_breakers`` by name (made by
    ``create_system``, so that ``system.circuit_breaker(name)`` finds them)."""

    name: Annotated[str, msgspec.Meta(min_length=1)] = "actors"
    shutdown: Shutdown = 10.0
    blocking_threads: PositiveCount = 8
    dead_letter_buffer: Count = 1000
    timing_sample: PositiveCount = 16
    loop_block_threshold: PositiveSeconds | Literal["off"] = 0.1
    loop_degraded_threshold: PositiveSeconds | Literal["off"] = 1.0
    circuit_breakers: dict[str, CircuitBreakerSpec] = msgspec.field(default_factory=dict)


class TreeSpec(_Spec, frozen=True):
    """A whole configuration file: the ``[system]`` settings and the root supervisor
    ``[tree]``, as ``load_tree`` returns it and ``spawn_tree`` starts it.

    Frozen and comparable: the same tree written in TOML, YAML or JSON loads to equal specs.
    ``msgspec.json.encode(spec)`` writes it back as JSON that ``load_tree`` reads again.
    """

    tree: SupervisorSpec
    system: SystemSpec = msgspec.field(default_factory=SystemSpec)
    cluster: ClusterSpec | None = None
