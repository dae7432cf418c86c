"""``FromThread``: calling into an actor system from threads other than its event loop's.

Refs belong to the loop's thread. Code in other threads (a Flask or Django view, a thread
pool, a synchronous library's callback) hands each call to the loop and blocks until it has
an answer, as ``anyio.from_thread.run`` does; the errors and timeouts are those of the
async calls themselves.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from actors._core._errors import ActorStopped, AskTimeout

if TYPE_CHECKING:
    # cycle: typing only; FromThread is a view of one ActorSystem, which hands it out.
    from actors._core._ref import ActorRef
    from actors._system._system import ActorSystem

__all__ = ["FromThread"]

_T = TypeVar("_T")

# How much longer than an ask's own timeout a thread waits for the loop's answer before it
# concludes that the loop is stuck (a blocked or stopped loop cannot even time the ask out).
_GRACE = 1.0


class FromThread:
    """Blocking calls into one ``ActorSystem`` from other threads (``system.from_thread``).

    Each call runs on the system's event loop and blocks the calling thread until it is
    done, then returns its result or raises its error: ``MailboxFull``, ``ActorFailed``,
    ``ActorStopped``, ``AskTimeout`` as the async calls do. A correlation scope open in the
    calling thread (``actors.correlation_scope``) applies to the messages sent.

    Calling from the loop's own thread raises ``RuntimeError``: that thread would wait for
    itself. So does calling before the system has been used on a loop, or after the loop
    closed (``ActorStopped`` then).
    """

    __slots__ = ("_system",)

    def __init__(self, system: ActorSystem) -> None:
        self._system = system

    def __repr__(self) -> str:
        return f"<FromThread {self._system!r}>"

    def tell(
        self,
        ref: ActorRef,
        message: Any,
        *,
        timeout: float | None = None,
        correlation_id: int | str | None = None,
    ) -> None:
        """``await ref.tell(message, ...)`` from another thread: returns once the mailbox
        accepted the message (waiting for room at most ``timeout`` seconds when it is full
        and its overflow is ``block``).

        Raises:
            MailboxFull: no room within ``timeout``, or the overflow is ``reject``.
            RuntimeError: called from the loop's thread, or the system has no loop yet.
            ActorStopped: the system's event loop is closed.
        """
        self.run(ref.tell, message, timeout=timeout, correlation_id=correlation_id)

    def ask(
        self,
        ref: ActorRef,
        message: Any,
        *,
        timeout: float | None = 5.0,
        correlation_id: int | str | None = None,
    ) -> Any:
        """``await ref.ask(message, ...)`` from another thread: the reply.

        Raises:
            ActorFailed: the handler raised (``__cause__`` attached).
            ActorStopped: the actor stopped before answering, or the loop is closed.
            AskTimeout: no reply within ``timeout``, or the loop stopped answering.
            MailboxFull: the overflow policy refused the message.
            RuntimeError: called from the loop's thread, or the system has no loop yet.
        """
        limit = None if timeout is None else timeout + _GRACE
        return self._call(
            ref.ask(message, timeout=timeout, correlation_id=correlation_id), limit, ref.path
        )

    def publish(self, topic: str, event: Any, *, correlation_id: int | str | None = None) -> None:
        """``await system.publish(topic, event, ...)`` from another thread.

        Raises:
            ValueError: ``topic`` is not a valid topic.
            RuntimeError: called from the loop's thread, or the system has no loop yet.
            ActorStopped: the system's event loop is closed.
        """
        self.run(self._system.publish, topic, event, correlation_id=correlation_id)

    def run(self, function: Callable[..., Awaitable[_T]], *args: Any, **kwargs: Any) -> _T:
        """Run ``await function(*args, **kwargs)`` on the system's loop and return its result
        (``system.from_thread.run(system.spawn, Worker, name="w")``); its exception is
        raised here. Interrupting the wait (``KeyboardInterrupt``) cancels the call.

        Raises:
            RuntimeError: called from the loop's thread, or the system has no loop yet.
            ActorStopped: the system's event loop is closed.
        """

        async def call() -> _T:
            return await function(*args, **kwargs)

        result: _T = self._call(call(), None, None)
        return result

    def _loop(self) -> asyncio.AbstractEventLoop:
        loop = self._system._loop
        if loop is None:
            raise RuntimeError(
                f"{self._system!r} has no event loop yet: start it (spawn, or enter"
                " `async with`) on its loop before calling it from other threads"
            )
        if _loop_of_this_thread() is loop:
            raise RuntimeError(
                f"system.from_thread called from the event loop's own thread ({self._system!r}):"
                " it would wait for itself; use the async API (await ref.ask(...)) here"
            )
        return loop

    def _call(self, coroutine: Any, limit: float | None, path: str | None) -> Any:
        try:
            loop = self._loop()
        except BaseException:
            # Broad on purpose, and re-raised: on any way out (an interrupt too) the
            # coroutine is closed, else Python warns that it was never awaited.
            coroutine.close()
            raise
        if loop.is_closed():
            coroutine.close()
            raise ActorStopped(f"the event loop of {self._system!r} is closed", path=path)
        try:
            future = asyncio.run_coroutine_threadsafe(coroutine, loop)
        except RuntimeError as error:  # closed between the check and the call
            coroutine.close()
            raise ActorStopped(
                f"the event loop of {self._system!r} is closed", path=path
            ) from error
        try:
            return future.result(limit)
        except TimeoutError:
            if future.done():
                raise  # the call's own error (AskTimeout is a TimeoutError)
            future.cancel()
            raise AskTimeout(
                f"the event loop of {self._system!r} did not answer within {limit}s"
                " (blocked or stopped)",
                path=path,
            ) from None
        except concurrent.futures.CancelledError:
            raise ActorStopped(
                f"the call was cancelled on the event loop of {self._system!r}", path=path
            ) from None
        except BaseException:
            # Broad on purpose, and re-raised: interrupted while waiting (KeyboardInterrupt,
            # SystemExit) or any other error here: stop the call on the loop.
            future.cancel()
            raise


def _loop_of_this_thread() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
