"""The typed form of durable events in configuration files (checked by ``_durable`` first):
``[cluster] streams`` entries and durable ``subscribe`` entries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import msgspec

from actors import DurableStream

__all__ = ["DurableSubscriptionSpec", "StreamSpec", "durable_streams"]


class StreamSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One entry of ``[cluster] streams``: the fields of ``actors.DurableStream``."""

    name: str
    subjects: tuple[str, ...]
    retention: str = "limits"
    max_age: float | None = None
    max_bytes: int | None = None
    replicas: int = 1
    duplicate_window: float | None = None
    storage: str = "file"


class DurableSubscriptionSpec(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True
):
    """A durable ``subscribe`` entry: ``pattern`` and ``durable`` name, and the settings of
    ``actors.ActorSystem.subscribe`` (``max_deliver``, ``max_ack_pending``, ``backoff``,
    ``ack_wait``)."""

    pattern: str
    durable: str
    max_deliver: Annotated[int, msgspec.Meta(ge=1)] = 5
    max_ack_pending: Annotated[int, msgspec.Meta(ge=1)] = 256
    backoff: tuple[float, ...] = (0.1, 1.0, 5.0)
    ack_wait: Annotated[float, msgspec.Meta(gt=0)] = 30.0


def durable_streams(specs: Sequence[StreamSpec]) -> tuple[DurableStream, ...]:
    """The ``actors.DurableStream`` of each checked entry."""
    return tuple(DurableStream(**msgspec.structs.asdict(spec)) for spec in specs)
