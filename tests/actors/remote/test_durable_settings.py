"""Declared streams and durable subscription settings: validated before anything starts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors import ClusterConfig, DurableStream
from actors._cluster._durable_options import DurableOptions, redelivery_delay
from actors._cluster._streams import pattern_within
from actors._routing._topics import pattern_matches
from actors.remote._durable import server_refusal


def test_a_stream_keeps_the_defaults_jetstream_users_expect() -> None:
    stream = DurableStream(name="orders", subjects="orders.>")
    assert stream.subjects == ("orders.>",)
    assert (stream.retention, stream.storage, stream.replicas) == ("limits", "file", 1)
    assert stream.effective_duplicate_window == 120.0
    short = DurableStream(name="orders", subjects=["orders.>"], max_age=30)
    assert short.effective_duplicate_window == 30


@pytest.mark.parametrize(
    ("fields", "error", "match"),
    [
        ({"name": "a.b"}, ValueError, "stream name must be letters"),
        ({"name": 3}, TypeError, "stream name must be a str"),
        ({"subjects": []}, ValueError, "at least one topic pattern"),
        ({"subjects": ["orders..x"]}, ValueError, r"subjects\[0\]: invalid pattern"),
        ({"subjects": [">"]}, ValueError, "runtime's own 'system"),
        ({"subjects": ["system.cluster.>"]}, ValueError, "runtime's own 'system"),
        ({"subjects": ["orders.>", "orders.paid"]}, ValueError, "overlap"),
        ({"retention": "forever"}, ValueError, "retention must be one of"),
        ({"storage": "disk"}, ValueError, "storage must be one of"),
        ({"max_age": 0}, ValueError, "max_age must be > 0"),
        ({"max_age": "1h"}, TypeError, "max_age must be a number"),
        ({"max_bytes": 1.5}, TypeError, "max_bytes must be an int"),
        ({"replicas": 6}, ValueError, "replicas must be between 1 and 5"),
        ({"max_age": 10, "duplicate_window": 20}, ValueError, "must not exceed max_age"),
    ],
)
def test_a_bad_stream_setting_is_named_in_its_error(
    fields: dict[str, object], error: type[Exception], match: str
) -> None:
    arguments: dict[str, object] = {"name": "orders", "subjects": ["orders.>"], **fields}
    with pytest.raises(error, match=match):
        DurableStream(**arguments)  # type: ignore[arg-type]


def test_cluster_config_refuses_streams_that_would_share_a_topic() -> None:
    first = DurableStream(name="orders", subjects=["orders.>"])
    with pytest.raises(ValueError, match="a second stream named 'orders'"):
        ClusterConfig(servers=["nats://127.0.0.1:4222"], node="a", streams=[first, first])
    other = DurableStream(name="paid", subjects=["*.paid"])
    with pytest.raises(ValueError, match=r"streams\[1\] \('paid'\): subject '\*.paid' overlaps"):
        ClusterConfig(servers=["nats://127.0.0.1:4222"], node="a", streams=[first, other])
    with pytest.raises(TypeError, match=r"streams\[0\] must be a DurableStream"):
        ClusterConfig(servers=["nats://127.0.0.1:4222"], node="a", streams=["orders"])


@pytest.mark.parametrize(
    ("fields", "error", "match"),
    [
        ({"durable": ""}, ValueError, "durable must be letters"),
        ({"max_deliver": 0}, ValueError, "max_deliver must be between 1"),
        ({"max_deliver": True}, TypeError, "max_deliver must be an int"),
        ({"max_ack_pending": 0}, ValueError, "max_ack_pending must be between 1"),
        ({"backoff": []}, ValueError, "at least one delay"),
        ({"backoff": [1, -1]}, ValueError, r"backoff\[1\] must be >= 0"),
        ({"backoff": "1s"}, TypeError, "backoff must be a list"),
        ({"ack_wait": 0}, ValueError, "ack_wait must be > 0"),
    ],
)
def test_a_bad_durable_setting_is_named_in_its_error(
    fields: dict[str, object], error: type[Exception], match: str
) -> None:
    arguments: dict[str, object] = {"durable": "billing", **fields}
    with pytest.raises(error, match=match):
        DurableOptions(**arguments)  # type: ignore[arg-type]


def test_the_redelivery_delay_follows_backoff_and_repeats_its_last_entry() -> None:
    backoff = DurableOptions(durable="d", backoff=[0.1, 1, 5]).backoff
    assert [redelivery_delay(backoff, n) for n in range(1, 6)] == [0.1, 1, 5, 5, 5]
    assert DurableOptions(durable="d", backoff=2).backoff == (2.0,)


def test_servers_older_than_2_10_or_without_jetstream_are_refused() -> None:
    assert server_refusal((2, 10), "2.10.0", True) is None
    assert server_refusal((2, 15), "2.15.1", True) is None
    old = server_refusal((2, 9), "2.9.10", True)
    assert old is not None
    assert "2.9.10" in old
    assert "filter_subjects" in old
    missing = server_refusal((2, 15), "2.15.1", None)
    assert missing is not None
    assert "-js" in missing


_tokens = st.sampled_from(["a", "b", "c"])
_pattern_tokens = st.sampled_from(["a", "b", "*"])


@st.composite
def _patterns(draw: st.DrawFn) -> str:
    tokens = draw(st.lists(_pattern_tokens, min_size=1, max_size=4))
    if draw(st.booleans()):
        tokens.append(">")
    return ".".join(tokens)


@given(
    inner=_patterns(),
    outer=_patterns(),
    topics=st.lists(st.lists(_tokens, min_size=1, max_size=6).map(".".join), max_size=30),
)
def test_a_pattern_within_another_matches_only_what_the_other_matches(
    inner: str, outer: str, topics: list[str]
) -> None:
    if pattern_within(inner, outer):
        for topic in topics:
            if pattern_matches(inner, topic):
                assert pattern_matches(outer, topic)
    # A pattern is always within itself.
    assert pattern_within(inner, inner)


def test_pattern_within_examples() -> None:
    assert pattern_within("orders.eu.*", "orders.>")
    assert pattern_within("orders.*", "orders.*")
    assert pattern_within("orders.paid", "*.paid")
    assert not pattern_within("orders.*", "orders.eu")
    assert not pattern_within("orders.>", "orders.*")
    assert not pattern_within("orders", "orders.>")
