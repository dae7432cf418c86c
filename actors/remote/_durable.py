"""``Durables``: one node's durable events on JetStream: the declared streams, durable
publishing, and the durable subscriptions of its actors.

Subjects, under the per-system prefix ``actors.<system>``:

- ``<prefix>.bus.<topic>``: a bus event; a declared ``DurableStream`` keeps those whose
  topic matches its ``subjects`` (the stream is ``<system>_<name>`` on the server).
- ``<prefix>.dlq.<durable>``: events a durable subscription gave up on (``max_deliver``
  failed deliveries), with headers ``Actors-Topic``, ``Actors-Deliveries``,
  ``Actors-Subscriber`` and ``Actors-Error``.

How ``publish`` knows an event is durable: every node declares the same streams, so the
topic alone says it (``durable_stream``); such an event is published with JetStream's
``publish`` and waits for the server's acknowledgement (the event is stored), nothing else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import nats.errors
import nats.js.errors
from nats.js import api

from actors._cluster._durable_errors import (
    DurablePublishFailed,
    JetStreamError,
    JetStreamUnavailable,
)
from actors._cluster._streams import DurableStream
from actors._core._log import logger
from actors.remote._durable_consumer import DurableConsumer
from actors.remote._durable_wire import DurableEvent, encode_event
from actors.remote._expiries import Expiries

if TYPE_CHECKING:
    from collections.abc import Callable

    from nats.aio.client import Client
    from nats.js.client import JetStreamContext

    from actors._cluster._durable_options import DurableOptions
    from actors._core._ref import ActorRef
    from actors._system._system import ActorSystem
    from actors.remote._wire import Codec

__all__ = ["MINIMUM_SERVER", "POOL_KEY", "Durables", "check_server", "server_refusal"]

# How a durable pool's consumer is known among a node's consumers (no topic pattern has a
# space): POOL_KEY + the pool's durable name.
POOL_KEY = " pool "
# filter_subjects (2.10) is what keeps a durable consumer to its pattern; 2.9 ignores it.
MINIMUM_SERVER = (2, 10)
_RETENTION = {
    "limits": api.RetentionPolicy.LIMITS,
    "interest": api.RetentionPolicy.INTEREST,
    "work_queue": api.RetentionPolicy.WORK_QUEUE,
}
_STORAGE = {"file": api.StorageType.FILE, "memory": api.StorageType.MEMORY}
# Seconds a durable publish waits for the server's acknowledgement.
_PUBLISH_TIMEOUT = 5.0
# Durable publishes awaiting the server's acknowledgement at most; one more waits for room.
_PUBLISH_WINDOW = 4096
# Topics whose stream was looked up (a publisher reuses a handful), cleared whole when full.
_TOPIC_CACHE = 4096


class Durables:
    """The durable side of one node (private; ``NatsNode`` holds one)."""

    def __init__(
        self, system: ActorSystem, streams: tuple[DurableStream, ...], codec: Codec
    ) -> None:
        self._system = system
        self._streams = streams
        self._codec = codec
        self._prefix = f"actors.{system.name}"
        self.bus_prefix = f"{self._prefix}.bus."
        self._nc: Client | None = None
        # One JetStream context: its publish_async reply subscription is made once.
        self._js: JetStreamContext | None = None
        # The deadlines of the publishes awaiting acknowledgement (one timer, not one each).
        self._expiries: Expiries | None = None
        self._topics: dict[str, DurableStream | None] = {}
        self._consumers: dict[tuple[ActorRef, str], DurableConsumer] = {}
        # Called when a durable subscription is made or ends (the cluster bus tells the other
        # nodes who subscribes).
        self.changed: Callable[[], None] | None = None

    def server_name(self, stream: DurableStream) -> str:
        """The stream's name on the server: the system's name, ``_``, the declared name."""
        return f"{self._system.name}_{stream.name}"

    # ------------------------------------------------------------------ lifecycle

    async def start(self, nc: Client) -> None:
        """Check the server can keep durable events and create or update every declared
        stream. Does nothing without declared streams.

        Raises:
            JetStreamUnavailable: the server has no JetStream or is older than 2.10.
            JetStreamError: the server refused a stream's settings.
        """
        self._nc = nc
        if not self._streams:
            return
        check_server(nc)
        js = self.jetstream(nc)
        for stream in self._streams:
            subjects = [f"{self.bus_prefix}{pattern}" for pattern in stream.subjects]
            await self.declare(js, stream, subjects)

    def jetstream(self, nc: Client) -> JetStreamContext:
        if self._js is None:
            self._js = nc.jetstream(publish_async_max_pending=_PUBLISH_WINDOW)
        return self._js

    async def declare(
        self, js: Any, stream: DurableStream, subjects: list[str], update: bool = True
    ) -> None:
        """Create ``stream`` on the server (its NATS ``subjects``), or update it to these
        settings when it exists (``update``; otherwise leave it as it is)."""
        name = self.server_name(stream)
        config = api.StreamConfig(
            name=name,
            subjects=subjects,
            retention=_RETENTION[stream.retention],
            max_age=stream.max_age,
            max_bytes=stream.max_bytes,
            num_replicas=stream.replicas,
            duplicate_window=stream.effective_duplicate_window,
            storage=_STORAGE[stream.storage],
        )
        try:
            try:
                await js.stream_info(name)
            except nats.js.errors.NotFoundError:
                await js.add_stream(config)
                logger.info("durable.stream_created", stream=name)
            else:
                if update:
                    await js.update_stream(config)
                    logger.info("durable.stream_updated", stream=name)
        except nats.js.errors.ServiceUnavailableError as error:
            raise JetStreamUnavailable(
                f"the NATS server has no JetStream (start it with -js): {error}", stream=name
            ) from error
        except (nats.js.errors.APIError, nats.errors.Error) as error:
            raise JetStreamError(
                f"the NATS server refused stream {name!r}: {error}", stream=name
            ) from error

    async def close(self) -> None:
        """End every durable subscription of this node (the consumers stay on the server)."""
        for consumer in list(self._consumers.values()):
            await consumer.close()
        if self._expiries is not None:
            self._expiries.close()

    # ------------------------------------------------------------------ publishing

    def durable_stream(self, topic: str) -> DurableStream | None:
        """The declared stream that keeps events on ``topic``, or ``None``."""
        topics = self._topics
        try:
            return topics[topic]
        except KeyError:
            pass
        found = next((stream for stream in self._streams if stream.covers(topic)), None)
        if len(topics) >= _TOPIC_CACHE:
            topics.clear()
        topics[topic] = found
        return found

    async def publish(
        self,
        stream: DurableStream,
        topic: str,
        event: Any,
        key: str | None,
        correlation_id: int | str,
    ) -> None:
        """Store ``event`` in ``stream`` and return once the server acknowledged it.

        Raises:
            SerializationError: the event's type is not registered or cannot be encoded.
            DurablePublishFailed: the server did not acknowledge it.
        """
        name, body = self._codec.encode(event)
        payload = encode_event(DurableEvent(name, body, correlation_id))
        headers = None if key is None else {"Nats-Msg-Id": key}
        await self.store(
            f"{self.bus_prefix}{topic}", payload, headers, self.server_name(stream), topic
        )

    async def store(
        self,
        subject: str,
        payload: bytes,
        headers: dict[str, str] | None,
        server_name: str,
        topic: str | None,
    ) -> None:
        """Publish ``payload`` on ``subject`` (kept by stream ``server_name``) through
        JetStream and return once the server acknowledged it; ``topic`` (``None`` for a
        durable pool's message) names it in errors.

        Raises:
            DurablePublishFailed: the server did not acknowledge it.
        """
        what = f"event on {topic!r}" if topic is not None else f"message on {subject!r}"
        nc = self._nc
        js = self._js
        if nc is None or js is None or not nc.is_connected:
            raise DurablePublishFailed(
                f"not connected to NATS: {what} not published",
                stream=server_name,
                topic=topic,
            )
        try:
            # publish_async shares one reply subscription among all publishes in flight
            # (js.publish would make a request, with its own reply handling, per event).
            # No expected-stream header: the subject alone names one stream (declared
            # streams never overlap), and a header would cost every event a parse on
            # both sides.
            acknowledged = await js.publish_async(
                subject,
                payload,
                # No stall timeout: nats-py would wrap the wait in a task per publish.
                # A full window frees up within _PUBLISH_TIMEOUT, as the wait below ends
                # (and cancels) every publish in flight by then.
                wait_stall=None,
                headers=headers,
            )
            if self._expiries is None:
                self._expiries = Expiries(asyncio.get_running_loop())
            self._expiries.add(_PUBLISH_TIMEOUT, _expire, acknowledged)
            await acknowledged
        except (nats.errors.Error, TimeoutError) as error:
            raise DurablePublishFailed(
                f"the server did not acknowledge the {what}: {error!r}",
                stream=server_name,
                topic=topic,
            ) from error

    # ------------------------------------------------------------------ subscribing

    async def subscribe(self, ref: ActorRef, pattern: str, options: DurableOptions) -> None:
        """Create or bind the durable consumer ``options.durable`` for ``pattern`` and start
        feeding ``ref`` from it.

        Raises:
            JetStreamUnavailable: no stream is declared at all.
            ValueError: no declared stream keeps every topic of ``pattern``, or ``ref``
                already has a durable subscription to ``pattern`` under another name.
            JetStreamError: the server refused the consumer's settings.
        """
        if not self._streams:
            raise JetStreamUnavailable(
                "a durable subscription needs a declared stream: add"
                " ClusterConfig(streams=[DurableStream(...)])"
            )
        stream = next((stream for stream in self._streams if stream.holds(pattern)), None)
        if stream is None:
            raise ValueError(
                f"no declared stream keeps every topic of {pattern!r}: the streams keep"
                f" {', '.join(repr(s) for stream in self._streams for s in stream.subjects)}"
            )
        existing = self._consumers.get((ref, pattern))
        if existing is not None:
            if existing.options == options:
                return
            raise ValueError(
                f"{ref!r} already has a durable subscription to {pattern!r}"
                f" ({existing.options.durable!r}); unsubscribe it first"
            )
        await self.consume(
            ref, pattern, self.server_name(stream), f"{self.bus_prefix}{pattern}", options
        )

    async def consume(
        self,
        ref: ActorRef,
        key: str,
        server_name: str,
        subject: str,
        options: DurableOptions,
        answer: Callable[[str, Any, BaseException | None], None] | None = None,
    ) -> None:
        """Create or bind the durable consumer ``options.durable`` of stream ``server_name``
        for the NATS ``subject`` and start feeding ``ref`` from it, known as ``(ref, key)``.
        A durable pool's consumer (``answer`` given) delivers messages without a topic
        and answers the asks stored with them.

        Raises:
            JetStreamError: the server refused the consumer's settings.
        """
        nc = self._nc
        assert nc is not None
        js = nc.jetstream()
        pool = answer is not None
        config = api.ConsumerConfig(
            durable_name=options.durable,
            ack_policy=api.AckPolicy.EXPLICIT,
            deliver_policy=api.DeliverPolicy.ALL,
            filter_subjects=[subject],
            max_deliver=options.max_deliver,
            max_ack_pending=options.max_ack_pending,
            ack_wait=options.ack_wait,
        )
        try:
            await js.add_consumer(server_name, config)
            subscription = await js.pull_subscribe_bind(
                durable=options.durable,
                stream=server_name,
                # The server sends at most max_ack_pending events; the margin is for the
                # status messages that end fetch requests.
                pending_msgs_limit=options.max_ack_pending + 64,
            )
        except (nats.js.errors.APIError, nats.errors.Error) as error:
            raise JetStreamError(
                f"the NATS server refused durable consumer {options.durable!r} on stream"
                f" {server_name!r}: {error}",
                stream=server_name,
            ) from error
        consumer = DurableConsumer(
            self._system,
            nc,
            js,
            subscription,
            self._codec,
            ref,
            key,
            server_name,
            options,
            None if pool else self.bus_prefix,
            f"{self._prefix}.dlq.{options.durable}",
            self._closed,
            answer,
        )
        # One node of those sharing the durable name turns each advisory into a dead letter.
        consumer.advisories = await nc.subscribe(
            f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{server_name}.{options.durable}",
            queue=f"{self._prefix}.dlq.{options.durable}",
            cb=consumer.on_max_deliveries,
        )
        self._consumers[(ref, key)] = consumer
        consumer.start()
        if self.changed is not None:
            self.changed()
        logger.info("durable.subscribed", durable=options.durable, path=ref.path, subject=subject)

    async def unsubscribe(self, ref: ActorRef, pattern: str | None) -> None:
        """End ``ref``'s durable subscriptions to ``pattern`` (all of them for ``None``;
        a durable pool's consumer is the pool's own and ends with it)."""
        for (subscriber, subscribed), consumer in list(self._consumers.items()):
            if subscriber is not ref or subscribed.startswith(POOL_KEY):
                continue
            if pattern in (None, subscribed):
                await consumer.close()

    def consumers(self) -> tuple[DurableConsumer, ...]:
        return tuple(self._consumers.values())

    def subscriptions(self) -> list[tuple[str, ActorRef]]:
        """The durable subscriptions of this node's actors: (pattern, subscriber) pairs (a
        durable pool's consumer is not a subscription)."""
        return [
            (pattern, ref) for ref, pattern in self._consumers if not pattern.startswith(POOL_KEY)
        ]

    def _closed(self, consumer: DurableConsumer) -> None:
        key = (consumer.ref, consumer.pattern)
        if self._consumers.get(key) is consumer:
            del self._consumers[key]
            if self.changed is not None:
                self.changed()


def _expire(acknowledged: asyncio.Future[Any]) -> None:
    # Failing the future also frees its place in nats-py's window of pending publishes.
    if not acknowledged.done():
        acknowledged.set_exception(TimeoutError(f"no acknowledgement within {_PUBLISH_TIMEOUT}s"))


def check_server(nc: Client) -> None:
    """Raise ``JetStreamUnavailable`` unless the connected server runs JetStream, 2.10+."""
    version = nc.connected_server_version
    info = nc._server_info  # the INFO the server sent on connect
    refusal = server_refusal(
        (version.major, version.minor), str(info.get("version", version)), info.get("jetstream")
    )
    if refusal is not None:
        raise JetStreamUnavailable(refusal)


def server_refusal(version: tuple[int, int], text: str, jetstream: object) -> str | None:
    """Why a server of ``version`` (``text`` as it reports it) with ``jetstream`` (the INFO
    field) cannot keep durable events, or ``None`` when it can."""
    if version < MINIMUM_SERVER:
        return (
            f"the NATS server is {text}; durable events need 2.10 or later (2.9 ignores a"
            " consumer's filter_subjects and would deliver events to the wrong subscriber)"
        )
    if jetstream is not True:
        return (
            "the NATS server runs without JetStream: start it with -js (and -sd <dir> for"
            " file storage)"
        )
    return None
