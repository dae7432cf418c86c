"""The events-across-nodes example runs as shown (docs/how-to/cluster-events.md includes
its code)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from actors.testing import NatsServer
from examples.cluster import events

pytestmark = pytest.mark.real_time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


async def test_each_node_gets_the_events_its_patterns_match_once(
    nats_server: NatsServer,
) -> None:
    seen = await events.main(nats_server.url)
    placed = "OrderPlaced(order_id='A-1', total=4200) on orders.eu.placed"
    shipped = "OrderShipped(order_id='A-1') on orders.eu.shipped"
    assert seen == sorted(
        [
            f"orders got {placed}",
            f"orders got {shipped}",
            f"billing got {placed}",
            f"audit got {placed}",
            f"audit got {shipped}",
        ]
    )


def test_the_example_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "examples.cluster.events"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = [line for line in result.stdout.splitlines() if " got " in line]
    assert len(lines) == 5
    assert "orders.eu.placed goes to ('audit', 'billing')" in result.stdout
