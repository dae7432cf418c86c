"""Every async test in this suite runs on the actor-supervision plugin's loop."""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import pytest
import structlog

from actors._core import _log


def _plain_config() -> dict[str, object]:
    """structlog's defaults with plain tracebacks.

    The dev tools install rich (import-linter needs it), and structlog's default console
    renderer would then pretty-print, slowly, every failure the tests provoke on purpose.
    """
    structlog.reset_defaults()
    config = structlog.get_config()
    processors = list(config["processors"])
    processors[-1] = structlog.dev.ConsoleRenderer(
        exception_formatter=structlog.dev.plain_traceback
    )
    return {**config, "processors": processors}


_PLAIN = _plain_config()


@pytest.fixture(autouse=True)
def _plain_tracebacks() -> Iterator[None]:
    """Every test starts with plain tracebacks, also after one that reset structlog, and
    with a fresh log rate limiter: it is process-wide, so lines earlier tests wrote about
    the same actor path must not hold back the lines this test looks for."""
    structlog.configure(**_PLAIN)
    _log.limiter = _log.RateLimiter()
    yield
    structlog.configure(**_PLAIN)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (
            isinstance(item, pytest.Function)
            and inspect.iscoroutinefunction(item.obj)
            and item.get_closest_marker("actors") is None
        ):
            item.add_marker(pytest.mark.actors)


pytest_plugins = ["pytester"]
