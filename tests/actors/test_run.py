"""``actors.run``: ``asyncio.run`` with a bounded end, for applications embedding a system."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from structlog.testing import capture_logs

import actors
from actors import ActorSystem

ROOT = Path(__file__).resolve().parents[2]

STUBBORN_SERVICE = """
import asyncio
import contextlib
import sys
from typing import Any

import actors
from actors import Actor, ActorSystem


class Stubborn(Actor):
    def receive(self, message: Any) -> Any:
        return None

    async def on_stop(self) -> None:
        while True:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(3600)


async def main() -> int:
    system = ActorSystem("service")
    await system.spawn(Stubborn, name="stubborn")
    await system.shutdown(timeout=0.2)
    print("shut down", flush=True)
    return 3


if __name__ == "__main__":
    sys.exit({runner}(main()))
"""


@pytest.mark.real_time  # a subprocess, and the shutdown's own grace time
def test_a_service_whose_actor_ignores_cancellation_exits_with_its_code(tmp_path: Path) -> None:
    script = tmp_path / "service.py"
    script.write_text(textwrap.dedent(STUBBORN_SERVICE.format(runner="actors.run")))
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    output = result.stdout + result.stderr  # structlog, unconfigured, writes to stdout
    assert result.returncode == 3, output
    assert "shut down" in result.stdout.splitlines()
    assert "system.tasks_abandoned" in output
    assert "run.tasks_abandoned" in output
    assert "Task was destroyed but it is pending" not in output


@pytest.mark.real_time
def test_run_returns_the_result_and_leaves_no_loop_behind() -> None:
    async def main() -> str:
        async with ActorSystem("run") as system:
            await system.spawn(actors.Actor)
        return "done"

    assert actors.run(main()) == "done"
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()


@pytest.mark.real_time
def test_run_cancels_what_main_left_and_reports_only_what_ignored_it() -> None:
    finished: list[str] = []

    async def polite() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            finished.append("polite")

    async def stubborn() -> None:
        while True:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(3600)

    left: list[asyncio.Task[None]] = []

    async def main() -> None:
        left.append(asyncio.create_task(polite(), name="polite"))
        left.append(asyncio.create_task(stubborn(), name="stubborn"))
        await asyncio.sleep(0)

    with capture_logs() as logs:
        actors.run(main(), abandon_after=0.05)
    assert finished == ["polite"]
    assert [task.done() for task in left] == [True, False]
    [abandoned] = [line for line in logs if line["event"] == "run.tasks_abandoned"]
    assert abandoned["tasks"] == ["stubborn"]


def test_run_refuses_bad_arguments() -> None:
    async def main() -> None:
        return None

    with pytest.raises(TypeError, match="needs a coroutine"):
        actors.run(main)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="abandon_after"):
        actors.run(main(), abandon_after=-1.0)


async def test_run_refuses_to_run_inside_a_running_loop() -> None:
    async def main() -> None:
        return None

    with pytest.raises(RuntimeError, match="running event loop"):
        actors.run(main())
