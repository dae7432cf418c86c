"""How ``ActorSystem.publish`` and ``subscribe`` reach the durable events of the system's
cluster transport (JetStream), kept out of the facade: the local path pays one ``None``
check for it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actors._cluster._durable_errors import JetStreamUnavailable
from actors._cluster._durable_options import DurableOptions
from actors._cluster._durable_pool import DurablePool, durable_pool
from actors._core._envelope import new_envelope
from actors._routing._topics import validate_pattern, validate_topic

if TYPE_CHECKING:
    from actors._cluster._transport import Transport
    from actors._core._ref import ActorRef

__all__ = ["declare_durable_pool", "durable_pool", "publish_durable", "subscribe_durable"]


async def publish_durable(
    transport: Transport | None,
    topic: str,
    event: Any,
    key: str | None,
    correlation_id: int | str | None,
) -> None:
    """Store ``event`` in the declared stream that keeps ``topic``, if any, and return once
    the server acknowledged it (the local subscribers are served by the caller).

    Raises:
        ValueError: ``key`` is given but no declared stream keeps ``topic``, or ``key`` is
            not a non-empty ``str``.
        SerializationError: the event cannot travel (not a registered type).
        DurablePublishFailed: the server did not acknowledge the event.
    """
    stream = None if transport is None else transport.durables.durable_stream(topic)
    if key is not None and (not isinstance(key, str) or not key):
        raise ValueError(f"key must be a non-empty str, got {key!r}")
    if stream is None:
        if key is not None:
            validate_topic(topic)
            raise ValueError(
                f"publish(..., key=...) de-duplicates durable events only, and no declared"
                f" stream keeps {topic!r} (see ClusterConfig.streams)"
            )
        return
    assert transport is not None
    # The stored event carries the correlation id it would have locally.
    correlation = new_envelope(None, None, correlation_id).correlation_id
    await transport.durables.publish(stream, topic, event, key, correlation)


async def subscribe_durable(
    transport: Transport | None,
    has_cluster: bool,
    ref: ActorRef,
    pattern: str,
    options: dict[str, Any],
) -> None:
    """See ``ActorSystem.subscribe`` with ``durable``.

    Raises:
        JetStreamUnavailable: the system has no cluster with declared streams.
        RuntimeError: the system has a cluster but has not started.
        ValueError, TypeError: a setting is invalid (named), or no stream keeps ``pattern``.
    """
    validate_pattern(pattern)
    settings = DurableOptions(**options)
    if transport is None:
        if has_cluster:
            raise RuntimeError("a durable subscription needs the system started: use `async with`")
        raise JetStreamUnavailable(
            "a durable subscription needs a cluster with JetStream streams: pass"
            " cluster=ClusterConfig(..., streams=[DurableStream(...)])"
        )
    await transport.durables.subscribe(ref, pattern, settings)


async def declare_durable_pool(
    transport: Transport | None, has_cluster: bool, cluster: bool, durable: Any
) -> DurablePool | None:
    """The settings of ``spawn_pool(..., durable=durable)`` (``None`` without), its
    work-queue stream created or updated on the server, before the pool starts.

    Raises:
        TypeError, ValueError: ``durable`` is not a valid name or ``DurablePool``.
        ValueError: ``durable`` without ``cluster=True``.
        JetStreamUnavailable: no cluster, or a server without JetStream (or older than 2.10).
        RuntimeError: the system has a cluster but has not started.
        JetStreamError: the server refused the stream's settings.
    """
    settings = durable_pool(durable)
    if settings is None:
        return None
    if not cluster:
        raise ValueError(
            f"durable={settings.name!r} needs cluster=True: a durable pool is one work queue"
            " shared by the pools of the cluster's nodes (for one node's pool, subscribe it"
            " durably: subscribe(pool, pattern, durable=...))"
        )
    if transport is None:
        if has_cluster:
            raise RuntimeError("a durable pool needs the system started: use `async with`")
        raise JetStreamUnavailable(
            "a durable pool needs a cluster on a NATS server with JetStream: pass"
            " cluster=ClusterConfig(...)"
        )
    await transport.declare_pool(settings)
    return settings
