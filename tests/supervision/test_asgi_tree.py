"""supervision.asgi.tree_service: a tree from a file as an ASGI service's lifespan."""

from __future__ import annotations

from pathlib import Path

import pytest

from supervision import ConfigError
from supervision.asgi import tree_service

ROOT = Path(__file__).resolve().parents[2]


async def test_tree_service_starts_the_tree_of_the_file_and_shuts_it_down() -> None:
    service = tree_service(ROOT / "examples" / "fastapi_service" / "tree.toml")
    async with service.lifespan():
        system = service.system
        assert system.name == "inventory"
        assert [ref.path for ref in system.actors] == [
            "/inventory",
            "/inventory/audit",
            "/inventory/stock",
        ]
    assert system.is_closed


def test_tree_service_checks_the_file_when_it_is_built(tmp_path: Path) -> None:
    broken = tmp_path / "tree.toml"
    broken.write_text('[tree]\nstrategy = "one_for_one"\nmax_restarts = -1\n')
    with pytest.raises(ConfigError, match="max_restarts"):
        tree_service(broken)
