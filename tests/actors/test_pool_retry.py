"""A pool's routees retry a failed message and limit their handlers, as a single actor does."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import pytest

from actors import (
    Actor,
    ActorFailed,
    ActorSystem,
    Backoff,
    HandlerTimeout,
    Pool,
    RetriesExhausted,
    Retry,
)
from actors.testing import VirtualTimeLoop

pytestmark = pytest.mark.actors(virtual_time=True)


class Flaky(Actor):
    """Fails ("flaky", n) until its attempt n and ("always", _) on every attempt; notes
    (routee, message, attempt) of every delivery in `journal` (shared across restarts)."""

    def __init__(self, journal: list[tuple[str, Any, int]]) -> None:
        self.journal = journal

    async def receive(self, message: Any) -> Any:
        attempt = self.context.attempt
        self.journal.append((self.context.name, message, attempt))
        match message:
            case ("flaky", n) if attempt < n:
                raise ConnectionError(f"attempt {attempt}")
            case ("always", _):
                raise ConnectionError(f"attempt {attempt}")
            case ("sleep", seconds):
                await asyncio.sleep(seconds)
        return ("done", message, attempt)


async def test_a_routee_retries_a_failed_message_and_the_ask_is_answered_once(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    journal: list[tuple[str, Any, int]] = []
    pool = await actor_system.spawn_pool(
        functools.partial(Flaky, journal),
        size=2,
        name="workers",
        retry=Retry(3, backoff=Backoff(min=0.5, max=5.0, jitter=0.0)),
    )
    start = virtual_time.time()
    assert await pool.ask(("flaky", 3)) == ("done", ("flaky", 3), 3)
    # The same routee got every attempt, after the backoff (0.5 s, then 1 s).
    assert journal == [("routee-0", ("flaky", 3), attempt) for attempt in (1, 2, 3)]
    assert virtual_time.time() - start == pytest.approx(1.5)
    await actor_system.wait_idle()
    routee = actor_system.lookup("/workers/routee-0")
    assert routee is not None
    stats = routee.statistics()
    assert (stats.accepted, stats.processed, stats.dead_lettered, stats.failed) == (1, 1, 0, 2)
    assert actor_system.dead_letters.count == 0


async def test_a_routee_dead_letters_a_message_after_max_attempts_with_every_error(
    actor_system: ActorSystem,
) -> None:
    journal: list[tuple[str, Any, int]] = []
    pool = await actor_system.spawn_pool(
        functools.partial(Flaky, journal), size=2, name="workers", retry=Retry(3)
    )
    with pytest.raises(ActorFailed) as failed:
        await pool.ask(("always", 0))
    assert str(failed.value.__cause__) == "attempt 3"
    await actor_system.wait_idle()
    assert [attempt for _, _, attempt in journal] == [1, 2, 3]
    [letter] = actor_system.dead_letters.recent
    assert (letter.reason, letter.message) == ("max_attempts", ("always", 0))
    assert isinstance(letter.error, RetriesExhausted)
    assert [str(error) for error in letter.error.errors] == ["attempt 1", "attempt 2", "attempt 3"]
    assert letter.error.path == "/workers/routee-0"
    # The pool still serves: the next message goes to the other routee and succeeds.
    assert await pool.ask("next") == ("done", "next", 1)


async def test_a_routee_handler_over_its_handler_timeout_fails_with_handler_timeout(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    journal: list[tuple[str, Any, int]] = []
    pool = await actor_system.spawn_pool(
        functools.partial(Flaky, journal), size=2, handler_timeout=1.0
    )
    start = virtual_time.time()
    with pytest.raises(ActorFailed) as failed:
        await pool.ask(("sleep", 10.0), timeout=30.0)
    assert virtual_time.time() - start == pytest.approx(1.0)
    error = failed.value.__cause__
    assert isinstance(error, HandlerTimeout)
    assert error.path.endswith("/routee-0")
    await actor_system.wait_idle()
    [letter] = actor_system.dead_letters.recent
    assert (letter.reason, type(letter.error)) == ("failed", HandlerTimeout)
    # Within its limit a handler runs as usual.
    assert await pool.ask(("sleep", 0.5)) == ("done", ("sleep", 0.5), 1)


async def test_a_timed_out_routee_message_is_retried_when_the_retry_covers_it(
    actor_system: ActorSystem,
) -> None:
    attempts: list[int] = []

    class SlowFirst(Actor):
        async def receive(self, message: Any) -> Any:
            attempts.append(self.context.attempt)
            if self.context.attempt == 1:
                await asyncio.sleep(10)
            return "ok"

    pool = await actor_system.spawn_pool(
        SlowFirst, size=1, handler_timeout=1.0, retry=Retry(2, on=(HandlerTimeout,))
    )
    assert await pool.ask("go", timeout=30.0) == "ok"
    assert attempts == [1, 2]


async def test_pool_rejects_a_bad_retry_or_handler_timeout() -> None:
    with pytest.raises(TypeError, match="retry must be a Retry"):
        Pool(Actor, 2, retry=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="handler_timeout must be > 0"):
        Pool.factory(Actor, 2, handler_timeout=0)()
