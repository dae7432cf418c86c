"""The tracing how-to's example, run as shown: one trace through two actors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from examples.tracing import traced

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.actors
async def test_the_quote_is_one_trace_through_both_actors() -> None:
    spans = InMemorySpanExporter()
    assert await traced.main(spans) == 6
    finished = {span.name: span for span in spans.get_finished_spans()}
    assert set(finished) == {"quote request", "Quotes receive", "Prices receive"}
    assert len({span.context.trace_id for span in finished.values()}) == 1
    quotes, prices = finished["Quotes receive"], finished["Prices receive"]
    assert prices.parent is not None
    assert prices.parent.span_id == quotes.context.span_id


@pytest.mark.real_time  # a subprocess
def test_the_example_runs_as_a_script() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "examples.tracing.traced"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "total: 6" in result.stdout
    assert "Prices receive" in result.stdout
