"""The messages the orders and payments nodes exchange: msgspec Structs, registered with
both nodes (``[cluster] messages`` in their configuration files)."""

from __future__ import annotations

import msgspec


class PlaceOrder(msgspec.Struct):
    order_id: str
    amount: int  # cents


class Charge(msgspec.Struct):
    order_id: str
    amount: int


class Receipt(msgspec.Struct):
    order_id: str
    approved: bool
    by_node: str
