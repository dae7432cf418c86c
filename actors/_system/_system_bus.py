"""The system's event bus: starting it on first use, publishing, subscribing, stopping it
last. A mixin of ``ActorSystem``."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, cast

from actors._core._cell import ActorCell
from actors._core._errors import ActorStopped
from actors._core._messages import Overflow
from actors._core._ref import ActorRef
from actors._core._state import RUNNING
from actors._routing._bus import EventBus, Publish, Subscribe, Unsubscribe, _Declared
from actors._routing._topics import validate_topic

if TYPE_CHECKING:
    from actors._core._runtime import Runtime
    from actors._system._system import ActorSystem

__all__ = ["BUS_PATH", "RUNTIME_NAME", "RUNTIME_PREFIX", "EventBusAccess"]

# The runtime's own actors live under /system (Akka's convention): the top-level name
# "system" is reserved, and ActorSystem.actors lists only the application's actors.
RUNTIME_NAME = "system"
RUNTIME_PREFIX = f"/{RUNTIME_NAME}/"
BUS_PATH = f"{RUNTIME_PREFIX}bus"
_BUS_PATH = BUS_PATH


class EventBusAccess:
    """The event-bus part of ``ActorSystem`` (a mixin)."""

    if TYPE_CHECKING:
        _bus_cell: ActorCell | None
        _bus_instance: EventBus | None
        _bus_closed: bool
        _bus_capacity: int
        _registry: dict[str, ActorCell]

        @property
        def loop(self) -> asyncio.AbstractEventLoop: ...

        async def _stop_within(self, cell: ActorCell, deadline: float | None) -> None: ...

    # ------------------------------------------------------------------ event bus

    @property
    def bus(self) -> ActorRef:
        """The ref of the system's ``EventBus`` (path ``/system/bus``).

        The bus is started on first use (of this property, ``publish``, ``subscribe``,
        ``unsubscribe``, or an actor declaring ``subscriptions``), so it must be first used
        from a coroutine running on the system's event loop; messages sent to it before it
        finished starting queue in its mailbox. It stops after every application actor when
        the system shuts down.

        Raises:
            ActorStopped: the system has shut down and the bus was never started.
            RuntimeError: called without a running event loop, or on another loop than the
                system's.
        """
        cell = self._bus_cell
        if cell is None:
            cell = self._start_bus()
        return cell.ref

    def _start_bus(self) -> ActorCell:
        loop = self.loop
        if self._bus_closed:
            raise ActorStopped(f"{self!r} is shut down; its event bus is stopped")

        def make_bus() -> EventBus:
            bus = EventBus(publish_dead_letters=True)
            self._bus_instance = bus
            return bus

        cell = ActorCell(
            cast("ActorSystem", self),
            None,
            "bus",
            _BUS_PATH,
            make_bus,
            self._bus_capacity,
            Overflow.BLOCK,
            5.0,
        )
        self._bus_cell = cell
        self._registry[cell.path] = cell
        started = cell.start_incarnation()
        if started is not None:
            # Nothing awaits the start: the bus's on_start cannot fail, but never leave a
            # future's exception unretrieved.
            started.add_done_callback(_retrieve)
        del loop
        return cell

    def _running_bus(self) -> EventBus | None:
        """The bus, when an event can be fanned out from the caller's task: it is running
        and nothing is queued for it, so no earlier publish is waiting (publish order)."""
        cell = self._bus_cell
        if cell is None or cell.state is not RUNNING or cell.mailbox.user:
            return None
        return self._bus_instance

    async def publish(
        self, topic: str, event: Any, *, correlation_id: int | str | None = None
    ) -> None:
        """Publish ``event`` on ``topic`` through the system's bus.

        Every actor subscribed to a matching pattern receives ``event`` itself, once, with
        ``self.context.topic == topic``; each subscriber receives the events of one publisher
        in publish order. When the bus is idle the event goes straight into the subscribers'
        mailboxes from the caller's task (one mailbox put per subscriber, no waiting);
        otherwise it queues behind what the bus has to do, waiting for room in the bus's
        mailbox if that is full. It never waits for a subscriber: a full subscriber is
        handled by its subscription's overflow policy (see ``Subscribe``), and the publisher
        then only yields to the event loop once, so that subscribers can catch up.
        Publishing on a topic nobody subscribes to is cheap and not an error. Inside a
        handler the event inherits the handled message's correlation id unless
        ``correlation_id`` is given.

        Raises:
            ValueError: ``topic`` is not a valid topic (empty token, wildcard, whitespace).
            TypeError: ``topic`` is not a ``str``.
        """
        bus = self._running_bus()
        if bus is not None:
            if bus._publish_direct(topic, event, correlation_id):
                # A subscriber is full. Let the subscribers (and the tasks feeding their
                # backlogs) run before this publisher goes on, so that a publishing loop
                # gives them a chance to catch up instead of outrunning them into drops.
                await asyncio.sleep(0)
        elif self._bus_cell is None:
            validate_topic(topic)  # no bus yet, so no subscriber: nothing to deliver
        else:
            await self._bus_cell.ref.tell(Publish(topic, event), correlation_id=correlation_id)

    def publish_nowait(
        self, topic: str, event: Any, *, correlation_id: int | str | None = None
    ) -> None:
        """Publish like ``publish``, without ever waiting (for plain ``def`` handlers).

        Raises:
            MailboxFull: the event had to queue behind the bus's work and the bus's mailbox
                is full; ``.message`` is the ``Publish``.
            ValueError: ``topic`` is not a valid topic.
            TypeError: ``topic`` is not a ``str``.
        """
        bus = self._running_bus()
        if bus is not None:
            bus._publish_direct(topic, event, correlation_id)
        elif self._bus_cell is None:
            validate_topic(topic)
        else:
            self._bus_cell.ref.tell_nowait(Publish(topic, event), correlation_id=correlation_id)

    async def subscribe(
        self,
        ref: ActorRef,
        pattern: str,
        *,
        overflow: Overflow = Overflow.BLOCK,
        timeout: float | None = 5.0,
    ) -> None:
        """Subscribe ``ref`` to the topics matching ``pattern``; returns once the subscription
        is active, so an event published afterwards reaches ``ref``.

        ``overflow`` and ``timeout`` say what happens to an event that finds ``ref``'s
        mailbox full (see ``Subscribe``): by default it waits for room at most ``timeout``
        seconds without holding up other subscribers, then becomes a dead letter naming
        ``ref``. Subscribing twice to one pattern is the same as once. ``ref`` is
        unsubscribed automatically when it stops for good.

        Raises:
            ValueError: ``pattern`` is not a valid pattern, ``overflow`` is ``REJECT``,
                ``timeout`` is not positive, or ``ref`` belongs to another system.
            TypeError: an argument has the wrong type.
            ActorStopped: the system's bus has stopped.
        """
        request = Subscribe(ref, pattern, overflow, timeout)
        self._check_own(ref)
        await self.bus.ask(request, timeout=None)

    async def unsubscribe(self, ref: ActorRef, pattern: str | None = None) -> None:
        """Remove ``ref``'s subscription to ``pattern``, or all of its subscriptions when
        ``pattern`` is ``None``. Events already queued for ``ref`` are still delivered;
        unsubscribing what is not subscribed does nothing.

        Raises:
            ValueError: ``pattern`` is not a valid pattern, or ``ref`` belongs to another
                system.
            TypeError: an argument has the wrong type.
            ActorStopped: the system's bus has stopped.
        """
        request = Unsubscribe(ref, pattern)
        self._check_own(ref)
        await self.bus.ask(request, timeout=None)

    def _check_own(self, ref: ActorRef) -> None:
        if ref._cell.system is not cast("Runtime", self):
            raise ValueError(f"{ref!r} belongs to another actor system than {self!r}")

    async def _subscribe_declared(self, ref: ActorRef, patterns: object) -> None:
        """Subscribe an actor to the patterns of its ``subscriptions`` class attribute.

        Called by the actor's cell after ``on_start`` (at spawn and after every restart);
        raising makes the start fail with ``ActorStartError``. Keeps the overflow policy of
        a subscription the actor made itself.
        """
        if not isinstance(patterns, tuple | list) or not all(
            isinstance(pattern, str) for pattern in patterns
        ):
            raise TypeError(f"subscriptions must be a tuple of patterns (str), got {patterns!r}")
        for pattern in patterns:
            _ = Subscribe(ref, pattern)  # raises ValueError for an invalid pattern
        await self.bus.ask(_Declared(ref, tuple(patterns)), timeout=None)

    async def _stop_bus(self, deadline: float | None) -> None:
        """Stop the bus after every application actor, so their ``on_stop`` can publish."""
        self._bus_closed = True
        cell = self._bus_cell
        if cell is not None:
            await self._stop_within(cell, deadline)
        if self._bus_instance is not None:
            self._bus_instance._close()  # its on_stop did, unless it was killed


def _retrieve(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()
