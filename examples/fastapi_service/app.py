"""How-to "A FastAPI service with a supervision tree": the application.

Run it from the repository's root with ``uvicorn examples.fastapi_service.app:app``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException

import actors.logging
from actors import ActorRef
from actors.asgi import RequestContext
from examples.fastapi_service.workers import AddStock, CountStock, RecentChanges, TakeStock
from supervision.asgi import tree_service

# --8<-- [start:service]
actors.logging.configure()  # the runtime's lines (and yours) on stderr, beside uvicorn's
# The tree file is checked here, at import: a broken file stops uvicorn before it listens.
service = tree_service(Path(__file__).with_name("tree.toml"))

app = FastAPI(lifespan=service.lifespan)  # starts the tree; shuts it down gracefully
app.add_middleware(RequestContext)  # X-Request-ID as correlation id; errors as 503/504/500
app.mount("/ops", service.metrics_app())  # /ops/metrics and /ops/healthz

Stock = Annotated[ActorRef, Depends(service.dependency("/inventory/stock"))]
Audit = Annotated[ActorRef, Depends(service.dependency("/inventory/audit"))]
# --8<-- [end:service]


# --8<-- [start:routes]
@app.post("/items/{item}")
async def add(item: str, quantity: int, stock: Stock) -> dict[str, Any]:
    in_stock = await stock.ask(AddStock(item, quantity), timeout=2.0)
    return {"item": item, "in_stock": in_stock}


@app.post("/items/{item}/take")
async def take(item: str, quantity: int, stock: Stock) -> dict[str, Any]:
    in_stock = await stock.ask(TakeStock(item, quantity), timeout=2.0)
    if in_stock is None:
        raise HTTPException(status_code=409, detail=f"not enough {item} in stock")
    return {"item": item, "in_stock": in_stock}


@app.get("/items/{item}")
async def count(item: str, stock: Stock) -> dict[str, Any]:
    return {"item": item, "in_stock": await stock.ask(CountStock(item), timeout=2.0)}


@app.get("/audit")
async def audit(audit: Audit) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = await audit.ask(RecentChanges(), timeout=2.0)
    return changes


# --8<-- [end:routes]
