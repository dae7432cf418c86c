"""``ActorSystem``: the root of a tree of actors, its registry and its shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry

from actors._core._blocking_pool import BlockingPool
from actors._core._breaker import CircuitBreaker
from actors._core._breakers import CircuitBreakers
from actors._core._dead_letters import DeadLetters
from actors._core._deadlines import AskDeadlines
from actors._core._errors import ActorStopped
from actors._core._health import Health
from actors._core._log import logger
from actors._core._messages import Overflow
from actors._core._retry import Retry
from actors._core._state import current_cell
from actors._core._timings import TIMING_SAMPLE, timing_mask
from actors._observability._accounting import SystemStatistics
from actors._observability._loop_monitor import LoopMonitor
from actors._observability._resilience_health import with_resilience
from actors._observability._resilience_metrics import ResilienceCollector
from actors._observability._system_observability import SystemObservability
from actors._routing._pool import Pool, RestartPolicy, Routing
from actors._routing._scatter import ScatterResult, scatter, tail_chop
from actors._system._cluster_join import ClusterJoin, check_cluster
from actors._system._failure import SystemFailure
from actors._system._from_thread import FromThread
from actors._system._idle import IdleTracker
from actors._system._scatter_targets import scatter_targets
from actors._system._shutdown import Shutdown
from actors._system._spawner import Spawner
from actors._system._system_bus import SystemBus
from actors._system._system_durable import (
    declare_durable_pool,
    durable_pool,
    publish_durable,
    subscribe_durable,
)
from actors.metrics import RuntimeCollector

if TYPE_CHECKING:
    from actors._cluster._cluster import Cluster
    from actors._cluster._config import ClusterConfig
    from actors._cluster._durable_pool import DurablePool
    from actors._cluster._transport import Transport
    from actors._core._actor import Actor, ChildFailure
    from actors._core._cell import ActorCell
    from actors._core._ref import ActorRef

__all__ = ["ActorSystem"]


class ActorSystem:
    """The root of an actor tree: spawns top-level actors, finds actors by path, keeps the
    dead letters, and shuts everything down in order.

    Use it as ``async with ActorSystem("shop") as system:``; leaving the block shuts down
    gracefully. A system belongs to the event loop it is first used on.

    The runtime's own actors live under ``/system`` (the event bus is ``/system/bus``); they
    can be looked up but are not listed in ``actors``, and the top-level name ``system`` is
    reserved for them.

    Args:
        name: a label for logs and metrics.
        blocking_threads: size of the thread pool that runs ``blocking = True`` actors.
        dead_letter_buffer: how many recent dead letters ``dead_letters.recent`` keeps.
        metrics: keep Prometheus metrics (``registry``); ``False`` turns them off.
        registry: the ``prometheus_client`` registry to register the metrics in; default: a
            fresh one of this system's own, so several systems in a process never clash.
        timing_sample: time 1 in ``timing_sample`` accepted messages per actor for the two
            histograms (``..._sampled_seconds``, of messages handled without raising);
            ``1`` times every message, so their ``_count`` equals
            ``actors_messages_processed_total``. A power of two; default 16.
        cluster: make this system one node of a cluster over NATS (see ``ClusterConfig``);
            it connects when started (``async with`` or ``start()``). ``None``: in-process
            only, and nothing of the remote machinery is imported.
        loop_block_threshold: seconds the event loop may be held (by a handler that does
            not await, or blocks) before the blocked-loop detector logs ``loop.blocked``,
            naming the actor and message type; ``None`` turns the detector off.
        loop_degraded_threshold: a block longer than this makes ``health()`` ``degraded``
            for a minute (``None``: never); at least ``loop_block_threshold``.

    Raises:
        ValueError: ``name`` is empty or not a ``str``, ``blocking_threads < 1``,
            ``timing_sample`` is not a power of two >= 1, (with ``cluster``) ``name`` is
            not one NATS subject token, or a loop threshold is not a number of seconds > 0
            (the degraded one below the other).
        TypeError: ``blocking_threads`` or ``timing_sample`` is not an ``int``, or
            ``cluster`` not a ``ClusterConfig``.
    """

    def __init__(
        self,
        name: str = "actors",
        *,
        blocking_threads: int = 8,
        dead_letter_buffer: int = 1000,
        metrics: bool = True,
        registry: CollectorRegistry | None = None,
        timing_sample: int = TIMING_SAMPLE,
        cluster: ClusterConfig | None = None,
        loop_block_threshold: float | None = 0.1,
        loop_degraded_threshold: float | None = 1.0,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"system name must be a non-empty str, got {name!r}")
        if cluster is not None:
            check_cluster(name, cluster)
        # The cluster this system is a node of (its transport once joined).
        self._cluster = ClusterJoin(cluster)
        if isinstance(blocking_threads, bool) or not isinstance(blocking_threads, int):
            raise TypeError(f"blocking_threads must be an int, got {blocking_threads!r}")
        if blocking_threads < 1:
            raise ValueError(f"blocking_threads must be >= 1, got {blocking_threads}")
        self.name = name
        self.metrics_enabled = bool(metrics)
        self._timing_mask = timing_mask(timing_sample)
        self.timing_sample = timing_sample
        self.dead_letters = DeadLetters(dead_letter_buffer)
        metrics_registry: CollectorRegistry | None = None
        if self.metrics_enabled:
            metrics_registry = CollectorRegistry() if registry is None else registry
        self._blocking_threads = blocking_threads
        self._executor_instance: ThreadPoolExecutor | None = None
        self._blocking_pool_instance: BlockingPool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # The error a top-level actor escalated, and the `async with` body it cancels.
        self._failure = SystemFailure(name)
        # Closing, closed, the tasks a shutdown waits for, and its steps.
        self._stopping = Shutdown(name)
        # Spawning and the actors by path. The components' cells and dicts are bound here
        # once under the names actor cells and the readers of the tree use (see
        # actors._core._runtime.Runtime): a cell's call pays no extra hop for them.
        self._spawner = spawner = Spawner(self, self._stopping.is_closing)
        self._spawn = spawner.spawn
        self._unregister = spawner.unregister
        self._top = spawner.top
        self._registry = spawner.registry
        self._tasks = self._stopping.tasks
        self._track = self._stopping.track
        self._observability = SystemObservability(
            self._registry, self.dead_letters, metrics_registry, lambda: self._failure.error
        )
        self._breakers = CircuitBreakers()
        self._loop_monitor: LoopMonitor | None = None
        if loop_block_threshold is not None:
            self._loop_monitor = LoopMonitor(
                name, self._registry, loop_block_threshold, loop_degraded_threshold
            )
        if metrics_registry is not None:
            metrics_registry.register(RuntimeCollector(self))
            metrics_registry.register(ResilienceCollector(self._breakers, self._loop_monitor))
        self._deadlines: AskDeadlines | None = None
        # The event bus, started on first use and stopped after every application actor.
        self._bus_access = SystemBus(self)
        # Incarnation tasks that are running (not waiting on an empty mailbox): counted here,
        # by _idle_enter/_idle_leave, for the IdleTracker behind wait_idle.
        self._active = 0
        self._idle = IdleTracker(self._registry, lambda: self._active, self._bus_access.backlogged)
        self._idle_waiters = self._idle.waiters

    def __repr__(self) -> str:
        return f"<ActorSystem {self.name!r} actors={len(self._registry)}>"

    # ------------------------------------------------------------------ event bus

    @property
    def bus(self) -> ActorRef:
        """The ref of the system's ``EventBus`` (path ``/system/bus``).

        The bus is started on first use (of this property, ``publish``, ``subscribe``,
        ``unsubscribe``, or an actor declaring ``subscriptions``), so it must be first used
        from a coroutine running on the system's event loop; messages sent to it before it
        finished starting queue in its mailbox. It stops after every application actor when
        the system shuts down.

        Raises:
            ActorStopped: the system has shut down and the bus was never started.
            RuntimeError: called without a running event loop, or on another loop than the
                system's.
        """
        return self._bus_access.ref

    async def publish(
        self,
        topic: str,
        event: Any,
        *,
        correlation_id: int | str | None = None,
        key: str | None = None,
    ) -> None:
        """Publish ``event`` on ``topic`` through the system's bus.

        Every actor subscribed to a matching pattern receives ``event`` itself, once, with
        ``self.context.topic == topic``; each subscriber receives the events of one publisher
        in publish order. When the bus is idle the event goes straight into the subscribers'
        mailboxes from the caller's task (one mailbox put per subscriber, no waiting);
        otherwise it queues behind what the bus has to do, waiting for room in the bus's
        mailbox if that is full. It never waits for a subscriber: a full subscriber is
        handled by its subscription's overflow policy (see ``Subscribe``), and the publisher
        then only yields to the event loop once, so that subscribers can catch up.
        Publishing on a topic nobody subscribes to is cheap and not an error. Inside a
        handler the event inherits the handled message's correlation id unless
        ``correlation_id`` is given.

        Durable events: in a cluster whose ``ClusterConfig.streams`` declare a stream that
        keeps ``topic``, the event is first stored by JetStream (publish returns once the
        server acknowledged it) for the durable subscribers on every node, then handed to
        the local subscribers as above. ``key`` is its idempotency key (``Nats-Msg-Id``):
        a second publish with the same key within the stream's ``duplicate_window`` is
        dropped by the server.

        On a cluster node the event also goes, at most once and without waiting, to every
        other node known to have a (non-durable) subscriber for a matching pattern (NATS
        subject ``actors.<system>.events.<topic>``), where that node's bus delivers it to its
        own subscribers; local subscribers get it here only, exactly once. Topics whose
        first token is ``system`` stay on their node. See the semantics page.

        Raises:
            ValueError: ``topic`` is not a valid topic (empty token, wildcard, whitespace),
                ``key`` is given for a topic no declared stream keeps, or, when the event
                must cross nodes, ``topic`` is too long for a NATS subject.
            TypeError: ``topic`` is not a ``str``.
            DurablePublishFailed: a durable event was not acknowledged by the server
                (publish it again with the same ``key``).
            SerializationError: a durable event's type is not registered, or another node
                subscribes to ``topic`` and ``event``'s type is not registered
                (``ClusterConfig.messages``) or cannot be encoded; the event was then
                delivered nowhere by the bus.
        """
        transport = self._cluster.transport
        if transport is not None or key is not None:
            await publish_durable(transport, topic, event, key, correlation_id)
        await self._bus_access.publish(topic, event, correlation_id)

    def publish_nowait(
        self, topic: str, event: Any, *, correlation_id: int | str | None = None
    ) -> None:
        """Publish like ``publish``, without ever waiting (for plain ``def`` handlers).

        A durable event (one a declared stream keeps) needs the server's acknowledgement,
        so it cannot be published without waiting: use ``await publish(...)``.

        Raises:
            ValueError: ``topic`` is kept by a declared durable stream.
            MailboxFull: the event had to queue behind the bus's work and the bus's mailbox
                is full; ``.message`` is the ``Publish``.
            ValueError: ``topic`` is not a valid topic.
            TypeError: ``topic`` is not a ``str``.
            SerializationError: as for ``publish``.
        """
        transport = self._cluster.transport
        if transport is not None and transport.durables.durable_stream(topic) is not None:
            raise ValueError(
                f"events on {topic!r} are durable (a declared stream keeps them) and need the"
                " server's acknowledgement: use `await system.publish(...)`"
            )
        self._bus_access.publish_nowait(topic, event, correlation_id)

    async def subscribe(
        self,
        ref: ActorRef,
        pattern: str,
        *,
        overflow: Overflow = Overflow.BLOCK,
        timeout: float | None = 5.0,
        durable: str | None = None,
        max_deliver: int = 5,
        max_ack_pending: int = 256,
        backoff: float | Sequence[float] = (0.1, 1.0, 5.0),
        ack_wait: float = 30.0,
    ) -> None:
        """Subscribe ``ref`` to the topics matching ``pattern``; returns once the subscription
        is active, so an event published afterwards reaches ``ref``.

        ``overflow`` and ``timeout`` say what happens to an event that finds ``ref``'s
        mailbox full (see ``Subscribe``): by default it waits for room at most ``timeout``
        seconds without holding up other subscribers, then becomes a dead letter naming
        ``ref``. Subscribing twice to one pattern is the same as once. ``ref`` is
        unsubscribed automatically when it stops for good.

        With ``durable`` (a cluster with a declared stream that keeps every topic of
        ``pattern``), the subscription is the JetStream durable consumer of that name,
        created or bound: delivery is at-least-once, the event is acknowledged once
        ``ref``'s handler returned; a handler that raises gets it redelivered after
        ``backoff[n-1]`` seconds for its ``n``-th failed delivery (the last entry repeats)
        while the supervisor restarts or resumes ``ref`` as usual; after ``max_deliver``
        failed deliveries it becomes a dead letter (reason ``max_deliveries``, error
        ``MaxDeliveriesExceeded`` with the count) and is published on
        ``actors.<system>.dlq.<durable>``. At most ``max_ack_pending`` events are
        unacknowledged (in ``ref``'s mailbox or handler) at a time; one not answered within
        ``ack_wait`` seconds (a node that died) is redelivered by the server. Events
        published while no subscriber of the durable name was up wait in the stream.
        Subscribers of one durable name on several nodes share its events. ``overflow``
        and ``timeout`` do not apply: a full mailbox makes the event wait for room.

        Raises:
            ValueError: ``pattern`` is not a valid pattern, ``overflow`` is ``REJECT``,
                ``timeout`` is not positive, or ``ref`` belongs to another system.
            TypeError: an argument has the wrong type, or ``ref`` is a remote ref (only
                an actor of this node subscribes to its bus).
            ActorStopped: the system's bus has stopped.
            JetStreamUnavailable: ``durable`` on a system without a cluster or without
                declared streams.
            JetStreamError: the server refused the durable consumer's settings.
        """
        if durable is not None:
            self._bus_access._check_own(ref, "subscribe()")
            options = {
                "durable": durable,
                "max_deliver": max_deliver,
                "max_ack_pending": max_ack_pending,
                "backoff": backoff,
                "ack_wait": ack_wait,
            }
            has_cluster = self._cluster.config is not None
            await subscribe_durable(self._cluster.transport, has_cluster, ref, pattern, options)
            return
        await self._bus_access.subscribe(ref, pattern, overflow, timeout)

    async def unsubscribe(self, ref: ActorRef, pattern: str | None = None) -> None:
        """Remove ``ref``'s subscription to ``pattern``, or all of its subscriptions when
        ``pattern`` is ``None``. Events already queued for ``ref`` are still delivered;
        unsubscribing what is not subscribed does nothing. A durable subscription ends
        here, but its consumer stays on the server: events keep waiting there for the
        next subscriber of the durable name.

        Raises:
            ValueError: ``pattern`` is not a valid pattern, or ``ref`` belongs to another
                system.
            TypeError: an argument has the wrong type, or ``ref`` is a remote ref.
            ActorStopped: the system's bus has stopped.
        """
        await self._bus_access.unsubscribe(ref, pattern)
        transport = self._cluster.transport
        if transport is not None:
            await transport.durables.unsubscribe(ref, pattern)

    async def _subscribe_declared(self, ref: ActorRef, patterns: object) -> None:
        await self._bus_access.subscribe_declared(ref, patterns)

    # ------------------------------------------------------------------ observability

    @property
    def registry(self) -> CollectorRegistry:
        """The Prometheus registry holding this system's metrics (see ``actors.metrics``).

        Raises RuntimeError when the system was created with ``metrics=False``.
        """
        registry = self._observability.registry()
        if registry is None:
            raise RuntimeError(f"{self!r} was created with metrics=False")
        return registry

    @property
    def overflows(self) -> int:
        """How many messages full mailboxes refused, dropped or evicted since the start."""
        return self._observability.overflows

    def statistics(self) -> SystemStatistics:
        """Totals since the system started: live actors, messages processed and failed,
        restarts, ask timeouts and dead letters (stopped actors' counts included)."""
        return self._observability.statistics()

    def health(self) -> Health:
        """The system's health, derived from the supervision tree (see ``Health``).

        Each supervisor (and pool) reports its status and its restarts in the current window
        against its budget. Overall ``failed`` when one gave up or the system shut down on a
        failure; ``degraded`` while restarts are under way or recent, a failed actor
        awaits its parent's decision, a blocking handler's thread is stuck past its
        ``handler_timeout``, blocking handlers wait for a free thread, a circuit breaker of
        the system's is open or half-open, or the event loop was held past
        ``loop_degraded_threshold`` within the last minute; ``ok`` otherwise.
        """
        return with_resilience(
            self._observability.health(self._blocking_pool_instance),
            self._breakers,
            self._loop_monitor,
        )

    def circuit_breaker(self, name: str, **settings: Any) -> CircuitBreaker:
        """The system's ``CircuitBreaker`` named ``name``: made on first use from
        ``settings`` (``CircuitBreaker``'s arguments: ``max_failures``, ``reset_timeout``,
        ``call_timeout``, ``max_reset_timeout``, ``backoff_factor``; defaults for those not
        given), and the same breaker, state and all, on every later call, so an actor that
        takes its breaker in ``on_start`` keeps it across restarts. The system's breakers
        are exported as metrics (``actors_circuit_breaker_*``) and reported by ``health()``.

        Raises:
            ValueError: ``settings`` differ from those the breaker was made with, or are
                out of range, or ``name`` is empty.
            TypeError: an unknown setting.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"a circuit breaker's name must be a non-empty str, got {name!r}")
        return self._breakers.get(name, settings)

    @property
    def circuit_breakers(self) -> tuple[CircuitBreaker, ...]:
        """The system's circuit breakers (``circuit_breaker``), in the order they were made."""
        return tuple(self._breakers)

    def _note_overflow(self, cell: ActorCell, overflow: Overflow) -> None:
        self._observability.note_overflow(cell, overflow)

    def _retire(self, cell: ActorCell) -> None:
        self._observability.accounting.retire(cell)

    def _retired_ask_timeout(self, cell: ActorCell) -> None:
        self._observability.accounting.retired_ask_timeout(cell)

    # ------------------------------------------------------------------ loop

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop this system runs on (bound on first use)."""
        running = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = running
            self._stopping.closed = running.create_future()
            if self._loop_monitor is not None:
                self._loop_monitor.start(running)
        elif self._loop is not running:
            raise RuntimeError(f"{self!r} is bound to another event loop")
        return running

    @property
    def from_thread(self) -> FromThread:
        """Blocking ``tell``, ``ask``, ``publish`` and ``run`` for code in other threads (a
        Flask or Django view, a worker thread): each call runs on this system's loop and
        returns its result or raises its error. See ``actors.FromThread``."""
        return FromThread(self)

    @property
    def _executor(self) -> ThreadPoolExecutor:
        if self._executor_instance is None:
            self._executor_instance = ThreadPoolExecutor(
                max_workers=self._blocking_threads, thread_name_prefix=f"actors-{self.name}"
            )
        return self._executor_instance

    @property
    def _blocking_pool(self) -> BlockingPool:
        pool = self._blocking_pool_instance
        if pool is None:
            pool = BlockingPool(lambda: self._executor, self._blocking_threads, self.loop)
            self._blocking_pool_instance = pool
        return pool

    def _ask_deadlines(self) -> AskDeadlines:
        deadlines = self._deadlines
        if deadlines is None:
            deadlines = self._deadlines = AskDeadlines(self.loop)
        return deadlines

    # ------------------------------------------------------------------ context manager

    async def __aenter__(self) -> ActorSystem:
        """Bind the system to the running loop and join its cluster, when it has one (see
        ``start``); the block's task is cancelled if the system fails (see ``__aexit__``)."""
        await self.start()
        self._failure.enter_body()
        return self

    async def start(self) -> None:
        """Bind the system to the running loop and, with a ``cluster``, join it: connect to
        NATS, subscribe, announce this node. Idempotent; ``async with`` calls it.

        Raises:
            ClusterAuthError: the NATS server refused this node's credentials or TLS (at
                once, naming the server and what it refused).
            NodeUnreachable: no NATS server accepted a connection within twice
                ``ClusterConfig.connect_timeout``.
            ActorStopped: the system is shut down.
        """
        _ = self.loop
        if self._stopping.closing:
            raise ActorStopped(f"{self!r} is shut down; cannot start")
        await self._cluster.start(self)

    @property
    def cluster(self) -> Cluster:
        """This node's view of its cluster (members, ``member_up``/``member_down`` events,
        traffic statistics).

        Raises RuntimeError when the system has no ``cluster`` or has not started."""
        return self._cluster_transport().cluster

    def remote_ref(self, node: str, path: str) -> ActorRef:
        """A ref to the actor at ``path`` on cluster node ``node`` (a ``RemoteActorRef``,
        bound to the node's current incarnation; for this node's own name, the local ref).

        No message is sent: the actor need not exist (asks then fail with
        ``ActorStopped``, tells become dead letters on that node).

        Raises:
            NodeUnreachable: ``node`` is not a member (``await cluster.wait_for(node)``).
            ValueError: ``path`` does not start with ``/``.
            RuntimeError: the system has no ``cluster`` or has not started.
        """
        return self._cluster_transport().remote_ref(node, path)

    def _cluster_transport(self) -> Transport:
        """The cluster transport, for a call that needs it (also a cluster pool's start).

        Raises RuntimeError when the system has no ``cluster`` or has not started."""
        return self._cluster.require(self)

    @property
    def _transport(self) -> Transport | None:
        """The cluster transport once joined, else ``None`` (for the cluster's tests and
        tools; the system's own calls go through ``ClusterJoin``)."""
        return self._cluster.transport

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Shut down gracefully. Like ``asyncio.TaskGroup``: when the system failed while
        the block ran (a top-level actor escalated, e.g. a root supervisor gave up), the
        block was cancelled and its failure (``RestartIntensityExceeded``, whole cause chain
        attached) is raised here instead of ``CancelledError``; a block that ended on its own
        raises it too. An exception of the block's own propagates unchanged."""
        cancelled_by_us = self._failure.leave_body(exc)
        await self.shutdown()
        if self._stopping.task is not None:
            await self._stopping.task  # the failure's own shutdown: let it finish, not leak
        self._failure.raise_on_exit(cancelled_by_us, exc)

    # ------------------------------------------------------------------ spawning

    async def spawn(
        self,
        factory: Callable[[], Actor],
        *,
        name: str | None = None,
        capacity: int = 1000,
        overflow: Overflow = Overflow.BLOCK,
        shutdown: float | None = 5.0,
        retry: Retry | None = None,
        handler_timeout: float | None = None,
    ) -> ActorRef:
        """Start a top-level actor and return its ref once its ``on_start`` has finished.

        Args:
            factory: an ``Actor`` subclass or any zero-argument callable returning an
                ``Actor``; called again for every restart.
            name: unique among its siblings; the path is ``/name``. Default: a generated
                ``$N``.
            capacity: the mailbox bound (>= 1).
            overflow: what a full mailbox does (see ``Overflow``).
            shutdown: seconds a graceful stop of this actor may take before it is
                cancelled; ``None`` waits without limit.
            retry: try a message whose handler raised again (see ``Retry``); ``None``
                dead-letters it at once (reason ``failed``).
            handler_timeout: seconds one handler may run before it counts as failed with
                ``HandlerTimeout`` (an ``async def receive`` is cancelled; see
                ``HandlerTimeout`` for blocking ones); ``None``: no limit.

        Raises:
            ActorStartError: the factory or ``on_start`` raised (``__cause__``); nothing
                stays registered.
            ValueError: a sibling already has that name, or an argument is out of range.
            TypeError: ``factory`` is not callable, or an argument has the wrong type.
            ActorStopped: the system is shutting down.
        """
        return await self._spawner.spawn(
            None,
            factory,
            name=name,
            capacity=capacity,
            overflow=overflow,
            shutdown=shutdown,
            retry=retry,
            handler_timeout=handler_timeout,
        )

    async def spawn_pool(
        self,
        factory: Callable[[], Actor],
        *,
        size: int,
        routing: Routing = Routing.ROUND_ROBIN,
        name: str | None = None,
        key: Callable[[Any], Hashable] | None = None,
        capacity: int = 1000,
        overflow: Overflow = Overflow.BLOCK,
        routee_capacity: int = 1000,
        routee_overflow: Overflow = Overflow.BLOCK,
        strategy: RestartPolicy | None = None,
        shutdown: float | None = 5.0,
        cluster: bool = False,
        retry: Retry | None = None,
        handler_timeout: float | None = None,
        durable: str | DurablePool | None = None,
    ) -> ActorRef:
        """Start a ``Pool`` of ``size`` routees built by ``factory`` and return the pool's ref.

        ``tell`` and ``ask`` on the ref are routed to one routee by ``routing`` (with ``key``
        for ``CONSISTENT_HASH``); an ask is answered by the routee that handled it (an ask to
        a ``BROADCAST`` pool raises ``AmbiguousAsk``: see ``scatter``). When the
        chosen routee is full the pool waits, its own mailbox (``capacity``, ``overflow``)
        fills, and then senders to the pool wait or follow its overflow policy. Failed
        routees are restarted by ``strategy`` (default: 3 restarts within 5 s). ``retry`` and
        ``handler_timeout`` apply to each routee as ``spawn``'s do to one actor (see ``Pool``).

        With ``cluster=True`` the pool is this node's part of a pool spread over the cluster:
        the ref returned is a ``ClusterPoolRef`` whose messages go to one of the nodes that
        serve a pool at this path (this one included), spread by a NATS queue group, at most
        once; each node's pool routes them to its own ``size`` routees. A lost node loses
        only its routees (and what they held); the others keep serving. The local pool
        itself is ``lookup(path)`` (it routes to this node's routees only).

        With ``cluster=True, durable=name`` (or a ``DurablePool`` with its settings) the
        pool's messages wait in a JetStream work queue, created here, and every node serving
        the pool shares one durable consumer: each message reaches one routee on one node at
        a time, at least once (acknowledged after the routee's handler returned, redelivered
        after a failure or a lost node, a dead letter after ``max_deliver`` deliveries).

        Raises:
            ValueError: ``size < 1``, ``CONSISTENT_HASH`` without ``key``, an invalid
                name, capacity or ``handler_timeout``, ``durable`` without
                ``cluster=True``, or an invalid durable name or setting.
            TypeError: ``routing`` is not a ``Routing``, ``cluster`` is not a bool,
                ``retry`` is not a ``Retry``, or ``durable`` is neither a str nor a
                ``DurablePool``.
            RuntimeError: ``cluster=True`` on a system without a cluster (or not started).
            JetStreamUnavailable: ``durable`` on a system without a cluster, or on a NATS
                server without JetStream (or older than 2.10).
            JetStreamError: the server refused the durable pool's stream settings.
            ActorStartError: a routee failed to start (cause attached).
        """
        pool_factory = Pool.factory(
            factory,
            size,
            routing,
            key=key,
            routee_capacity=routee_capacity,
            routee_overflow=routee_overflow,
            strategy=strategy,
            cluster=cluster,
            retry=retry,
            handler_timeout=handler_timeout,
            durable=durable,
        )
        pool_factory()  # validates the arguments here, before anything starts
        settings = await declare_durable_pool(
            self._cluster.transport, self._cluster.config is not None, cluster, durable
        )
        if cluster:
            transport = self._cluster_transport()
        ref = await self.spawn(
            pool_factory, name=name, capacity=capacity, overflow=overflow, shutdown=shutdown
        )
        return transport.pool_ref(ref.path, settings) if cluster else ref

    def cluster_pool(self, path: str, *, durable: str | DurablePool | None = None) -> ActorRef:
        """A ref to the pool spread over the cluster at ``path`` (a ``ClusterPoolRef``): each
        message goes to one node serving a pool there (``spawn_pool(..., cluster=True)`` or
        ``Pool.factory(..., cluster=True)``), spread by a NATS queue group, at most once.
        This node need not serve it. No message is sent: an ask fails with
        ``ActorStopped`` while no node serves the pool, a tell is then lost.

        For a durable pool give its ``durable`` name (or ``DurablePool``), as its serving
        nodes did: messages then go to its JetStream work queue (see ``spawn_pool``), and
        wait there while no node serves it.

        Raises:
            ValueError: ``path`` does not start with ``/``, or an invalid durable name.
            TypeError: ``durable`` is neither a str nor a ``DurablePool``.
            RuntimeError: the system has no ``cluster`` or has not started.
        """
        return self._cluster_transport().pool_ref(path, durable_pool(durable))

    async def scatter(
        self,
        target: ActorRef | str | Iterable[ActorRef],
        message: Any,
        *,
        timeout: float = 5.0,
        first: bool = False,
        correlation_id: int | str | None = None,
    ) -> ScatterResult:
        """Ask every routee of a pool, every subscriber of a topic, or every ref given, at
        once, and gather the answers (scatter-gather).

        ``target`` is a pool's ref (its routees now), a topic (the actors an event published
        on it now would reach; none is not an error) or an iterable of refs, local or
        remote. Each target gets one ``ask`` straight to its mailbox, not through the pool
        or the bus (so a full target makes its ask wait for room, within ``timeout``). With
        ``first=False`` it returns once every ask ended, at the latest after ``timeout``
        seconds, with every answer; with ``first=True`` it returns at the first reply and
        abandons the other asks (their late replies are discarded and counted). A failed
        ask (``ActorFailed``, ``ActorStopped``, ...) is recorded, never raised, and is not a
        reply: ``first=True`` waits on for a reply from another target.

        Raises:
            TypeError: ``target`` is none of those, or a ref is not a local pool.
            ValueError: ``timeout`` is not a finite number > 0, an invalid topic, or a pool
                of another system.
            ActorStopped: the pool has stopped or has no routees left.
        """
        return await scatter(
            scatter_targets(self, target, rotate=False),
            message,
            timeout=timeout,
            first=first,
            correlation_id=correlation_id,
        )

    async def tail_chop(
        self,
        target: ActorRef | str | Iterable[ActorRef],
        message: Any,
        *,
        interval: float,
        timeout: float = 5.0,
        correlation_id: int | str | None = None,
    ) -> ScatterResult:
        """Ask one routee of a pool (or subscriber of a topic, or one of the refs given);
        when no reply came within ``interval`` seconds, ask the next one too, and so on,
        until the first reply or ``timeout`` (tail-chopping: a slow target costs
        ``interval``, not the whole request).

        A pool's routees are asked in round-robin order from the next one in turn, so that
        the first asks spread over the routees. An ask that fails moves on to the next
        target at once. The result is the first reply, with the targets asked, failed,
        timed out and abandoned (still working when another one answered).

        Raises:
            TypeError: ``target`` is not a pool's ref, a topic or an iterable of refs.
            ValueError: ``interval`` or ``timeout`` is not a finite number > 0, an invalid
                topic, or a pool of another system.
            ActorStopped: the pool has stopped or has no routees left.
        """
        return await tail_chop(
            scatter_targets(self, target, rotate=True),
            message,
            interval=interval,
            timeout=timeout,
            correlation_id=correlation_id,
        )

    def lookup(self, path: str) -> ActorRef | None:
        """The live actor at ``path`` (``/shop/orders``), or ``None``.

        Raises ValueError for a path that does not start with ``/``.
        """
        return self._spawner.lookup(path)

    @property
    def actors(self) -> tuple[ActorRef, ...]:
        """Every live actor of the application, parents before their children (the
        runtime's own actors under ``/system``, such as the event bus, are not listed)."""
        return self._spawner.application_actors()

    # ------------------------------------------------------------------ failures

    def _top_level_failed(self, cell: ActorCell, failure: ChildFailure) -> None:
        if failure.escalated:
            self._fail(cell, failure.error)
        else:
            cell.request_stop(cell.shutdown_timeout)

    def _fail(self, cell: ActorCell, error: BaseException) -> None:
        """A top-level actor escalated: the whole system shuts down with that error."""
        self._failure.record(cell.path, error)
        stopping = self._stopping
        if not stopping.closing and stopping.task is None:
            stopping.task = self.loop.create_task(self.shutdown(), name="system shutdown")

    # ------------------------------------------------------------------ idle tracking

    # Cells call these two around every wait for a message (the hot path): they stay
    # methods of the system, on its own attributes, with no call layer below them.

    def _idle_enter(self) -> None:
        self._active -= 1
        if self._active == 0 and self._idle_waiters:
            self._idle.wake()

    def _idle_leave(self) -> None:
        self._active += 1

    # ------------------------------------------------------------------ shutdown

    @property
    def is_closed(self) -> bool:
        """True once ``shutdown`` has completed."""
        closed = self._stopping.closed
        return closed is not None and closed.done()

    async def shutdown(self, timeout: float | None = 10.0) -> None:
        """Stop every top-level actor in reverse spawn order (each stops its children first),
        then release the runtime's tasks and threads.

        Returns within ``timeout`` seconds (plus a small constant to reap cancelled tasks):
        each top-level actor gets its own shutdown time, capped by what is left of
        ``timeout``, and one still running when that has passed, even one that was already
        stopping without a limit, is killed and reported (``actor.stop_timeout``).
        Idempotent and safe to repeat: a call made after another was cancelled, or while
        another runs, finishes the job within its own ``timeout``. Called from inside an
        actor's own task it only starts the shutdown (waiting there would wait for itself).
        """
        stopping = self._stopping
        if self._loop is None:
            stopping.closing = True
            self._bus_access.closed = True
            return
        loop = self.loop
        closed = stopping.closed
        assert closed is not None
        if closed.done():
            return
        cell = current_cell.get()
        if cell is not None and asyncio.current_task() is cell.task:
            if stopping.task is None:
                stopping.task = loop.create_task(self.shutdown(timeout))
            return
        # Invariant: once closing is set no actor is spawned; every call from here on runs
        # the same idempotent steps, so a cancelled call leaves nothing half-done for the next.
        stopping.closing = True
        deadline = None if timeout is None else loop.time() + timeout
        for top in reversed(list(self._top.values())):
            await stopping.stop_within(loop, top, deadline)
        await self._cluster.leave()
        await self._bus_access.stop(deadline, stopping.stop_within)
        await stopping.reap(loop, deadline)
        if closed.done():
            return  # a concurrent call finished first
        if self._executor_instance is not None:
            self._executor_instance.shutdown(wait=False, cancel_futures=True)
        if self._deadlines is not None:
            self._deadlines.close()
        if self._loop_monitor is not None:
            self._loop_monitor.stop()
        logger.info("system.shutdown", system=self.name, dead_letters=self.dead_letters.count)
        closed.set_result(None)

    async def wait_closed(self) -> None:
        """Wait until the system has shut down.

        Raises the error that made it shut down, when a top-level actor escalated a failure
        (for example ``RestartIntensityExceeded`` from a root supervisor that gave up), with
        its whole cause chain, so a service can exit non-zero.
        """
        _ = self.loop
        closed = self._stopping.closed
        assert closed is not None
        await asyncio.shield(closed)
        self._failure.raise_error()

    async def wait_idle(self) -> None:
        """Wait until every mailbox is empty, no handler runs and no timer is due.

        Exact, not polled: it wakes when the last busy actor goes idle and checks again.
        Timers due later (a ``schedule_every``) do not count as work: with virtual time the
        clock only moves to them once the system is idle.
        """
        await self._idle.wait(self.loop)
