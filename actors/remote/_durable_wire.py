"""How a durable event is stored in JetStream: its type name, its msgpack body, its
correlation id and (a durable pool's ask) the reply subject, as one msgpack array (the
subject carries the topic)."""

from __future__ import annotations

import msgspec

__all__ = ["DurableEvent", "decode_event", "encode_event"]


class DurableEvent(msgspec.Struct, array_like=True, frozen=True):
    """One stored event: ``kind`` names its registered type (see ``Codec``)."""

    kind: str
    body: msgspec.Raw
    correlation_id: int | str
    # A message asked of a durable pool: the asker's reply subject ("" otherwise).
    reply: str = ""


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(DurableEvent)


def encode_event(event: DurableEvent) -> bytes:
    return _encoder.encode(event)


def decode_event(data: bytes) -> DurableEvent:
    """Raises msgspec.DecodeError (or ValidationError) for anything that is not an event."""
    return _decoder.decode(data)
