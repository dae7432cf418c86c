"""Every public object prints usefully: no ``<... object at 0x...>`` among the reprs of the
objects a user meets, one (or more) for every class in ``actors.__all__``,
``actors.testing.__all__``, ``actors.metrics.__all__`` and ``supervision.__all__``."""

from __future__ import annotations

import asyncio
import inspect
import re
from typing import Any

import pytest

import actors
import actors.metrics
import actors.testing
import supervision
from actors import (
    Actor,
    ActorFailed,
    ActorStartError,
    ActorStopped,
    ActorSystem,
    AskTimeout,
    ChildFailure,
    EventBus,
    MailboxFull,
    Overflow,
    Publish,
    Routing,
    Subscribe,
    Terminated,
    Unsubscribe,
)
from actors.testing import TestProbe
from supervision import (
    Backoff,
    ChildSpec,
    ConfigError,
    ConfigProblem,
    Directive,
    DynamicSupervisor,
    ExceptionDecider,
    OneForAll,
    OneForOne,
    PathRef,
    Restart,
    RestartIntensityExceeded,
    RestForOne,
    StartChild,
    StopChild,
    SupervisionError,
    Supervisor,
    WhichChildren,
    load_tree,
    start_child,
)

A = "tests.supervision._config_actors"
SEEN: list[Actor] = []

# Classes that have no instances here, each with the reason.
NO_INSTANCES = {
    "RestartPolicy": "a Protocol: what a pool needs from a strategy",
    "Strategy": "abstract: OneForOne, OneForAll and RestForOne are its instances",
    # These exist only in a system joined to a NATS cluster; each defines its own __repr__
    # (test_their_own_reprs_are_defined below), and the cluster's tests make live ones.
    "Cluster": "needs a running cluster",
    "RemoteActorRef": "needs a running cluster",
    "ClusterPoolRef": "needs a running cluster",
}

TREE = f"""
[tree]
name = "app"
decider = {{ "builtins:ValueError" = "resume" }}
backoff = {{ min = 0.1, max = 1.0 }}
[[tree.children]]
name = "worker"
actor = "{A}:Counter"
mailbox = {{ capacity = 10 }}
subscribe = ["news.>"]
[[tree.children]]
name = "pool"
actor = "{A}:Counter"
pool = {{ size = 2 }}
[[tree.children]]
name = "sessions"
template = {{ actor = "{A}:Counter" }}
"""


class Remembered(Actor):
    async def on_start(self) -> None:
        SEEN.append(self)

    def receive(self, message: Any) -> Any:
        return message


class Shop(Supervisor):
    strategy = OneForOne(decider=ExceptionDecider({ValueError: Directive.RESUME}))
    children = (ChildSpec("remembered", Remembered),)


class Sessions(DynamicSupervisor):
    child_spec = ChildSpec("session", Remembered)


def instance(ref: actors.ActorRef) -> Actor:
    return ref._cell.instance  # type: ignore[no-any-return]  # the live object itself


async def public_objects(tmp_path: Any) -> list[object]:
    SEEN.clear()
    system = ActorSystem("shop")
    objects: list[object] = [system]
    async with system:
        shop = await system.spawn(Shop, name="shop")
        sessions = await system.spawn(Sessions, name="sessions")
        session = await start_child(sessions)
        pool = await system.spawn_pool(Remembered, size=2, name="pool")
        probe = await TestProbe.create(system)
        actor = SEEN[0]  # /shop/remembered
        timer = actor.context.schedule_once(60.0, "later")
        await system.publish("news.today", "hello")
        await shop.tell("x")
        gathered = await system.scatter(pool, "x", timeout=1.0)
        await system.wait_idle()
        path = tree_path = tmp_path / "tree.toml"
        tree_path.write_text(TREE)
        spec = load_tree(path)
        await session.stop()
        await session.tell("to a stopped actor")  # a dead letter
        objects += [
            actors.metrics.RuntimeCollector(system),
            actor,
            actor.context,
            shop,
            instance(shop),
            instance(sessions),
            pool,
            instance(pool),
            SEEN[1],  # the session, stopped
            timer,
            probe,
            asyncio.get_running_loop(),
            system.bus,
            instance(system.bus),
            system.dead_letters,
            system.from_thread,
            await supervision.count_children(shop),
            actors.snapshot_tree(system),
            *actors.snapshot_tree(system).actors,
            *system.dead_letters.recent,
            system.statistics(),
            system.health(),
            *system.health().supervisors,
            system.health().loop,
            system.circuit_breaker("provider"),
            system.circuit_breaker("provider").statistics(),
            actors.CircuitState.OPEN,
            actors.CircuitOpen("open", breaker="provider", remaining=1.0, path="/shop"),
            shop.statistics(),
            await shop.ask(WhichChildren()),
            *(await shop.ask(WhichChildren())),
            PathRef(system, "/shop/remembered"),
            Terminated(shop),
            ChildFailure(shop, ValueError("bad"), "message"),
            Subscribe(shop, "orders.>"),
            Unsubscribe(shop),
            Publish("orders.created", {"id": 1}),
            Overflow.BLOCK,
            Routing.ROUND_ROBIN,
            EventBus(),
            spec,
            spec.system,
            supervision.CircuitBreakerSpec(max_failures=3),
            spec.tree,
            spec.tree.backoff,
            *spec.tree.children,
            spec.tree.children[0].mailbox,
            spec.tree.children[1].pool,  # type: ignore[union-attr]
            spec.tree.children[2].template,  # type: ignore[union-attr]
            gathered,
            *gathered.replies,
            actors.ScatterFailure(shop, ActorStopped("stopped", path="/shop")),
        ]
        timer.cancel()
    objects += [
        actors.ActorError("generic", path="/shop"),
        ActorStopped("stopped", path="/shop"),
        AskTimeout("late", path="/shop"),
        MailboxFull("full", message="m", path="/shop"),
        ActorFailed("failed", path="/shop"),
        actors.AmbiguousAsk("broadcast", path="/pool"),
        ActorStartError("failed to start", path="/shop"),
        SupervisionError("supervision", path="/shop"),
        RestartIntensityExceeded("gave up", path="/shop"),
        ConfigError([ConfigProblem("$.tree", "a table", "a list")]),
        ConfigProblem("$.tree", "a table", "a list"),
        Backoff(min=0.1, max=1.0),
        actors.RestartIntensity(3, 5.0),
        ChildSpec("worker", Remembered, restart=Restart.TRANSIENT),
        OneForOne(),
        OneForAll(backoff=Backoff(min=0.1, max=1.0)),
        RestForOne(decider=ExceptionDecider({OSError: Directive.STOP})),
        ExceptionDecider({ValueError: Directive.RESUME}),
        Directive.RESUME,
        Restart.PERMANENT,
        WhichChildren(),
        StartChild(),
        StopChild("worker"),
        supervision.TerminateChild("worker"),
        supervision.RestartChild("worker"),
        supervision.DeleteChild("worker"),
        supervision.CountChildren(),
        actors.ClusterConfig(servers=["nats://127.0.0.1:4222"], node="a"),
        actors.ClusterStatistics("a", "i1", 2, 0, 0, 0, 0, 0, 0),
        actors.Member("a", "i1"),
        actors.MemberUp("a", "i1"),
        actors.MemberDown("a", "i1", "heartbeat_timeout"),
        actors.NodeUnreachable("gone", node="b", path="/shop"),
        actors.ClusterAuthError(
            "refused", server="nats://127.0.0.1:4222", node="a", refused="the token"
        ),
        actors.SerializationError("not encodable", path="/shop"),
        actors.DurableStream(name="orders", subjects=["orders.>"]),
        actors.DurablePool(name="resizers"),
        actors.JetStreamError("refused", stream="shop_orders"),
        actors.JetStreamUnavailable("no JetStream"),
        actors.DurablePublishFailed("no ack", stream="shop_orders", topic="orders.paid"),
        actors.MaxDeliveriesExceeded(
            "failed 5 times",
            path="/billing",
            message_type="Paid",
            deliveries=5,
            topic="orders.paid",
            durable="billing",
            stream="shop_orders",
        ),
        actors.Retry(3, backoff=actors.Backoff(min=0.1, max=1.0), on=(ConnectionError,)),
        actors.HandlerTimeout("overran", timeout=1.0, elapsed=1.0, path="/shop"),
        actors.RetriesExhausted("failed 3 attempts", errors=[ValueError("x")], path="/shop"),
        supervision.RetrySpec(max_attempts=2),
        actors.testing.NatsServer(),
        actors.ResizePool(2),
        supervision.diff_trees(spec, spec),
        supervision.ReloadChange("add", "/shop/new"),
        supervision.ReloadError(supervision.ReloadChange("add", "/shop/new"), (), ()),
    ]
    return objects


def public_classes() -> dict[str, type]:
    found = {}
    for package in (actors, actors.testing, actors.metrics, supervision):
        for name in package.__all__:
            value = getattr(package, name)
            if inspect.isclass(value):
                found[name] = value
    return found


@pytest.mark.actors(virtual_time=True)
async def test_no_public_object_prints_as_object_at_an_address(tmp_path: Any) -> None:
    objects = await public_objects(tmp_path)
    address = re.compile(r"object at 0x[0-9a-f]+")
    bad = [repr(value) for value in objects if address.search(repr(value))]
    assert bad == [], "\n".join(bad)
    # Every public class has at least one instance above (or a reason not to).
    classes = {name: cls for name, cls in public_classes().items() if name not in NO_INSTANCES}
    uncovered = {
        name for name, cls in classes.items() if not any(isinstance(v, cls) for v in objects)
    }
    assert uncovered == set()
    assert set(NO_INSTANCES) <= set(public_classes())


@pytest.mark.actors(virtual_time=True)
async def test_reprs_name_what_the_object_is_about(tmp_path: Any) -> None:
    objects = await public_objects(tmp_path)
    text = {type(value).__name__: repr(value) for value in reversed(objects)}
    assert text["Remembered"].startswith("<Remembered /shop/remembered")
    assert text["Context"] == "<Context /shop/remembered>"
    assert text["DeadLetters"].startswith("<DeadLetters count=")
    assert "stopped" in text["DeadLetters"]
    assert text["Timer"].startswith("<Timer once 'later' for /shop/remembered")
    assert text["TestProbe"].startswith("<TestProbe /probe-")
    assert text["Pool"].startswith("<Pool /pool")
    assert "/shop" in text["Shop"]
    assert text["EventBus"].startswith("<EventBus")
    assert text["ActorStopped"] == "ActorStopped('stopped', path='/shop')"
    assert text["MailboxFull"] == "MailboxFull('full', path='/shop', message_type='str')"
    assert text["RuntimeCollector"] == "<RuntimeCollector of system 'shop'>"


def test_their_own_reprs_are_defined_for_classes_without_instances_here() -> None:
    for name in ("Cluster", "RemoteActorRef", "ClusterPoolRef"):
        assert "__repr__" in vars(getattr(actors, name)), name
