"""Throttled updates for the live view's event stream.

One snapshot is taken at most every ``1 / max_updates_per_second`` seconds, however many
pages watch and however fast the tree changes (a restart storm included): every stream
waits for the next due time, the first one there takes the snapshot, and a stream that
fell behind gets only the latest one (updates coalesce, nothing queues up per client).
On a big tree the period also stretches so that taking and encoding snapshots stays
under ``LOOP_SHARE`` of the loop's time.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from typing import TYPE_CHECKING, Any

from actors._system._snapshot import SystemSnapshot, snapshot_tree

if TYPE_CHECKING:
    from actors._liveview._timeline import Timeline
    from actors._system._system import ActorSystem

__all__ = ["Hub"]

EVENTS_IN_UPDATE = 100  # the timeline's latest events sent with every update
LOOP_SHARE = 0.05  # the most of the loop's time the updates may take


class Hub:
    """Takes snapshots for the live view, at most ``max_updates_per_second``."""

    def __init__(
        self,
        system: ActorSystem,
        timeline: Timeline,
        *,
        max_updates_per_second: float,
        actions: bool,
        peers: tuple[str, ...] = (),
    ) -> None:
        if (
            isinstance(max_updates_per_second, bool)
            or not isinstance(max_updates_per_second, int | float)
            or not 0 < max_updates_per_second <= 100
        ):
            raise ValueError(
                "max_updates_per_second must be a number > 0 and <= 100,"
                f" got {max_updates_per_second!r}"
            )
        self._system = system
        self._timeline = timeline
        self._actions = actions
        self._peers = list(peers)
        self._interval = 1.0 / max_updates_per_second
        self._period = self._interval  # stretched when an update takes long
        self._taken_at = -math.inf  # loop time of the last snapshot
        self._version = 0
        self._key = b""
        self._body = b""
        self.snapshots = 0  # how many snapshots were taken (for tests and diagnostics)

    def snapshot(self) -> SystemSnapshot:
        """A fresh snapshot, observed by the timeline."""
        self.snapshots += 1
        snapshot = snapshot_tree(self._system)
        self._timeline.observe(snapshot)
        return snapshot

    def update(self, snapshot: SystemSnapshot) -> dict[str, Any]:
        """What one update carries: the tree, the latest events, and the view's settings."""
        data = snapshot.to_dict()
        data["events"] = self._timeline.recent(EVENTS_IN_UPDATE)
        data["event_counts"] = dict(self._timeline.counts)
        data["actions"] = self._actions
        data["peers"] = self._peers
        return data

    def _refresh(self, now: float) -> None:
        began = time.perf_counter()
        self._taken_at = now
        data = self.update(self.snapshot())
        taken_at = data.pop("taken_at")
        # Compared without its time, so an unchanged tree sends nothing new.
        key = json.dumps(data, default=str).encode()
        if key != self._key:
            self._key = key
            self._body = key[:-1] + b', "taken_at": ' + repr(taken_at).encode() + b"}"
            self._version += 1
        self._period = max(self._interval, (time.perf_counter() - began) / LOOP_SHARE)

    async def next(self, seen: int, heartbeat: float) -> tuple[int, bytes]:
        """Wait for an update newer than version ``seen``; return ``(version, body)``, or
        ``(seen, b"")`` when nothing changed for ``heartbeat`` seconds."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + heartbeat
        while True:
            due = self._taken_at + self._period
            now = loop.time()
            if now < due:
                await asyncio.sleep(min(due, give_up) - now)
                now = loop.time()
            if now >= self._taken_at + self._period:
                self._refresh(now)
            if self._version != seen:
                return self._version, self._body
            if now >= give_up:
                return seen, b""
