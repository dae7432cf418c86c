"""``CircuitBreaker``: fail fast while a dependency keeps failing (Akka's model)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

import attrs

from actors._core._breaker_state import CLOSED, OPEN, BreakerMachine, CircuitState
from actors._core._errors import CircuitOpen
from actors._core._log import logger
from actors._core._state import current_cell

__all__ = ["CircuitBreaker", "CircuitBreakerStatistics"]

P = ParamSpec("P")
T = TypeVar("T")


@attrs.frozen
class CircuitBreakerStatistics:
    """What one ``CircuitBreaker`` has done (``breaker.statistics()``, and each entry of
    ``Health.circuit_breakers``).

    ``calls`` counts the calls let through; each ended as one of ``successes``,
    ``failures`` (``timeouts`` included) or a cancellation. ``rejections`` counts the calls
    refused with ``CircuitOpen``. ``reset_timeout`` is how long the breaker stays open the
    next time it opens (it grows with ``backoff_factor``); ``remaining`` the seconds until
    an open breaker lets a trial through.
    """

    name: str
    state: CircuitState
    calls: int
    successes: int
    failures: int
    timeouts: int
    rejections: int
    consecutive_failures: int
    reset_timeout: float
    remaining: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``state`` as its lower-case name: ``"open"``)."""
        fields = attrs.asdict(self)
        fields["state"] = self.state.name.lower()
        return fields


def _seconds(name: str, value: object, *, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"CircuitBreaker {name} must be a number of seconds > 0, got {value!r}")
    return float(value)


class CircuitBreaker:
    """Protects calls to a dependency that may fail: after ``max_failures`` consecutive
    failures it *opens* and refuses calls at once with ``CircuitOpen``, so a struggling
    service is not hammered and callers fail fast instead of waiting.

    Closed, open, half-open, as Akka's ``CircuitBreaker``: after ``reset_timeout`` seconds
    open, the next call is let through as the one trial (the breaker is *half-open*; other
    calls are still refused). The trial's success closes the breaker; its failure opens it
    again for ``reset_timeout * backoff_factor`` (growing up to ``max_reset_timeout``), and
    closing restores the first ``reset_timeout``. A call that raises an ``Exception`` or runs
    longer than ``call_timeout`` (it is cancelled, and ``TimeoutError`` raised) is a failure;
    a success resets the count. A cancelled call counts as neither.

    Use it from handlers: ``await breaker.call(fetch, url)`` or ``async with breaker: ...``.
    Time is the running event loop's clock (so virtual time drives it), unless ``clock``
    is given. State changes are logged: ``breaker.opened`` (warning), ``breaker.half_open``
    and ``breaker.closed``. A breaker made by ``ActorSystem.circuit_breaker`` is also
    exported as metrics and reported by ``ActorSystem.health()``.

    Args:
        max_failures: consecutive failures that open the breaker (>= 1).
        reset_timeout: seconds the breaker stays open before a trial (> 0).
        call_timeout: seconds a call may run before it counts as failed; ``None``: no limit.
        name: the breaker's name, in logs, metrics and errors.
        max_reset_timeout: the longest the reset timeout may grow to (>= ``reset_timeout``;
            default: without bound when ``backoff_factor > 1``).
        backoff_factor: how much the reset timeout grows after each failed trial (>= 1).
        clock: a function returning the time in seconds; default: the loop's ``time()``.

    Raises:
        ValueError: an argument is out of range or of the wrong type.
    """

    def __init__(
        self,
        max_failures: int = 10,
        reset_timeout: float = 15.0,
        call_timeout: float | None = 10.0,
        *,
        name: str = "breaker",
        max_reset_timeout: float | None = None,
        backoff_factor: float = 1.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if isinstance(max_failures, bool) or not isinstance(max_failures, int) or max_failures < 1:
            raise ValueError(
                f"CircuitBreaker max_failures must be an int >= 1, got {max_failures!r}"
            )
        reset = _seconds("reset_timeout", reset_timeout)
        assert reset is not None
        limit = _seconds("max_reset_timeout", max_reset_timeout, optional=True)
        if (
            isinstance(backoff_factor, bool)
            or not isinstance(backoff_factor, int | float)
            or not math.isfinite(backoff_factor)
            or backoff_factor < 1.0
        ):
            raise ValueError(
                f"CircuitBreaker backoff_factor must be >= 1.0, got {backoff_factor!r}"
            )
        if limit is not None and limit < reset:
            raise ValueError(
                f"CircuitBreaker max_reset_timeout ({limit}) must be >= reset_timeout ({reset})"
            )
        if limit is None:
            limit = math.inf if backoff_factor > 1.0 else reset
        if not isinstance(name, str) or not name:
            raise ValueError(f"CircuitBreaker name must be a non-empty str, got {name!r}")
        if clock is not None and not callable(clock):
            raise ValueError(f"CircuitBreaker clock must be callable, got {clock!r}")
        self.name = name
        self.max_failures = max_failures
        self.reset_timeout = reset
        self.call_timeout = _seconds("call_timeout", call_timeout, optional=True)
        self.max_reset_timeout = limit
        self.backoff_factor = float(backoff_factor)
        self._clock = clock
        self._machine = BreakerMachine(
            max_failures, reset, max_reset_timeout=limit, backoff_factor=self.backoff_factor
        )
        self.calls = 0
        self.successes = 0
        self.failures = 0
        self.timeouts = 0
        self.rejections = 0
        # `async with breaker:` bodies under way, per task (a breaker is shared by tasks):
        # each one's ticket and its call timeout.
        self._entered: dict[asyncio.Task[Any], list[tuple[int, asyncio.Timeout | None]]] = {}

    def __repr__(self) -> str:
        return (
            f"<CircuitBreaker {self.name!r} {self.state.name.lower()}"
            f" max_failures={self.max_failures} reset_timeout={self.reset_timeout}"
            f" call_timeout={self.call_timeout}>"
        )

    def settings(self) -> dict[str, Any]:
        """The arguments this breaker was made with (``clock`` aside)."""
        return {
            "max_failures": self.max_failures,
            "reset_timeout": self.reset_timeout,
            "call_timeout": self.call_timeout,
            "max_reset_timeout": self.max_reset_timeout,
            "backoff_factor": self.backoff_factor,
        }

    def _now(self) -> float:
        clock = self._clock
        if clock is None:
            # Bound on first use: the running loop's clock, which may be virtual.
            clock = self._clock = asyncio.get_running_loop().time
        return clock()

    def _peek_now(self) -> float:
        # Reading the state never binds a clock: a breaker never called is closed.
        return 0.0 if self._clock is None else self._clock()

    @property
    def state(self) -> CircuitState:
        """``CLOSED``, ``OPEN`` or ``HALF_OPEN`` now (an open breaker whose reset timeout
        has passed reads ``HALF_OPEN``: the next call is its trial)."""
        return self._machine.state_at(self._peek_now())

    def statistics(self) -> CircuitBreakerStatistics:
        """Counts and state now (see ``CircuitBreakerStatistics``)."""
        machine = self._machine
        now = self._peek_now()
        return CircuitBreakerStatistics(
            name=self.name,
            state=machine.state_at(now),
            calls=self.calls,
            successes=self.successes,
            failures=self.failures,
            timeouts=self.timeouts,
            rejections=self.rejections,
            consecutive_failures=machine.failures,
            reset_timeout=machine.current_reset_timeout,
            remaining=machine.remaining(now),
        )

    # ------------------------------------------------------------------ calls

    async def call(
        self, function: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``await function(*args, **kwargs)`` through the breaker and return its result.

        Raises:
            CircuitOpen: the breaker is open (or half-open with its trial under way);
                ``function`` was not called.
            TimeoutError: the call ran longer than ``call_timeout`` and was cancelled (a
                failure).
            Exception: whatever ``function`` raised, unchanged (a failure).
        """
        ticket = self._admit()
        timeout = None if self.call_timeout is None else asyncio.timeout(self.call_timeout)
        try:
            if timeout is None:
                result = await function(*args, **kwargs)
            else:
                async with timeout:
                    result = await function(*args, **kwargs)
        except BaseException as exc:
            self._ended(ticket, exc, timeout)
            if timeout is not None and timeout.expired():
                raise self._timeout_error() from exc
            raise
        self._succeeded(ticket)
        return result

    async def __aenter__(self) -> CircuitBreaker:
        """Enter a protected block: the block is one call (see ``call``).

        Raises CircuitOpen when the breaker refuses the call; the block does not run."""
        ticket = self._admit()
        timeout = None if self.call_timeout is None else asyncio.timeout(self.call_timeout)
        if timeout is not None:
            await timeout.__aenter__()
        task = asyncio.current_task()
        assert task is not None
        self._entered.setdefault(task, []).append((ticket, timeout))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Leave the block: its exception (or ``call_timeout``) is a failure, its normal end
        a success; a block that overran ``call_timeout`` raises ``TimeoutError``."""
        task = asyncio.current_task()
        assert task is not None
        stack = self._entered[task]
        ticket, timeout = stack.pop()
        if not stack:
            del self._entered[task]
        if timeout is None:
            if exc is None:
                self._succeeded(ticket)
            else:
                self._ended(ticket, exc, None)
            return
        try:
            await timeout.__aexit__(exc_type, exc, tb)
        except BaseException as raised:
            self._ended(ticket, raised, timeout)
            if timeout.expired():
                raise self._timeout_error() from raised
            raise
        if exc is None:
            self._succeeded(ticket)
        else:
            self._ended(ticket, exc, timeout)

    # ------------------------------------------------------------------ bookkeeping

    def _admit(self) -> int:
        machine = self._machine
        now = self._now()
        ticket, transition = machine.admit(now)
        if ticket is None:
            self.rejections += 1
            remaining = machine.remaining(now)
            cell = current_cell.get()
            state = "open" if machine.state is OPEN else "half-open, its trial call under way"
            raise CircuitOpen(
                f"circuit breaker {self.name!r} is {state}",
                breaker=self.name,
                remaining=remaining,
                path=None if cell is None else cell.path,
            )
        self.calls += 1
        if transition is not None:
            logger.info("breaker.half_open", breaker=self.name)
        return ticket

    def _succeeded(self, ticket: int) -> None:
        self.successes += 1
        if self._machine.succeeded(ticket, self._now()) is not None:
            logger.info("breaker.closed", breaker=self.name)

    def _ended(self, ticket: int, error: BaseException, timeout: asyncio.Timeout | None) -> None:
        timed_out = timeout is not None and timeout.expired()
        if not isinstance(error, Exception) and not timed_out:
            # Cancellation (or KeyboardInterrupt, SystemExit) is how Python stops things,
            # not a verdict on the dependency, unless it was our own call timeout.
            self._machine.released(ticket)
            return
        self.failures += 1
        if timed_out:
            self.timeouts += 1
        machine = self._machine
        was = machine.state
        if machine.failed(ticket, self._now()) is not None:
            logger.warning(
                "breaker.opened",
                breaker=self.name,
                after="trial" if was is not CLOSED else "max_failures",
                failures=self.max_failures if was is CLOSED else 1,
                reset_timeout=machine.current_reset_timeout,
                error_type="TimeoutError" if timed_out else type(error).__name__,
                error=str(error),
            )

    def _timeout_error(self) -> TimeoutError:
        return TimeoutError(
            f"circuit breaker {self.name!r}: the call ran longer than"
            f" call_timeout={self.call_timeout} s and was cancelled"
        )
