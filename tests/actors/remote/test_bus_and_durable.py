"""Non-durable events across nodes and durable (JetStream) events side by side: a durable
event reaches the durable subscribers from the stream and the plain subscribers of other
nodes from the cluster bus, once each; neither path sees the other's messages (no
``undecodable`` dead letters, nothing but the durable publish in the stream)."""

from __future__ import annotations

from collections.abc import Iterator

import nats
import pytest

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


async def test_a_durable_event_reaches_both_kinds_of_subscriber_on_another_node_once(
    js_server: NatsServer,
) -> None:
    async with (
        durable_node(js_server.url, "a", system="mixed") as a,
        durable_node(js_server.url, "b", system="mixed") as b,
    ):
        await a.cluster.wait_for("b")
        durable, plain = Recorder(), Recorder()
        await b.subscribe(await supervised(b, durable, "durable"), "orders.>", durable="billing")
        await b.subscribe(await supervised(b, plain, "plain"), "orders.>")
        await a.cluster.wait_for_subscriber("b", "orders.paid")
        for n in range(5):
            await a.publish("orders.paid", Event(n))  # durable: the stream keeps orders.>
        await a.publish("payments.done", Event(99))  # not durable, nobody subscribes
        await durable.wait_for(lambda: len(durable.handled) == 5)
        await plain.wait_for(lambda: len(plain.handled) == 5)
        expected = [("orders.paid", n) for n in range(5)]
        assert durable.handled == expected
        assert plain.handled == expected
        assert a.cluster.statistics().events_sent == 5
        await wait_until(lambda: b.cluster.statistics().events_received == 5)
        nc = await nats.connect(js_server.url)
        try:
            info = await nc.jetstream().stream_info("mixed_orders")
        finally:
            await nc.close()
        assert info.state.messages == 5  # the durable publishes only, not the bus frames
        assert a.dead_letters.count == 0
        assert b.dead_letters.by_reason.get("undecodable", 0) == 0
        assert b.cluster.statistics().undecodable == 0
