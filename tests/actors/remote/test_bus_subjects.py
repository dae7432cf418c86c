"""The bus's topic rules are the NATS subject rules: for generated patterns and topics, the
in-process trie (and ``pattern_matches``) match exactly what a real ``nats-server`` delivers
when each pattern is a subscription ``<prefix>.events.<pattern>`` and each topic is
published on ``<prefix>.events.<topic>``, as the cluster bus does."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator

import nats
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nats.aio.client import Client

from actors._routing._topics import TopicTrie, pattern_matches, validate_topic
from actors.testing import NatsServer

pytestmark = pytest.mark.real_time

Connection = tuple[asyncio.AbstractEventLoop, Client]
_examples = itertools.count()


@pytest.fixture(scope="module")
def connection(nats_server: NatsServer) -> Iterator[Connection]:
    loop = asyncio.new_event_loop()
    client = loop.run_until_complete(nats.connect(nats_server.url))
    yield loop, client
    loop.run_until_complete(client.close())
    loop.close()


def _valid_token(token: str) -> bool:
    try:
        validate_topic(token)
    except ValueError:
        return False
    return True


# A few common tokens, so that patterns and topics often meet, and arbitrary ones (any
# non-whitespace characters but the separator and the wildcards, non-ASCII included).
_TOKENS = st.one_of(
    st.sampled_from(["a", "b", "orders", "eu", "ä", "日本", "$sys", "x-y_z", "%2E", "#", "1"]),
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters=".*>"
        ),
        min_size=1,
        max_size=4,
    ).filter(_valid_token),
)
_TOPICS = st.lists(_TOKENS, min_size=1, max_size=4).map(".".join)


@st.composite
def _patterns(draw: st.DrawFn) -> str:
    tokens = draw(st.lists(st.one_of(_TOKENS, st.just("*")), min_size=1, max_size=4))
    if draw(st.booleans()):
        tokens.append(">")
    return ".".join(tokens)


async def _delivered(client: Client, patterns: list[str], topics: list[str]) -> list[set[int]]:
    """For each pattern, the indices of the topics NATS delivered to its subscription."""
    example = f"prop{next(_examples)}"
    prefix = f"{example}.events."
    subscriptions = [await client.subscribe(prefix + pattern) for pattern in patterns]
    end = await client.subscribe(f"{example}.end")
    try:
        for index, topic in enumerate(topics):
            await client.publish(prefix + topic, str(index).encode())
        await client.publish(f"{example}.end", b"")
        # One connection: the server delivers in publish order, so once the end marker is
        # here every matching message is queued in its subscription.
        await end.next_msg(timeout=10)
        found = []
        for subscription in subscriptions:
            indices = set()
            for _ in range(subscription.pending_msgs):
                message = await subscription.next_msg(timeout=1)
                indices.add(int(message.data))
            found.append(indices)
        return found
    finally:
        for subscription in [*subscriptions, end]:
            await subscription.unsubscribe()


@settings(max_examples=80, deadline=None)
@given(
    patterns=st.lists(_patterns(), min_size=1, max_size=5, unique=True),
    topics=st.lists(_TOPICS, min_size=1, max_size=6),
)
def test_the_trie_and_nats_agree_on_every_match(
    connection: Connection, patterns: list[str], topics: list[str]
) -> None:
    loop, client = connection
    delivered = loop.run_until_complete(_delivered(client, patterns, topics))
    trie: TopicTrie[str] = TopicTrie()
    for pattern in patterns:
        trie.add(pattern, pattern)
    for pattern, got in zip(patterns, delivered, strict=True):
        expected = {index for index, topic in enumerate(topics) if pattern_matches(pattern, topic)}
        assert got == expected, (pattern, topics)
    for index, topic in enumerate(topics):
        by_nats = {
            pattern for pattern, got in zip(patterns, delivered, strict=True) if index in got
        }
        assert set(trie.match(topic)) == by_nats, topic
