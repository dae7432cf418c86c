"""Actors named by the configuration files of the config and CLI tests."""

from __future__ import annotations

import asyncio
import builtins
import contextlib
from typing import Any

from actors import Actor
from supervision import ChildSpec, OneForOne, PathRef, Supervisor

EVENTS: list[tuple[str, Any]] = []
"""What actors started in this process saw (in-process tests read it)."""


class Echo(Actor):
    """Answers what it is asked; remembers bus events."""

    def __init__(self, greeting: str = "hello", times: int = 1) -> None:
        self.greeting = greeting
        self.times = times

    def receive(self, message: Any) -> Any:
        if self.context.topic is not None:
            EVENTS.append((self.context.path, message))
            return None
        if message == "boom":
            raise RuntimeError(f"{self.context.path} boom")
        return f"{self.greeting} {message}" * self.times


class NeedsUrl(Actor):
    def __init__(self, url: str, retries: int = 3, *, tags: tuple[str, ...] = ()) -> None:
        self.url = url
        self.retries = retries
        self.tags = tags

    def receive(self, message: Any) -> Any:
        return (self.url, self.retries, self.tags)


class Loud(Actor):
    """Prints its start and stop, so a subprocess test can see the order."""

    async def on_start(self) -> None:
        print(f"start {self.context.path}", flush=True)

    def receive(self, message: Any) -> Any:
        return None

    async def on_stop(self) -> None:
        print(f"stop {self.context.path}", flush=True)


class SlowStop(Actor):
    """Takes a minute to stop (a test sends a second signal meanwhile)."""

    def receive(self, message: Any) -> Any:
        return None

    async def on_stop(self) -> None:
        print("slow stop begins", flush=True)
        await asyncio.sleep(60)


class Crasher(Actor):
    """Fails right after every start."""

    async def on_start(self) -> None:
        self.context.schedule_once(0.0, "crash")

    def receive(self, message: Any) -> Any:
        raise ValueError("crashed on purpose")


class FailsToStart(Actor):
    async def on_start(self) -> None:
        raise OSError("cannot open the database")

    def receive(self, message: Any) -> Any:
        return None


class CodeSupervisor(Supervisor):
    """A supervisor declared in code, named by a file as a worker."""

    strategy = OneForOne()
    children = (ChildSpec("inner", Echo),)


class NotAnActor:
    pass


def helper() -> None:
    """Not a class."""


def first_letter(message: Any) -> str:
    return str(message)[:1]


NOT_CALLABLE = 42


class Stubborn(Actor):
    """Its on_stop ignores cancellation: the runtime can only abandon it."""

    def receive(self, message: Any) -> Any:
        return None

    async def on_stop(self) -> None:
        print("stubborn stop begins", flush=True)
        while True:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(3600)


class Counter(Actor):
    """Counts the messages it handled; ``raise`` messages raise the named builtin error."""

    def __init__(self) -> None:
        self.count = 0

    def receive(self, message: Any) -> Any:
        match message:
            case ("raise", str(name)):
                raise getattr(builtins, name)(f"{name} on purpose")
            case "count":
                return self.count
        self.count += 1
        return self.count


class FailsOnPurpose(Exception):
    """An exception class a configuration file's decider names."""


class Forwarder(Actor):
    """Asks ``target`` (a ref argument) whatever it is asked, and answers its reply."""

    def __init__(self, target: PathRef, label: str = "") -> None:
        self.target = target
        self.label = label

    async def receive(self, message: Any) -> Any:
        if message == "target":
            return self.target
        return await self.target.ask(message)


class StartsWhen(Actor):
    """Starts only when ``ok`` (a reload test corrects its file to let it start)."""

    def __init__(self, ok: bool = True) -> None:
        self.ok = ok

    async def on_start(self) -> None:
        if not self.ok:
            raise OSError("not ok to start")

    def receive(self, message: Any) -> Any:
        return message


class Recorder(Actor):
    """Answers what it is asked; records its stop in ``EVENTS``."""

    def receive(self, message: Any) -> Any:
        return message

    async def on_stop(self) -> None:
        EVENTS.append(("stopped", self.context.path))


GATE: list[asyncio.Event] = []


class Gated(Actor):
    """Holds its first message until ``GATE[0]`` is set, so others queue behind it."""

    async def receive(self, message: Any) -> Any:
        await GATE[0].wait()
        return message
