"""Durable events in configuration files: [cluster] streams and durable subscribe entries."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from actors import Actor
from actors.testing import NatsServer
from supervision import ConfigError, create_system, spawn_tree
from supervision.config._cluster import cluster_config
from supervision.config._durable_spec import DurableSubscriptionSpec
from supervision.config._tree import parse_tree

TREE = """
[system]
name = "durablecfg"

[tree]
[[tree.children]]
name = "billing"
actor = "tests.supervision.test_config_durable:Billing"
subscribe = [
    "audit.>",
    { pattern = "orders.paid", durable = "billing", max_deliver = 3, backoff = [0.01] },
]

[cluster]
node = "billing"
messages = []
streams = [{ name = "orders", subjects = ["orders.>"], max_age = 3600 }]
"""


class Billing(Actor):
    """Records the topics of the events it handled (shared across instances)."""

    handled: ClassVar[list[tuple[str | None, Any]]] = []
    changed: ClassVar[asyncio.Event | None] = None

    def receive(self, message: Any) -> None:
        Billing.handled.append((self.context.topic, message))
        if Billing.changed is not None:
            Billing.changed.set()


@pytest.fixture
def js_server() -> Iterator[NatsServer]:
    server = NatsServer(jetstream=True)
    server.start()
    try:
        yield server
    finally:
        server.close()


def _problems(text: str) -> dict[str, Any]:
    with pytest.raises(ConfigError) as caught:
        parse_tree(text, "toml")
    return {problem.location: problem for problem in caught.value.errors}


def test_streams_and_durable_entries_become_their_settings() -> None:
    spec = parse_tree(TREE, "toml")
    (worker,) = spec.tree.children
    assert worker.subscribe == (  # type: ignore[union-attr]
        "audit.>",
        DurableSubscriptionSpec(
            pattern="orders.paid", durable="billing", max_deliver=3, backoff=(0.01,)
        ),
    )
    config = cluster_config(spec.cluster, servers=["nats://127.0.0.1:4222"])
    (stream,) = config.streams
    assert (stream.name, stream.subjects, stream.max_age) == ("orders", ("orders.>",), 3600)


def test_every_durable_problem_is_reported_with_its_location() -> None:
    text = (
        TREE.replace("max_deliver = 3", "max_deliver = 0, ack_wiat = 1")
        .replace("max_age = 3600", 'max_age = -1, retention = "forever"')
        .replace('"audit.>"', '{ pattern = "refunds.>", durable = "bad.name" }')
    )
    locations = _problems(text)
    assert set(locations) == {
        "$.cluster.streams[0]",
        "$.tree.children[0].subscribe[0].durable",
        "$.tree.children[0].subscribe[1].max_deliver",
        "$.tree.children[0].subscribe[1].ack_wiat",
    }
    assert "ack_wait" in locations["$.tree.children[0].subscribe[1].ack_wiat"].hint


def test_a_durable_pattern_no_declared_stream_keeps_is_located() -> None:
    locations = _problems(TREE.replace('pattern = "orders.paid"', 'pattern = "refunds.paid"'))
    problem = locations["$.tree.children[0].subscribe[1].pattern"]
    assert "'orders.>'" in problem.hint
    without_cluster = TREE[: TREE.index("[cluster]")]
    locations = _problems(without_cluster)
    assert "declare one in [cluster] streams" in (
        locations["$.tree.children[0].subscribe[1].pattern"].hint
    )


def test_a_pool_cannot_subscribe_durably() -> None:
    text = TREE.replace(
        'actor = "tests.supervision.test_config_durable:Billing"',
        'kind = "pool"\nactor = "tests.supervision.test_config_durable:Billing"'
        "\npool = { size = 2 }",
    )
    locations = _problems(text)
    assert "subscribe its workers durably" in (
        locations["$.tree.children[0].subscribe[1]"].expected
    )


def test_streams_that_share_a_topic_are_a_located_error_when_the_node_starts() -> None:
    text = TREE.replace(
        'streams = [{ name = "orders", subjects = ["orders.>"], max_age = 3600 }]',
        'streams = [{ name = "orders", subjects = ["orders.>"] },'
        ' { name = "paid", subjects = ["*.paid"] }]',
    )
    spec = parse_tree(text, "toml")
    with pytest.raises(ConfigError) as caught:
        cluster_config(spec.cluster, servers=["nats://127.0.0.1:4222"])
    assert [problem.location for problem in caught.value.errors] == ["$.cluster.streams"]


@pytest.mark.real_time
async def test_a_worker_from_a_file_subscribes_durably_and_to_its_plain_patterns(
    js_server: NatsServer,
) -> None:
    Billing.handled = []
    Billing.changed = asyncio.Event()
    spec = parse_tree(TREE, "toml")
    config = cluster_config(spec.cluster, servers=[js_server.url])
    async with create_system(spec, cluster=config) as system:
        root = await spawn_tree(system, spec)
        del root
        await system.publish("orders.paid", 1)
        await system.publish("audit.seen", 2)
        async with asyncio.timeout(10):
            while len(Billing.handled) < 2:
                Billing.changed.clear()
                await Billing.changed.wait()
        assert sorted(Billing.handled) == [("audit.seen", 2), ("orders.paid", 1)]


POOL_TREE = """
[system]
name = "durablepoolcfg"

[tree]
[[tree.children]]
name = "doubler"
actor = "tests.supervision.test_config_durable:Doubler"
pool = { size = 2, cluster = true, durable = "doublers" }

[cluster]
node = "a"
messages = []
"""


class Doubler(Actor):
    """Answers twice the number it is asked."""

    def receive(self, message: Any) -> Any:
        return message * 2


@pytest.mark.real_time
async def test_a_pool_from_a_file_serves_its_durable_pool(js_server: NatsServer) -> None:
    spec = parse_tree(POOL_TREE, "toml")
    config = cluster_config(spec.cluster, servers=[js_server.url])
    async with create_system(spec, cluster=config) as system:
        root = await spawn_tree(system, spec)
        pool = system.cluster_pool(f"{root.path}/doubler", durable="doublers")
        assert await pool.ask(21, timeout=10) == 42
