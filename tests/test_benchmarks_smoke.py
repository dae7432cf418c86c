"""The benchmark suite (benchmarks/) must not rot: every scenario runs on the runtime, the
raw-asyncio baseline and the limit at a tiny size, and the report renders. The figures are
not checked (they mean nothing at this size); the S6 ledger is, and so is the limit's
actor: it is a yardstick only if it does what the runtime does (bounded, answers asks,
restarts its handler)."""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from benchmarks import limit, raw_asyncio, runtime
from benchmarks._common import QUICK, NotApplicable, memory_bytes, run_loop
from benchmarks._impls import available_impls, capped_size, cases_for, run_case
from benchmarks.limit import LimitActor
from benchmarks.report import Outcome, Results, evaluate_targets, render
from benchmarks.run import main as run_main

pytestmark = pytest.mark.real_time

TINY = {
    "S1": {"n": 300},
    "S2": {"n": 200},
    "S3": {"n": 50},
    "S4": {"subscribers": 5, "events": 60},
    "S5": {"failures": 20},
}

EXPECTED = {
    "S1": {"msgs_per_s"},
    "S2": {"asks_per_s", "p50_us", "p99_us"},
    "S3": {"spawn_s", "bytes_per_actor", "stop_s"},
    "S4": {"deliveries_per_s"},
    "S5": {"restart_p50_us", "restart_p99_us", "msgs_per_s"},
}


@pytest.mark.parametrize("scenario", sorted(TINY))
def test_runtime_scenario_runs(scenario: str) -> None:
    result = runtime.scenario(scenario, "asyncio", lean=False, **TINY[scenario])
    assert set(result) == EXPECTED[scenario]
    assert all(value >= 0 for value in result.values())


@pytest.mark.parametrize("scenario", sorted(TINY))
def test_raw_asyncio_scenario_runs(scenario: str) -> None:
    result = raw_asyncio.scenario(scenario, "asyncio", **TINY[scenario])
    assert set(result) == EXPECTED[scenario]


@pytest.mark.parametrize("scenario", sorted(TINY))
def test_limit_scenario_runs(scenario: str) -> None:
    result = limit.scenario(scenario, "asyncio", **TINY[scenario])
    assert set(result) == EXPECTED[scenario]
    assert all(value >= 0 for value in result.values())


# 1,200 in flight: more than a mailbox holds (1000), so senders block and are woken.
@pytest.mark.parametrize("in_flight", [1, 10, 1_200])
@pytest.mark.parametrize("name", ["runtime", "asyncio", "limit"])
def test_asks_in_flight_run(name: str, in_flight: int) -> None:
    n = max(200, 2 * in_flight)
    if name == "runtime":
        result = runtime.scenario("S2", "asyncio", lean=False, n=n, in_flight=in_flight)
    else:
        module = raw_asyncio if name == "asyncio" else limit
        result = module.scenario("S2", "asyncio", n=n, in_flight=in_flight)
    assert set(result) == EXPECTED["S2"]
    assert result["asks_per_s"] > 0


@pytest.mark.parametrize("name", ["runtime", "asyncio", "limit"])
def test_tells_from_inside_a_handler_run(name: str) -> None:
    # 1,500 messages: more than the mailbox holds, so the sending handler blocks and resumes
    if name == "runtime":
        result = runtime.scenario("S1", "asyncio", lean=False, n=1_500, inside=True)
    else:
        module = raw_asyncio if name == "asyncio" else limit
        result = module.scenario("S1", "asyncio", n=1_500, inside=True)
    assert set(result) == EXPECTED["S1"]
    assert result["msgs_per_s"] > 0


@pytest.mark.parametrize("name", ["runtime", "asyncio", "limit"])
def test_memory_by_tracemalloc_runs(name: str) -> None:
    if name == "runtime":
        result = runtime.scenario("S3", "asyncio", lean=False, n=50, traced=True)
    else:
        module = raw_asyncio if name == "asyncio" else limit
        result = module.scenario("S3", "asyncio", n=50, traced=True)
    assert set(result) == {"bytes_per_actor"}  # spawn times are not taken while tracing
    assert result["bytes_per_actor"] > 0
    assert not tracemalloc.is_tracing()


def test_traced_memory_needs_tracing() -> None:
    with pytest.raises(RuntimeError, match=r"needs tracemalloc.start\(\) first"):
        memory_bytes(traced=True)


def test_asks_in_flight_cannot_exceed_the_asks() -> None:
    with pytest.raises(ValueError, match="in_flight must be between 1 and n=10, got 11"):
        limit.scenario("S2", "asyncio", n=10, in_flight=11)


class Gated:
    """Handles messages in order, each only once ``gate`` is open; fails on "boom"."""

    def __init__(self, seen: list[Any], started: asyncio.Event, gate: asyncio.Event) -> None:
        self.seen = seen
        self.started = started
        self.gate = gate

    async def receive(self, message: Any) -> Any:
        self.started.set()
        await self.gate.wait()
        if message == "boom":
            raise ValueError("boom")
        self.seen.append(message)
        return message * 2


def test_limit_actor_is_bounded_and_wakes_a_blocked_sender() -> None:
    async def main() -> list[Any]:
        seen: list[Any] = []
        started, gate = asyncio.Event(), asyncio.Event()
        actor = LimitActor(lambda: Gated(seen, started, gate), capacity=2)
        await actor.tell(1)
        await started.wait()  # 1 is being handled: the mailbox is empty again
        await actor.tell(2)
        await actor.tell(3)
        assert not actor.offer(4)  # full: 2 and 3 wait
        blocked = asyncio.ensure_future(actor.tell(4))
        gate.set()
        await asyncio.wait_for(blocked, timeout=5.0)
        await asyncio.wait_for(actor.stop(), timeout=5.0)
        return seen

    assert run_loop("asyncio", main) == [1, 2, 3, 4]


def test_limit_actor_answers_asks_and_restarts_its_handler() -> None:
    async def main() -> tuple[Any, Any, int]:
        seen: list[Any] = []
        started, gate = asyncio.Event(), asyncio.Event()
        gate.set()
        built: list[Gated] = []

        def factory() -> Gated:
            built.append(Gated(seen, started, gate))
            return built[-1]

        actor = LimitActor(factory)
        first = await actor.ask(21)
        with pytest.raises(ValueError, match="boom"):
            await actor.ask("boom")
        await actor.tell("boom")  # a tell that fails restarts the handler too
        after = await actor.ask(5)
        await actor.stop()
        return first, after, len(built)

    assert run_loop("asyncio", main) == (42, 10, 3)


def test_chaos_scenario_keeps_the_ledger() -> None:
    result = runtime.scenario("S6", "asyncio", lean=False, seconds=0.2, actors=100)
    assert result["actors"] == 100
    assert result["accepted"] > 0
    assert result["difference"] == 0
    assert result["accepted"] == result["processed"] + result["dead_lettered"]


META = {
    "command": "test",
    "cores": 2,
    "platform": "test",
    "python": "3",
    "versions": "",
    "rounds": 2,
    "elapsed": 0.0,
}


def test_report_renders_figures_ratios_and_not_applicable() -> None:
    impls = [i for i in available_impls() if i.key in ("runtime", "asyncio", "limit", "pykka")]
    cases = [c for c in cases_for(QUICK) if c.key in ("S1", "S2/inflight100", "S6")]
    results = Results(impls, cases)
    for case in cases:
        for impl in impls:
            try:
                size = capped_size(impl, case)
            except NotApplicable as reason:
                results.outcomes[(case.key, impl.key)] = Outcome(
                    case.size, not_applicable=str(reason)
                )
                continue
            outcome = results.outcomes[(case.key, impl.key)] = Outcome(size)
            if case.scenario == "S1" and impl.key != "pykka":
                small = dict(size, n=200)
                outcome.rounds = [run_case(impl, case, small) for _ in range(2)]
            elif case.scenario == "S1":
                outcome.rounds = [{"msgs_per_s": 1000.0}, {"msgs_per_s": 3000.0}]
            elif case.scenario == "S2":
                small = dict(size, n=40, in_flight=10)
                outcome.rounds = [run_case(impl, case, small)]
            else:
                try:
                    run_case(impl, case, dict(size, seconds=0.05))
                except NotApplicable as reason:
                    outcome.not_applicable = str(reason)
                else:
                    outcome.not_applicable = "skipped in this test"
    text = render(results, META)
    assert "### S1:" in text
    assert "msgs/s x asyncio | msgs/s x limit |" in text
    assert "### S2/inflight100: asks in flight: 100 at once" in text
    assert "asks/s x asyncio | asks/s x limit |" in text
    assert "2,000 (1,000-3,000)" in text  # pykka's median and span
    assert "n/a (asks in flight are measured against the limit only)" in text
    assert "n/a (no supervision tree or dead letters" in text
    assert "S1 tell >= 1.0x asyncio " in text
    assert "S2/inflight100 asks >= 0.85x limit " in text
    document = json.loads(json.dumps(results.to_json()))
    s1 = document["cases"]["S1"]["impls"]
    runtime_s1 = s1["runtime"]["median"]["msgs_per_s"]
    assert s1["runtime"]["ratios"]["msgs_per_s"]["limit"] == pytest.approx(
        runtime_s1 / s1["limit"]["median"]["msgs_per_s"]
    )
    assert s1["runtime"]["ratios"]["msgs_per_s"]["asyncio"] == pytest.approx(
        runtime_s1 / s1["asyncio"]["median"]["msgs_per_s"]
    )
    assert "limit" not in s1["limit"]["ratios"]["msgs_per_s"]  # not against itself
    in_flight = document["cases"]["S2/inflight100"]["impls"]
    # every reference among the columns run, the peers' own figures n/a
    assert in_flight["runtime"]["ratios"]["asks_per_s"]["pykka"] is None
    assert set(in_flight["runtime"]["ratios"]["asks_per_s"]) == {"asyncio", "limit", "pykka"}


def _figures(results: Results, case_key: str, figures: dict[str, dict[str, float]]) -> None:
    case = next(c for c in results.cases if c.key == case_key)
    for impl_key, result in figures.items():
        results.outcomes[(case_key, impl_key)] = Outcome(dict(case.size), rounds=[result])


def test_targets_are_the_issues() -> None:
    impls = [
        i for i in available_impls() if i.key in ("runtime", "runtime-lean", "asyncio", "limit")
    ]
    keys = ("S1", "S1/inside", "S2", "S2/inflight100", "S3/1000")
    cases = [c for c in cases_for(QUICK) if c.key in keys]
    previous = {
        "cases": {
            "S3/1000": {"impls": {"runtime": {"size": {"n": 1000}, "median": {"spawn_s": 0.5}}}}
        }
    }
    results = Results(impls, cases, previous=previous)
    rate = {"runtime": 1.1e6, "runtime-lean": 1.2e6, "asyncio": 1e6, "limit": 2.5e6}
    _figures(results, "S1", {key: {"msgs_per_s": value} for key, value in rate.items()})
    inside = {"runtime": 1.4e6, "runtime-lean": 1.4e6, "asyncio": 1e6, "limit": 2.5e6}
    _figures(results, "S1/inside", {key: {"msgs_per_s": value} for key, value in inside.items()})
    asks = {"runtime": 9e4, "runtime-lean": 9e4, "asyncio": 1e5, "limit": 1.2e5}
    _figures(results, "S2", {key: {"asks_per_s": value} for key, value in asks.items()})
    in_flight = {"runtime": 1.8e5, "runtime-lean": 1.8e5, "asyncio": 2e5, "limit": 2e5}
    _figures(results, "S2/inflight100", {k: {"asks_per_s": v} for k, v in in_flight.items()})
    spawn = {"runtime": 0.4, "runtime-lean": 0.4, "asyncio": 0.3, "limit": 0.2}
    _figures(
        results,
        "S3/1000",
        {key: {"spawn_s": value, "bytes_per_actor": 1900.0} for key, value in spawn.items()},
    )
    found = {
        t.name: (t.figure, t.status) for t in evaluate_targets(results) if t.column == "runtime"
    }
    assert found["S1 tell >= 1.0x asyncio"] == ("1.10x", "met")
    assert found["S1 tell >= 1.3x asyncio (stretch)"] == ("1.10x", "MISSED")
    assert found["S1/inside tell >= 1.3x asyncio (stretch)"] == ("1.40x", "met")
    assert found["S2 sequential ask >= 1.0x asyncio"] == ("0.90x", "MISSED")
    assert found["S2/inflight100 asks >= 0.85x limit"] == ("0.90x", "met")
    assert found["S3/1000 memory/actor <= 2,000 B"] == ("1,900 B", "met")
    # 1,000 actors in 0.4 s against 0.5 s in the previous run: faster
    assert found["S3/1000 spawn rate >= the previous run's"] == ("2,500/s against 2,000/s", "met")
    assert found["S3/1000 spawn time <= 1.5x asyncio"] == ("1.33x", "met")
    assert found["metrics+logging cost S1 <= 5%"] == ("8.3%", "MISSED")
    assert found["S1 ahead of every peer"][1] == "n/a"  # no peer measured
    assert found["S5 median restart <= 60 us"] == ("- us", "n/a")
    without = Results(impls, cases, outcomes=results.outcomes)
    found = {t.name: t.figure for t in evaluate_targets(without) if t.column == "runtime"}
    assert found["S3/1000 spawn rate >= the previous run's"] == (
        "n/a (no previous run: --previous FILE)"
    )


def test_previous_must_be_a_runs_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"meta": {}}', encoding="utf-8")
    with pytest.raises(SystemExit, match="not a --json file of a run"):
        run_main(["--previous", str(bad)])
    with pytest.raises(SystemExit, match="cannot read a run's JSON"):
        run_main(["--previous", str(tmp_path / "missing.json")])


def test_the_remote_benchmark_runs_remote_and_raw_side_by_side() -> None:
    from benchmarks import remote

    results = remote.run({"R1": 300, "R2": 20, "R3": remote.IN_FLIGHT}, rounds=1)
    assert set(results) == {"R1", "R2", "R3"}
    for row in results.values():
        assert row["remote_per_s"] > 0
        assert row["raw_per_s"] > 0
        assert row["ratio"] > 0


def test_the_durable_benchmark_runs_durable_and_raw_jetstream_side_by_side() -> None:
    from benchmarks import durable

    row = durable.run(600, rounds=1)
    assert row["n"] == 600
    assert row["durable_per_s"] > 0
    assert row["raw_per_s"] > 0
    assert row["ratio"] > 0


def test_the_cost_steps_run_side_by_side_and_report_every_step(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from benchmarks import costs

    rows = costs.measure(300, rounds=1)
    assert [group for group, _, _ in rows].count("S2 100 asks in flight") == 4
    assert all(ns > 0 for _, _, ns in rows)
    costs.main(["--messages", "300", "--rounds", "1"])
    table = capsys.readouterr().out
    assert "runtime, 60 s timeout" in table
    assert "runtime, gc off" in table


def test_the_feature_costs_run_interleaved_and_print_every_row(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from benchmarks import features

    rows = features.measure(300, rounds=2)
    assert [label for label, _ in rows] == [label for label, _ in features.CASES]
    assert all(rate > 0 for _, rate in rows)
    capsys.readouterr()  # the runtime's own log lines so far
    features.main(["--quick", "--messages", "300", "--rounds", "1"])
    table = capsys.readouterr().out.splitlines()
    assert table[1] == "| feature | msgs/s | vs default |"
    printed = [line.split(" | ")[0].removeprefix("| ") for line in table[3:]]
    assert printed == [label for label, _ in features.CASES]
    assert table[3].endswith("| 1.00x |")  # the baseline is the first row
    with pytest.raises(ValueError, match="rounds >= 1"):
        features.measure(300, rounds=0)
