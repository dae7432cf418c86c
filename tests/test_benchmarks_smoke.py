"""The benchmark suite (benchmarks/) must not rot: every scenario runs on the runtime and on
the raw-asyncio baseline at a tiny size, and the report renders. The figures are not checked
(they mean nothing at this size); the S6 ledger is."""

from __future__ import annotations

import pytest

from benchmarks import raw_asyncio, runtime
from benchmarks._common import QUICK, NotApplicable
from benchmarks._impls import available_impls, capped_size, cases_for, run_case
from benchmarks.report import Outcome, Results, render

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


def test_chaos_scenario_keeps_the_ledger() -> None:
    result = runtime.scenario("S6", "asyncio", lean=False, seconds=0.2, actors=100)
    assert result["actors"] == 100
    assert result["accepted"] > 0
    assert result["difference"] == 0
    assert result["accepted"] == result["processed"] + result["dead_lettered"]


def test_report_renders_figures_ratios_and_not_applicable() -> None:
    impls = [i for i in available_impls() if i.key in ("runtime", "asyncio", "pykka")]
    cases = [c for c in cases_for(QUICK) if c.scenario in ("S1", "S6")]
    results = Results(impls, cases)
    for case in cases:
        for impl in impls:
            size = capped_size(impl, case)
            outcome = results.outcomes[(case.key, impl.key)] = Outcome(size)
            if case.scenario == "S1" and impl.key != "pykka":
                small = dict(size, n=200)
                outcome.rounds = [run_case(impl, case, small) for _ in range(2)]
            elif case.scenario == "S1":
                outcome.rounds = [{"msgs_per_s": 1000.0}, {"msgs_per_s": 3000.0}]
            else:
                try:
                    run_case(impl, case, dict(size, seconds=0.05))
                except NotApplicable as reason:
                    outcome.not_applicable = str(reason)
                else:
                    outcome.not_applicable = "skipped in this test"
    meta = {
        "command": "test",
        "cores": 2,
        "platform": "test",
        "python": "3",
        "versions": "",
        "rounds": 2,
        "elapsed": 0.0,
    }
    text = render(results, meta)
    assert "### S1:" in text
    assert "msgs/s x asyncio" in text
    assert "2,000 (1,000-3,000)" in text  # pykka's median and span
    assert "n/a (no supervision tree or dead letters" in text
    assert "S1 tell >= 0.6x asyncio" in text
