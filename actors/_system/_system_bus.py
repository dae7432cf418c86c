"""The system's event bus: starting it on first use, publishing, subscribing, stopping it
last. ``ActorSystem`` holds one ``SystemBus`` and delegates its bus methods to it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from actors._core._cell import ActorCell
from actors._core._envelope import NOT_TIMED, Envelope
from actors._core._errors import ActorStopped, MailboxFull
from actors._core._local import local_cell
from actors._core._messages import Overflow
from actors._core._ref import ActorRef
from actors._core._state import RUNNING
from actors._routing._bus import EventBus, Publish, Subscribe, Unsubscribe, _Declared
from actors._routing._topics import validate_topic

if TYPE_CHECKING:
    # cycle: typing only; the SystemBus belongs to one ActorSystem, which holds it.
    from actors._system._system import ActorSystem

__all__ = ["BUS_PATH", "RUNTIME_NAME", "RUNTIME_PREFIX", "SystemBus"]

# The runtime's own actors live under /system (Akka's convention): the top-level name
# "system" is reserved, and ActorSystem.actors lists only the application's actors.
RUNTIME_NAME = "system"
RUNTIME_PREFIX = f"/{RUNTIME_NAME}/"
BUS_PATH = f"{RUNTIME_PREFIX}bus"


class SystemBus:
    """The event bus of one ``ActorSystem``: its cell, started on first use and stopped last.

    The public docstrings are on the ``ActorSystem`` methods that delegate here.
    """

    __slots__ = ("_system", "capacity", "cell", "closed", "forward", "instance", "interest")

    def __init__(self, system: ActorSystem) -> None:
        self._system = system
        # Started on first use (it needs the running loop); once `closed` is set, never again.
        self.cell: ActorCell | None = None
        self.instance: EventBus | None = None
        self.closed = False
        # The bus's mailbox bound. Its handler never waits, so the bound only makes
        # publishers wait while the bus catches up; tests lower it.
        self.capacity = 10_000
        # Set by a cluster node (actors.remote): ``forward(topic, event, correlation_id)``
        # sends a published event to the other nodes that subscribe to it, raising before
        # anything is delivered when it cannot; ``interest(pattern, added)`` follows the
        # patterns local subscribers have. None without a cluster: publishing pays nothing.
        self.forward: Callable[[str, Any, int | str | None], None] | None = None
        self.interest: Callable[[str, bool], None] | None = None

    @property
    def ref(self) -> ActorRef:
        """The bus's ref, starting the bus on first use (see ``ActorSystem.bus``)."""
        cell = self.cell
        if cell is None:
            cell = self._start()
        return cell.ref

    def _start(self) -> ActorCell:
        system = self._system
        _ = system.loop  # raises RuntimeError off the system's loop
        if self.closed:
            raise ActorStopped(f"{system!r} is shut down; its event bus is stopped")

        def make_bus() -> EventBus:
            bus = EventBus(publish_dead_letters=True)
            bus._interest = self.interest
            self.instance = bus
            return bus

        cell = ActorCell(
            system, None, "bus", BUS_PATH, make_bus, self.capacity, Overflow.BLOCK, 5.0
        )
        self.cell = cell
        system._registry[cell.path] = cell
        started = cell.start_incarnation()
        if started is not None:
            # Nothing awaits the start: the bus's on_start cannot fail, but never leave a
            # future's exception unretrieved.
            started.add_done_callback(_retrieve)
        return cell

    def _running(self) -> EventBus | None:
        """The bus, when an event can be fanned out from the caller's task: it is running
        and nothing is queued for it, so no earlier publish is waiting (publish order)."""
        cell = self.cell
        if cell is None or cell.state is not RUNNING or cell.mailbox.user:
            return None
        return self.instance

    async def publish(self, topic: str, event: Any, correlation_id: int | str | None) -> None:
        """See ``ActorSystem.publish``."""
        forward = self.forward
        if forward is not None:
            forward(topic, event, correlation_id)
        bus = self._running()
        if bus is not None:
            if bus._publish_direct(topic, event, correlation_id):
                # A subscriber is full. Let the subscribers (and the tasks feeding their
                # backlogs) run before this publisher goes on, so that a publishing loop
                # gives them a chance to catch up instead of outrunning them into drops.
                await asyncio.sleep(0)
        elif self.cell is None:
            validate_topic(topic)  # no bus yet, so no subscriber: nothing to deliver
        else:
            await self.cell.ref.tell(Publish(topic, event), correlation_id=correlation_id)

    def publish_nowait(self, topic: str, event: Any, correlation_id: int | str | None) -> None:
        """See ``ActorSystem.publish_nowait``."""
        forward = self.forward
        if forward is not None:
            forward(topic, event, correlation_id)
        bus = self._running()
        if bus is not None:
            bus._publish_direct(topic, event, correlation_id)
        elif self.cell is None:
            validate_topic(topic)
        else:
            self.cell.ref.tell_nowait(Publish(topic, event), correlation_id=correlation_id)

    def deliver(self, envelope: Envelope) -> None:
        """Fan out an event another node published (``envelope.topic`` set) to this node's
        subscribers, without forwarding it anywhere and without waiting: straight from the
        caller's task when the bus is idle, else queued behind the bus's work (a dead letter
        ``mailbox_full`` when the bus's mailbox is full, ``stopped`` once it stopped)."""
        bus = self._running()
        if bus is not None:
            bus._fan_out(envelope, None)
            return
        cell = self.cell
        if cell is None:
            return  # no bus ever started: nobody subscribes here
        assert envelope.topic is not None
        request = Envelope(
            Publish(envelope.topic, envelope.message),
            envelope.sender,
            None,
            envelope.message_id,
            envelope.correlation_id,
            envelope.causation_id,
            NOT_TIMED,
            None,
            envelope.trace,
        )
        try:
            if cell.offer(request):
                return
        except MailboxFull:
            pass
        self._system._note_overflow(cell, cell.mailbox.overflow)
        cell._refuse(request, "mailbox_full")

    def watch_interest(self, interest: Callable[[str, bool], None] | None) -> list[str]:
        """Have ``interest`` told of every pattern a subscriber gains or loses from now on
        (None: stop); returns the patterns subscribed so far, once per subscriber."""
        self.interest = interest
        bus = self.instance
        if bus is None:
            return []
        bus._interest = interest
        return [pattern for patterns in bus.subscribers().values() for pattern in patterns]

    async def subscribe(
        self, ref: ActorRef, pattern: str, overflow: Overflow, timeout: float | None
    ) -> None:
        """See ``ActorSystem.subscribe``."""
        request = Subscribe(ref, pattern, overflow, timeout)
        self._check_own(ref, "subscribe()")
        await self.ref.ask(request, timeout=None)

    async def unsubscribe(self, ref: ActorRef, pattern: str | None) -> None:
        """See ``ActorSystem.unsubscribe``."""
        request = Unsubscribe(ref, pattern)
        self._check_own(ref, "unsubscribe()")
        await self.ref.ask(request, timeout=None)

    def _check_own(self, ref: ActorRef, call: str) -> None:
        if local_cell(ref, call).system is not self._system:
            raise ValueError(f"{ref!r} belongs to another actor system than {self._system!r}")

    async def subscribe_declared(self, ref: ActorRef, patterns: object) -> None:
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
        await self.ref.ask(_Declared(ref, tuple(patterns)), timeout=None)

    def backlogged(self) -> bool:
        """True while the bus still has events to hand to full subscribers."""
        bus = self.instance
        return bus is not None and bus._backlogged

    async def stop(
        self,
        deadline: float | None,
        stop_within: Callable[
            [asyncio.AbstractEventLoop, ActorCell, float | None], Awaitable[None]
        ],
    ) -> None:
        """Stop the bus after every application actor, so their ``on_stop`` can publish
        (``stop_within``: the shutdown's step that stops one actor within the deadline)."""
        self.closed = True
        cell = self.cell
        if cell is not None:
            await stop_within(self._system.loop, cell, deadline)
        if self.instance is not None:
            self.instance._close()  # its on_stop did, unless it was killed


def _retrieve(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()
