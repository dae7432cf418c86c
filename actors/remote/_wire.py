"""The wire format between nodes: msgpack frames (msgspec Structs, a tagged union) and the
codec for the messages they carry.

A user message travels as its registered type name plus its msgpack body, so the receiver
decodes it into exactly that type, or finds the name unknown; nothing is ever loaded or
executed from network input (no pickle). Refs inside messages travel as (node,
incarnation, path) and are decoded into working refs by the node's hooks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from actors._cluster._config import message_type_name
from actors._core._errors import SerializationError
from actors._core._ref import ActorRef

__all__ = [
    "Ask",
    "Batch",
    "BusEvent",
    "Codec",
    "DeclaredDown",
    "Failure",
    "Frame",
    "Heartbeat",
    "Interest",
    "Kill",
    "Leave",
    "Reply",
    "Stop",
    "Stopped",
    "Tell",
    "Unwatch",
    "Watch",
    "WireRef",
    "decode_frame",
    "encode_frame",
]


class WireRef(msgspec.Struct, array_like=True, frozen=True):
    """An actor's address on the wire."""

    node: str
    incarnation: str
    path: str


class Tell(msgspec.Struct, tag=1, array_like=True):
    target: str
    target_incarnation: str
    message_type: str
    body: msgspec.Raw
    message_id: int
    correlation_id: int | str
    causation_id: int | None
    sender: WireRef | None
    # The W3C trace context (actors.tracing) of the span the message was sent in.
    trace: dict[str, str] | None = None
    # Seconds left of the deadline the sender's handler inherited (None: no deadline); the
    # receiver gives the message that deadline on its own clock.
    deadline: float | None = None


class Ask(msgspec.Struct, tag=2, array_like=True):
    target: str
    target_incarnation: str
    message_type: str
    body: msgspec.Raw
    message_id: int
    correlation_id: int | str
    causation_id: int | None
    sender: WireRef | None
    # Seconds the asker waits (None: no limit), the deadline it inherited included; the
    # receiver gives the message that deadline on its own clock (its handler and what it
    # sends inherit it) and stops waiting for the handler then, so a late reply is counted
    # there as it would be locally.
    deadline: float | None
    # Where the answer goes (an ask may travel in a Batch, which has one NATS reply subject).
    reply: str = ""
    trace: dict[str, str] | None = None


class Reply(msgspec.Struct, tag=3, array_like=True):
    message_type: str
    body: msgspec.Raw
    # The ask's token when the answer goes to the asker node's reply subject (replies to
    # one node then coalesce into batches); "" when it went to the ask's own reply subject.
    token: str = ""


class Failure(msgspec.Struct, tag=4, array_like=True):
    # failed | stopped | mailbox_full | timeout | undecodable
    kind: str
    error_type: str
    message: str
    traceback: str
    token: str = ""


class _NodeFrame(msgspec.Struct, array_like=True):
    """The fields of the frames that name one incarnation of a node (each frame type is a
    subclass with its own tag: the encoding is ``[tag, node, incarnation]``)."""

    node: str
    incarnation: str


class Heartbeat(_NodeFrame, tag=5):
    pass


class Leave(_NodeFrame, tag=6):
    pass


class _WatchFrame(msgspec.Struct, array_like=True):
    """The fields of ``Watch`` and ``Unwatch``: the watched actor (path on this node, in
    this incarnation) and the watcher's node and incarnation."""

    target: str
    target_incarnation: str
    watcher_node: str
    watcher_incarnation: str


class Watch(_WatchFrame, tag=7):
    pass


class Unwatch(_WatchFrame, tag=8):
    pass


class Stopped(msgspec.Struct, tag=9, array_like=True):
    node: str
    incarnation: str
    path: str
    reason: str = "stopped"  # as the local Terminated says: stopped, killed, timeout


class Stop(msgspec.Struct, tag=10, array_like=True):
    target: str
    target_incarnation: str
    timeout: float | None


class Kill(msgspec.Struct, tag=11, array_like=True):
    target: str
    target_incarnation: str


class DeclaredDown(_NodeFrame, tag=12):
    pass


class BusEvent(msgspec.Struct, tag=14, array_like=True):
    """An event published on the bus of one node, for the others (subject
    ``<prefix>.bus.<topic>``: the topic is the rest of the subject)."""

    # The publishing node's incarnation: a node drops its own events coming back over NATS.
    origin: str
    message_type: str
    body: msgspec.Raw
    message_id: int
    correlation_id: int | str
    causation_id: int | None
    sender: WireRef | None
    trace: dict[str, str] | None = None


class Interest(msgspec.Struct, tag=15, array_like=True):
    """The bus patterns a node has local subscribers for, and who subscribes (all of them,
    replacing what its peers knew), sent on the members subject after its heartbeat."""

    node: str
    incarnation: str
    patterns: list[str]
    # Who subscribes (bus and durable subscribers): (pattern, actor path) pairs, so that
    # scatter and tail_chop over a topic can ask the other nodes' subscribers.
    subscribers: list[tuple[str, str]] = []
    # The cluster pools the node serves, each with its routees' paths, so that scatter and
    # tail_chop over a ClusterPoolRef can ask every routee on every node.
    pools: list[tuple[str, list[str]]] = []


class Batch(msgspec.Struct, tag=13, array_like=True):
    """Consecutive frames for one subject in one NATS message (the writer coalesces the
    tells, asks and replies queued); each stays its own msgpack value, decoded on its own."""

    frames: list[msgspec.Raw]


Frame = (
    Batch
    | Tell
    | Ask
    | Reply
    | Failure
    | Heartbeat
    | Leave
    | Watch
    | Unwatch
    | Stopped
    | Stop
    | Kill
    | DeclaredDown
    | BusEvent
    | Interest
)

_frame_encoder = msgspec.msgpack.Encoder()
_frame_decoder = msgspec.msgpack.Decoder(Frame)


def encode_frame(frame: Frame) -> bytes:
    return _frame_encoder.encode(frame)


def decode_frame(data: bytes) -> Frame:
    """Raises msgspec.DecodeError (or ValidationError) for anything that is not a frame."""
    return _frame_decoder.decode(data)


# Plain values need no registration; they travel under these names.
_PLAIN: dict[type, str] = {
    int: "int",
    float: "float",
    str: "str",
    bool: "bool",
    type(None): "None",
    bytes: "bytes",
    list: "list",
    dict: "dict",
    tuple: "list",
}
_PLAIN_TYPES: dict[str, Any] = {
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "None": None,
    "bytes": bytes,
    "list": list[Any],
    "dict": dict[Any, Any],
}


class Codec:
    """Encodes messages of the registered types (and plain values) and decodes them back.

    ``encode_ref`` turns a ref into a ``WireRef``; ``decode_ref`` turns one back into a
    working ref (the node supplies both).
    """

    def __init__(
        self,
        types: Iterable[type[msgspec.Struct]],
        encode_ref: Callable[[ActorRef], WireRef],
        decode_ref: Callable[[WireRef], ActorRef],
    ) -> None:
        self._names: dict[type, str] = dict(_PLAIN)
        self._decoders: dict[str, msgspec.msgpack.Decoder[Any]] = {}
        self._decode_ref = decode_ref
        self._encode_ref = encode_ref
        for name, kind in _PLAIN_TYPES.items():
            self._decoders[name] = msgspec.msgpack.Decoder(kind, dec_hook=self._dec_hook)
        for kind in types:
            name = message_type_name(kind)
            self._names[kind] = name
            self._decoders[name] = msgspec.msgpack.Decoder(kind, dec_hook=self._dec_hook)
        self._encoder = msgspec.msgpack.Encoder(enc_hook=self._enc_hook)

    def _enc_hook(self, value: Any) -> Any:
        if isinstance(value, ActorRef):
            ref = self._encode_ref(value)
            return (ref.node, ref.incarnation, ref.path)
        raise NotImplementedError(f"cannot encode a {type(value).__name__}")

    def _dec_hook(self, kind: type, value: Any) -> Any:
        if isinstance(kind, type) and issubclass(kind, ActorRef):
            if (
                isinstance(value, list | tuple)
                and len(value) == 3
                and all(isinstance(part, str) for part in value)
            ):
                return self._decode_ref(WireRef(value[0], value[1], value[2]))
            raise msgspec.ValidationError(
                f"expected a ref [node, incarnation, path], got {value!r}"
            )
        raise NotImplementedError(f"cannot decode a {kind!r}")

    def encode(self, message: Any) -> tuple[str, msgspec.Raw]:
        """``(type name, body)`` for ``message``.

        Raises:
            SerializationError: its type is not registered, or msgspec cannot encode it.
        """
        name = self._names.get(type(message))
        if name is None:
            raise SerializationError(
                f"{type(message).__qualname__} is not a registered message type: add it to"
                " ClusterConfig(messages=[...]) on every node (a msgspec.Struct)",
                message_type=type(message).__name__,
            )
        try:
            return name, msgspec.Raw(self._encoder.encode(message))
        except (TypeError, NotImplementedError, OverflowError, ValueError) as error:
            raise SerializationError(
                f"cannot encode a {type(message).__qualname__}: {error}",
                message_type=type(message).__name__,
            ) from error

    def decode(self, name: str, body: msgspec.Raw) -> Any:
        """The message ``body`` encodes as type ``name``.

        Raises:
            LookupError: ``name`` is not a registered type here.
            msgspec.DecodeError: the body is not valid for the type.
        """
        decoder = self._decoders.get(name)
        if decoder is None:
            raise LookupError(f"unknown message type {name!r} (not registered on this node)")
        return decoder.decode(body)
