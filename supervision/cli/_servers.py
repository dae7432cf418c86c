"""The servers ``supervise run`` opens beside the tree: metrics and the live view."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Awaitable, Callable

from actors import ActorSystem, liveview
from actors.metrics import serve
from supervision.cli._args import TOKEN_VARIABLE
from supervision.cli._output import say

__all__ = ["serve_metrics", "serve_ui"]


async def serve_metrics(
    system: ActorSystem, port: int, host: str
) -> Callable[[], Awaitable[None]] | None:
    """Serve ``/metrics`` and ``/healthz`` on ``host:port``; return how to stop, or None
    (reported) when the address cannot be bound."""
    try:
        server = await serve(system, port, host)
    except OSError as error:
        say(f"cannot serve metrics on {host}:{port}: {error.strerror or error}", sys.stderr)
        return None
    bound = server.sockets[0].getsockname()[1]
    say(f"serving metrics on port {bound} at /metrics and /healthz ({host})")

    async def close_server() -> None:
        server.close()
        await server.wait_closed()

    return close_server


async def serve_ui(
    system: ActorSystem, options: argparse.Namespace
) -> Callable[[], Awaitable[None]] | None:
    """Serve the live view on ``--ui-host:--ui-port``; return how to stop, or None
    (reported) when it cannot be served."""
    host, port = options.ui_host, options.ui_port
    token = os.environ.get(TOKEN_VARIABLE) or None
    if token is None and options.ui_actions:
        token = secrets.token_urlsafe(24)
    try:
        server = await liveview.serve(
            system, port, host, token=token, actions=options.ui_actions, peers=options.ui_peer
        )
    except ValueError as error:
        hint = "" if token or liveview.is_loopback(host) else f"; set {TOKEN_VARIABLE}"
        say(f"cannot serve the live view: {error}{hint}", sys.stderr)
        return None
    except OSError as error:
        say(f"cannot serve the live view on {host}:{port}: {error.strerror or error}", sys.stderr)
        return None
    url = server.url
    if token is not None and not os.environ.get(TOKEN_VARIABLE):
        url += f"?token={token}"
    mode = "actions enabled" if options.ui_actions else "read-only"
    say(f"serving the live view at {url} ({mode})")
    return server.close
