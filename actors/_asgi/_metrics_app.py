"""``MetricsApp``: the runtime's ``/metrics`` and ``/healthz`` as an ASGI application that can
be mounted under any prefix and built before the system exists."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, cast

from actors.metrics import _respond

if TYPE_CHECKING:
    # Typing only (the facade users hold); at run time a system is told apart from a
    # callable by duck typing, so this module does not import the facade.
    from actors._liveview._app import LiveView
    from actors._system._system import ActorSystem

__all__ = ["MetricsApp", "Receive", "Scope", "Send"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_NOT_BOUND = b"the actor system has not started yet\n"


class MetricsApp:
    """An ASGI application answering ``metrics`` and ``healthz`` (see ``asgi_app``).

    A class, not a function, so that frameworks that tell endpoints from ASGI applications
    by type (Starlette's ``Route``) treat it as an application.
    """

    def __init__(self, system: ActorSystem | Callable[[], ActorSystem | None] | None) -> None:
        # Exactly one of the two is set once bound; a source is asked on every request.
        self._system: ActorSystem | None = None
        self._source: Callable[[], ActorSystem | None] | None = None
        # The live view, made on the first request under /ui/ for the system then current.
        self._view: LiveView | None = None
        self._view_system: ActorSystem | None = None
        if system is not None:
            self.bind(system)

    def __repr__(self) -> str:
        system = self._current()
        return f"<MetricsApp {'unbound' if system is None else repr(system.name)}>"

    def bind(self, system: ActorSystem | Callable[[], ActorSystem | None]) -> None:
        """Serve ``system``: an ``ActorSystem``, or a zero-argument callable returning the
        current one (or ``None`` while there is none), asked on every request.

        Raises:
            TypeError: ``system`` is neither.
        """
        if hasattr(system, "registry") and hasattr(system, "health"):  # an ActorSystem
            self._system, self._source = cast("ActorSystem", system), None
        elif callable(system):
            self._system, self._source = None, system
        else:
            raise TypeError(
                f"asgi_app() needs an ActorSystem or a callable returning one, got {system!r}"
            )

    def _current(self) -> ActorSystem | None:
        return self._system if self._source is None else self._source()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await _acknowledge_lifespan(receive, send)
            return
        if kind != "http":
            return  # websockets: nothing to serve; the server closes the connection
        system = self._current()
        below = _below_mount(scope)
        if system is not None and (below == "/ui" or below.startswith("/ui/")):
            # The read-only live view of the tree (actors.liveview), mounted at /ui/.
            view = self._view
            if view is None or self._view_system is not system:
                from actors._liveview._app import LiveView  # loaded only when asked for

                view = self._view = LiveView(system)
                self._view_system = system
            root = (scope.get("root_path") or "").rstrip("/")
            await view({**scope, "root_path": root + "/ui", "path": root + below}, receive, send)
            return
        path = _relative_path(scope)
        method = scope.get("method", "GET")
        if method not in ("GET", "HEAD"):
            status, content_type, body = 405, "text/plain; charset=utf-8", b"only GET\n"
        elif system is None:
            status, content_type, body = 503, "text/plain; charset=utf-8", _NOT_BOUND
        else:
            # "/" (a mount at /metrics) and "/metrics" (a mount at /ops, or none) both serve
            # the metrics.
            status, content_type, body = _respond(system, "/metrics" if path == "/" else path)
        headers = [
            (b"content-type", content_type.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})


def _below_mount(scope: Scope) -> str:
    """The request path below the mount point, trailing slash kept (see ``_relative_path``)."""
    path: str = scope.get("path") or "/"
    root: str = (scope.get("root_path") or "").rstrip("/")
    if root and (path == root or path.startswith(root + "/")):
        path = path[len(root) :]
    return path or "/"


def _relative_path(scope: Scope) -> str:
    """The request path below the mount point.

    ASGI servers and frameworks disagree on whether ``path`` still includes ``root_path``
    (Starlette's ``Mount`` keeps it since 0.33, older ones and some servers strip it), so
    the prefix is removed only when it is there.
    """
    path: str = scope.get("path") or "/"
    root: str = scope.get("root_path") or ""
    root = root.rstrip("/")
    if root and (path == root or path.startswith(root + "/")):
        path = path[len(root) :]
    return path.rstrip("/") or "/"  # /ops/metrics/ is /ops/metrics


async def _acknowledge_lifespan(receive: Receive, send: Send) -> None:
    while True:
        event = await receive()
        if event["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif event["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
