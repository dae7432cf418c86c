"""How-to "Embed the runtime in a service": an ASGI application whose lifespan starts and
stops an actor system, with Prometheus metrics and health mounted beside its own endpoint.

No framework needed. Run it with any ASGI server, for example
``uvicorn examples.embed.asgi_app:app``, then ``curl localhost:8000/visit/home``,
``curl localhost:8000/metrics`` and ``curl localhost:8000/healthz``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from actors import Actor, ActorError, ActorRef, ActorSystem
from actors.metrics import asgi_app as metrics_app
from supervision import ChildSpec, OneForOne, Supervisor

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
# --8<-- [end:imports]


# --8<-- [start:actors]
class Visits(Actor):
    """Counts visits per page. One actor owns the counts: no locks, no lost updates."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def receive(self, message: Any) -> Any:
        page: str = message
        self.counts[page] = self.counts.get(page, 0) + 1
        return self.counts[page]


class Site(Supervisor):
    strategy = OneForOne(max_restarts=3, within=5.0)
    children = (ChildSpec("visits", Visits),)


# --8<-- [end:actors]


# --8<-- [start:app]
class Service:
    """The ASGI application: the actor system lives from lifespan startup to shutdown."""

    def __init__(self) -> None:
        self.system: ActorSystem | None = None
        self.visits: ActorRef | None = None
        self.metrics: Callable[[Scope, Receive, Send], Awaitable[None]] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
        elif scope["type"] == "http":
            await self.http(scope, receive, send)

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            event = await receive()
            if event["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as error:  # the server refuses to start, and says why
                    await self.shutdown()  # whatever did start stops again
                    await send({"type": "lifespan.startup.failed", "message": repr(error)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif event["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def startup(self) -> None:
        self.system = ActorSystem("site")
        await self.system.spawn(Site, name="site")  # returns once every child started
        self.visits = self.system.lookup("/site/visits")
        self.metrics = metrics_app(self.system)  # answers /metrics and /healthz

    async def shutdown(self) -> None:
        if self.system is not None:
            await self.system.shutdown(timeout=10.0)  # graceful, children first

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if path in ("/metrics", "/healthz") and self.metrics is not None:
            await self.metrics(scope, receive, send)
        elif path.startswith("/visit/") and self.visits is not None:
            page = path.removeprefix("/visit/")
            try:
                count = await self.visits.ask(page, timeout=2.0)
            except ActorError as error:  # failed, timed out, stopped or full: say so
                await respond(send, 503, {"error": str(error)})
            else:
                await respond(send, 200, {"page": page, "visits": count})
        else:
            await respond(send, 404, {"error": "not found"})


async def respond(send: Send, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(data))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


app = Service()
# --8<-- [end:app]
