"""``DurablePool``: the settings of a durable pool across nodes (``spawn_pool(...,
cluster=True, durable=...)``), validated before anything reaches the server. Pure data;
nothing here imports ``nats``."""

from __future__ import annotations

from typing import Any

import attrs

from actors._cluster._durable_options import DurableOptions
from actors._cluster._streams import DurableStream, Storage

__all__ = ["DurablePool", "durable_pool"]


def _options(pool: DurablePool) -> DurableOptions:
    return DurableOptions(
        durable=pool.name,
        max_deliver=pool.max_deliver,
        max_ack_pending=pool.max_ack_pending,
        backoff=pool.backoff,
        ack_wait=pool.ack_wait,
    )


@attrs.frozen(kw_only=True)
class DurablePool:
    """How a pool across nodes keeps its messages: in a JetStream work-queue stream, taken by
    one durable consumer that every node serving the pool shares (at-least-once, one worker
    per message). Pass it, or just its ``name``, as ``spawn_pool(..., cluster=True,
    durable=...)``; every node serving the pool should give the same settings.

    Attributes:
        name: the durable consumer's name (letters, digits, ``_``, ``-``); the stream is
            ``<system>_pool_<name>`` on the server, its subject
            ``actors.<system>.dp.<name>``.
        max_deliver: deliveries of a message at most; after that many failed ones it is a
            dead letter (reason ``max_deliveries``), also published on
            ``actors.<system>.dlq.<name>``.
        max_ack_pending: messages held unacknowledged at most (fetched, queued in a pool
            or in a handler), by one node and, the server's bound of the shared consumer,
            by all the serving nodes together.
        backoff: seconds before a failed message is redelivered, by delivery (the last
            entry repeats).
        ack_wait: seconds the server waits for an acknowledgement before it redelivers a
            message (its node was lost, or it queued that long).
        max_age: seconds a message waits in the stream at most; ``None``: no limit.
        max_bytes: bytes the stream keeps at most; ``None``: no limit.
        replicas: copies kept in a NATS cluster (1 to 5).
        storage: ``file`` (survives a server restart; default) or ``memory``.

    Raises:
        TypeError, ValueError: a field has the wrong type or is out of range; the message
            names the field.
    """

    name: str
    max_deliver: int = 5
    max_ack_pending: int = 256
    backoff: tuple[float, ...] = (0.1, 1.0, 5.0)
    ack_wait: float = 30.0
    max_age: float | None = None
    max_bytes: int | None = None
    replicas: int = 1
    storage: Storage = "file"

    def __attrs_post_init__(self) -> None:
        # The same rules as a durable subscription's and a declared stream's settings.
        options = _options(self)
        object.__setattr__(self, "backoff", options.backoff)
        self.stream()

    @property
    def options(self) -> DurableOptions:
        """The consumer's settings."""
        return _options(self)

    def stream(self) -> DurableStream:
        """The work-queue stream's settings (its subjects are set by the runtime)."""
        return DurableStream(
            name=f"pool_{self.name}",
            subjects=["pool"],
            retention="work_queue",
            max_age=self.max_age,
            max_bytes=self.max_bytes,
            replicas=self.replicas,
            storage=self.storage,
        )


def durable_pool(value: Any) -> DurablePool | None:
    """``value`` (``None``, a name or a ``DurablePool``) as a ``DurablePool`` or ``None``.

    Raises:
        TypeError: ``value`` is none of those.
        ValueError: the name is not a JetStream consumer name.
    """
    if value is None or isinstance(value, DurablePool):
        return value
    if isinstance(value, str):
        return DurablePool(name=value)
    raise TypeError(f"durable must be a name (str) or a DurablePool, got {value!r}")
