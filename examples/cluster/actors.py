"""The two halves of the shop: an order desk on node ``orders``, payments on node
``payments``. The order desk reaches payments through a remote ref."""

# --8<-- [start:payments]
from __future__ import annotations

import structlog

from actors import Actor
from examples.cluster.messages import Charge, PlaceOrder, Receipt

log = structlog.get_logger()


class Payments(Actor):
    """Approves charges up to 1000.00."""

    async def receive(self, message: object) -> object:
        match message:
            case Charge(order_id=order_id, amount=amount):
                log.info("payments.charged", order_id=order_id, amount=amount)
                node = self.context.system.cluster.node
                return Receipt(order_id, approved=amount <= 100_000, by_node=node)
        return None


# --8<-- [end:payments]


# --8<-- [start:orders]
class OrderDesk(Actor):
    """Takes an order and charges it on the payments node (the correlation id travels)."""

    async def receive(self, message: object) -> object:
        match message:
            case PlaceOrder(order_id=order_id, amount=amount):
                system = self.context.system
                await system.cluster.wait_for("payments")
                payments = system.remote_ref("payments", "/shop/payments")
                receipt: Receipt = await payments.ask(Charge(order_id, amount))
                log.info("orders.placed", order_id=order_id, approved=receipt.approved)
                return receipt
        return None


# --8<-- [end:orders]
