"""``RemoteReply``: the reply slot of an ask that came from another node."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

__all__ = ["RemoteReply"]


class RemoteReply:
    """Stands in the envelope where a local ask has its future (the runtime only calls
    ``done``, ``set_result`` and ``set_exception`` on it). Completing it sends the answer
    at once: no future and no done-callback round trip through the loop.
    """

    __slots__ = ("_answer", "_done")

    def __init__(self, answer: Callable[[Any, BaseException | None], None]) -> None:
        self._answer = answer
        self._done = False

    def done(self) -> bool:
        return self._done

    def cancelled(self) -> bool:
        return False

    def set_result(self, result: Any) -> None:
        if self._done:
            raise asyncio.InvalidStateError("the remote reply was already sent")
        self._done = True
        self._answer(result, None)

    def set_exception(self, error: BaseException) -> None:
        if self._done:
            raise asyncio.InvalidStateError("the remote reply was already sent")
        self._done = True
        self._answer(None, error)

    def cancel(self) -> bool:
        if self._done:
            return False
        self._done = True
        return True
