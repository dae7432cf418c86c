"""Fuzz the receiving node's decoder with random and mutated frames over a real NATS: each
frame it cannot decode is one ``undecodable`` dead letter; it never crashes or stops
answering, and nothing decoded is executed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import msgspec
import nats
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nats.aio.client import Client

from actors import Actor, ActorSystem
from actors.remote._wire import Ask, Batch, Kill, Reply, Stop, Tell, decode_frame, encode_frame
from actors.testing import NatsServer
from tests.actors.remote._cluster import MESSAGES, Item, node

pytestmark = pytest.mark.real_time

SUBJECT = "actors.fuzz.a.b.echo"


class Echo(Actor):
    async def receive(self, message: Any) -> Any:
        return message


Target = tuple[asyncio.AbstractEventLoop, ActorSystem, Client, str]


@pytest.fixture(scope="module")
def target(nats_server: NatsServer) -> Iterator[Target]:
    loop = asyncio.new_event_loop()
    system = node(nats_server.url, "b", system="fuzz")

    async def setup() -> Client:
        await system.start()
        await system.spawn(Echo, name="echo")
        return await nats.connect(nats_server.url)

    client = loop.run_until_complete(setup())
    assert system._transport is not None
    incarnation: str = system._transport.incarnation  # type: ignore[attr-defined]
    yield loop, system, client, incarnation

    async def teardown() -> None:
        await client.close()
        await system.shutdown()

    loop.run_until_complete(teardown())
    loop.close()


def _tell(incarnation: str, n: int) -> bytes:
    body = msgspec.Raw(msgspec.msgpack.encode(Item(n)))
    name = f"{Item.__module__}.{Item.__qualname__}"
    return encode_frame(Tell("/echo", incarnation, name, body, 1, 1, None, None))


def _verdict(frame: bytes, incarnation: str) -> str | None:
    """What the node must make of ``frame``: ``undecodable``; ``stopped`` (a valid tell for
    an actor that is not there); ``handled``; or None: leave it out (a mutation that became
    a valid stop, kill or batch, or a plain body, which decodes leniently; the batches have
    their own test)."""
    try:
        decoded = decode_frame(frame)
    except (msgspec.DecodeError, ValueError, TypeError):
        return "undecodable"
    if isinstance(decoded, Stop | Kill | Batch):
        return None
    if isinstance(decoded, Tell | Ask):
        types = {f"{kind.__module__}.{kind.__qualname__}": kind for kind in MESSAGES}
        if decoded.message_type not in types:
            plain = {"int", "float", "str", "bool", "None", "bytes", "list", "dict"}
            return None if decoded.message_type in plain else "undecodable"
        try:
            msgspec.msgpack.decode(decoded.body, type=types[decoded.message_type])
        except (msgspec.DecodeError, ValueError, TypeError):
            return "undecodable"
        if decoded.target != "/echo" or decoded.target_incarnation != incarnation:
            return "stopped"
        return "handled"
    return "undecodable"  # a valid frame, but not one for an actor subject


@st.composite
def mutated(draw: st.DrawFn, incarnation: str) -> bytes:
    frame = bytearray(_tell(incarnation, draw(st.integers(-(2**40), 2**40))))
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "cut", "insert"]))
        at = draw(st.integers(0, max(len(frame) - 1, 0)))
        if action == "flip" and frame:
            frame[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del frame[at:]
        else:
            frame[at:at] = draw(st.binary(min_size=1, max_size=4))
    return bytes(frame)


async def _send_and_check(
    system: ActorSystem, client: Client, frames: list[bytes], inc: str
) -> None:
    before = system.dead_letters.by_reason
    expected = {"undecodable": 0, "stopped": 0, "handled": 0}
    for frame in frames:
        verdict = _verdict(frame, inc)
        if verdict is None:
            continue
        expected[verdict] += 1
        await client.publish(SUBJECT, frame)
    # Then a valid ask on the same connection: answered after every frame above was handled.
    body = msgspec.Raw(msgspec.msgpack.encode(7))
    probe = encode_frame(Ask("/echo", inc, "int", body, 2, 2, None, None, 5.0))
    answer = decode_frame((await client.request(SUBJECT, probe, timeout=5.0)).data)
    assert isinstance(answer, Reply)
    assert msgspec.msgpack.decode(answer.body) == 7
    after = system.dead_letters.by_reason
    for reason in ("undecodable", "stopped"):
        assert after.get(reason, 0) - before.get(reason, 0) == expected[reason]
    others = {reason for reason in after if after[reason] != before.get(reason, 0)}
    assert others <= {"undecodable", "stopped"}
    assert system.lookup("/echo") is not None


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_and_mutated_frames_only_make_undecodable_dead_letters(
    target: Target, data: st.DataObject
) -> None:
    loop, system, client, incarnation = target
    frames = data.draw(
        st.lists(st.one_of(st.binary(max_size=120), mutated(incarnation)), min_size=1, max_size=12)
    )
    loop.run_until_complete(_send_and_check(system, client, frames, incarnation))


def test_an_unknown_message_type_is_undecodable_and_an_ask_for_it_is_told_so(
    target: Target,
) -> None:
    loop, system, client, incarnation = target

    async def check() -> None:
        before = system.dead_letters.by_reason.get("undecodable", 0)
        body = msgspec.Raw(msgspec.msgpack.encode({"x": 1}))
        frame = encode_frame(Ask("/echo", incarnation, "evil.Payload", body, 3, 3, None, None, 5.0))
        answer = decode_frame((await client.request(SUBJECT, frame, timeout=5.0)).data)
        assert not isinstance(answer, Reply)
        assert system.dead_letters.by_reason.get("undecodable", 0) == before + 1
        letter = system.dead_letters.recent[-1]
        assert letter.reason == "undecodable"
        assert isinstance(letter.message, bytes)
        assert isinstance(letter.error, LookupError)

    loop.run_until_complete(check())


def test_a_batch_with_a_bad_frame_delivers_the_others(target: Target) -> None:
    loop, system, client, incarnation = target

    async def check() -> None:
        before = system.dead_letters.by_reason.get("undecodable", 0)
        frames = [
            msgspec.Raw(_tell(incarnation, 1)),
            msgspec.Raw(msgspec.msgpack.encode([99, "not a frame"])),
            msgspec.Raw(_tell(incarnation, 2)),
        ]
        await client.publish(SUBJECT, encode_frame(Batch(frames)))
        body = msgspec.Raw(msgspec.msgpack.encode(7))
        probe = encode_frame(Ask("/echo", incarnation, "int", body, 2, 2, None, None, 5.0))
        await client.request(SUBJECT, probe, timeout=5.0)
        assert system.dead_letters.by_reason.get("undecodable", 0) == before + 1
        echo = system.lookup("/echo")
        assert echo is not None
        assert echo.statistics().processed >= 3

    loop.run_until_complete(check())
