"""Who a scatter or tail-chop request goes to: a pool's routees, a topic's subscribers, or
the refs given."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from actors._cluster._pool_ref import ClusterPoolRef
from actors._core._errors import ActorStopped
from actors._core._ref import ActorRef
from actors._routing._pool import Pool
from actors._routing._topics import validate_topic

if TYPE_CHECKING:
    # cycle: the system calls scatter_targets with itself; only its type is named here.
    from actors._system._system import ActorSystem

__all__ = ["scatter_targets"]


def scatter_targets(
    system: ActorSystem, target: ActorRef | str | Iterable[ActorRef], *, rotate: bool
) -> tuple[ActorRef, ...]:
    """The actors a request to ``target`` asks, in the order they are asked.

    ``rotate`` starts a pool's routees at the next one in round-robin turn (tail-chopping
    spreads its first asks that way); otherwise they come in routee order.

    A topic's subscribers are, in a cluster, those of every member node (see
    ``Transport.subscribers_of``), this node's bus subscribers first; a ``ClusterPoolRef``'s
    are the routees of every node serving the pool (``Transport.pool_routees``).

    Raises:
        TypeError: ``target`` is not a pool's ref, a topic or an iterable of refs; or a ref
            is not a pool (a single actor is asked with ``ask``).
        ValueError: an invalid topic, or a pool of another system.
        ActorStopped: the pool has stopped, or has no routees left (it gave up), or no
            node of the cluster serves the cluster pool.
    """
    if isinstance(target, str):
        validate_topic(target)
        bus = system._bus_access.instance
        local = () if bus is None else bus.subscribers_of(target)
        transport = system._transport
        if transport is None:
            return local
        # In a cluster: this node's durable subscribers and the other members' subscribers
        # too, each actor once (one subscribed both ways is asked once).
        return tuple(dict.fromkeys((*local, *transport.subscribers_of(target))))
    if isinstance(target, ClusterPoolRef):
        transport = system._transport
        if transport is None:  # a ClusterPoolRef of another system
            raise ValueError(f"{target!r} belongs to another actor system than {system!r}")
        routees = transport.pool_routees(target.path, rotate)
        if not routees:
            raise ActorStopped("no node of the cluster serves this pool", path=target.path)
        return routees
    if isinstance(target, ActorRef):
        return _routees(system, target, rotate=rotate)
    if isinstance(target, Iterable):
        refs = tuple(target)
        for index, ref in enumerate(refs):
            if not isinstance(ref, ActorRef):
                raise TypeError(f"targets[{index}] must be an ActorRef, got {ref!r}")
        return refs
    raise TypeError(
        f"scatter needs a pool's ref, a topic or an iterable of refs, got {type(target).__name__}"
    )


def _routees(system: ActorSystem, pool: ActorRef, *, rotate: bool) -> tuple[ActorRef, ...]:
    cell = getattr(pool, "_cell", None)  # a RemoteActorRef has no local cell
    instance = None if cell is None else cell.instance
    if cell is None or not isinstance(instance, Pool):
        if cell is not None and not pool.is_alive:
            raise ActorStopped("the pool has stopped", path=pool.path)
        raise TypeError(
            f"{pool!r} is not a local pool: scatter and tail_chop take a pool's ref, a topic"
            " or an iterable of refs (ask a single actor with ask)"
        )
    if cell.system is not system:
        raise ValueError(f"{pool!r} belongs to another actor system than {system!r}")
    routees = instance.rotation() if rotate else instance.routees
    if not pool.is_alive or not routees:
        raise ActorStopped("the pool has no routees (it stopped or gave up)", path=pool.path)
    return routees
