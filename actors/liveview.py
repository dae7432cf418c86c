"""The live view: a web page showing a system's actor tree as it runs.

The supervision tree (collapsible), each actor with its class, state, mailbox depth against
capacity, processed and failed counts, restarts in the current window against the budget,
pools and bus subscriptions; a side panel for one actor (its statistics, recent failures
and dead letters); a timeline of restarts, escalations and dead letters by reason. The page
updates itself over server-sent events, at most ``max_updates_per_second`` (snapshots
coalesce, so a restart storm cannot flood the browser or the runtime), says when it lost
its connection and reconnects. Everything it needs ships in the package (no CDN, no
browser library).

Serve it with ``await serve(system, port)`` (what ``supervise run --ui-port`` does), mount
``LiveView(system)`` in an ASGI application, or use ``actors.metrics.asgi_app(system)``,
which serves it under ``/ui/``. The JSON API under it, for scripts too:

- ``GET /api/tree``: ``snapshot_tree(system).to_dict()`` plus ``events`` (the timeline's
  latest), ``event_counts``, ``actions`` (whether actions are enabled) and ``peers``.
- ``GET /api/actors/{path}``: one actor (``/api/actors/shop/payments/ledger``) with its
  ``statistics``, ``failures``, ``dead_letters`` and ``restart_events``; 404 if not
  alive.
- ``GET /api/events?limit=N&actor=PATH``: the timeline and the dead letters by reason.
- ``GET /api/stream``: server-sent events, one ``snapshot`` event (the ``/api/tree``
  document) per change, throttled.
- ``POST /api/actors/{path}/stop|kill|restart``: only with ``actions=True``, which needs a
  token. ``stop`` is graceful, ``kill`` immediate (the parent's policy decides what comes
  next, as for any termination); ``restart`` starts a fresh instance in place (mailbox and
  refs kept), outside the parent's restart budget.

In a cluster each node serves its own tree; give a node's view the addresses of the others
(``peers``, ``supervise run --ui-peer URL``) and its page shows their trees side by side,
read from their own streams (each peer must list this node too, to allow the reads).

The view is read-only by default. With a ``token``, every ``/api/`` request must carry it
(``Authorization: Bearer TOKEN``, or ``?token=TOKEN``, which the page passes on when opened
as ``/?token=TOKEN``); ``serve`` refuses a non-loopback address without one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import TYPE_CHECKING

from actors._liveview._app import LiveView
from actors._liveview._server import AsgiServer, start_server

if TYPE_CHECKING:
    from actors._system._system import ActorSystem

__all__ = ["LOOPBACK_NAMES", "LiveView", "LiveViewServer", "is_loopback", "serve"]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
"""The ``Host`` names a view served on a loopback address answers to (and its own address)."""


def is_loopback(host: str) -> bool:
    """True when ``host`` is ``localhost`` or a loopback address (``127.0.0.1``, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LiveViewServer:
    """A live view served over HTTP (returned by ``serve``); ``await close()`` to stop."""

    def __init__(self, view: LiveView, server: AsgiServer) -> None:
        self.view = view
        self._server = server

    @property
    def port(self) -> int:
        """The port it listens on (useful after binding port 0)."""
        return self._server.port

    @property
    def url(self) -> str:
        """The page's address (``http://127.0.0.1:8765/``)."""
        host = self._server.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    async def close(self) -> None:
        """Stop serving: open pages see the connection drop. Idempotent."""
        await self._server.close()
        self.view.close()


async def serve(
    system: ActorSystem,
    port: int,
    host: str = "127.0.0.1",
    *,
    token: str | None = None,
    actions: bool = False,
    max_updates_per_second: float = 4.0,
    peers: Sequence[str] = (),
) -> LiveViewServer:
    """Serve the live view of ``system`` on ``host:port`` (``port=0``: any free port) and
    return the running server. A small HTTP server on the system's event loop. ``peers``:
    other nodes' live views to show beside this one (see ``LiveView``). On a loopback
    address it answers only requests for a loopback host name (``LOOPBACK_NAMES``).

    Raises:
        ValueError: ``host`` is not a loopback address and no ``token`` is given; or the
            arguments ``LiveView`` refuses (``actions`` without a ``token``, ...).
        OSError: the address cannot be bound.
    """
    if token is None and not is_loopback(host):
        raise ValueError(
            f"the live view is only served on a non-loopback address ({host}) with a token"
        )
    view = LiveView(
        system,
        token=token,
        actions=actions,
        max_updates_per_second=max_updates_per_second,
        peers=peers,
        hosts=(*LOOPBACK_NAMES, host) if is_loopback(host) else None,
    )
    try:
        server = await start_server(view, host, port)
    except BaseException:
        # Broad on purpose, and re-raised: whatever the start raised (a cancellation too),
        # the view's tasks are stopped first.
        view.close()
        raise
    return LiveViewServer(view, server)
