"""The live view's ASGI application: the page, its JSON API and its event stream."""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from actors._core._errors import ActorError
from actors._core._log import logger
from actors._core._state import RUNNING, STOPPING
from actors._liveview._hub import Hub
from actors._liveview._timeline import Timeline, error_summary
from actors._system._snapshot import snapshot_actor

if TYPE_CHECKING:
    from actors._core._cell import ActorCell
    from actors._system._system import ActorSystem

__all__ = ["LiveView"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_ASSETS = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
}
ACTIONS = ("stop", "kill", "restart")
HEARTBEAT = 15.0  # seconds between keep-alive comments on a quiet event stream
RECONNECT_MS = 1000  # how soon a page's EventSource reconnects after losing the stream


def _load_assets() -> dict[str, bytes]:
    static = resources.files("actors._liveview").joinpath("static")
    return {name: static.joinpath(name).read_bytes() for name in _ASSETS}


class _Response(Exception):
    """A response decided while routing (an error, a redirect)."""

    def __init__(self, status: int, body: Any, headers: list[tuple[bytes, bytes]] | None = None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or []


class LiveView:
    """The live view of ``system`` as an ASGI application.

    Serves, under its mount point (``scope["root_path"]``, so it works mounted under any
    prefix): ``/`` the page, ``/static/...`` its assets, ``GET /api/tree``,
    ``GET /api/actors/{path}``, ``GET /api/events``, ``GET /api/stream`` (server-sent
    events) and, when ``actions`` is on, ``POST /api/actors/{path}/{stop|kill|restart}``.

    See ``actors.liveview`` for the API. Create it on the system's event loop thread; it
    listens to the system's dead letters until ``close()``.

    ``peers`` are the addresses of other nodes' live views (``http://10.0.0.2:8765/``): the
    page shows their trees beside this one, and their pages may read this one's API (their
    origins are allowed cross-origin reads; no other origin is).

    ``hosts``, when given, are the only host names accepted in a request's ``Host`` header
    (``serve`` on a loopback address accepts only loopback names, so a web page cannot reach
    the view through a DNS name rebound to ``127.0.0.1``); others get 403.

    Raises:
        ValueError: ``actions`` without a ``token``, an empty ``token``,
            ``max_updates_per_second`` not in ``(0, 100]``, or a peer that is not an
            ``http://`` or ``https://`` address.
    """

    def __init__(
        self,
        system: ActorSystem,
        *,
        token: str | None = None,
        actions: bool = False,
        max_updates_per_second: float = 4.0,
        events: int = 500,
        peers: Sequence[str] = (),
        hosts: Sequence[str] | None = None,
    ) -> None:
        if token is not None and (not isinstance(token, str) or not token):
            raise ValueError("the live view's token must be a non-empty str")
        if actions and token is None:
            raise ValueError("the live view's actions (stop, kill, restart) need a token")
        self.system = system
        self.token = token
        self.actions = bool(actions)
        self.peers = tuple(_peer(address) for address in peers)
        self._origins = {_origin(address) for address in self.peers}
        self._hosts = None if hosts is None else frozenset(host.lower() for host in hosts)
        self.timeline = Timeline(system, events)
        self.hub = Hub(
            system,
            self.timeline,
            max_updates_per_second=max_updates_per_second,
            actions=self.actions,
            peers=self.peers,
        )
        self._assets = _load_assets()

    def close(self) -> None:
        """Stop recording the system's dead letters (idempotent)."""
        self.timeline.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        origin = _header(scope, b"origin")
        if origin is not None and origin in self._origins:
            send = _with_headers(
                send, [(b"access-control-allow-origin", origin.encode()), (b"vary", b"origin")]
            )
        try:
            self._check_host(scope)
            await self._route(scope, receive, send)
        except _Response as response:
            await _send(send, response.status, response.body, response.headers)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        root = scope.get("root_path", "")
        path: str = scope["path"]
        if root and path.startswith(root):
            path = path[len(root) :]
        method = scope.get("method", "GET")
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if path == "":
            location = f"{root}/"
            if scope.get("query_string"):
                location += "?" + scope["query_string"].decode("latin-1")
            raise _Response(307, "", [(b"location", location.encode("latin-1"))])
        if path == "/":
            _only(method, "GET")
            raise _Response(200, self._assets["index.html"], _type("index.html"))
        if path.startswith("/static/"):
            _only(method, "GET")
            name = path.removeprefix("/static/")
            if name not in self._assets:
                raise _Response(404, {"error": f"no asset {name!r}"})
            raise _Response(200, self._assets[name], _type(name))
        if not path.startswith("/api/"):
            raise _Response(404, {"error": f"not found: {path}; the page is at {root}/"})
        self._authorize(scope, query)
        if path == "/api/stream":
            _only(method, "GET")
            await self._stream(receive, send)
            return
        if path == "/api/tree":
            _only(method, "GET")
            raise _Response(200, self.hub.update(self.hub.snapshot()))
        if path == "/api/events":
            _only(method, "GET")
            raise _Response(200, self._events(query))
        if path.startswith("/api/actors/"):
            target = "/" + unquote(path.removeprefix("/api/actors/")).strip("/")
            if method == "POST":
                await self._act(target)
            _only(method, "GET")
            raise _Response(200, self._actor(target))
        raise _Response(404, {"error": f"no API endpoint {path}"})

    def _check_host(self, scope: Scope) -> None:
        if self._hosts is None:
            return
        host = (_header(scope, b"host") or "").lower()
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name.startswith("["):
            name = name[1:].split("]")[0]
        if name not in self._hosts:
            raise _Response(403, {"error": f"the host {host!r} is not served here"})

    def _authorize(self, scope: Scope, query: dict[str, list[str]]) -> None:
        token = self.token
        if token is None:
            return
        given = query.get("token", [""])[-1]
        for name, value in scope.get("headers", ()):
            if name.lower() == b"authorization":
                text = value.decode("latin-1")
                if text.lower().startswith("bearer "):
                    given = text[7:].strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise _Response(
                401,
                {"error": "a valid token is needed (Authorization: Bearer TOKEN or ?token=)"},
                [(b"www-authenticate", b"Bearer")],
            )

    # ----------------------------------------------------------------- endpoints

    def _events(self, query: dict[str, list[str]]) -> dict[str, Any]:
        self.hub.snapshot()  # brings restarts and escalations up to date
        limit = _int(query, "limit", 100)
        actor = query.get("actor", [None])[-1]
        letters = self.system.dead_letters
        return {
            "events": self.timeline.recent(limit, actor),
            "counts": dict(self.timeline.counts),
            "dead_letters": letters.count,
            "dead_letters_by_reason": letters.by_reason,
        }

    def _actor(self, path: str) -> dict[str, Any]:
        # Only this actor and its children: a page refreshes its side panel with every update.
        actor = snapshot_actor(self.system, path)
        if actor is None:
            raise _Response(404, {"error": f"no live actor at {path}"})
        cell = self.system._registry.get(path)
        data = actor.to_dict(depth=0)
        if cell is not None:
            data["statistics"] = _statistics(cell)
        events = self.timeline.recent(None, path)
        data["failures"] = [event for event in events if event["kind"] == "failure"][-20:]
        data["dead_letters"] = [
            event for event in events if event["kind"] in ("dead_letter", "failure")
        ][-20:]
        data["restart_events"] = [
            event for event in events if event["kind"] in ("restart", "escalation", "gave_up")
        ][-20:]
        return data

    async def _act(self, target: str) -> None:
        action = target.rsplit("/", 1)[-1]
        path = target.rsplit("/", 1)[0] or "/"
        if action not in ACTIONS:
            raise _Response(404, {"error": f"unknown action {action!r}; one of {ACTIONS}"})
        if not self.actions:
            raise _Response(403, {"error": "actions are disabled (supervise run --ui-actions)"})
        cell = self.system._registry.get(path)
        if cell is None or cell.state >= STOPPING:
            raise _Response(404, {"error": f"no live actor at {path}"})
        root = cell
        while root.parent is not None:
            root = root.parent
        if self.system._top.get(root.name) is not root:
            raise _Response(403, {"error": f"{path} is one of the runtime's own actors"})
        logger.warning("liveview.action", actor=path, action=action)
        if action == "stop":
            cell.request_stop(cell.shutdown_timeout)
        elif action == "kill":
            cell.kill()
        else:
            await self._restart(cell)
        raise _Response(200, {"actor": path, "action": action, "state": cell.state.name.lower()})

    async def _restart(self, cell: ActorCell) -> None:
        if cell.state is not RUNNING:
            raise _Response(
                409, {"error": f"{cell.path} is {cell.state.name.lower()}, not running"}
            )
        try:
            await cell.restart(cell.shutdown_timeout)
        except ActorError as error:
            logger.error("liveview.restart_failed", actor=cell.path, error=error_summary(error))
            raise _Response(409, {"error": error_summary(error)}) from error

    async def _stream(self, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-cache"),
                    (b"x-accel-buffering", b"no"),
                ],
            }
        )
        await send(
            {
                "type": "http.response.body",
                "body": f"retry: {RECONNECT_MS}\n\n".encode(),
                "more_body": True,
            }
        )
        disconnected = asyncio.ensure_future(_until_disconnect(receive))
        seen = 0
        update: asyncio.Future[tuple[int, bytes]] = asyncio.get_running_loop().create_future()
        try:
            while True:
                update = asyncio.ensure_future(self.hub.next(seen, HEARTBEAT))
                await asyncio.wait({update, disconnected}, return_when=asyncio.FIRST_COMPLETED)
                if disconnected.done():
                    return
                version, body = update.result()
                if version == seen:
                    chunk = b": keep-alive\n\n"
                else:
                    seen = version
                    chunk = b"event: snapshot\ndata: " + body + b"\n\n"
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            for waiting in (update, disconnected):
                waiting.cancel()
            await asyncio.gather(update, disconnected, return_exceptions=True)


def _peer(address: str) -> str:
    parts = urlsplit(address) if isinstance(address, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"a peer must be an http:// or https:// address, got {address!r}")
    return address if address.endswith("/") else address + "/"


def _origin(address: str) -> str:
    parts = urlsplit(address)
    return f"{parts.scheme}://{parts.netloc}"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            text: str = value.decode("latin-1")
            return text
    return None


def _with_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    async def sending(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", ()), *extra]}
        await send(message)

    return sending


def _statistics(cell: ActorCell) -> dict[str, int]:
    stats = cell.statistics()
    return {
        "depth": stats.depth,
        "capacity": stats.capacity,
        "high_water_mark": stats.high_water_mark,
        "accepted": stats.accepted,
        "processed": stats.processed,
        "dead_lettered": stats.dead_lettered,
        "failed": stats.failed,
        "blocked_senders": stats.blocked_senders,
    }


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        event = await receive()
        if event["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif event["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _only(method: str, allowed: str) -> None:
    if method != allowed:
        raise _Response(405, {"error": f"only {allowed} here"}, [(b"allow", allowed.encode())])


def _type(name: str) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", _ASSETS[name].encode()), (b"cache-control", b"no-cache")]


def _int(query: dict[str, list[str]], name: str, default: int) -> int:
    text = query.get(name, [None])[-1]
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise _Response(400, {"error": f"{name} must be an int, got {text!r}"}) from None
    if value < 0:
        raise _Response(400, {"error": f"{name} must be >= 0, got {value}"})
    return value


async def _send(send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]]) -> None:
    if isinstance(body, bytes | str):
        payload = body.encode() if isinstance(body, str) else body
    else:
        payload = json.dumps(body, default=str).encode()
        headers = [(b"content-type", b"application/json"), *headers]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})
