"""Small actors shared by the kernel tests."""

from __future__ import annotations

import asyncio
from typing import Any

from actors import Actor


class Recorder(Actor):
    """Records every message; answers "get" with the list; raises on "boom"."""

    def __init__(self, log: list[Any] | None = None) -> None:
        self.log: list[Any] = [] if log is None else log

    async def receive(self, message: Any) -> Any:
        if message == "get":
            return list(self.log)
        if message == "boom":
            raise RuntimeError("boom")
        self.log.append(message)
        return message


class Gate(Actor):
    """Blocks in its handler on "wait" until the shared event is set."""

    def __init__(self, gate: asyncio.Event, log: list[Any]) -> None:
        self.gate = gate
        self.log = log

    async def receive(self, message: Any) -> Any:
        if message == "wait":
            await self.gate.wait()
        self.log.append(message)
        return message
