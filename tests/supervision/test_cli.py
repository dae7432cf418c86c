"""The ``supervise`` command, run as a subprocess: exit codes, signals, output."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Subprocesses of the real command: real time is the point.
pytestmark = pytest.mark.real_time

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "examples" / "shop"
A = "tests.supervision._config_actors"
SUPERVISE = [sys.executable, "-m", "supervision"]

LOUD_TREE = f"""
[system]
name = "app"

[tree]
[[tree.children]]
name = "first"
actor = "{A}:Loud"
[[tree.children]]
name = "group"
children = [ {{ name = "inner", actor = "{A}:Loud" }} ]
[[tree.children]]
name = "last"
actor = "{A}:Loud"
"""


def write(tmp_path: Path, text: str, name: str = "tree.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def supervise(*args: str | Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SUPERVISE, *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class Running:
    """A ``supervise`` subprocess whose stdout lines are read by a thread, so that a test
    waits for a line with a deadline instead of hanging on a pipe."""

    def __init__(
        self, *args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None
    ) -> None:
        self.process = subprocess.Popen(
            [*SUPERVISE, *map(str, args)],
            cwd=cwd,
            env=None if env is None else {**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def read_until(self, marker: str, timeout: float = 30.0) -> str:
        """Wait for the first stdout line containing ``marker`` and return it."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"{marker!r} not printed in {timeout}s: {self.seen}") from None
            if line is None:
                raise AssertionError(f"{marker!r} never printed: {self.seen}")
            self.seen.append(line)
            if marker in line:
                return line

    def send_signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def finish(self) -> tuple[int, str, str]:
        """Wait for the exit; return the code, all of stdout, and stderr."""
        assert self.process.stderr is not None
        code = self.process.wait(timeout=30)
        err = self.process.stderr.read()
        self.reader.join(timeout=10)
        while (line := self.lines.get(timeout=10)) is not None:
            self.seen.append(line)
        return code, "\n".join(self.seen), err

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        self.reader.join(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def running() -> Iterator[Callable[..., Running]]:
    """Start ``supervise`` subprocesses; any left running by the test is killed."""
    started: list[Running] = []

    def start(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> Running:
        process = Running(*args, cwd=cwd, env=env)
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()


# ----------------------------------------------------------------------------- check


def test_check_prints_the_tree_and_exits_0() -> None:
    result = supervise("check", SHOP / "tree.toml")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{SHOP / 'tree.toml'}: valid"
    assert lines[2].startswith("shop ")
    assert "supervisor one_for_one" in lines[2]
    names = [line.lstrip("├└│─ ").split()[0] for line in lines[2:9]]
    assert names == ["shop", "payments", "ledger", "gateway", "chaos", "workers", "source"]
    tree = "\n".join(lines)
    assert "├── payments" in tree
    assert "rest_for_one" in tree
    assert "│   └── gateway" in tree
    assert "transient" in tree
    assert "workers" in tree
    assert "pool of 4 examples.shop.actors:OrderWorker" in tree
    assert lines[-1] == "0 warnings"


def test_check_lists_every_error_and_exits_2(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[tree]\nstrategy = "one_for_al"\nmax_restarts = -1\n'
        f'[[tree.children]]\nname = "a"\nactor = "{A}:Nope"\n',
    )
    result = supervise("check", path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{path}: 3 problems in the configuration",
        "  $.tree.strategy: expected one of 'one_for_one', 'one_for_all', 'rest_for_one', got"
        " 'one_for_al' (did you mean 'one_for_all'?)",
        "  $.tree.max_restarts: expected an int >= 0, got -1",
        f"  $.tree.children[0].actor: expected a name defined in {A}, got 'Nope'"
        f" ({A} has no 'Nope')",
    ]


def test_check_prints_warnings_but_exits_0(tmp_path: Path) -> None:
    path = write(tmp_path, "[tree]\nmax_restarts = 10\nwithin = 0.001\n")
    result = supervise("check", path)
    assert result.returncode == 0
    assert "warning: $.tree.within: expected at least 0.1s for 10 restarts" in result.stdout
    assert result.stdout.splitlines()[-1] == "1 warning"


def test_the_console_script_is_the_same_command() -> None:
    script = Path(sys.executable).with_name("supervise")
    if not script.exists():
        pytest.skip("the console script is not installed in this environment")
    result = subprocess.run(
        [str(script), "check", "examples/shop/tree.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("examples/shop/tree.yaml: valid\n")


def test_a_usage_error_exits_2() -> None:
    result = supervise("run")
    assert result.returncode == 2
    assert "usage: supervise" in result.stderr


# ----------------------------------------------------------------------------- run


def test_run_for_a_fixed_time_then_shuts_down_in_reverse_order(tmp_path: Path) -> None:
    result = supervise("run", write(tmp_path, LOUD_TREE), "--for", "0.2")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith(("start", "stop"))]
    assert lines == [
        "start /app/first",
        "start /app/group/inner",
        "start /app/last",
        "stop /app/last",
        "stop /app/group/inner",
        "stop /app/first",
    ]
    assert "supervise: 0.2s elapsed: shutting down gracefully" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("supervise: stopped /app after")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_shuts_down_gracefully_and_exits_0(
    tmp_path: Path, running: Callable[..., Running], signum: signal.Signals
) -> None:
    process = running("run", write(tmp_path, LOUD_TREE))
    process.read_until("supervise: started /app (5 actors)")
    process.send_signal(signum)
    code, out, err = process.finish()
    assert code == 0, err
    assert f"supervise: {signum.name}: shutting down gracefully" in out
    stops = [line for line in out.splitlines() if line.startswith("stop")]
    assert stops == ["stop /app/last", "stop /app/group/inner", "stop /app/first"]


def test_a_second_signal_stops_at_once(tmp_path: Path, running: Callable[..., Running]) -> None:
    path = write(
        tmp_path,
        f'[tree]\nname = "app"\n[[tree.children]]\nname = "slow"\nactor = "{A}:SlowStop"\n'
        'shutdown = "infinity"\n',
    )
    process = running("run", path)
    process.read_until("supervise: started")
    process.send_signal(signal.SIGINT)
    process.read_until("slow stop begins")
    process.send_signal(signal.SIGINT)
    code, _, err = process.finish()
    assert code == 128 + signal.SIGINT
    assert "SIGINT again: stopping at once" in err


def test_a_handler_ignoring_cancellation_is_abandoned_and_the_command_still_exits_0(
    tmp_path: Path, running: Callable[..., Running]
) -> None:
    path = write(
        tmp_path,
        '[system]\nname = "app"\nshutdown = 0.5\n[tree]\nname = "app"\n'
        f'[[tree.children]]\nname = "stubborn"\nactor = "{A}:Stubborn"\nshutdown = 0.2\n',
    )
    process = running("run", path)
    process.read_until("supervise: started")
    process.send_signal(signal.SIGTERM)
    code, out, err = process.finish()  # within finish()'s 30 s, not never
    assert code == 0, err
    assert "stubborn stop begins" in out
    assert "system.tasks_abandoned" in err  # reported by the shutdown first
    assert out.splitlines()[-2].startswith("supervise: stopped /app after")
    assert out.splitlines()[-1] == (
        "supervise: exiting without waiting for what ignored cancellation: actor /app/stubborn"
    )


BLOCKING_MODULE = """
import os
from typing import Any

from actors import Actor

print("loading", flush=True)
with open(os.environ["LOADING_FIFO"]) as gate:  # blocks until the test opens it for writing
    gate.read()


class Idle(Actor):
    def receive(self, message: Any) -> Any:
        return None
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_tree_is_loading_stops_gracefully_and_exits_0(
    tmp_path: Path, running: Callable[..., Running], signum: signal.Signals
) -> None:
    fifo = tmp_path / "gate"
    os.mkfifo(fifo)
    write(tmp_path, BLOCKING_MODULE, "slow_to_import.py")
    path = write(
        tmp_path,
        '[tree]\nname = "app"\n[[tree.children]]\nname = "idle"\nactor = "slow_to_import:Idle"\n',
    )
    process = running("run", path, cwd=tmp_path, env={"LOADING_FIFO": str(fifo)})
    process.read_until("loading")  # the import is blocked on the fifo now
    process.send_signal(signum)
    code, out, err = process.finish()
    assert code == 0, err
    assert f"supervise: {signum.name}: shutting down gracefully" in out
    assert out.splitlines()[-1] == "supervise: stopped while loading the tree: nothing was started"


SLOW_TO_START_MODULE = """
import asyncio
import os
from typing import Any

from actors import Actor


class SlowToStart(Actor):
    async def on_start(self) -> None:
        print("starting", flush=True)
        # Blocks until the test opens the fifo for writing (off the loop: signals still run).
        await asyncio.to_thread(lambda: open(os.environ["STARTING_FIFO"]).read())

    def receive(self, message: Any) -> Any:
        return None

    async def on_stop(self) -> None:
        print("stopped", flush=True)
"""


def test_a_signal_while_the_tree_is_starting_lets_it_start_then_stops_gracefully(
    tmp_path: Path, running: Callable[..., Running]
) -> None:
    fifo = tmp_path / "gate"
    os.mkfifo(fifo)
    write(tmp_path, SLOW_TO_START_MODULE, "slow_to_start.py")
    path = write(
        tmp_path,
        '[tree]\nname = "app"\n[[tree.children]]\nname = "slow"\n'
        'actor = "slow_to_start:SlowToStart"\n',
    )
    process = running("run", path, cwd=tmp_path, env={"STARTING_FIFO": str(fifo)})
    process.read_until("starting")
    process.send_signal(signal.SIGTERM)
    process.read_until("SIGTERM: shutting down gracefully")
    with open(fifo, "w") as gate:  # let on_start finish
        gate.write("go")
    code, out, err = process.finish()
    assert code == 0, err
    lines = out.splitlines()
    assert lines.index("stopped") > next(
        i for i, line in enumerate(lines) if line.startswith("supervise: started /app")
    )


def test_a_root_that_gives_up_prints_the_cause_chain_and_exits_1(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[tree]\nname = "app"\nmax_restarts = 1\nwithin = 60.0\n'
        f'[[tree.children]]\nname = "crasher"\nactor = "{A}:Crasher"\n',
    )
    result = supervise("run", path, "--for", "30", "--log-level", "critical")
    assert result.returncode == 1
    err = result.stderr.splitlines()
    start = err.index("supervise: /app gave up:")
    assert err[start + 1].startswith("  RestartIntensityExceeded: gave up after more than 1")
    assert err[start + 2] == "  ValueError: crashed on purpose"
    assert "stopped /app after" in result.stdout


def test_a_tree_that_fails_to_start_exits_1(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f'[tree]\nname = "app"\n[[tree.children]]\nname = "db"\nactor = "{A}:FailsToStart"\n',
    )
    result = supervise("run", path, "--log-level", "critical")
    assert result.returncode == 1
    assert "supervise: the tree failed to start:" in result.stderr
    assert "OSError: cannot open the database" in result.stderr
    assert "started" not in result.stdout


def test_run_refuses_an_invalid_file_with_exit_2(tmp_path: Path) -> None:
    result = supervise("run", write(tmp_path, "[tree]\nwithin = -1\n"))
    assert result.returncode == 2
    assert "$.tree.within: expected a number > 0, got -1" in result.stderr


def test_json_logs_and_the_level_filter(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[tree]\nname = "app"\nmax_restarts = 1\nwithin = 60.0\n'
        f'[[tree.children]]\nname = "crasher"\nactor = "{A}:Crasher"\n',
    )
    result = supervise("run", path, "--log-format", "json", "--log-level", "error")
    assert result.returncode == 1
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert {event["level"] for event in events} <= {"error", "critical"}
    failed = [event for event in events if event["event"] == "actor.failed"]
    assert failed
    assert failed[0]["actor"] == "/app/crasher"
    assert failed[0]["exception"][0]["exc_type"] == "ValueError"
    # Info events are filtered out of the output but still counted in the summary.
    assert "2 failures, 1 restart" in result.stdout


def test_metrics_are_served_on_the_requested_port(
    tmp_path: Path, running: Callable[..., Running]
) -> None:
    process = running("run", write(tmp_path, LOUD_TREE), "--metrics-port", "0")
    line = process.read_until("serving metrics on port")
    port = int(line.split("serving metrics on port ")[1].split()[0])
    process.read_until("supervise: started")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        assert response.status == 200
        assert b"# HELP " in response.read()
    process.send_signal(signal.SIGTERM)
    code, _, err = process.finish()
    assert code == 0, err


def test_the_metrics_server_binds_the_requested_host_and_serves_health(
    tmp_path: Path, running: Callable[..., Running]
) -> None:
    process = running(
        "run", write(tmp_path, LOUD_TREE), "--metrics-port", "0", "--metrics-host", "127.0.0.2"
    )
    line = process.read_until("serving metrics on port")
    assert "(127.0.0.2)" in line
    port = int(line.split("serving metrics on port ")[1].split()[0])
    process.read_until("supervise: started")
    with urllib.request.urlopen(f"http://127.0.0.2:{port}/healthz", timeout=10) as response:
        assert response.status == 200
        assert json.loads(response.read())["status"] in ("ok", "degraded")
    process.send_signal(signal.SIGTERM)
    code, _, err = process.finish()
    assert code == 0, err


def test_an_unbindable_metrics_address_fails_the_run_with_exit_1(tmp_path: Path) -> None:
    result = supervise(
        "run", write(tmp_path, LOUD_TREE), "--metrics-port", "0", "--metrics-host", "192.0.2.1"
    )
    assert result.returncode == 1
    assert "cannot serve metrics on 192.0.2.1:0" in result.stderr


def test_modules_are_found_from_the_current_directory(tmp_path: Path) -> None:
    (tmp_path / "localactors.py").write_text(
        "from actors import Actor\n\n"
        "class Here(Actor):\n"
        "    def receive(self, message):\n"
        "        return None\n"
    )
    write(tmp_path, '[tree]\n[[tree.children]]\nname = "here"\nactor = "localactors:Here"\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [*SUPERVISE, "check", "tree.toml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr


def test_the_live_view_is_served_read_only_on_loopback(
    tmp_path: Path, running: Callable[..., Running]
) -> None:
    process = running("run", write(tmp_path, LOUD_TREE), "--ui-port", "0")
    line = process.read_until("serving the live view at")
    assert line.endswith("(read-only)")
    url = line.split("serving the live view at ")[1].split()[0]
    assert url.startswith("http://127.0.0.1:")
    process.read_until("supervise: started")
    with urllib.request.urlopen(url + "api/tree", timeout=10) as response:
        tree = json.loads(response.read())
    assert tree["system"] == "app"
    assert tree["actions"] is False
    request = urllib.request.Request(url + "api/actors/app/first/kill", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    refused.value.close()
    process.send_signal(signal.SIGTERM)
    code, _, err = process.finish()
    assert code == 0, err


def test_live_view_actions_need_the_printed_token(
    tmp_path: Path, running: Callable[..., Running]
) -> None:
    process = running("run", write(tmp_path, LOUD_TREE), "--ui-port", "0", "--ui-actions")
    line = process.read_until("serving the live view at")
    assert line.endswith("(actions enabled)")
    url = line.split("serving the live view at ")[1].split()[0]
    base, token = url.split("?token=")
    assert len(token) >= 32
    process.read_until("supervise: started")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(base + "api/tree", timeout=10)
    assert refused.value.code == 401
    refused.value.close()
    kill = urllib.request.Request(
        base + "api/actors/app/last/kill",
        method="POST",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(kill, timeout=10) as response:
        assert json.loads(response.read())["action"] == "kill"
    process.send_signal(signal.SIGTERM)
    code, _, err = process.finish()
    assert code == 0, err


def test_the_live_view_refuses_a_non_loopback_address_without_a_token(tmp_path: Path) -> None:
    result = supervise("run", write(tmp_path, LOUD_TREE), "--ui-port", "0", "--ui-host", "0.0.0.0")
    assert result.returncode == 1
    assert "only served on a non-loopback address (0.0.0.0) with a token" in result.stderr
    assert "SUPERVISE_UI_TOKEN" in result.stderr


def test_a_live_view_peer_must_be_an_http_address(tmp_path: Path) -> None:
    result = supervise("run", write(tmp_path, LOUD_TREE), "--ui-port", "0", "--ui-peer", "node-b")
    assert result.returncode == 1
    assert "a peer must be an http:// or https:// address, got 'node-b'" in result.stderr
    assert "SUPERVISE_UI_TOKEN" not in result.stderr
