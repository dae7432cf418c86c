"""The threads example of "Embed the runtime in a service", run as shown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from examples.embed import threads

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.real_time  # real threads
async def test_threads_ask_an_actor_and_each_gets_its_answer() -> None:
    answers = await threads.main()
    # The three asks are serialized by the actor in some order; the last one sees 6.
    assert len(answers) == 3
    assert "total is 6" in answers
    assert all(answer.startswith("total is ") for answer in answers)


@pytest.mark.real_time  # a subprocess
def test_the_threads_example_runs_as_a_script() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "examples.embed.threads"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "total is 6" in result.stdout
