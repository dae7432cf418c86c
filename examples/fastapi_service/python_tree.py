"""How-to "A FastAPI service with a supervision tree": the same service with its tree built
in Python instead of read from a file (``uvicorn examples.fastapi_service.python_tree:app``).
"""

from __future__ import annotations

from fastapi import FastAPI

from actors import ActorSystem
from actors.asgi import ActorService, RequestContext
from examples.fastapi_service.workers import Audit, Stock
from supervision import ChildSpec, OneForOne, Supervisor


# --8<-- [start:service]
class StockAudit(Audit):
    subscriptions = ("stock.>",)  # what the tree file's `subscribe` declares


class Inventory(Supervisor):
    strategy = OneForOne(max_restarts=3, within=10.0)
    children = (ChildSpec("audit", StockAudit), ChildSpec("stock", Stock))


async def start_tree(system: ActorSystem) -> None:
    await system.spawn(Inventory, name="inventory")  # returns once every child started


service = ActorService(start_tree, system_factory=lambda: ActorSystem("inventory"))
app = FastAPI(lifespan=service.lifespan)
app.add_middleware(RequestContext)
app.mount("/ops", service.metrics_app())
# --8<-- [end:service]
