"""Tracebacks rendered by ``actors.logging.configure`` show an exception and at most 8 of its
causes, in console and JSON format, so that a deep escalation chain costs every level alike."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from actors.logging import configure


def chained(depth: int) -> BaseException:
    """An exception with ``depth - 1`` causes: level 0 is the root cause."""
    error: BaseException | None = None
    for level in range(depth):
        try:
            try:
                if error is not None:
                    raise error
                raise ValueError("level 0")
            except BaseException as cause:
                if level:
                    raise RuntimeError(f"level {level}") from cause
                raise
        except BaseException as raised:
            error = raised
    assert error is not None
    return error


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """Where ``configure`` writes; logging is put back as it was afterwards."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    written = io.StringIO()
    try:
        yield written
    finally:
        structlog.reset_defaults()
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]


@pytest.mark.parametrize(("depth", "shown"), [(3, 3), (9, 9), (30, 9)])
def test_console_tracebacks_show_at_most_eight_causes(
    stream: io.StringIO, depth: int, shown: int
) -> None:
    configure("console", "info", stream=stream)
    structlog.get_logger().error("failed", exc_info=chained(depth))
    text = stream.getvalue()
    assert text.count("Traceback (most recent call last):") == shown
    assert text.count("The above exception was the direct cause") == shown - 1
    assert f"RuntimeError: level {depth - 1}" in text  # the exception itself, last
    assert ("earlier causes not shown" in text) is (depth > shown)
    assert ("ValueError: level 0" in text) is (depth == shown)


@pytest.mark.parametrize(("depth", "entries"), [(3, 3), (9, 9), (30, 10)])
def test_json_tracebacks_show_at_most_eight_causes(
    stream: io.StringIO, depth: int, entries: int
) -> None:
    configure("json", "info", stream=stream)
    structlog.get_logger().error("failed", exc_info=chained(depth))
    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    stacks = line["exception"]
    assert len(stacks) == entries
    assert stacks[0]["exc_value"] == f"level {depth - 1}"
    assert all(stack["is_cause"] for stack in stacks[1:])
    assert stacks[0]["frames"]
    if depth > 9:
        assert stacks[-1]["exc_type"] == "..."
        assert stacks[8]["exc_value"] == f"level {depth - 9}"
