"""``TestProbe``: an actor a test controls, to see what is sent to it."""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from typing import TYPE_CHECKING, Any

from actors._core._actor import Actor
from actors._core._local import not_a_ref
from actors._core._messages import Terminated
from actors._core._ref import ActorRef

if TYPE_CHECKING:
    from actors._system._system import ActorSystem

__all__ = ["TestProbe"]

_probe_numbers = itertools.count(1)


class _Received:
    __slots__ = ("message", "reply", "sender")

    def __init__(self, message: Any, sender: ActorRef | None, reply: asyncio.Future[Any] | None):
        self.message = message
        self.sender = sender
        self.reply = reply


class _ProbeActor(Actor):
    def __init__(self, probe: TestProbe) -> None:
        self._probe = probe

    def receive(self, message: Any) -> Any:
        envelope = self.context._cell.current
        assert envelope is not None
        # The probe answers asks itself (``TestProbe.reply``): take the reply future away
        # from the runtime so the return value below does not answer it.
        reply = envelope.reply
        envelope.reply = None
        self._probe._arrived(_Received(message, envelope.sender, reply))
        return None


def _describe(expected: Any) -> str:
    return expected.__name__ if isinstance(expected, type) else repr(expected)


class TestProbe:
    """A ref whose messages a test can ``expect``.

    Create one with ``probe = await TestProbe.create(system)``, hand ``probe.ref`` to the code
    under test, then assert on what arrives, in order. Timeouts are in loop time, so probes
    work on virtual time. Asks sent to the probe wait until ``probe.reply(value)``.
    """

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self) -> None:
        # Use ``create``; the constructor only prepares the queue.
        self._queue: deque[_Received] = deque()
        self._arrival: asyncio.Future[None] | None = None
        self._last_ask: _Received | None = None
        self.received: list[Any] = []
        """Every message the probe received, in order (taken by ``expect`` or not)."""
        self.last_sender: ActorRef | None = None
        """The sender of the last message taken (``None`` when sent from outside actors)."""
        self.ref: ActorRef

    def __repr__(self) -> str:
        ref = getattr(self, "ref", None)
        where = "(not created)" if ref is None else ref.path
        return f"<TestProbe {where} received={len(self.received)} queued={len(self._queue)}>"

    @classmethod
    async def create(cls, system: ActorSystem, *, name: str | None = None) -> TestProbe:
        """Spawn a probe actor in ``system`` (top level, ``name`` default ``probe-N``)."""
        probe = cls()
        probe.ref = await system.spawn(
            lambda: _ProbeActor(probe),
            name=name or f"probe-{next(_probe_numbers)}",
            capacity=1_000_000,
        )
        return probe

    def _arrived(self, received: _Received) -> None:
        self._queue.append(received)
        self.received.append(received.message)
        arrival = self._arrival
        if arrival is not None and not arrival.done():
            arrival.set_result(None)

    async def _next(self, timeout: float) -> _Received | None:
        if not self._queue:
            loop = asyncio.get_running_loop()
            arrival: asyncio.Future[None] = loop.create_future()
            self._arrival = arrival
            handle = loop.call_later(timeout, _expire, arrival)
            try:
                await arrival
            finally:
                handle.cancel()
                self._arrival = None
        if not self._queue:
            return None
        received = self._queue.popleft()
        self.last_sender = received.sender
        if received.reply is not None:
            self._last_ask = received
        return received

    async def expect(self, expected: Any, *, timeout: float = 3.0) -> Any:
        """Wait for the next message and check it: an instance of ``expected`` when that is a
        type, else equal to it. Returns the message.

        Raises:
            AssertionError: nothing arrived within ``timeout`` seconds, or the next message
                did not match; the message names what was expected and what arrived.
        """
        received = await self._next(timeout)
        if received is None:
            raise AssertionError(
                f"expected {_describe(expected)} within {timeout}s, but no message arrived"
                f" (received so far: {self._history()})"
            )
        message = received.message
        matches = (
            isinstance(message, expected) if isinstance(expected, type) else (message == expected)
        )
        if not matches:
            others = [r.message for r in self._queue]
            raise AssertionError(
                f"expected {_describe(expected)}, but received {message!r}"
                + (f" (then also: {others!r})" if others else "")
            )
        return message

    async def expect_no_message(self, duration: float = 0.1) -> None:
        """Check that nothing arrives for ``duration`` seconds.

        Raises AssertionError naming the message that arrived.
        """
        received = await self._next(duration)
        if received is not None:
            raise AssertionError(
                f"expected no message for {duration}s, but received {received.message!r}"
            )

    async def expect_terminated(self, ref: ActorRef, *, timeout: float = 3.0) -> Terminated:
        """Watch ``ref`` and wait for its ``Terminated`` (at once if it already stopped).

        Works for a remote ref too (``Terminated`` when it stops or its node is lost).
        Raises AssertionError when it does not arrive within ``timeout`` seconds or another
        message comes first, TypeError when ``ref`` is not an ``ActorRef``.
        """
        if not isinstance(ref, ActorRef):
            raise not_a_ref("expect_terminated()", ref)
        ref._watched_by(self.ref._cell)
        terminated: Terminated = await self.expect(Terminated(ref), timeout=timeout)
        return terminated

    def reply(self, value: Any) -> None:
        """Answer the last ask the probe received with ``value``.

        Raises RuntimeError when the probe has received no ask, or has answered it already.
        """
        last = self._last_ask
        if last is None or last.reply is None:
            raise RuntimeError("the probe has received no ask to reply to")
        reply, last.reply = last.reply, None
        if not reply.done():
            reply.set_result(value)

    def _history(self) -> str:
        return repr(self.received) if self.received else "nothing"


def _expire(arrival: asyncio.Future[None]) -> None:
    if not arrival.done():
        arrival.set_result(None)
