"""Retry: a failed message is delivered again, then quarantined as a poison message."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import pytest

from actors import (
    Actor,
    ActorFailed,
    ActorRef,
    ActorSystem,
    Backoff,
    ChildFailure,
    RetriesExhausted,
    Retry,
)
from actors.testing import VirtualTimeLoop
from supervision import ChildSpec, OneForOne, RestartIntensityExceeded, Supervisor

pytestmark = pytest.mark.actors(virtual_time=True)


class Flaky(Actor):
    """Fails ("flaky", n) until its attempt n; ("always", _) fails on every attempt; notes
    (message, attempt, loop time) of every delivery in `journal`."""

    def __init__(self, journal: list[tuple[Any, int, float]]) -> None:
        self.journal = journal

    async def receive(self, message: Any) -> Any:
        attempt = self.context.attempt
        self.journal.append((message, attempt, asyncio.get_running_loop().time()))
        match message:
            case ("flaky", n) if attempt < n:
                raise ConnectionError(f"attempt {attempt}")
            case ("always", _):
                raise ConnectionError(f"attempt {attempt}")
            case ("bad", _):
                raise ValueError("not retried")
        return ("done", message, attempt)


class Resumer(Actor):
    """Spawns one Flaky child with `retry` and resumes it after every failure."""

    def __init__(self, journal: list[tuple[Any, int, float]], retry: Retry) -> None:
        self.journal = journal
        self.retry = retry
        self.failures: list[ChildFailure] = []

    async def on_start(self) -> None:
        await self.context.spawn(
            functools.partial(Flaky, self.journal), name="flaky", retry=self.retry
        )

    async def receive(self, message: Any) -> Any:
        return None

    async def on_child_failed(self, failure: ChildFailure) -> None:
        self.failures.append(failure)
        self.context.resume_child(failure.child)


async def spawn_flaky(
    system: ActorSystem, retry: Retry
) -> tuple[ActorRef, ActorRef, list[tuple[Any, int, float]]]:
    journal: list[tuple[Any, int, float]] = []
    parent = await system.spawn(functools.partial(Resumer, journal, retry), name="parent")
    child = system.lookup("/parent/flaky")
    assert child is not None
    return parent, child, journal


async def test_a_failed_message_is_delivered_again_and_answers_its_ask_once(
    actor_system: ActorSystem,
) -> None:
    _, child, journal = await spawn_flaky(actor_system, Retry(max_attempts=3))
    reply = await child.ask(("flaky", 3))
    assert reply == ("done", ("flaky", 3), 3)
    assert [attempt for _, attempt, _ in journal] == [1, 2, 3]
    await actor_system.wait_idle()
    stats = child.statistics()
    # Accepted once, ended once (processed); each failed attempt counts as a failure.
    assert (stats.accepted, stats.processed, stats.dead_lettered, stats.failed) == (1, 1, 0, 2)
    assert actor_system.dead_letters.count == 0


async def test_after_max_attempts_the_message_is_a_dead_letter_with_every_error(
    actor_system: ActorSystem,
) -> None:
    _, child, journal = await spawn_flaky(actor_system, Retry(max_attempts=3))
    with pytest.raises(ActorFailed) as failed:
        await child.ask(("always", 0))
    assert isinstance(failed.value.__cause__, ConnectionError)
    assert str(failed.value.__cause__) == "attempt 3"
    await actor_system.wait_idle()
    assert len(journal) == 3
    [letter] = actor_system.dead_letters.recent
    assert letter.reason == "max_attempts"
    assert letter.message == ("always", 0)
    assert isinstance(letter.error, RetriesExhausted)
    assert [str(error) for error in letter.error.errors] == ["attempt 1", "attempt 2", "attempt 3"]
    assert letter.error.__cause__ is letter.error.errors[-1]
    assert letter.error.path == "/parent/flaky"
    stats = child.statistics()
    assert (stats.accepted, stats.processed, stats.dead_lettered, stats.failed) == (1, 0, 1, 3)


async def test_an_error_outside_on_is_dead_lettered_at_once_as_failed(
    actor_system: ActorSystem,
) -> None:
    _, child, journal = await spawn_flaky(actor_system, Retry(5, on=(ConnectionError,)))
    with pytest.raises(ActorFailed) as failed:
        await child.ask(("bad", 0))
    assert isinstance(failed.value.__cause__, ValueError)
    await actor_system.wait_idle()
    assert len(journal) == 1
    assert actor_system.dead_letters.by_reason == {"failed": 1}


async def test_attempts_wait_for_the_backoff_counted_from_each_failure(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    retry = Retry(4, backoff=Backoff(min=1.0, max=3.0, jitter=0.0))
    _, child, journal = await spawn_flaky(actor_system, retry)
    start = virtual_time.time()
    await child.ask(("flaky", 4), timeout=60.0)
    # Delays 1, 2, then 3 (the ceiling): base_delay(n - 2) before attempt n.
    assert [(attempt, at - start) for _, attempt, at in journal] == [
        (1, 0.0),
        (2, 1.0),
        (3, 3.0),
        (4, 6.0),
    ]


async def test_by_default_the_retried_message_goes_before_those_queued_behind_it(
    actor_system: ActorSystem,
) -> None:
    retry = Retry(3, backoff=Backoff(min=1.0, max=1.0, jitter=0.0))
    _, child, journal = await spawn_flaky(actor_system, retry)
    for message in (("flaky", 2), "b", "c"):
        child.tell_nowait(message)
    await asyncio.sleep(5)
    await actor_system.wait_idle()
    assert [(m, attempt) for m, attempt, _ in journal] == [
        (("flaky", 2), 1),
        (("flaky", 2), 2),
        ("b", 1),
        ("c", 1),
    ]


async def test_to_back_sends_it_behind_the_queue_and_the_others_go_on(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    retry = Retry(3, backoff=Backoff(min=1.0, max=1.0, jitter=0.0), to_back=True)
    _, child, journal = await spawn_flaky(actor_system, retry)
    start = virtual_time.time()
    for message in (("flaky", 2), "b", "c"):
        child.tell_nowait(message)
    await asyncio.sleep(5)
    await actor_system.wait_idle()
    assert [(m, attempt, at - start) for m, attempt, at in journal] == [
        (("flaky", 2), 1, 0.0),
        ("b", 1, 0.0),
        ("c", 1, 0.0),
        (("flaky", 2), 2, 1.0),
    ]
    stats = child.statistics()
    assert (stats.accepted, stats.processed, stats.dead_lettered) == (3, 3, 0)


async def test_a_message_held_for_a_retry_when_the_actor_stops_is_a_failed_dead_letter(
    actor_system: ActorSystem,
) -> None:
    retry = Retry(3, backoff=Backoff(min=10.0, max=10.0, jitter=0.0))
    _, child, _ = await spawn_flaky(actor_system, retry)
    asking = asyncio.create_task(child.ask(("always", 0), timeout=60.0))
    await asyncio.sleep(1)  # the first attempt failed; the second waits for its delay
    await child.stop()
    with pytest.raises(ActorFailed) as failed:
        await asking
    assert str(failed.value.__cause__) == "attempt 1"
    [letter] = actor_system.dead_letters.recent
    assert (letter.reason, str(letter.error)) == ("failed", "attempt 1")
    stats = child.statistics()
    assert stats.accepted == stats.processed + stats.dead_lettered == 1


async def test_a_restarted_child_gets_the_retried_message_and_restarts_count_toward_intensity(
    actor_system: ActorSystem,
) -> None:
    journal: list[tuple[Any, int, float]] = []

    class Tree(Supervisor):
        strategy = OneForOne(max_restarts=5, within=60.0)
        children = (
            ChildSpec("flaky", functools.partial(Flaky, journal), retry=Retry(max_attempts=3)),
        )

    await actor_system.spawn(Tree, name="tree")
    child = actor_system.lookup("/tree/flaky")
    assert child is not None
    assert await child.ask(("flaky", 3)) == ("done", ("flaky", 3), 3)
    assert actor_system.statistics().restarts == 2

    class Tight(Supervisor):
        strategy = OneForOne(max_restarts=1, within=60.0)
        children = (
            ChildSpec("flaky", functools.partial(Flaky, journal), retry=Retry(max_attempts=3)),
        )

    tight = await actor_system.spawn(Tight, name="tight")
    doomed = actor_system.lookup("/tight/flaky")
    assert doomed is not None
    doomed.tell_nowait(("always", 0))
    await tight.wait_stopped()
    with pytest.raises(RestartIntensityExceeded):
        await actor_system.wait_closed()


def test_retry_rejects_bad_fields_naming_them() -> None:
    with pytest.raises(ValueError, match="max_attempts must be >= 1"):
        Retry(0)
    with pytest.raises(TypeError, match="max_attempts must be an int"):
        Retry(True)
    with pytest.raises(TypeError, match=r"Retry\.backoff"):
        Retry(backoff=1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Exception subclasses"):
        Retry(on=(KeyboardInterrupt,))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one"):
        Retry(on=())
    assert Retry(on=ConnectionError).on == (ConnectionError,)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="attempt must be >= 2"):
        Retry().delay_before(1)


async def test_spawn_rejects_a_retry_that_is_not_a_retry(actor_system: ActorSystem) -> None:
    with pytest.raises(TypeError, match="retry must be a Retry"):
        await actor_system.spawn(Actor, retry=3)  # type: ignore[arg-type]


async def test_the_system_is_idle_while_a_retry_waits_and_the_queue_waits_behind_it(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    retry = Retry(2, backoff=Backoff(min=10.0, max=10.0, jitter=0.0))
    _, child, journal = await spawn_flaky(actor_system, retry)
    child.tell_nowait(("flaky", 2))
    child.tell_nowait("behind")
    start = virtual_time.time()
    await actor_system.wait_idle()  # returns: the retry's delay is a timer, due later
    assert virtual_time.time() == start
    assert [(m, attempt) for m, attempt, _ in journal] == [(("flaky", 2), 1)]
    assert child.statistics().depth == 1
    await asyncio.sleep(10)
    await actor_system.wait_idle()
    assert [(m, attempt) for m, attempt, _ in journal][1:] == [(("flaky", 2), 2), ("behind", 1)]


def sample(system: ActorSystem, name: str, **labels: str) -> float | None:
    return system.registry.get_sample_value(name, labels)


async def test_each_redelivery_counts_in_the_retries_metric_and_poison_by_reason(
    actor_system: ActorSystem,
) -> None:
    # Nothing retried yet: the family is there, at 0, for an actor with a Retry.
    _, child, _ = await spawn_flaky(actor_system, Retry(max_attempts=3))
    assert sample(actor_system, "actors_message_retries_total", actor_class="Flaky") == 0
    assert await child.ask(("flaky", 2)) == ("done", ("flaky", 2), 2)  # one redelivery
    with pytest.raises(ActorFailed):
        await child.ask(("always", 0))  # two redeliveries, then a poison message
    await actor_system.wait_idle()
    assert sample(actor_system, "actors_message_retries_total", actor_class="Flaky") == 3
    assert sample(actor_system, "actors_messages_failed_total", actor_class="Flaky") == 4
    assert (
        sample(actor_system, "actors_dead_letters_total", reason="max_attempts") == 1
    )  # poison messages are the dead letters with reason max_attempts
    # Without a Retry nothing is redelivered; to_back redeliveries count too.
    _, other, _ = await spawn_flaky_to_back(actor_system)
    assert await other.ask(("flaky", 3)) == ("done", ("flaky", 3), 3)
    await actor_system.wait_idle()
    assert sample(actor_system, "actors_message_retries_total", actor_class="Flaky") == 5
    assert sample(actor_system, "actors_message_retries_total", actor_class="Resumer") == 0


async def spawn_flaky_to_back(
    system: ActorSystem,
) -> tuple[ActorRef, ActorRef, list[tuple[Any, int, float]]]:
    journal: list[tuple[Any, int, float]] = []
    parent = await system.spawn(
        functools.partial(Resumer, journal, Retry(3, to_back=True)), name="parent2"
    )
    child = system.lookup("/parent2/flaky")
    assert child is not None
    return parent, child, journal
