"""A FastAPI service whose root supervisor gives up on the first failure of its worker:
``POST /crash`` makes it fail, and the process must then exit non-zero."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from actors import Actor, ActorSystem
from actors.asgi import ActorService, RequestContext
from supervision import ChildSpec, OneForOne, Supervisor


class Worker(Actor):
    def receive(self, message: Any) -> Any:
        if message == "crash":
            raise RuntimeError("the worker broke")
        return "ok"


class Root(Supervisor):
    strategy = OneForOne(max_restarts=0, within=60.0)
    children = (ChildSpec("worker", Worker),)


async def setup(system: ActorSystem) -> None:
    await system.spawn(Root, name="root")


service = ActorService(setup, system_factory=lambda: ActorSystem("giving-up"))
app = FastAPI(lifespan=service.lifespan)
app.add_middleware(RequestContext)
app.mount("/ops", service.metrics_app())


@app.get("/work")
async def work() -> Any:
    return await service.ref("/root/worker").ask("work")


@app.post("/crash")
async def crash() -> Any:
    await service.ref("/root/worker").tell("crash")
    return {"told": "crash"}
