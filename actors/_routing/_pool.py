"""Worker pools: one ref in front of N routees, with routing, backpressure and supervision.

A pool is an actor whose children are its routees. It forwards each message to one routee
(each told message to all, for ``BROADCAST``) with its sender, correlation and reply intact,
so the routee's return value answers an ``ask`` made to the pool, and routees work in
parallel. When the routee a message must go to is full (``BLOCK``), the pool's handler waits
for room; its own mailbox then fills and senders to the pool wait in turn: backpressure,
nothing dropped.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Hashable
from typing import Any, Protocol

from actors._core._actor import Actor, ChildFailure
from actors._core._cell import ActorCell
from actors._core._envelope import NOT_TIMED, Envelope, next_message_id
from actors._core._errors import AmbiguousAsk, RestartIntensityExceeded, SupervisionError
from actors._core._health import SupervisorHealth
from actors._core._intensity import RestartIntensity
from actors._core._log import logger
from actors._core._messages import Overflow, Terminated
from actors._core._ref import ActorRef
from actors._core._retry import Retry
from actors._core._timers import check_delay

__all__ = ["Pool", "ResizePool", "RestartPolicy", "Routing"]


class Routing(enum.Enum):
    """How a pool picks the routee for a message."""

    ROUND_ROBIN = "round_robin"
    """Routees in turn, skipping a full one when another has room."""
    LEAST_LOADED = "least_loaded"
    """The routee with the fewest messages queued or in hand."""
    CONSISTENT_HASH = "consistent_hash"
    """The routee chosen by ``key(message)``: the same key always reaches the same routee."""
    BROADCAST = "broadcast"
    """Every routee gets every message told. An ``ask`` fails with ``AmbiguousAsk`` (N
    routees would answer one request): gather their answers with ``ActorSystem.scatter``."""


class RestartPolicy(Protocol):
    """What a pool needs from a restart strategy: ``supervision.OneForOne`` fits.

    ``decide`` returns a directive whose ``value`` is ``"resume"``, ``"restart"``, ``"stop"``
    or ``"escalate"`` (``supervision.Directive``).
    """

    @property
    def max_restarts(self) -> int:
        """Routee restarts allowed within ``within`` seconds; one more and the pool gives up
        (it stops its routees and fails with ``RestartIntensityExceeded``)."""
        ...

    @property
    def within(self) -> float:
        """The length, in seconds, of the sliding window ``max_restarts`` counts in."""
        ...

    def decide(self, error: BaseException) -> Any:
        """The directive for a routee whose handler raised ``error``. Whatever it raises
        fails the pool in turn."""
        ...


class _QueueGroup(Protocol):
    # The cluster transport's PoolServing, seen from here (routing sits below the cluster).
    async def close(self) -> None: ...


def _stable_hash(key: Hashable) -> int:
    # Python's hash() of a str varies between processes; that is fine for "the same key
    # reaches the same routee while the pool is unchanged", and it is fast. Spread it out so
    # consecutive integer keys do not map to consecutive routees only.
    value = hash(key) & 0xFFFFFFFFFFFFFFFF
    value ^= value >> 33
    value = (value * 0xFF51AFD7ED558CCD) & 0xFFFFFFFFFFFFFFFF
    return value ^ (value >> 33)


class ResizePool:
    """Ask a ``Pool`` to have ``size`` routees from now on, without restarting it: ``await
    pool.ask(ResizePool(4))`` answers once the new routees have started, or once the
    routees beyond ``size`` (the last ones) have stopped gracefully, after handling the
    messages already queued for them (no message is lost; new ones go to the others).

    Raises ValueError for a ``size`` that is not an int >= 1.
    """

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"a pool needs size >= 1 routees, got {size!r}")
        self.size = size

    def __repr__(self) -> str:
        return f"ResizePool({self.size})"


class Pool(Actor):
    """A routing actor in front of ``size`` routees built by ``factory``.

    Use ``ActorSystem.spawn_pool`` or, in a supervision tree, ``Pool.factory(...)`` as a
    child's factory. Routees are the pool's children (``/pool/routee-0`` ...). A failed
    routee is handled by ``strategy`` (default: restart, at most 3 restarts within 5 s);
    past its restart intensity the pool stops its routees and fails with
    ``RestartIntensityExceeded``, which its parent handles. A routee that stops on its own is
    started again in its place.

    ``retry`` and ``handler_timeout`` apply to each routee as they do to a single actor
    (``ActorSystem.spawn``): a routee whose handler raised gets the message again, per the
    ``Retry`` policy, after ``strategy`` resumed or restarted it, and dead-letters it with
    reason ``max_attempts`` once every attempt failed; a routee's handler running longer
    than ``handler_timeout`` seconds fails with ``HandlerTimeout``. An ``ask`` through the
    pool is answered once, by the final outcome. The pool itself only routes: neither
    applies to it.

    With ``cluster=True`` (the system must be a cluster node) the pool also serves the
    cluster pool at its path: while it runs, this node is in the NATS queue group that
    spreads the messages sent to ``ActorSystem.cluster_pool(path)`` over every node serving
    a pool at that path (at-most-once); it leaves the group when it stops. With
    ``durable`` too (a name or an ``actors.DurablePool``) it takes its share of the pool's
    JetStream work queue instead (at-least-once; see ``ActorSystem.spawn_pool``).

    Raises (at start, as ``ActorStartError``): ValueError for ``size < 1`` or a
    ``CONSISTENT_HASH`` pool without ``key``; TypeError for an unknown ``routing`` or a
    non-bool ``cluster`` or a ``retry`` that is not a ``Retry``; ValueError for a
    ``handler_timeout`` that is not a finite number > 0, or ``durable`` without
    ``cluster=True`` or with an invalid durable name; RuntimeError for ``cluster=True`` on a
    system without a cluster; JetStreamUnavailable for ``durable`` on a server without
    JetStream.
    """

    def __init__(
        self,
        factory: Callable[[], Actor],
        size: int,
        routing: Routing = Routing.ROUND_ROBIN,
        *,
        key: Callable[[Any], Hashable] | None = None,
        routee_capacity: int = 1000,
        routee_overflow: Overflow = Overflow.BLOCK,
        strategy: RestartPolicy | None = None,
        cluster: bool = False,
        retry: Retry | None = None,
        handler_timeout: float | None = None,
        durable: Any = None,
    ) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ValueError(f"a pool needs size >= 1 routees, got {size!r}")
        if not isinstance(routing, Routing):
            raise TypeError(f"routing must be a Routing member, got {routing!r}")
        if routing is Routing.CONSISTENT_HASH and key is None:
            raise ValueError("a CONSISTENT_HASH pool needs key=callable(message) -> hashable")
        if not isinstance(cluster, bool):
            raise TypeError(f"cluster must be True or False, got {cluster!r}")
        if retry is not None and not isinstance(retry, Retry):
            raise TypeError(f"retry must be a Retry or None, got {retry!r}")
        if handler_timeout is not None:
            handler_timeout = check_delay("handler_timeout", handler_timeout, allow_zero=False)
        self._retry = retry
        self._handler_timeout = handler_timeout
        if durable is not None and not cluster:
            raise ValueError(f"durable={durable!r} needs cluster=True (a pool across nodes)")
        self._factory = factory
        self._size = size
        self._routing = routing
        self._key = key
        self._routee_capacity = routee_capacity
        self._routee_overflow = routee_overflow
        self._strategy = strategy
        max_restarts = 3 if strategy is None else strategy.max_restarts
        within = 5.0 if strategy is None else strategy.within
        self._intensity = RestartIntensity(max_restarts, within)
        self._routees: list[ActorRef] = []
        self._next = 0
        self._cluster = cluster
        # A durable pool's name or settings (checked by the cluster transport).
        self._durable = durable
        # This node's membership of the pool's queue group while it runs (cluster=True).
        self._serving: _QueueGroup | None = None

    @classmethod
    def factory(
        cls,
        factory: Callable[[], Actor],
        size: int,
        routing: Routing = Routing.ROUND_ROBIN,
        **options: Any,
    ) -> Callable[[], Pool]:
        """A zero-argument factory for this pool, to use as a ``ChildSpec`` factory."""
        return functools.partial(cls, factory, size, routing, **options)

    @property
    def routees(self) -> tuple[ActorRef, ...]:
        """The routees, in order."""
        return tuple(self._routees)

    async def on_start(self) -> None:
        for index in range(self._size):
            self._routees.append(await self._spawn_routee(index))
        if self._cluster:
            # Joined last: the routees are ready before the cluster sends work here.
            transport = self.context.system._cluster_transport()
            self._serving = await transport.serve_pool(self.context.path, self._durable)

    async def on_stop(self) -> None:
        serving, self._serving = self._serving, None
        if serving is not None:
            await serving.close()

    async def _spawn_routee(self, index: int, position: int | None = None) -> ActorRef:
        ref = await self.context.spawn(
            self._factory,
            name=f"routee-{index}",
            capacity=self._routee_capacity,
            overflow=self._routee_overflow,
            position=position,
            retry=self._retry,
            handler_timeout=self._handler_timeout,
        )
        self.context.watch(ref)
        return ref

    # ------------------------------------------------------------------ routing

    async def receive(self, message: Any) -> Any:
        if isinstance(message, Terminated):
            await self._routee_stopped(message.ref)
            return None
        if type(message) is ResizePool:
            await self._resize(message.size)
            return None
        cell = self.context._cell
        envelope = cell.current
        assert envelope is not None
        if not self._routees:
            cell._refuse(envelope, "stopped")
            envelope.reply = None
            return None
        routing = self._routing
        if routing is Routing.BROADCAST:
            if envelope.reply is not None:
                self._refuse_broadcast_ask(envelope)
                return None
            for routee in self._routees:
                await self._forward(envelope, routee._cell, keep_reply=False)
        else:
            await self._forward(envelope, self._choose(message), keep_reply=True)
        return None

    def _refuse_broadcast_ask(self, envelope: Envelope) -> None:
        # Refused whole, before any routee saw it: half a broadcast with one answer kept
        # and the others discarded is what this error exists to prevent.
        reply = envelope.reply
        envelope.reply = None
        if reply is not None and not reply.done():
            reply.set_exception(
                AmbiguousAsk(
                    f"an ask to a BROADCAST pool would be answered by each of its"
                    f" {len(self._routees)} routees; nothing was sent. Use"
                    " system.scatter(pool, message) to gather every answer (or first=True"
                    " for the first), or tell to broadcast without replies",
                    path=self.context.path,
                    message_type=type(envelope.message).__name__,
                    correlation_id=envelope.correlation_id,
                )
            )

    def rotation(self) -> tuple[ActorRef, ...]:
        """The routees in round-robin order from the next one in turn (and the turn moves
        on by one): the order in which ``ActorSystem.tail_chop`` asks them."""
        routees = self._routees
        if not routees:
            return ()
        start = self._next % len(routees)
        self._next = start + 1
        return tuple(routees[start:] + routees[:start])

    def _choose(self, message: Any) -> ActorCell:
        routees = self._routees
        routing = self._routing
        if routing is Routing.CONSISTENT_HASH:
            assert self._key is not None
            return routees[_stable_hash(self._key(message)) % len(routees)]._cell
        if routing is Routing.LEAST_LOADED:
            return min((routee._cell for routee in routees), key=_load)
        # Round robin: the next routee with room, or the next one in turn if all are full.
        count = len(routees)
        start = self._next % count
        self._next = start + 1
        for offset in range(count):
            cell = routees[(start + offset) % count]._cell
            if cell.mailbox.has_room:
                self._next = start + offset + 1
                return cell
        return routees[start]._cell

    async def _forward(self, envelope: Envelope, target: ActorCell, *, keep_reply: bool) -> None:
        reply = envelope.reply if keep_reply else None
        if keep_reply:
            envelope.reply = None  # the routee answers it, not the pool's return value
        forwarded = Envelope(
            envelope.message,
            envelope.sender,
            reply,
            next_message_id(),
            envelope.correlation_id,
            envelope.message_id,
            NOT_TIMED,
            envelope.topic,
            envelope.trace,
        )
        if not target.offer(forwarded):
            await target.offer_waiting(forwarded, None)

    async def _resize(self, size: int) -> None:
        self._size = size
        taken = {routee.name for routee in self._routees}
        index = 0
        while len(self._routees) < size:
            while f"routee-{index}" in taken:
                index += 1
            taken.add(f"routee-{index}")
            self._routees.append(await self._spawn_routee(index))
        leaving = self._routees[size:]
        del self._routees[size:]
        for routee in reversed(leaving):
            self.context.unwatch(routee)
            self.context.stop_child(routee)
        for routee in leaving:
            await routee.wait_stopped()

    # ------------------------------------------------------------------ supervision

    async def on_child_failed(self, failure: ChildFailure) -> None:
        routee = failure.child
        strategy = self._strategy
        directive = "restart" if strategy is None else strategy.decide(failure.error).value
        if directive == "resume":
            self.context.resume_child(routee)
        elif directive == "stop":
            self._routees = [r for r in self._routees if r != routee]
            self.context.unwatch(routee)
            self.context.stop_child(routee)
        elif directive == "escalate":
            raise SupervisionError(
                f"routee {routee.path} failed and the pool's strategy escalated",
                path=self.context.path,
            ) from failure.error
        else:
            self._count_restart(routee, failure.error)
            await self.context.restart_child(routee)

    async def _routee_stopped(self, ref: ActorRef) -> None:
        if self.context.is_stopping or ref not in self._routees:
            return
        index = self._routees.index(ref)
        self._count_restart(ref, None)
        self._routees[index] = await self._spawn_routee(int(ref.name.split("-")[1]), index)

    def supervision_health(self) -> SupervisorHealth:
        """This pool's part of ``ActorSystem.health()``."""
        intensity = self._intensity
        now = self.context.system.loop.time()
        return SupervisorHealth(
            self.context.path,
            "running" if self._routees else "gave_up",
            intensity.restarts_in_window(now),
            intensity.max_restarts,
            intensity.within,
        )

    def introspect(self) -> dict[str, Any]:
        """The pool's routing, size and restart budget, for tree snapshots."""
        health = self.supervision_health()
        return {
            "kind": "pool",
            "routing": self._routing.value,
            "cluster": self._cluster,
            "size": self._size,
            "routees": len(self._routees),
            "status": health.status,
            "restarts_in_window": health.restarts,
            "max_restarts": health.max_restarts,
            "within": health.within,
        }

    def _count_restart(self, routee: ActorRef, error: BaseException | None) -> None:
        now = self.context.system.loop.time()
        if not self._intensity.add_restart(now):
            return
        intensity = self._intensity
        logger.error(
            "supervisor.gave_up",
            actor=self.context.path,
            child=routee.path,
            max_restarts=intensity.max_restarts,
            within=intensity.within,
            error=None if error is None else repr(error),
        )
        for ref in reversed(self._routees):
            self.context.unwatch(ref)
            self.context.stop_child(ref)
        self._routees = []
        raise RestartIntensityExceeded(
            f"gave up after more than {intensity.max_restarts} routee restarts within"
            f" {intensity.within}s (last: {routee.path})",
            path=self.context.path,
        ) from error


def _load(cell: ActorCell) -> int:
    return len(cell.mailbox.user) + (cell.current is not None)
