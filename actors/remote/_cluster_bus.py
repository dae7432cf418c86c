"""``ClusterBus``: the event bus across the nodes of a cluster, on NATS subjects.

An event published on the topic ``orders.eu`` travels on the subject
``<prefix>.events.orders.eu`` (``<prefix>`` is ``actors.<system>``). A node subscribes NATS
to ``<prefix>.events.<pattern>`` for every pattern its local subscribers have (the bus's
topic rules are the NATS subject rules, so the mapping is one to one) and unsubscribes when
the last local subscriber of a pattern goes. These subjects are not ``<prefix>.bus.<topic>``,
where durable events are published to JetStream (``_durable.py``): a stream keeps every
message on its subjects, so it must never see these frames, and the subscriptions here must
never see the durable ones (a durable event reaches the non-durable subscribers of other
nodes from here, like any event: ``publish`` stores it, then publishes it on the bus).

Interest: each node tells the others the whole set of its patterns (an ``Interest`` frame
on the members subject, sent after its heartbeat) whenever the set changes, when a member
comes up and after a reconnect. A publisher sends an event over NATS only when some other
node subscribes to a matching pattern, so a node alone, or one whose peers do not
subscribe to a topic, pays one dictionary lookup per publish. A node that is declared down
(or leaves) takes its interest with it: nothing is sent for it any more.

The same frame says who subscribes: every (pattern, actor path) of the node's bus and
durable subscribers, sent again whenever a subscriber comes or goes (changes coalesce, as
Akka's distributed pub-sub gossips its registry). ``subscribers_of`` turns them into refs
for scatter and tail_chop over a topic; a node that is down takes them with it too.

Exactly once on the publishing node: local subscribers get the event from the local bus,
directly; the copy NATS brings back to the publisher's own subscriptions carries the
publisher's incarnation and is dropped. A node whose patterns overlap (``orders.*`` and
``orders.>``) gets one copy per matching NATS subscription; only the copy that came through
the oldest matching subscription is delivered, to every matching local subscriber.

Topics whose first token is ``system`` are the runtime's own (``system.cluster.*``,
``system.dead_letters``): they stay on their node.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import msgspec
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from actors._cluster._remote_ref import RemoteActorRef
from actors._core._envelope import NOT_TIMED, Envelope, new_envelope
from actors._core._log import log_limited, logger
from actors._routing._topics import TopicTrie
from actors._system._system_bus import RUNTIME_NAME
from actors.remote._outbox import TELL
from actors.remote._wire import Batch, BusEvent, Interest, decode_frame, encode_frame

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from actors._core._ref import ActorRef
    from actors.remote._link import NodeLink

__all__ = ["MAX_SUBJECT_BYTES", "ClusterBus", "node_local"]

# A subject longer than this is refused: the NATS control line (subject, reply subject and
# size) is 4 KiB by default, and a server closes a connection that exceeds it.
MAX_SUBJECT_BYTES = 1024
# Topics whose route (subject or "not sent") is remembered; cleared whole when full, and
# whenever another node's interest changes.
_ROUTES = 4096


def node_local(text: str) -> bool:
    """Whether a topic or pattern names the runtime's own topics (first token ``system``),
    which never cross nodes."""
    return text.partition(".")[0] == RUNTIME_NAME


class ClusterBus:
    """The cluster side of one node's event bus (private; the node drives it)."""

    def __init__(self, link: NodeLink) -> None:
        self._link = link
        self._system = link.system
        self._prefix = f"{link.prefix}.events."
        # pattern -> how many local subscribers have it (only patterns with one or more).
        self._local: dict[str, int] = {}
        # pattern -> its NATS subscription, as the sync task made them.
        self._subscriptions: dict[str, Subscription] = {}
        # The patterns subscribed on NATS, oldest first: a copy is delivered only when it came
        # through the oldest one that matches its topic.
        self._active: TopicTrie[str] = TopicTrie()
        # The other nodes' patterns (values: node names), and the incarnation each was from.
        self._remote: TopicTrie[str] = TopicTrie()
        self._remote_incarnations: dict[str, str] = {}
        # The other nodes' subscribers, (node, path) by pattern, as each node last told.
        self._remote_subscribers: TopicTrie[tuple[str, str]] = TopicTrie()
        self._subscribers_of_node: dict[str, set[tuple[str, str]]] = {}
        # This node's subscribers as last told, and where its durable ones come from.
        self._told: list[tuple[str, str]] = []
        self.durable_subscriptions: Callable[[], list[tuple[str, ActorRef]]] | None = None
        # The other nodes' cluster pools: node -> pool path -> routee paths, as last told;
        # this node's as last told, and where they come from.
        self._remote_pools: dict[str, dict[str, list[str]]] = {}
        self._told_pools: list[tuple[str, list[str]]] = []
        self.served_pools: Callable[[], dict[str, tuple[ActorRef, ...]]] | None = None
        # topic -> subject to send it on, "" when no other node subscribes to it.
        self._routes: dict[str, str] = {}
        self._waiters: list[tuple[str, str, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._announce = False
        self._nc: Client | None = None
        link.cluster.interest = self

    # ------------------------------------------------------------------ lifecycle

    def start(self, nc: Client) -> None:
        """Follow the local subscriptions (those made so far included) and forward publishes."""
        self._nc = nc
        access = self._system._bus_access
        for pattern in access.watch_interest(self._interest_changed):
            self._local[pattern] = self._local.get(pattern, 0) + 1
        access.forward = self.forward
        self._link.spawn_task(self._sync_loop(), "bus")
        self._wake.set()

    def close(self) -> None:
        """Stop forwarding and following (the node cancels the sync task)."""
        access = self._system._bus_access
        if access.forward == self.forward:
            access.forward = None
            access.watch_interest(None)
        for _, _, waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(TimeoutError(f"node {self._link.node} left the cluster"))

    # ------------------------------------------------------------------ outgoing

    def forward(self, topic: str, event: Any, correlation_id: int | str | None) -> None:
        """Send ``event`` to the other nodes that subscribe to ``topic``, if any.

        Raises SerializationError (nothing is sent or delivered), or ValueError/TypeError
        for an invalid topic or one too long for a NATS subject."""
        if not self._remote:
            return  # no other node subscribes to anything
        subject = self._routes.get(topic)
        if subject is None:
            subject = self._route(topic)
        if not subject:
            return
        link = self._link
        name, body = link.codec.encode(event)
        # What a local event would inherit from the handler it is published from (or from an
        # ambient correlation_scope and the current span outside handlers).
        envelope = new_envelope(None, None, correlation_id)
        publisher = envelope.sender
        sender = None if publisher is None else link.encode_ref(publisher)
        frame = BusEvent(
            link.incarnation,
            name,
            body,
            envelope.message_id,
            envelope.correlation_id,
            envelope.causation_id,
            sender,
            envelope.trace,
        )
        link.cluster.events_sent += 1
        if not link.connected():
            link.lost("not connected to NATS")
            return
        link.send(subject, encode_frame(frame), kind=TELL)

    def _route(self, topic: str) -> str:
        nodes = self._remote.match(topic)  # validates the topic
        subject = ""
        if nodes and not node_local(topic):
            subject = self._prefix + topic
            if len(subject.encode()) > MAX_SUBJECT_BYTES:
                raise ValueError(
                    f"topic {topic[:40]!r}... is too long to cross nodes: its NATS subject"
                    f" would exceed {MAX_SUBJECT_BYTES} bytes"
                )
        if len(self._routes) >= _ROUTES:
            self._routes.clear()
        self._routes[topic] = subject
        return subject

    # ------------------------------------------------------------------ local interest

    def subscribers_changed(self) -> None:
        """A subscriber came or went (bus or durable): the other nodes are told who
        subscribes, changes made meanwhile coalesced."""
        self._wake.set()

    def _interest_changed(self, pattern: str, added: bool) -> None:
        # Called from the bus's handler: only bookkeeping, never raises.
        self._wake.set()  # who subscribes changed, even when the patterns did not
        local = self._local
        if added:
            count = local[pattern] = local.get(pattern, 0) + 1
            if count == 1:
                self._wake.set()
        else:
            count = local.get(pattern, 0) - 1
            if count > 0:
                local[pattern] = count
            else:
                local.pop(pattern, None)
                self._wake.set()

    async def _sync_loop(self) -> None:
        """Make the NATS subscriptions follow the local patterns, and tell the other nodes
        (changes made meanwhile coalesce into one ``Interest``)."""
        wake = self._wake
        while True:
            await wake.wait()
            wake.clear()
            try:
                await self._sync()
            except Exception as error:  # a failed (un)subscribe is retried on the next change
                log_limited("error", "cluster.bus_sync_failed", self._link.node, error=repr(error))

    def _wanted(self) -> list[str]:
        wanted = []
        for pattern in self._local:
            if node_local(pattern):
                continue
            if len((self._prefix + pattern).encode()) > MAX_SUBJECT_BYTES:
                log_limited(
                    "error",
                    "cluster.bus_pattern_too_long",
                    pattern,
                    pattern=pattern[:80],
                    limit=MAX_SUBJECT_BYTES,
                )
                continue
            wanted.append(pattern)
        return wanted

    async def _sync(self) -> None:
        nc = self._nc
        assert nc is not None
        wanted = self._wanted()
        changed = False
        for pattern in [pattern for pattern in self._subscriptions if pattern not in wanted]:
            subscription = self._subscriptions.pop(pattern)
            self._active.remove(pattern, pattern)
            changed = True
            await subscription.unsubscribe()
        for pattern in wanted:
            if pattern not in self._subscriptions:
                self._subscriptions[pattern] = await nc.subscribe(
                    self._prefix + pattern, cb=self._receiver(pattern)
                )
                self._active.add(pattern, pattern)
                changed = True
        subscribers = self._subscribers()
        pools = self._pools()
        if changed or self._announce or subscribers != self._told or pools != self._told_pools:
            self._announce = False
            self._told = subscribers
            self._told_pools = pools
            self._tell_interest()

    def _pools(self) -> list[tuple[str, list[str]]]:
        served = {} if self.served_pools is None else self.served_pools()
        return sorted((path, [ref.path for ref in routees]) for path, routees in served.items())

    def _subscribers(self) -> list[tuple[str, str]]:
        """This node's subscribers, (pattern, path) pairs, sorted: the bus's and the durable
        ones, the runtime's own topics left out."""
        pairs: set[tuple[str, str]] = set()
        bus = self._system._bus_access.instance
        if bus is not None:
            for path, patterns in bus.subscribers().items():
                pairs.update((pattern, path) for pattern in patterns if not node_local(pattern))
        if self.durable_subscriptions is not None:
            pairs.update((pattern, ref.path) for pattern, ref in self.durable_subscriptions())
        return sorted(pairs)

    def _tell_interest(self) -> None:
        link = self._link
        if link.connected():
            frame = Interest(
                link.node,
                link.incarnation,
                list(self._subscriptions),
                self._told,
                self._told_pools,
            )
            link.send(link.members_subject, encode_frame(frame))

    # ------------------------------------------------------------------ membership hooks

    def member_up(self) -> None:
        """A node came up: it learns this node's patterns (after this node's heartbeat)."""
        if self._subscriptions or self._local or self._told or self._told_pools:
            self._announce = True
            self._wake.set()

    def reconnected(self) -> None:
        """Back on NATS: what was told while cut off may be lost, so tell it again."""
        self.member_up()

    def member_down(self, node: str, incarnation: str) -> None:
        """``node`` (in ``incarnation``) is gone: nothing is sent for its subscribers."""
        if self._remote_incarnations.get(node) == incarnation:
            del self._remote_incarnations[node]
            self._remote.remove_value(node)
            self._forget_subscribers(node)
            self._remote_pools.pop(node, None)
            self._routes.clear()

    def _forget_subscribers(self, node: str) -> None:
        for value in self._subscribers_of_node.pop(node, ()):
            self._remote_subscribers.remove_value(value)

    def interest_of(self, frame: Interest) -> None:
        """Another node's patterns (all of them, replacing what was known)."""
        link = self._link
        if frame.node == link.node or (
            link.membership.incarnation_of(frame.node) != frame.incarnation
        ):
            return  # this node, or not (or no longer) a member in that incarnation
        remote = self._remote
        remote.remove_value(frame.node)
        for pattern in frame.patterns:
            try:
                remote.add(pattern, frame.node)
            except (TypeError, ValueError) as error:
                log_limited(
                    "warning",
                    "cluster.bad_interest",
                    frame.node,
                    member=frame.node,
                    error=str(error),
                )
        self._forget_subscribers(frame.node)
        known = self._subscribers_of_node[frame.node] = set()
        for pattern, path in frame.subscribers:
            value = (frame.node, path)
            try:
                self._remote_subscribers.add(pattern, value)
            except (TypeError, ValueError):
                continue  # logged above, as a bad pattern of its interest
            known.add(value)
        self._remote_pools[frame.node] = dict(frame.pools)
        self._remote_incarnations[frame.node] = frame.incarnation
        self._routes.clear()
        for member, topic, waiter in self._waiters:
            if member == frame.node and not waiter.done() and member in remote.match(topic):
                waiter.set_result(None)

    # ------------------------------------------------------------------ scatter-gather

    def subscribers_of(self, topic: str) -> tuple[ActorRef, ...]:
        """The other nodes' subscribers of ``topic`` (bus and durable), as refs to them in
        the incarnation their node last told of, ordered by node and path. A node that
        is declared down or left is not among them.

        Raises ``TypeError`` or ``ValueError`` for an invalid topic."""
        found = self._remote_subscribers.match(topic)  # validates the topic
        if node_local(topic):
            return ()
        endpoint = self._link.endpoint
        incarnations = self._remote_incarnations
        return tuple(
            RemoteActorRef(endpoint, node, incarnations[node], path)
            for node, path in sorted(found)
            if node in incarnations
        )

    def pool_routees(self, path: str) -> tuple[ActorRef, ...]:
        """The routees of the cluster pool at ``path`` on the other nodes that serve it, as
        each last told, ordered by node."""
        endpoint = self._link.endpoint
        incarnations = self._remote_incarnations
        return tuple(
            RemoteActorRef(endpoint, node, incarnations[node], routee)
            for node, pools in sorted(self._remote_pools.items())
            if node in incarnations
            for routee in pools.get(path, ())
        )

    # ------------------------------------------------------------------ BusInterest

    def nodes_for(self, topic: str) -> tuple[str, ...]:
        nodes = self._remote.match(topic)  # validates the topic
        if node_local(topic):
            return ()
        return tuple(sorted(nodes))

    async def wait_for(self, node: str, topic: str, timeout: float | None) -> None:
        if node in self.nodes_for(topic):
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (node, topic, waiter)
        self._waiters.append(entry)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except TimeoutError:
            if waiter.done() and waiter.exception() is not None:
                raise
            raise TimeoutError(
                f"node {node!r} was not known to subscribe to {topic!r} within {timeout}s"
            ) from None
        finally:
            self._waiters.remove(entry)
            if not waiter.done():
                waiter.cancel()

    # ------------------------------------------------------------------ incoming

    def _receiver(self, pattern: str) -> Callable[[Msg], Coroutine[Any, Any, None]]:
        async def receive(msg: Msg) -> None:
            self._on_event(msg, pattern)

        return receive

    def _on_event(self, msg: Msg, pattern: str) -> None:
        link = self._link
        topic = msg.subject[len(self._prefix) :]
        if len(self._active) > 1:
            try:
                first = self._active.match(topic)
            except (TypeError, ValueError):
                first = []
            if first and first[0] != pattern:
                return  # the copy of another of this node's subscriptions is delivered
        link.cluster.frames_received += 1
        data = msg.data
        try:
            frame = decode_frame(data)
        except (msgspec.DecodeError, ValueError, TypeError) as error:
            link.undecodable(data, error, msg.subject)
            return
        try:
            if isinstance(frame, BusEvent):
                self._deliver(frame, topic, msg)
            elif isinstance(frame, Batch):
                for raw in frame.frames:
                    try:
                        inner = decode_frame(raw)
                    except (msgspec.DecodeError, ValueError, TypeError) as error:
                        link.undecodable(bytes(raw), error, msg.subject)
                        continue
                    if isinstance(inner, BusEvent):
                        self._deliver(inner, topic, msg)
                    else:
                        link.unexpected(msg, inner)
            else:
                link.unexpected(msg, frame)
        except Exception as error:  # never let one event kill the subscription
            logger.error("cluster.event_delivery_failed", node=link.node, exc_info=error)

    def _deliver(self, frame: BusEvent, topic: str, msg: Msg) -> None:
        link = self._link
        if frame.origin == link.incarnation:
            return  # this node's own publish: its subscribers had it from the local bus
        try:
            event = link.codec.decode(frame.message_type, frame.body)
        except (LookupError, msgspec.DecodeError) as error:
            link.undecodable(msg.data, error, msg.subject)
            return
        sender = None if frame.sender is None else link.decode_ref(frame.sender)
        link.cluster.events_received += 1
        self._system._bus_access.deliver(
            Envelope(
                event,
                sender,
                None,
                frame.message_id,
                frame.correlation_id,
                frame.causation_id,
                NOT_TIMED,
                topic,
                frame.trace,
            )
        )
