"""Every async test in this suite runs on the actor-supervision plugin's loop."""

from __future__ import annotations

import inspect

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (
            isinstance(item, pytest.Function)
            and inspect.iscoroutinefunction(item.obj)
            and item.get_closest_marker("actors") is None
        ):
            item.add_marker(pytest.mark.actors)


pytest_plugins = ["pytester"]
