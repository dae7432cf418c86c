"""The event bus example runs (docs/tutorial/event-bus.md includes its code)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from actors import DeadLetter
from examples.bus import orders

ROOT = Path(__file__).resolve().parents[1]


async def test_the_bus_example_delivers_by_pattern_and_keeps_the_dead_letter() -> None:
    outcome = await orders.main()
    assert outcome["trail"] == [
        "orders.eu.placed: OrderPlaced(order_id=1, total=25.0)",
        "orders.us.placed: OrderPlaced(order_id=2, total=40.0)",
        "orders.eu.shipped: OrderShipped(order_id=1)",
    ]
    assert outcome["placed"] == {"eu": 1, "us": 1}
    [letter] = outcome["dead_letters"]
    assert isinstance(letter, DeadLetter)
    assert letter.message == orders.OrderShipped(2)
    assert (letter.recipient.path, letter.reason) == ("/shipping", "stopped")


def test_the_bus_example_runs_as_a_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "examples.bus.orders"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "orders.eu.shipped: OrderShipped(order_id=1)" in result.stdout
    assert "placed per region: {'eu': 1, 'us': 1}" in result.stdout
    assert "reason='stopped'" in result.stdout
