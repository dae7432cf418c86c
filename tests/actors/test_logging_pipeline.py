"""One logging pipeline for structlog and stdlib, the runtime's named loggers, a library that
is quiet until configured, one traceback per failure cascade, and public exception names."""

from __future__ import annotations

import importlib
import io
import json
import logging
import pickle
import subprocess
import sys
import textwrap
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

import actors
import supervision
from actors import Actor, ActorFailed, ActorSystem
from actors._core import _log
from actors.logging import configure
from actors.testing import run_virtual

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Whatever a test configures, structlog and the root logger are as before afterwards;
    the rate limit starts afresh."""
    was_configured = structlog.is_configured()
    config = structlog.get_config()
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    levels = {name: logging.getLogger(name).level for name in ("actors", "supervision")}
    limiter, _log.limiter = _log.limiter, _log.RateLimiter()  # no line held back by others'
    yield
    _log.limiter = limiter
    structlog.reset_defaults()
    if was_configured:
        structlog.configure(**config)
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


class Failing(Actor):
    def receive(self, message: Any) -> Any:
        raise ValueError(f"bad {message}")


async def fail_once(system: ActorSystem) -> None:
    ref = await system.spawn(Failing, name="failing")
    with pytest.raises(ActorFailed):
        await ref.ask("order")
    await system.wait_idle()


# ----------------------------------------------------------------------------- pipeline


def test_stdlib_records_come_out_in_the_same_json_stream_with_logger_names(
    restored_logging: None,
) -> None:
    stream = io.StringIO()
    configure(format="json", level="info", stream=stream)
    logging.getLogger("myapp.db").warning("slow query: %s ms", 812)
    structlog.get_logger("myapp.http").info("request.done", status=200)
    lines = json_lines(stream)
    assert [(line["logger"], line["level"], line["event"]) for line in lines] == [
        ("myapp.db", "warning", "slow query: 812 ms"),
        ("myapp.http", "info", "request.done"),
    ]
    assert all("timestamp" in line for line in lines)
    assert lines[1]["status"] == 200


def test_console_format_renders_stdlib_records_like_structlog_ones(
    restored_logging: None,
) -> None:
    stream = io.StringIO()
    configure(format="console", level="info", stream=stream)
    logging.getLogger("myapp.db").warning("slow query")
    [line] = stream.getvalue().splitlines()
    assert "[warning  ] slow query" in line
    assert "[myapp.db]" in line
    assert not line.startswith("WARNING:")


async def test_the_runtimes_events_carry_their_logger_name_and_context(
    actor_system: ActorSystem, restored_logging: None
) -> None:
    stream = io.StringIO()
    configure(format="json", level="info", stream=stream)

    class Noisy(Actor):
        def receive(self, message: Any) -> Any:
            logging.getLogger("myapp.db").warning("inside")
            raise ValueError("boom")

    ref = await actor_system.spawn(Noisy, name="noisy")
    with pytest.raises(ActorFailed):
        await ref.ask("x", correlation_id="req-1")
    await actor_system.wait_idle()
    by_event = {line["event"]: line for line in json_lines(stream)}
    assert by_event["inside"]["logger"] == "myapp.db"
    assert (by_event["inside"]["actor"], by_event["inside"]["correlation_id"]) == (
        "/noisy",
        "req-1",
    )
    assert by_event["actor.failed"]["logger"] == "actors.actor"
    assert by_event["dead_letter"]["logger"] == "actors.dead_letter"


async def test_per_logger_levels_apply_to_the_runtime(
    actor_system: ActorSystem, restored_logging: None
) -> None:
    stream = io.StringIO()
    configure(format="json", level="info", stream=stream)
    logging.getLogger("actors").setLevel(logging.WARNING)
    await fail_once(actor_system)
    events = [line["event"] for line in json_lines(stream)]
    assert "actor.failed" in events  # an error: above the level
    assert "dead_letter" not in events  # info, from actors.dead_letter: below it


def test_configure_keeps_the_applications_handlers_unless_asked(
    restored_logging: None,
) -> None:
    root = logging.getLogger()
    mine = logging.StreamHandler(io.StringIO())
    root.addHandler(mine)
    configure(format="json", stream=io.StringIO())
    configure(format="json", stream=io.StringIO())  # again: replaces only its own handler
    assert mine in root.handlers
    ours = [handler for handler in root.handlers if type(handler).__module__ == "actors.logging"]
    assert len(ours) == 1
    configure(format="json", stream=io.StringIO(), replace_handlers=True)
    assert mine not in root.handlers
    assert [type(handler).__module__ for handler in root.handlers] == ["actors.logging"]


def test_the_debug_guard_follows_the_stdlib_level(restored_logging: None) -> None:
    logging.getLogger("actors").setLevel(logging.DEBUG)
    assert bool(_log.debug_enabled) is True
    logging.getLogger("actors").setLevel(logging.INFO)
    assert bool(_log.debug_enabled) is False


def test_unconfigured_runtime_records_read_well_in_a_plain_stdlib_handler(
    restored_logging: None,
) -> None:
    structlog.reset_defaults()  # as in an application that never touched structlog
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s:%(name)s:%(message)s"))
    logging.getLogger().addHandler(handler)
    _log.logger.warning("mailbox.overflow", actor="/a", capacity=2)
    assert stream.getvalue() == "WARNING:actors.mailbox:mailbox.overflow actor='/a' capacity=2\n"


# ----------------------------------------------------------------------------- quiet


QUIET_SCRIPT = """
import asyncio
from actors import Actor, ActorSystem

class Echo(Actor):
    def receive(self, message):
        if message == "fail":
            raise ValueError("boom")
        return message

async def main():
    async with ActorSystem("plain") as system:
        echo = await system.spawn(Echo, name="echo")
        print(await echo.ask("hello"))
        if {fail}:
            try:
                await echo.ask("fail")
            except Exception as error:
                print(type(error).__name__)

asyncio.run(main())
"""


def run_script(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


@pytest.mark.real_time  # a subprocess: logging as a fresh application has it
def test_an_unconfigured_script_prints_no_info_lines() -> None:
    result = run_script(QUIET_SCRIPT.format(fail=False))
    assert result.stdout == "hello\n"
    assert result.stderr == ""


@pytest.mark.real_time  # a subprocess: logging as a fresh application has it
def test_an_unconfigured_script_shows_a_failure_on_stderr_like_stdlibs_last_resort() -> None:
    result = run_script(QUIET_SCRIPT.format(fail=True))
    assert result.stdout == "hello\nActorFailed\n"
    first = result.stderr.splitlines()[0]
    assert first.startswith("actor.failed actor='/echo' actor_class='Echo'")
    assert "ValueError: boom" in result.stderr
    assert "dead_letter" not in result.stderr  # info
    assert "system.shutdown" not in result.stderr  # info


# ----------------------------------------------------------------------------- cascades


def test_a_failure_cascade_prints_each_traceback_once_and_refers_to_it(
    restored_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from examples.supervision import tree

    stream = io.StringIO()
    configure(format="json", level="info", stream=stream)
    _log.limiter.limit = 10**9  # every line, for the count
    run_virtual(tree.main())  # restarts, then payments and the shop give up
    lines = json_lines(stream)
    errors = [line for line in lines if "error_id" in line]
    with_traceback = [line for line in errors if "exception" in line]
    # One traceback per distinct failure: each is an actor.failed line.
    assert {line["event"] for line in with_traceback} == {"actor.failed"}
    ids = [line["error_id"] for line in with_traceback]
    assert len(ids) == len(set(ids))
    # Every later line of a cascade names the failure it belongs to, and keeps the chain.
    later = [line for line in errors if "exception" not in line]
    assert {line["event"] for line in later} >= {
        "supervisor.gave_up",
        "actor.escalated",
        "system.failed",
    }
    assert all(line["error_id"] in ids for line in later)
    [system_failed] = [line for line in later if line["event"] == "system.failed"]
    assert system_failed["error_id"] == ids[-1]  # the last ledger failure, the root cause
    assert system_failed["error_chain"][-1].startswith("TypeError: the ledger")
    escalated = [line for line in later if line["event"] == "actor.escalated"]
    assert all("TypeError: the ledger" in line["error_chain"][-1] for line in escalated)
    assert "the shop gave up" in capsys.readouterr().out


def test_an_error_logged_again_refers_to_its_first_line(restored_logging: None) -> None:
    stream = io.StringIO()
    configure(format="json", level="info", stream=stream)
    try:
        raise ValueError("root")
    except ValueError as caught:
        root = caught
    try:
        raise RuntimeError("wrapper") from root
    except RuntimeError as caught:
        wrapper = caught
    _log.logger.error("actor.failed", **_log.error_fields(root))
    _log.logger.error("actor.escalated", **_log.error_fields(wrapper))
    _log.logger.error("system.failed", **_log.error_fields(wrapper))
    first, second, third = json_lines(stream)
    assert first["exception"][0]["exc_value"] == "root"
    assert "exception" not in second
    assert "exception" not in third
    assert first["error_id"] == second["error_id"] == third["error_id"]
    assert second["error_chain"] == ["ValueError: root"]


def test_a_line_held_back_by_its_level_does_not_take_the_traceback(
    restored_logging: None,
) -> None:
    structlog.reset_defaults()
    stream = io.StringIO()
    logging.getLogger().addHandler(logging.StreamHandler(stream))
    logging.getLogger("actors.actor").setLevel(logging.CRITICAL)
    try:
        raise ValueError("root")
    except ValueError as caught:
        error = caught
    try:
        _log.logger.error("actor.failed", **_log.error_fields(error))  # not written
        _log.logger.critical("system.failed", **_log.error_fields(error))
    finally:
        logging.getLogger("actors.actor").setLevel(logging.NOTSET)
    assert "Traceback" in stream.getvalue()


# ----------------------------------------------------------------------------- names

PUBLIC_ERRORS = [
    (module, name)
    for module in (actors, supervision)
    for name in module.__all__
    if isinstance(getattr(module, name), type) and issubclass(getattr(module, name), Exception)
]


@pytest.mark.parametrize(("module", "name"), PUBLIC_ERRORS, ids=lambda v: getattr(v, "__name__", v))
def test_public_exceptions_name_their_public_module(module: Any, name: str) -> None:
    error_class = getattr(module, name)
    assert error_class.__module__ in ("actors", "supervision")
    assert getattr(importlib.import_module(error_class.__module__), name) is error_class


def test_a_traceback_prints_the_public_name_and_errors_still_pickle() -> None:
    error = ActorFailed("handler raised", path="/a", correlation_id=7)
    assert traceback.format_exception_only(error)[-1].startswith("actors.ActorFailed: ")
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), again.path, again.correlation_id) == (ActorFailed, "/a", 7)
    gave_up = supervision.RestartIntensityExceeded("gave up", path="/shop")
    assert type(pickle.loads(pickle.dumps(gave_up))) is supervision.RestartIntensityExceeded
    assert traceback.format_exception_only(gave_up)[-1].startswith(
        "actors.RestartIntensityExceeded: "
    )
