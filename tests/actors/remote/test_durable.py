"""Durable subscriptions on JetStream, against a real nats-server started with -js."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import nats
import pytest
from nats.aio.msg import Msg
from nats.js import api

from actors import (
    ActorSystem,
    DeadLetter,
    DurableStream,
    JetStreamError,
    JetStreamUnavailable,
    MaxDeliveriesExceeded,
)
from actors.testing import NatsServer
from tests.actors.remote._cluster import wait_until
from tests.actors.remote._durable import Event, Recorder, durable_node, supervised

pytestmark = pytest.mark.real_time


@pytest.fixture(scope="module")
def js_server() -> Iterator[NatsServer]:
    server = NatsServer(jetstream=True)
    server.start()
    try:
        yield server
    finally:
        server.close()


async def test_start_refuses_a_server_without_jetstream(nats_server: NatsServer) -> None:
    system = durable_node(nats_server.url, system="nojs")
    with pytest.raises(JetStreamUnavailable, match="without JetStream"):
        await system.start()
    await system.shutdown()


async def test_a_system_without_streams_starts_on_a_server_without_jetstream(
    nats_server: NatsServer,
) -> None:
    async with durable_node(nats_server.url, system="plain", streams=[]) as system:
        recorder = Recorder()
        ref = await supervised(system, recorder)
        with pytest.raises(JetStreamUnavailable, match="declared stream"):
            await system.subscribe(ref, "orders.>", durable="billing")


async def test_start_creates_the_declared_stream_with_its_settings(js_server: NatsServer) -> None:
    stream = DurableStream(
        name="orders",
        subjects=["orders.>", "refunds.*"],
        retention="interest",
        max_age=3600,
        max_bytes=1 << 20,
        duplicate_window=30,
    )
    async with durable_node(js_server.url, system="created", streams=[stream]):
        nc = await nats.connect(js_server.url)
        try:
            info = await nc.jetstream().stream_info("created_orders")
        finally:
            await nc.close()
    config = info.config
    assert config.subjects == ["actors.created.bus.orders.>", "actors.created.bus.refunds.*"]
    assert config.retention == api.RetentionPolicy.INTEREST
    assert config.max_age == 3600
    assert config.max_bytes == 1 << 20
    assert config.duplicate_window == 30
    assert config.storage == api.StorageType.FILE


async def test_start_updates_a_stream_whose_settings_changed(js_server: NatsServer) -> None:
    first = DurableStream(name="orders", subjects=["orders.>"], max_age=60)
    async with durable_node(js_server.url, system="updated", streams=[first]):
        pass
    second = DurableStream(name="orders", subjects=["orders.>"], max_age=120)
    async with durable_node(js_server.url, system="updated", streams=[second]):
        nc = await nats.connect(js_server.url)
        try:
            info = await nc.jetstream().stream_info("updated_orders")
        finally:
            await nc.close()
    assert info.config.max_age == 120


async def test_a_stream_the_server_refuses_is_a_typed_error_at_start(
    js_server: NatsServer,
) -> None:
    stream = DurableStream(name="orders", subjects=["orders.>"], replicas=3)
    system = durable_node(js_server.url, system="refused", streams=[stream])
    with pytest.raises(JetStreamError, match="refused stream 'refused_orders'") as caught:
        await system.start()
    assert caught.value.stream == "refused_orders"
    await system.shutdown()


async def test_events_reach_a_durable_subscriber_with_their_topic(js_server: NatsServer) -> None:
    async with durable_node(js_server.url, system="deliver") as system:
        recorder = Recorder()
        ref = await supervised(system, recorder)
        await system.subscribe(ref, "orders.*", durable="billing")
        for n in range(20):
            await system.publish(f"orders.{'paid' if n % 2 else 'placed'}", Event(n))
        await recorder.wait_for(lambda: len(recorder.handled) == 20)
        assert recorder.handled == [
            ("orders.paid" if n % 2 else "orders.placed", n) for n in range(20)
        ]


async def test_an_event_is_acknowledged_only_after_the_handler_returned(
    js_server: NatsServer,
) -> None:
    async with durable_node(js_server.url, system="acked") as system:
        recorder = Recorder()
        recorder.gate = asyncio.Event()
        ref = await supervised(system, recorder)
        await system.subscribe(ref, "orders.>", durable="billing")
        await system.publish("orders.paid", Event(1))
        await recorder.wait_for(lambda: recorder.attempts.get(1) == 1)
        nc = await nats.connect(js_server.url)
        try:
            js = nc.jetstream()
            held = await js.consumer_info("acked_orders", "billing")
            assert held.num_ack_pending == 1
            recorder.gate.set()
            await recorder.wait_for(lambda: recorder.handled == [("orders.paid", 1)])
            transport = system._transport
            assert transport is not None
            (consumer,) = transport.durables.consumers()  # type: ignore[attr-defined]
            await wait_until(lambda: consumer.acknowledged == 1)
            await transport._link.nc.flush()  # type: ignore[attr-defined]  # the ack reached it
            assert (await js.consumer_info("acked_orders", "billing")).num_ack_pending == 0
        finally:
            await nc.close()


async def test_a_failing_handler_gets_the_event_again_and_a_poison_event_is_dead_lettered(
    js_server: NatsServer,
) -> None:
    async with durable_node(js_server.url, system="poison") as system:
        nc = await nats.connect(js_server.url)
        dead: asyncio.Queue[Msg] = asyncio.Queue()
        await nc.subscribe("actors.poison.dlq.billing", cb=dead.put)
        await nc.flush()
        recorder = Recorder()
        ref = await supervised(system, recorder)
        await system.subscribe(
            ref, "orders.>", durable="billing", max_deliver=4, backoff=[0.01, 0.02]
        )
        await system.publish("orders.paid", Event(0))
        await system.publish("orders.paid", Event(1, poison=True))
        for n in range(2, 10):
            await system.publish("orders.paid", Event(n))
        await recorder.wait_for(lambda: len(recorder.handled) == 9)
        async with asyncio.timeout(10):
            copy = await dead.get()
        await nc.close()
        assert recorder.attempts[1] == 4
        assert sorted(n for _, n in recorder.handled) == [0, *range(2, 10)]
        assert system.dead_letters.by_reason["max_deliveries"] == 1
        letter = next(x for x in system.dead_letters.recent if x.reason == "max_deliveries")
        assert letter.message == Event(1, poison=True)
        assert letter.recipient is ref
        error = letter.error
        assert isinstance(error, MaxDeliveriesExceeded)
        assert (error.deliveries, error.topic, error.durable) == (4, "orders.paid", "billing")
        assert isinstance(error.__cause__, RuntimeError)
        assert copy.headers is not None
        assert copy.headers["Actors-Deliveries"] == "4"
        assert copy.headers["Actors-Topic"] == "orders.paid"
        assert copy.headers["Actors-Error"] == "RuntimeError"


async def test_an_event_never_answered_within_ack_wait_becomes_a_dead_letter_too(
    js_server: NatsServer,
) -> None:
    async with durable_node(js_server.url, system="unanswered") as system:
        recorder = Recorder()
        recorder.gate = asyncio.Event()
        ref = await supervised(system, recorder)
        gave_up = asyncio.Event()

        def on_dead_letter(letter: DeadLetter) -> None:
            if letter.reason == "max_deliveries":
                gave_up.set()

        system.dead_letters.add_listener(on_dead_letter)
        # The handler outlives ack_wait: the server redelivers, then gives up after two.
        await system.subscribe(ref, "orders.>", durable="billing", max_deliver=2, ack_wait=0.2)
        await system.publish("orders.paid", Event(5))
        async with asyncio.timeout(10):
            await gave_up.wait()
        recorder.gate.set()
        (letter,) = [x for x in system.dead_letters.recent if x.reason == "max_deliveries"]
        assert letter.message == Event(5)
        error = letter.error
        assert isinstance(error, MaxDeliveriesExceeded)
        assert error.deliveries == 2
        assert "not answered within ack_wait" in error.reason
        assert error.__cause__ is None


async def test_unacknowledged_events_are_bounded_by_max_ack_pending(js_server: NatsServer) -> None:
    async with durable_node(js_server.url, system="bounded") as system:
        recorder = Recorder()
        recorder.gate = asyncio.Event()
        ref = await supervised(system, recorder)
        await system.subscribe(ref, "orders.>", durable="billing", max_ack_pending=8)
        for n in range(100):
            await system.publish("orders.paid", Event(n))
        await recorder.wait_for(lambda: recorder.attempts.get(0) == 1)
        nc = await nats.connect(js_server.url)
        try:
            info = await nc.jetstream().consumer_info("bounded_orders", "billing")
        finally:
            await nc.close()
        (consumer,) = system._transport.durables.consumers()  # type: ignore[union-attr]
        # Held by the blocked handler: never more than max_ack_pending, here or on the server.
        assert 4 <= consumer.in_flight <= 8
        assert info.num_ack_pending == consumer.in_flight
        assert ref.statistics().high_water_mark <= 8
        assert info.num_pending == 100 - consumer.in_flight
        recorder.gate.set()
        await recorder.wait_for(lambda: len(recorder.handled) == 100)
        assert [n for _, n in recorder.handled] == list(range(100))


async def test_events_published_while_no_subscriber_was_up_arrive_when_it_comes_back(
    js_server: NatsServer,
) -> None:
    async with durable_node(js_server.url, system="later") as system:
        recorder = Recorder()
        ref = await supervised(system, recorder)
        await system.subscribe(ref, "orders.>", durable="billing")
        await system.publish("orders.paid", Event(0))
        await recorder.wait_for(lambda: len(recorder.handled) == 1)
        await system.unsubscribe(ref)
        for n in range(1, 6):
            await system.publish("orders.paid", Event(n))
    async with durable_node(js_server.url, system="later") as system:
        recorder = Recorder()
        ref = await supervised(system, recorder)
        await system.subscribe(ref, "orders.>", durable="billing")
        await recorder.wait_for(lambda: len(recorder.handled) == 5)
        assert [n for _, n in recorder.handled] == [1, 2, 3, 4, 5]


async def test_a_second_publish_with_the_same_key_is_dropped(js_server: NatsServer) -> None:
    async with durable_node(js_server.url, system="dedup") as system:
        recorder = Recorder()
        ref = await supervised(system, recorder)
        await system.subscribe(ref, "orders.>", durable="billing")
        await system.publish("orders.paid", Event(1), key="order-1")
        await system.publish("orders.paid", Event(1), key="order-1")
        await system.publish("orders.paid", Event(2), key="order-2")
        await recorder.wait_for(lambda: len(recorder.handled) == 2)
        nc = await nats.connect(js_server.url)
        try:
            info = await nc.jetstream().stream_info("dedup_orders")
        finally:
            await nc.close()
        assert info.state.messages == 2
        assert [n for _, n in recorder.handled] == [1, 2]


async def test_local_subscribers_of_a_durable_topic_still_get_it_directly(
    js_server: NatsServer,
) -> None:
    async with durable_node(js_server.url, system="both") as system:
        durable, plain = Recorder(), Recorder()
        durable_ref = await supervised(system, durable, "durable")
        plain_ref = await supervised(system, plain, "plain")
        await system.subscribe(durable_ref, "orders.>", durable="billing")
        await system.subscribe(plain_ref, "orders.>")
        await system.publish("orders.paid", Event(7))
        await durable.wait_for(lambda: len(durable.handled) == 1)
        await plain.wait_for(lambda: len(plain.handled) == 1)
        assert durable.handled == plain.handled == [("orders.paid", 7)]


async def test_durable_misuse_is_a_clear_error(js_server: NatsServer) -> None:
    async with durable_node(js_server.url, system="misuse") as system:
        ref = await supervised(system, Recorder())
        with pytest.raises(ValueError, match="no declared stream keeps every topic of 'refunds"):
            await system.subscribe(ref, "refunds.>", durable="billing")
        with pytest.raises(ValueError, match="no declared stream keeps every topic of '>'"):
            await system.subscribe(ref, ">", durable="billing")
        with pytest.raises(ValueError, match="max_deliver must be between"):
            await system.subscribe(ref, "orders.>", durable="billing", max_deliver=0)
        with pytest.raises(ValueError, match="durable must be letters"):
            await system.subscribe(ref, "orders.>", durable="bad.name")
        with pytest.raises(ValueError, match="need the server's acknowledgement"):
            system.publish_nowait("orders.paid", Event(1))
        with pytest.raises(ValueError, match="de-duplicates durable events only"):
            await system.publish("refunds.paid", Event(1), key="k")
        await system.subscribe(ref, "orders.>", durable="billing")
        with pytest.raises(ValueError, match="already has a durable subscription"):
            await system.subscribe(ref, "orders.>", durable="other")


async def test_durable_on_a_system_without_a_cluster_is_a_typed_error() -> None:
    async with ActorSystem("alone") as system:
        ref = await supervised(system, Recorder())
        with pytest.raises(JetStreamUnavailable, match="needs a cluster"):
            await system.subscribe(ref, "orders.>", durable="billing")
        with pytest.raises(ValueError, match="de-duplicates durable events only"):
            await system.publish("orders.paid", 1, key="k")
