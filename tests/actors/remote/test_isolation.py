"""The in-process runtime never imports the remote machinery or nats."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.real_time

PROBE = """
import sys
import actors, actors.testing
from actors import ActorSystem
ActorSystem("local")
assert "nats" not in sys.modules, "actors imported nats"
assert "actors.remote" not in sys.modules, "actors imported actors.remote"
assert "actors._cluster._config" in sys.modules  # the kernel side is there
"""


def test_importing_actors_and_the_testing_kit_does_not_import_nats() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
