"""``Outbox``: a node's outgoing frames, in order, drained by one writer task.

A tell never waits for the network: it is queued here and the writer publishes it. Frames
from this node to one subject keep their order (FIFO per sender node and receiver), and the
writer packs the frames queued for one subject into one NATS message (a ``Batch``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

import msgspec
from nats.aio.client import Client

from actors._core._log import logger
from actors.remote._wire import Batch, encode_frame

__all__ = ["BATCHABLE", "PLAIN", "TELL", "Outbox"]

# What a frame is: PLAIN frames go alone; the others coalesce into batches with the frames
# queued next for the same subject; a lost TELL is counted.
PLAIN, TELL, BATCHABLE = 0, 1, 2
# Frames waiting for the writer; past this, tells are dropped (counted as lost).
_LIMIT = 100_000
# A Batch holds at most this many frames, and stops growing past this many bytes.
_BATCH_FRAMES = 256
_BATCH_BYTES = 64 * 1024


class Outbox:
    """The outgoing queue of one node (private). ``lost(why)`` is called for each tell
    dropped (the queue is full, or the connection is down)."""

    def __init__(self, node: str, lost: Callable[[str], None]) -> None:
        self._node = node
        self.lost = lost
        # (subject, payload, NATS reply subject, kind: PLAIN, TELL or BATCHABLE)
        self._frames: deque[tuple[str, bytes, str, int]] = deque()
        self._wake: asyncio.Future[None] | None = None
        self._drained: asyncio.Future[None] | None = None

    def __len__(self) -> int:
        return len(self._frames)

    def send(self, subject: str, payload: bytes, reply: str = "", kind: int = PLAIN) -> None:
        """Queue a frame; never waits."""
        frames = self._frames
        if len(frames) >= _LIMIT:
            self.lost("the outgoing queue is full")
            return
        frames.append((subject, payload, reply, kind))
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    async def run(self, nc: Client) -> None:
        """The writer: publish what is queued, in order, until cancelled."""
        loop = asyncio.get_running_loop()
        frames = self._frames
        publish = nc.publish
        popleft = frames.popleft
        while True:
            while frames:
                subject, payload, reply, kind = popleft()
                if kind and frames and frames[0][0] == subject and frames[0][3]:
                    payload, reply = self._coalesce(subject, payload, reply)
                try:
                    await publish(subject, payload, reply=reply)
                except Exception as error:
                    # Not connected (outbound buffering is off during a reconnect), or the
                    # connection closed: at-most-once, so the frame is lost and counted.
                    if kind == TELL or not nc.is_connected:
                        self.lost(repr(error))
            drained = self._drained
            if drained is not None and not drained.done():
                drained.set_result(None)
            self._wake = loop.create_future()
            await self._wake

    def _coalesce(self, subject: str, first: bytes, reply: str) -> tuple[bytes, str]:
        """Pack the frames queued next for ``subject`` with ``first`` into one Batch frame:
        one NATS message instead of many (the order is kept). Its NATS reply subject is the
        first ask's, so that a node that is gone is still reported (no responders)."""
        frames = self._frames
        batch = [msgspec.Raw(first)]
        size = len(first)
        while (
            frames
            and len(batch) < _BATCH_FRAMES
            and size < _BATCH_BYTES
            and frames[0][0] == subject
            and frames[0][3]
        ):
            _, payload, also, _ = frames.popleft()
            batch.append(msgspec.Raw(payload))
            size += len(payload)
            reply = reply or also
        return encode_frame(Batch(batch)), reply

    async def drain(self) -> None:
        """Let the writer send what is queued (bounded: a second at most)."""
        if not self._frames:
            return
        drained = self._drained = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(asyncio.shield(drained), 1.0)
        except TimeoutError:
            logger.warning("cluster.drain_timeout", node=self._node, queued=len(self._frames))
