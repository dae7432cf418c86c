"""``flush``: wait until the NATS server has processed what this client sent so far.

nats-py (2.16) writes the PING of ``Client.flush`` straight to the socket, ahead of the
commands still in its pending buffer (a SUB, UNSUB or PUB made just before, which its
flusher task writes a loop step later). Its PONG can then come back before the server saw
them: a pool that "left" its queue group still got the next requests, and a pool that
"joined" was not yet served. Here the buffered commands go on the socket first, in order.
"""

from __future__ import annotations

from nats.aio.client import Client
from nats.aio.subscription import Subscription

__all__ = ["flush", "leave"]


async def flush(nc: Client, timeout: int = 10) -> None:
    """Return once the server answered a PING sent after every command this client made
    so far (subscriptions, unsubscriptions, publishes).

    Raises:
        nats.errors.FlushTimeoutError: no PONG within ``timeout`` seconds.
        nats.errors.ConnectionClosedError: the connection is closed.
    """
    transport = nc._transport
    if nc.is_connected and nc._pending and transport is not None:
        # What nats-py's flusher task does with its buffer, done now, before the PING.
        transport.writelines(nc._pending[:])
        nc._pending = []
        nc._pending_data_size = 0
    await nc.flush(timeout)


async def leave(nc: Client, subscription: Subscription, timeout: int = 10) -> None:
    """Unsubscribe, and return once the server routes nothing more to ``subscription`` and
    its callback has handled every message the server routed to it before (where
    ``Subscription.unsubscribe`` would drop them unseen, and ``drain`` flushes as above).

    Raises:
        nats.errors.FlushTimeoutError: no PONG within ``timeout`` seconds.
        nats.errors.ConnectionClosedError: the connection is closed.
    """
    await nc._send_unsubscribe(subscription._id)
    # The server handled the UNSUB: what it routed here before is read before this PONG.
    await flush(nc, timeout)
    await subscription._pending_queue.join()
    await subscription.unsubscribe()  # now only stops its task (the server ignores the UNSUB)
