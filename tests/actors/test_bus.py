"""The event bus: topics, delivery, overflow, cleanup, declared subscriptions (DESIGN 3,
"Routing actors")."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import pytest

from actors import (
    Actor,
    ActorFailed,
    ActorRef,
    ActorStartError,
    ActorStopped,
    ActorSystem,
    ChildFailure,
    DeadLetter,
    EventBus,
    MailboxFull,
    Overflow,
    Publish,
    Subscribe,
    Unsubscribe,
)
from actors.testing import TestProbe, VirtualTimeLoop

from ._helpers import Recorder


class Listener(Actor):
    """Records (topic, event); its handler waits for `gate` (when given) before recording."""

    def __init__(
        self,
        log: list[Any],
        gate: asyncio.Event | None = None,
        entered: asyncio.Event | None = None,
    ) -> None:
        self.log = log
        self.gate = gate
        self.entered = entered

    async def receive(self, message: Any) -> Any:
        if self.entered is not None:
            self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        self.log.append((self.context.topic, message))
        return None


def events(log: list[Any]) -> list[Any]:
    return [event for _, event in log]


def dead_events_for(system: ActorSystem, ref: ActorRef) -> list[Any]:
    return [letter.message for letter in system.dead_letters.recent if letter.recipient == ref]


async def spawn_listener(
    system: ActorSystem, log: list[Any], pattern: str | None = None, **spawn: Any
) -> ActorRef:
    ref = await system.spawn(functools.partial(Listener, log), **spawn)
    if pattern is not None:
        await system.subscribe(ref, pattern)
    return ref


# ---------------------------------------------------------------------- topics and delivery


async def test_a_subscriber_receives_the_event_itself_and_its_topic(
    actor_system: ActorSystem,
) -> None:
    log: list[Any] = []
    await spawn_listener(actor_system, log, "orders.>")
    event = {"order": 7}
    await actor_system.publish("orders.eu.created", event)
    await actor_system.wait_idle()
    assert log == [("orders.eu.created", event)]
    assert log[0][1] is event


async def test_the_topic_is_none_for_a_message_not_sent_through_the_bus(
    actor_system: ActorSystem,
) -> None:
    log: list[Any] = []
    ref = await spawn_listener(actor_system, log, "orders.>")
    await ref.tell("direct")
    await actor_system.wait_idle()
    assert log == [(None, "direct")]


@pytest.mark.parametrize(
    ("pattern", "delivered"),
    [
        ("orders.*", ["orders.created"]),
        ("orders.>", ["orders.created", "orders.eu.created"]),
        ("*.created", ["orders.created", "payments.created"]),
        ("orders.*.created", ["orders.eu.created"]),
        (">", ["orders", "orders.created", "orders.eu.created", "payments.created"]),
        ("orders", ["orders"]),
    ],
)
async def test_patterns_follow_the_nats_subject_rules(
    actor_system: ActorSystem, pattern: str, delivered: list[str]
) -> None:
    log: list[Any] = []
    await spawn_listener(actor_system, log, pattern)
    for topic in ("orders", "orders.created", "orders.eu.created", "payments.created"):
        await actor_system.publish(topic, topic)
    await actor_system.wait_idle()
    assert events(log) == delivered


async def test_a_subscriber_matched_by_several_patterns_receives_an_event_once(
    actor_system: ActorSystem,
) -> None:
    log: list[Any] = []
    ref = await spawn_listener(actor_system, log, "orders.>")
    for pattern in ("orders.*", "orders.created", "*.created", ">"):
        await actor_system.subscribe(ref, pattern)
    await actor_system.publish("orders.created", 1)
    await actor_system.bus.tell(Publish("orders.created", 2))
    await actor_system.wait_idle()
    assert events(log) == [1, 2]


class Publisher(Actor):
    """Publishes `count` events on "ticks.n", alternating both ways of publishing."""

    def __init__(self, count: int) -> None:
        self.count = count

    async def receive(self, message: Any) -> Any:
        system = self.context.system
        for n in range(self.count):
            if n % 3 == 0:
                await system.bus.tell(Publish(f"ticks.{n % 5}", n))
            else:
                await system.publish(f"ticks.{n % 5}", n)
        return None


async def test_each_subscriber_receives_the_events_in_publish_order(
    actor_system: ActorSystem,
) -> None:
    first: list[Any] = []
    second: list[Any] = []
    await spawn_listener(actor_system, first, "ticks.*", capacity=10_000)
    await spawn_listener(actor_system, second, "ticks.>", capacity=10_000)
    publisher = await actor_system.spawn(functools.partial(Publisher, 500))
    await publisher.tell("go")
    await actor_system.wait_idle()
    assert events(first) == list(range(500))
    assert events(second) == list(range(500))


class Relay(Actor):
    """Publishes what it is told on "relay.out", from inside its handler."""

    async def receive(self, message: Any) -> Any:
        if message == "queued":
            await self.context.system.bus.tell(Publish("relay.out", message))
        else:
            await self.context.system.publish("relay.out", message)
        return None


class Metadata(Actor):
    def __init__(self, seen: list[Any]) -> None:
        self.seen = seen

    def receive(self, message: Any) -> Any:
        context = self.context
        self.seen.append((message, context.correlation_id, context.sender, context.causation_id))


async def test_events_carry_the_publisher_as_sender_and_its_correlation_id(
    actor_system: ActorSystem,
) -> None:
    seen: list[Any] = []
    subscriber = await actor_system.spawn(functools.partial(Metadata, seen))
    await actor_system.subscribe(subscriber, "relay.out")
    relay = await actor_system.spawn(Relay)
    await relay.tell("direct", correlation_id="req-1")
    await relay.tell("queued", correlation_id="req-2")
    await actor_system.wait_idle()
    await actor_system.publish("relay.out", "outside", correlation_id="req-3")
    await actor_system.wait_idle()
    assert [(m, c, s) for m, c, s, _ in seen] == [
        ("direct", "req-1", relay),
        ("queued", "req-2", relay),
        ("outside", "req-3", None),
    ]
    assert seen[0][3] is not None  # caused by the message the relay handled
    assert seen[1][3] is not None
    assert seen[2][3] is None


# ---------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("topic", "problem"),
    [
        ("", "must not be empty"),
        ("orders..created", "empty token at position 1"),
        ("orders.*", "only allowed in a pattern"),
        ("orders.>", "only allowed in a pattern"),
        ("orders. x", "whitespace"),
    ],
)
async def test_an_invalid_topic_raises_value_error_naming_the_problem(
    actor_system: ActorSystem, topic: str, problem: str
) -> None:
    await spawn_listener(actor_system, [], "orders.>")
    with pytest.raises(ValueError, match=problem):
        await actor_system.publish(topic, 1)
    with pytest.raises(ValueError, match=problem):
        actor_system.publish_nowait(topic, 1)
    with pytest.raises(ValueError, match=problem):
        Publish(topic, 1)


async def test_an_invalid_topic_raises_even_before_the_bus_exists(
    actor_system: ActorSystem,
) -> None:
    with pytest.raises(ValueError, match="empty token"):
        await actor_system.publish("a..b", 1)
    with pytest.raises(TypeError):
        await actor_system.publish(7, 1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("", "must not be empty"),
        ("orders.>.created", "'>' may only be the last token"),
        ("orders.cre*", "must be whole tokens"),
        ("orders..x", "empty token"),
    ],
)
async def test_an_invalid_pattern_raises_value_error_naming_the_problem(
    actor_system: ActorSystem, pattern: str, problem: str
) -> None:
    ref = await actor_system.spawn(Recorder)
    with pytest.raises(ValueError, match=problem):
        await actor_system.subscribe(ref, pattern)
    with pytest.raises(ValueError, match=problem):
        await actor_system.unsubscribe(ref, pattern)
    with pytest.raises(ValueError, match=problem):
        Subscribe(ref, pattern)
    with pytest.raises(ValueError, match=problem):
        Unsubscribe(ref, pattern)


async def test_reject_is_not_a_subscription_policy(actor_system: ActorSystem) -> None:
    ref = await actor_system.spawn(Recorder)
    with pytest.raises(ValueError, match="BLOCK, DROP_NEWEST or DROP_OLDEST"):
        await actor_system.subscribe(ref, "a", overflow=Overflow.REJECT)
    with pytest.raises(ValueError, match="timeout"):
        Subscribe(ref, "a", timeout=0)
    with pytest.raises(TypeError):
        Subscribe("not a ref", "a")  # type: ignore[arg-type]


async def test_a_ref_of_another_system_cannot_subscribe(actor_system: ActorSystem) -> None:
    async with ActorSystem("other") as other:
        stranger = await other.spawn(Recorder)
        with pytest.raises(ValueError, match="another actor system"):
            await actor_system.subscribe(stranger, "a")
        with pytest.raises(ActorFailed) as failed:
            await actor_system.bus.ask(Subscribe(stranger, "a"))
        assert isinstance(failed.value.__cause__, ValueError)
    assert actor_system.bus.is_alive


async def test_a_message_the_bus_does_not_understand_does_not_fail_it(
    actor_system: ActorSystem,
) -> None:
    log: list[Any] = []
    await spawn_listener(actor_system, log, "a")
    with pytest.raises(ActorFailed) as failed:
        await actor_system.bus.ask("hello")
    assert isinstance(failed.value.__cause__, TypeError)
    await actor_system.bus.tell(42)
    await actor_system.publish("a", "still works")
    await actor_system.wait_idle()
    assert events(log) == ["still works"]
    assert [letter.message for letter in actor_system.dead_letters.recent] == ["hello", 42]
    stats = actor_system.bus.statistics()
    assert stats.accepted == stats.processed + stats.dead_lettered


# ---------------------------------------------------------------------- subscribe, unsubscribe


async def test_subscribe_answers_whether_the_pattern_is_new(actor_system: ActorSystem) -> None:
    ref = await actor_system.spawn(Recorder)
    assert await actor_system.bus.ask(Subscribe(ref, "a.*")) is True
    assert await actor_system.bus.ask(Subscribe(ref, "a.*")) is False
    assert await actor_system.bus.ask(Subscribe(ref, "b")) is True
    assert await actor_system.bus.ask(Unsubscribe(ref, "zzz")) == 0
    assert await actor_system.bus.ask(Unsubscribe(ref)) == 2


async def test_unsubscribe_removes_one_pattern_or_all(actor_system: ActorSystem) -> None:
    log: list[Any] = []
    ref = await spawn_listener(actor_system, log, "a")
    await actor_system.subscribe(ref, "b")
    await actor_system.subscribe(ref, "c")
    await actor_system.unsubscribe(ref, "a")
    for topic in "abc":
        await actor_system.publish(topic, topic)
    await actor_system.unsubscribe(ref)
    for topic in "abc":
        await actor_system.publish(topic, topic.upper())
    await actor_system.unsubscribe(ref)  # nothing left: not an error
    await actor_system.wait_idle()
    assert events(log) == ["b", "c"]


@pytest.mark.parametrize("how", ["stop", "kill", "fail"])
async def test_a_subscriber_that_stops_is_unsubscribed_automatically(
    actor_system: ActorSystem, how: str
) -> None:
    ref = await actor_system.spawn(Recorder)
    await actor_system.subscribe(ref, "a.>")
    await actor_system.subscribe(ref, "b")
    if how == "stop":
        await ref.stop()
    elif how == "kill":
        ref.kill()
    else:
        await ref.tell("boom")  # a top-level actor that fails is stopped
        await ref.wait_stopped()
    await actor_system.wait_idle()
    before = actor_system.dead_letters.count
    await actor_system.publish("a.x", 1)
    await actor_system.publish("b", 2)
    await actor_system.wait_idle()
    # Still subscribed, the events would be dead letters naming the stopped actor.
    assert actor_system.dead_letters.count == before
    bus = actor_system._bus_access.instance
    assert bus is not None
    assert len(bus._trie) == 0
    assert bus._subscribers == {}


async def test_publishing_on_a_topic_nobody_subscribes_to_is_cheap(
    actor_system: ActorSystem,
) -> None:
    await actor_system.publish("nobody.listens", 1)  # before the bus exists
    await spawn_listener(actor_system, [], "orders.>")
    before = actor_system.bus.statistics()
    tasks = len(asyncio.all_tasks())
    for n in range(100):
        await actor_system.publish("nobody.listens", n)
    assert len(asyncio.all_tasks()) == tasks
    assert actor_system.bus.statistics() == before  # not even a message to the bus
    assert actor_system.dead_letters.count == 0


async def test_publishing_costs_one_mailbox_put_per_subscriber_and_no_task(
    actor_system: ActorSystem,
) -> None:
    refs = [await spawn_listener(actor_system, [], "fan.out") for _ in range(100)]
    await actor_system.wait_idle()
    tasks = len(asyncio.all_tasks())
    await actor_system.publish("fan.out", "event")
    assert len(asyncio.all_tasks()) == tasks
    assert [ref.statistics().depth for ref in refs] == [1] * 100
    assert actor_system.bus.statistics().accepted == 100  # the subscribes, not the event
    await actor_system.wait_idle()
    assert [ref.statistics().processed for ref in refs] == [1] * 100


# ---------------------------------------------------------------------- overflow


async def stalled_subscriber(
    system: ActorSystem,
    log: list[Any],
    capacity: int,
    overflow: Overflow = Overflow.BLOCK,
    timeout: float | None = 5.0,
) -> tuple[ActorRef, asyncio.Event]:
    """A subscriber to "tick" whose handler is stuck in its first event until released."""
    gate = asyncio.Event()
    entered = asyncio.Event()
    ref = await system.spawn(
        functools.partial(Listener, log, gate, entered), name="stalled", capacity=capacity
    )
    await system.subscribe(ref, "tick", overflow=overflow, timeout=timeout)
    await system.publish("tick", "first")
    await entered.wait()
    return ref, gate


async def test_drop_newest_makes_the_arriving_events_dead_letters_naming_the_subscriber(
    actor_system: ActorSystem,
) -> None:
    log: list[Any] = []
    ref, gate = await stalled_subscriber(actor_system, log, 2, Overflow.DROP_NEWEST)
    for n in range(5):
        await actor_system.publish("tick", n)
    assert dead_events_for(actor_system, ref) == [2, 3, 4]
    assert {letter.reason for letter in actor_system.dead_letters.recent} == {"mailbox_full"}
    gate.set()
    await actor_system.wait_idle()
    assert events(log) == ["first", 0, 1]


async def test_drop_oldest_gives_up_the_oldest_queued_event_never_a_direct_message(
    actor_system: ActorSystem,
) -> None:
    log: list[Any] = []
    ref, gate = await stalled_subscriber(actor_system, log, 3, Overflow.DROP_OLDEST)
    await ref.tell("direct")
    for n in range(5):
        await actor_system.publish("tick", n)
    assert dead_events_for(actor_system, ref) == [0, 1, 2]
    gate.set()
    await actor_system.wait_idle()
    assert events(log) == ["first", "direct", 3, 4]
    stats = ref.statistics()
    assert stats.accepted == stats.processed + stats.dead_lettered


async def test_drop_oldest_drops_the_arriving_event_when_only_direct_messages_are_queued(
    actor_system: ActorSystem,
) -> None:
    log: list[Any] = []
    ref, gate = await stalled_subscriber(actor_system, log, 1, Overflow.DROP_OLDEST)
    await ref.tell("direct")
    await actor_system.publish("tick", 0)
    assert dead_events_for(actor_system, ref) == [0]
    gate.set()
    await actor_system.wait_idle()
    assert events(log) == ["first", "direct"]


async def test_the_default_policy_waits_for_room_and_delivers_in_order(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    log: list[Any] = []
    _, gate = await stalled_subscriber(actor_system, log, 2)
    for n in range(4):  # two fit in the mailbox, two wait in the backlog
        await actor_system.publish("tick", n)
    await asyncio.sleep(4.9)
    gate.set()
    await actor_system.wait_idle()
    assert events(log) == ["first", 0, 1, 2, 3]
    assert actor_system.dead_letters.count == 0
    assert virtual_time.time() == 4.9


async def test_the_default_policy_gives_up_an_event_after_its_timeout(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    loop = virtual_time
    given_up: list[tuple[float, Any, Any, str]] = []
    actor_system.dead_letters.add_listener(
        lambda letter: given_up.append(
            (loop.time(), letter.message, letter.recipient, letter.reason)
        )
    )
    log: list[Any] = []
    ref, gate = await stalled_subscriber(actor_system, log, 1, timeout=2.0)
    await actor_system.publish("tick", 1)  # into the mailbox
    await actor_system.publish("tick", 2)  # waits in the backlog (as long as the mailbox)
    await actor_system.publish("tick", 3)  # the backlog is full: a dead letter at once
    await asyncio.sleep(3.0)
    assert given_up == [(0.0, 3, ref, "mailbox_full"), (2.0, 2, ref, "mailbox_full")]
    gate.set()
    await actor_system.wait_idle()
    assert events(log) == ["first", 1]


async def test_an_event_waits_without_limit_when_the_timeout_is_none(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    log: list[Any] = []
    _, gate = await stalled_subscriber(actor_system, log, 1, timeout=None)
    await actor_system.publish("tick", 1)
    await actor_system.publish("tick", 2)
    await asyncio.sleep(3600.0)
    gate.set()
    await actor_system.wait_idle()
    assert events(log) == ["first", 1, 2]
    assert actor_system.dead_letters.count == 0


@pytest.mark.parametrize("overflow", [Overflow.BLOCK, Overflow.DROP_NEWEST, Overflow.DROP_OLDEST])
async def test_a_stalled_subscriber_does_not_delay_a_fast_one(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop, overflow: Overflow
) -> None:
    fast = await TestProbe.create(actor_system)
    await actor_system.subscribe(fast.ref, "tick")
    log: list[Any] = []
    stalled, gate = await stalled_subscriber(actor_system, log, 2, overflow)
    await fast.expect("first")
    for n in range(50):
        await actor_system.publish("tick", n)
    for n in range(50):
        await fast.expect(n, timeout=0.001)
    assert virtual_time.time() == 0.0  # the fast subscriber waited for nothing
    await asyncio.sleep(10.0)  # past the stalled subscriber's timeout
    gate.set()
    await actor_system.wait_idle()
    # Every event is accounted for: handled by the stalled subscriber or a dead letter
    # naming it.
    handled = events(log)[1:]
    assert sorted(handled + dead_events_for(actor_system, stalled)) == list(range(50))
    assert handled == sorted(handled)
    stats = stalled.statistics()
    assert stats.accepted == stats.processed + stats.dead_lettered


async def test_a_backlog_of_a_subscriber_that_stops_becomes_dead_letters(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    log: list[Any] = []
    ref, _ = await stalled_subscriber(actor_system, log, 1)
    await actor_system.publish("tick", 1)
    await actor_system.publish("tick", 2)
    ref.kill()
    await actor_system.wait_idle()
    letters = [(letter.message, letter.reason) for letter in actor_system.dead_letters.recent]
    assert letters == [("first", "stopped"), (1, "stopped"), (2, "stopped")]
    assert virtual_time.time() == 0.0


# ---------------------------------------------------------------------- no deadlock


class Chatter(Actor):
    """On ("go", n) publishes ("go", n + 1) and some noise on topics it is subscribed to,
    both ways, from inside its own handler; records whether it did so with full mailboxes."""

    subscriptions = ("chat.>",)

    def __init__(self, limit: int, seen: list[Any], full: set[str]) -> None:
        self.limit = limit
        self.seen = seen
        self.full = full

    async def receive(self, message: Any) -> Any:
        self.seen.append(message)
        kind, n = message
        if kind != "go" or n >= self.limit:
            return None
        system = self.context.system
        me = self.context._cell.mailbox
        bus = system.bus._cell.mailbox
        for i in range(3):
            if len(me.user) >= me.capacity:
                self.full.add("own mailbox")
            if len(bus.user) >= bus.capacity:
                self.full.add("bus mailbox")
            await system.bus.tell(Publish("chat.noise", ("noise", n * 10 + i)))
            await system.publish("chat.noise", ("noise", n * 10 + i))
        await system.publish("chat.go", ("go", n + 1))
        return None


async def test_a_subscriber_publishing_from_its_handler_never_deadlocks(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    actor_system._bus_access.capacity = 1
    seen: list[Any] = []
    full: set[str] = set()
    chatter = await actor_system.spawn(
        functools.partial(Chatter, 20, seen, full), capacity=2, shutdown=1.0
    )
    other = await actor_system.spawn(
        functools.partial(Chatter, 20, [], full), capacity=2, shutdown=1.0
    )
    async with asyncio.timeout(60.0):  # virtual: a deadlock fails here, at once
        await actor_system.publish("chat.go", ("go", 0))
        await actor_system.wait_idle()
    assert full == {"own mailbox", "bus mailbox"}
    assert ("go", 0) in seen
    assert virtual_time.time() < 60.0
    # Nothing was lost silently: handled, or a dead letter naming the subscriber.
    for ref in (chatter, other):
        stats = ref.statistics()
        assert stats.accepted == stats.processed + stats.dead_lettered


# ---------------------------------------------------------------------- declared subscriptions


class Declared(Actor):
    subscriptions = ("orders.>", "audit.*")

    def __init__(self, log: list[Any], starts: list[int]) -> None:
        self.log = log
        starts.append(1)

    def receive(self, message: Any) -> Any:
        if message == "boom":
            raise RuntimeError("boom")
        self.log.append(message)
        return None


class Restarter(Actor):
    def __init__(self, factory: Any) -> None:
        self.factory = factory

    async def on_start(self) -> None:
        await self.context.spawn(self.factory, name="child")

    def receive(self, message: Any) -> Any:
        return None

    async def on_child_failed(self, failure: ChildFailure) -> None:
        await self.context.restart_child(failure.child)


async def test_declared_subscriptions_are_active_when_spawn_returns(
    actor_system: ActorSystem,
) -> None:
    log: list[Any] = []
    await actor_system.spawn(functools.partial(Declared, log, []))
    await actor_system.publish("orders.created", 1)
    await actor_system.publish("audit.x", 2)
    await actor_system.publish("audit.x.y", 3)
    await actor_system.wait_idle()
    assert log == [1, 2]


async def test_declared_subscriptions_are_renewed_after_every_restart(
    actor_system: ActorSystem,
) -> None:
    log: list[Any] = []
    starts: list[int] = []
    await actor_system.spawn(
        functools.partial(Restarter, functools.partial(Declared, log, starts)), name="parent"
    )
    child = actor_system.lookup("/parent/child")
    assert child is not None
    await actor_system.publish("orders.a", 1)
    await actor_system.unsubscribe(child)
    await actor_system.publish("orders.a", 2)  # not subscribed any more
    await child.tell("boom")  # fails; the parent restarts it
    await actor_system.wait_idle()
    assert len(starts) == 2
    await actor_system.publish("orders.a", 3)
    await actor_system.wait_idle()
    assert log == [1, 3]


async def test_declared_subscriptions_keep_the_policy_the_actor_chose(
    actor_system: ActorSystem,
) -> None:
    class Picky(Declared):
        async def on_start(self) -> None:
            await self.context.system.subscribe(
                self.context.ref, "orders.>", overflow=Overflow.DROP_NEWEST
            )

    ref = await actor_system.spawn(functools.partial(Picky, [], []))
    bus = actor_system._bus_access.instance
    assert bus is not None
    assert bus._subscribers[ref._cell].overflow is Overflow.DROP_NEWEST
    assert bus._trie.patterns_of(bus._subscribers[ref._cell]) == ["orders.>", "audit.*"]


@pytest.mark.parametrize(
    ("subscriptions", "error"),
    [(("orders..x",), ValueError), (("ok", "a.>.b"), ValueError), ("orders.>", TypeError)],
)
async def test_invalid_declared_subscriptions_fail_the_start(
    actor_system: ActorSystem, subscriptions: Any, error: type[Exception]
) -> None:
    class Broken(Recorder):
        pass

    Broken.subscriptions = subscriptions
    with pytest.raises(ActorStartError) as failed:
        await actor_system.spawn(Broken, name="broken")
    assert isinstance(failed.value.__cause__, error)
    assert actor_system.actors == ()
    bus = actor_system._bus_access.instance
    assert bus is None or len(bus._trie) == 0


# ---------------------------------------------------------------------- dead letters


async def test_dead_letters_are_published_on_the_dead_letter_topic(
    actor_system: ActorSystem,
) -> None:
    seen: list[Any] = []
    office = await actor_system.spawn(functools.partial(Listener, seen))
    await actor_system.subscribe(office, EventBus.DEAD_LETTER_TOPIC)
    gone = await actor_system.spawn(Recorder)
    await gone.stop()
    await gone.tell("too late")
    await actor_system.wait_idle()
    assert seen == [("system.dead_letters", DeadLetter("too late", gone, "stopped"))]


class FailingOffice(Actor):
    """Subscribed to dead letters; fails on every one (so it is stopped after the first)."""

    subscriptions = (EventBus.DEAD_LETTER_TOPIC,)

    def receive(self, message: Any) -> Any:
        raise RuntimeError("cannot store dead letters")


async def test_a_dead_letter_of_a_dead_letter_event_is_not_published_again(
    actor_system: ActorSystem,
) -> None:
    failing = await actor_system.spawn(FailingOffice)
    slow_log: list[Any] = []
    slow, gate = await stalled_subscriber(actor_system, slow_log, 1, Overflow.DROP_NEWEST)
    await actor_system.subscribe(slow, EventBus.DEAD_LETTER_TOPIC, overflow=Overflow.DROP_NEWEST)
    gone = await actor_system.spawn(Recorder)
    await gone.stop()
    for n in range(5):
        await gone.tell(n)
    gate.set()
    await actor_system.wait_idle()
    assert not failing.is_alive
    letters = actor_system.dead_letters.recent
    # Five originals; every further dead letter is one of a dead-letter event (dropped by
    # the slow office, failed by the failing one or refused by it once stopped): finite.
    originals = [letter for letter in letters if not isinstance(letter.message, DeadLetter)]
    assert [letter.message for letter in originals] == [0, 1, 2, 3, 4]
    assert len(letters) < 20


# ---------------------------------------------------------------------- the bus itself


async def test_the_bus_lives_under_system_and_is_not_listed_among_the_actors(
    actor_system: ActorSystem,
) -> None:
    bus = actor_system.bus
    assert bus.path == "/system/bus"
    assert actor_system.lookup("/system/bus") is bus
    assert actor_system.actors == ()
    with pytest.raises(ValueError, match="reserved"):
        await actor_system.spawn(Recorder, name="system")


class FarewellPublisher(Actor):
    async def on_stop(self) -> None:
        await self.context.system.publish("farewell", self.context.name)

    def receive(self, message: Any) -> Any:
        return None


async def test_shutdown_stops_the_application_actors_before_the_bus() -> None:
    log: list[Any] = []
    async with ActorSystem("shutdown") as system:
        await spawn_listener(system, log, "farewell", name="listener")
        await system.spawn(FarewellPublisher, name="leaving")
        bus = system.bus
    assert events(log) == ["leaving"]
    assert not bus.is_alive
    assert system.lookup("/system/bus") is None
    closed = ActorSystem("closed")
    await closed.shutdown()  # shut down before first use: no bus any more
    await closed.publish("a", 1)  # nobody can be subscribed: not an error
    with pytest.raises(ActorStopped):
        _ = closed.bus


async def test_publish_nowait_raises_mailbox_full_when_it_would_wait(
    actor_system: ActorSystem,
) -> None:
    actor_system._bus_access.capacity = 1
    log: list[Any] = []
    await spawn_listener(actor_system, log, "a")
    actor_system.publish_nowait("a", 1)  # straight to the subscriber
    actor_system.bus.tell_nowait(Publish("a", 2))  # queued: the bus's mailbox is full
    with pytest.raises(MailboxFull) as full:
        actor_system.publish_nowait("a", 3)
    assert full.value.message == Publish("a", 3)
    await actor_system.wait_idle()
    actor_system.publish_nowait("a", 4)
    await actor_system.wait_idle()
    assert events(log) == [1, 2, 4]


async def test_a_private_bus_can_be_spawned_and_used_through_messages(
    actor_system: ActorSystem,
) -> None:
    log: list[Any] = []
    private = await actor_system.spawn(EventBus, name="private-bus")
    subscriber = await spawn_listener(actor_system, log)
    await private.ask(Subscribe(subscriber, "x.*"))
    await private.tell(Publish("x.y", 1))
    await actor_system.publish("x.y", "not on the private bus")
    await actor_system.wait_idle()
    assert log == [("x.y", 1)]
