"""How-to "A FastAPI service with a supervision tree": the tree built in Python."""

from __future__ import annotations

import pytest

from examples.fastapi_service import python_tree


@pytest.mark.actors
async def test_the_tree_built_in_python_is_the_same_tree() -> None:
    service = python_tree.service
    async with service.lifespan():
        assert [ref.path for ref in service.system.actors] == [
            "/inventory",
            "/inventory/audit",
            "/inventory/stock",
        ]
