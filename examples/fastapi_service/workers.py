"""How-to "A FastAPI service with a supervision tree": the actors of the inventory service.

``Stock`` owns the counts (one actor, so no locks); every change is published on the bus
under ``stock.<item>``, where ``Audit`` records it with the correlation id of the HTTP
request that caused it.
"""

from __future__ import annotations

from typing import Any

import msgspec

from actors import Actor


# --8<-- [start:messages]
class AddStock(msgspec.Struct, frozen=True):
    item: str
    quantity: int


class TakeStock(msgspec.Struct, frozen=True):
    item: str
    quantity: int


class CountStock(msgspec.Struct, frozen=True):
    item: str


class StockChanged(msgspec.Struct, frozen=True):
    """Published under ``stock.<item>`` after every change."""

    item: str
    change: int
    in_stock: int


class RecentChanges(msgspec.Struct, frozen=True):
    """Ask ``Audit`` for the changes it saw, newest last."""


# --8<-- [end:messages]


# --8<-- [start:actors]
class Stock(Actor):
    """The stock of every item. Answers with the new count, or ``None`` when a ``TakeStock``
    asks for more than there is (nothing changes then)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    async def receive(self, message: Any) -> Any:
        match message:
            case AddStock(item=item, quantity=quantity):
                return await self._change(item, quantity)
            case TakeStock(item=item, quantity=quantity):
                if self.counts.get(item, 0) < quantity:
                    return None
                return await self._change(item, -quantity)
            case CountStock(item=item):
                return self.counts.get(item, 0)
        raise TypeError(f"Stock cannot handle {message!r}")

    async def _change(self, item: str, change: int) -> int:
        in_stock = self.counts[item] = self.counts.get(item, 0) + change
        # The event carries the correlation id of the message being handled: the request's.
        await self.context.system.publish(f"stock.{item}", StockChanged(item, change, in_stock))
        return in_stock


class Audit(Actor):
    """Keeps the last 100 stock changes with the request id that caused each one."""

    def __init__(self) -> None:
        self.changes: list[dict[str, Any]] = []

    def receive(self, message: Any) -> Any:
        match message:
            case StockChanged(item=item, change=change, in_stock=in_stock):
                request = self.context.correlation_id
                entry = {"item": item, "change": change, "in_stock": in_stock, "request": request}
                self.changes = [*self.changes[-99:], entry]
                return None
            case RecentChanges():
                return list(self.changes)
        raise TypeError(f"Audit cannot handle {message!r}")


# --8<-- [end:actors]
