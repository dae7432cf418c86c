"""The cluster-bus benchmark runs, both sides in one run (tiny size: a smoke test, not a
measurement)."""

from __future__ import annotations

import pytest

from benchmarks import cluster_bus

pytestmark = pytest.mark.real_time


def test_the_cluster_bus_benchmark_runs_cluster_and_raw_side_by_side() -> None:
    results = cluster_bus.run({"B1": 200}, rounds=1)
    assert set(results) == {"B1"}
    row = results["B1"]
    assert row["n"] == 200
    assert row["cluster_per_s"] > 0
    assert row["raw_per_s"] > 0
    assert row["ratio"] > 0
