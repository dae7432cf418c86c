"""The errors of durable events (JetStream), part of the runtime's one hierarchy."""

from __future__ import annotations

from actors._core._errors import ActorError

__all__ = [
    "DurablePublishFailed",
    "JetStreamError",
    "JetStreamUnavailable",
    "MaxDeliveriesExceeded",
]


class JetStreamError(ActorError):
    """A JetStream operation of the runtime failed: the server refused a declared stream's
    settings (for example ``replicas`` larger than the NATS cluster) or a durable
    consumer's (raised by ``ActorSystem.start`` and ``ActorSystem.subscribe``).

    What to do: read the server's reason in the message and fix the declared settings.

    Attributes:
        stream: the declared stream's name, or ``None``.
    """

    __module__ = "actors"

    def __init__(self, reason: str, *, stream: str | None = None) -> None:
        super().__init__(reason)
        self.stream = stream


class JetStreamUnavailable(JetStreamError):
    """The NATS server cannot keep durable events: it runs without JetStream (started
    without ``-js``), or it is older than 2.10 (2.9 silently ignores a consumer's
    ``filter_subjects``, which would deliver events to the wrong subscriber).

    Raised by ``ActorSystem.start`` when ``ClusterConfig.streams`` declares streams, and by
    ``subscribe(..., durable=...)`` on a system that declares none. Nothing degrades
    silently: a system that needs JetStream does not start without it.
    What to do: run ``nats-server -js`` 2.10 or later, or declare no streams.
    """

    __module__ = "actors"


class DurablePublishFailed(JetStreamError):
    """A durable event was not acknowledged by the server: it is unreachable, did not answer
    within the timeout, or refused the event. Raised by ``ActorSystem.publish``, and by
    ``tell`` and ``ask`` on a durable ``ClusterPoolRef`` (the message was not stored).

    The event may or may not be stored. What to do: publish it again with the same ``key``;
    the stream drops the second copy if the first was stored within its
    ``duplicate_window``.

    Attributes:
        topic: the topic published on; ``None`` for a message to a durable pool.
    """

    __module__ = "actors"

    def __init__(self, reason: str, *, stream: str | None, topic: str | None) -> None:
        super().__init__(reason, stream=stream)
        self.topic = topic


class MaxDeliveriesExceeded(ActorError):
    """A durable event (or a message to a durable pool) whose handler failed on each of its
    ``max_deliver`` deliveries.

    Never raised to a caller: it is the ``error`` of the dead letter (reason
    ``max_deliveries``) the event becomes, with the handler's last exception as its
    ``__cause__``; the event is also published on the dead-letter subject
    ``actors.<system>.dlq.<durable>``.

    Attributes:
        deliveries: how many times the event was delivered.
        topic: the topic it was published on; ``None`` for a durable pool's message.
        durable: the durable subscription's (or durable pool's) name.
        stream: the stream that kept it.
    """

    __module__ = "actors"

    def __init__(
        self,
        reason: str,
        *,
        path: str | None,
        message_type: str | None,
        deliveries: int,
        topic: str | None,
        durable: str,
        stream: str,
    ) -> None:
        super().__init__(reason, path=path, message_type=message_type)
        self.deliveries = deliveries
        self.topic = topic
        self.durable = durable
        self.stream = stream
