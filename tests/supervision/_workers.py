"""Actors shared by the supervision tests: workers that write their lives into a journal."""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections.abc import Callable
from typing import Any

from actors import Actor

_incarnations = itertools.count(1)


class Journal:
    """What happened, in order: ("start"|"stop", name, incarnation)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, int]] = []

    def starts(self) -> list[str]:
        return [name for kind, name, _ in self.events if kind == "start"]

    def stops(self) -> list[str]:
        return [name for kind, name, _ in self.events if kind == "stop"]

    def clear(self) -> None:
        self.events.clear()


class Worker(Actor):
    """Counts messages. "boom" raises, "quit" stops it normally, "state" answers
    (incarnation, count). Optionally fails in on_start while `fail_start()` says so."""

    def __init__(
        self,
        journal: Journal,
        name: str,
        fail_start: Callable[[], bool] = lambda: False,
    ) -> None:
        self.journal = journal
        self.name = name
        self.fail_start = fail_start
        self.incarnation = next(_incarnations)
        self.count = 0

    async def on_start(self) -> None:
        if self.fail_start():
            raise OSError(f"{self.name} cannot start")
        self.journal.events.append(("start", self.name, self.incarnation))

    async def receive(self, message: Any) -> Any:
        match message:
            case "boom":
                raise RuntimeError(f"{self.name} boom")
            case "quit":
                self.context.stop()
            case "state":
                return (self.incarnation, self.count)
            case ("sleep", seconds):
                await asyncio.sleep(seconds)
            case _:
                self.count += 1
        return None

    async def on_stop(self) -> None:
        self.journal.events.append(("stop", self.name, self.incarnation))


def worker(journal: Journal, name: str, **kwargs: Any) -> Callable[[], Worker]:
    return functools.partial(Worker, journal, name, **kwargs)
