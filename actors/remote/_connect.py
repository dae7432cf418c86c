"""A node's first connection to NATS: bounded in time, and refused at once, with a
``ClusterAuthError`` naming the server and what it refused, when the server rejects the
node's credentials or TLS (nats-py would otherwise retry them without end)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import nats.errors
from nats.aio.client import Client

from actors._cluster._errors import ClusterAuthError
from actors._core._errors import NodeUnreachable
from actors._core._log import logger

if TYPE_CHECKING:
    from actors._cluster._config import ClusterConfig

__all__ = ["connect", "refusal"]

# How many times a connection attempt is cancelled, each waited for this long, before it is
# given up on (logged): see ``_end``.
_CANCELS = 50
_CANCEL_WAIT = 0.1


async def connect(
    config: ClusterConfig, on_error: Callable[[Exception], Awaitable[None]], **options: Any
) -> Client:
    """A client connected to one of ``config.servers`` (``options`` go to
    ``Client.connect``; ``on_error`` sees every error, as nats-py's ``error_cb``).

    Raises:
        ClusterAuthError: a server refused the credentials or the TLS handshake.
        NodeUnreachable: no server accepted a connection within ``2 * connect_timeout``.
    """
    loop = asyncio.get_running_loop()
    client = Client()
    refused: asyncio.Future[ClusterAuthError] = loop.create_future()
    last: list[Exception] = []

    async def error_cb(error: Exception) -> None:
        if not client.is_connected:
            last[:] = [error]
            what = refusal(error, config)
            if what is not None and not refused.done():
                server = _server_of(client, config)
                refusing = ClusterAuthError(
                    f"NATS at {server} refused {what} (node {config.node!r}): {error}",
                    server=server,
                    node=config.node,
                    refused=what,
                )
                refusing.__cause__ = error
                refused.set_result(refusing)
        await on_error(error)

    connecting = loop.create_task(
        client.connect(**config.connect_options(), error_cb=error_cb, **options)
    )
    racing: set[asyncio.Future[Any]] = {connecting, refused}
    try:
        done, _ = await asyncio.wait(
            racing,
            timeout=config.connect_timeout * 2,
            return_when=asyncio.FIRST_COMPLETED,
        )
    except asyncio.CancelledError:
        # The start was cancelled: the connection attempt must not go on retrying alone.
        await _end(connecting, config)
        await _close(client, config)
        raise
    servers = ", ".join(_without_secrets(server) for server in config.servers)
    if connecting in done:
        refused.cancel()
        error = connecting.exception()
        if error is None:
            if config.tls is not None and _uses_tls(client) is False:
                # nats-py goes plain with a server that does not require TLS, whatever the
                # URL's scheme: a node given TLS does not talk to it in clear text.
                server = _server_of(client, config)
                await _close(client, config)
                raise ClusterAuthError(
                    f"NATS at {server} does not require TLS and ClusterConfig.tls is set:"
                    f" refusing a plain connection (node {config.node!r})",
                    server=server,
                    node=config.node,
                    refused="a plain connection (the server does not require TLS)",
                )
            return client
        # str(), not repr(): an OSError names its file there (a missing seed or .creds).
        raise NodeUnreachable(
            f"cannot connect to NATS at {servers}: {type(error).__name__}: {error}",
            node=config.node,
        ) from error
    await _end(connecting, config)
    if not connecting.cancelled() and connecting.exception() is not None:
        last[:] = [connecting.exception()]  # type: ignore[list-item]  # checked not None
    await _close(client, config)
    if refused.done():
        raise refused.result()
    cause = last[0] if last else None
    raise NodeUnreachable(
        f"cannot connect to NATS at {servers} within {config.connect_timeout * 2}s"
        + ("" if cause is None else f"; last error: {cause!r}"),
        node=config.node,
    ) from cause


async def _end(connecting: asyncio.Task[None], config: ClusterConfig) -> None:
    """Cancel the connection attempt and wait until it ended.

    One cancel is not always enough: nats-py opens the socket in ``asyncio.wait_for``, which
    on Python 3.11 swallows a cancellation that arrives just as the connection is refused
    (it raises the refusal instead, and nats-py retries it without end); so the attempt is
    cancelled again until it ends (at its next wait, almost always the first retry)."""
    for _ in range(_CANCELS):
        connecting.cancel()
        done, _ = await asyncio.wait({connecting}, timeout=_CANCEL_WAIT)
        if done:
            if not connecting.cancelled():
                connecting.exception()  # retrieved (the caller may read it again)
            return
    logger.error("cluster.connect_attempt_not_cancelled", node=config.node, attempts=_CANCELS)


async def _close(client: Client, config: ClusterConfig) -> None:
    try:
        await asyncio.wait_for(client.close(), config.connect_timeout)
    except Exception as error:  # the half-made connection goes away with its socket
        logger.warning("cluster.connect_cleanup_failed", node=config.node, error=repr(error))


def _uses_tls(client: Client) -> bool | None:
    """Whether the connection is encrypted; None when nats-py does not let it be seen."""
    writer = getattr(getattr(client, "_transport", None), "_io_writer", None)
    if writer is None:
        return None
    return writer.get_extra_info("ssl_object") is not None


def refusal(error: BaseException, config: ClusterConfig) -> str | None:
    """What the server refused, when ``error`` (met while connecting) is a refusal of the
    credentials or of TLS; None for an error that trying again may cure."""
    text = str(error).lower()
    if isinstance(error, nats.errors.AuthorizationError) or (
        isinstance(error, nats.errors.Error)
        and ("authorization violation" in text or "authentication" in text)
    ):
        return _credentials(config)
    if isinstance(error, ssl.SSLCertVerificationError):
        detail = error.verify_message or str(error)
        if config.tls is None:
            return (
                "the TLS connection: the server requires TLS and its certificate is not"
                f" trusted by the default CAs ({detail}); set ClusterConfig.tls"
            )
        return f"the TLS connection: its certificate is not trusted ({detail})"
    if isinstance(error, ssl.SSLError):
        return f"the TLS connection: {error.reason or error}"
    return None


def _credentials(config: ClusterConfig) -> str:
    if config.user_credentials is not None:
        return f"the credentials file {config.user_credentials}"
    if config.nkeys_seed is not None:
        return f"the NKey of seed file {config.nkeys_seed}"
    if config.token is not None:
        return "the token"
    if config.user is not None:
        return f"the password of user {config.user!r}"
    return "a connection without credentials (the server requires them)"


def _server_of(client: Client, config: ClusterConfig) -> str:
    # nats-py keeps the server it is trying in a private attribute; fall back to the list.
    uri = client.connected_url
    if uri is None:
        uri = getattr(getattr(client, "_current_server", None), "uri", None)
    if uri is not None and getattr(uri, "hostname", None):
        return f"{uri.scheme}://{uri.hostname}:{uri.port}"
    return ", ".join(_without_secrets(server) for server in config.servers)


def _without_secrets(url: str) -> str:
    """``url`` without a user or password in it."""
    parts = urlsplit(url if "://" in url else f"nats://{url}")
    if parts.hostname is None:
        return url
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme}://{parts.hostname}{port}"
