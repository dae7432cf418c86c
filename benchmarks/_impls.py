"""The implementations the suite compares, and the scenario cases it runs.

An implementation is a module (``runtime``, ``raw_asyncio``, ...) with a
``scenario(name, loop, **size)`` function, run on one kind of event loop (or on threads).
The asyncio-based ones appear once per installed loop (``asyncio`` and, when installed,
``uvloop``): ``runtime`` and ``runtime/uvloop`` are two columns of the same code.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks._common import NotApplicable, Result, Sizes

__all__ = ["Case", "Impl", "available_impls", "capped_size", "cases_for", "run_case"]


@dataclass(frozen=True)
class Case:
    """One measured configuration: a scenario at one size."""

    key: str  # "S1", "S3/10000"
    scenario: str  # "S1"
    title: str
    size: dict[str, Any]


@dataclass(frozen=True)
class Impl:
    key: str  # "runtime", "runtime/uvloop", "pykka"
    base: str  # "runtime", "runtime-lean", "asyncio", "limit", "pykka", "thespian", "xoscar"
    module: str
    loop: str  # "asyncio", "uvloop" or "threads" (runs its own threads, no event loop)
    family: str  # "runtime", "baseline" or "peer"
    lean: bool = False
    # Fractions of a case's size for implementations too slow to run it at full size five
    # times within minutes (scenario -> size parameter -> fraction); the table marks such a
    # figure with the size it was measured at. Rates are steady-state, so they compare.
    scale: dict[str, dict[str, float]] = field(default_factory=dict)
    # The most idle actors S3 starts with this implementation, and why not more.
    max_actors: tuple[int, str] | None = None
    # Why the implementation cannot run at all (not installed, no metrics switch).
    unavailable: str | None = None

    def scenario_fn(self) -> Callable[..., Result]:
        module = importlib.import_module(self.module)
        fn: Callable[..., Result] = module.scenario
        return fn


BASES = ("runtime", "runtime-lean", "asyncio", "limit", "pykka", "thespian", "xoscar")


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def available_impls() -> list[Impl]:
    """Every implementation, in the order of the table's columns. Uninstalled peers are
    listed (their figures are "n/a: not installed"); uvloop columns only when installed."""
    from benchmarks.runtime import has_metrics_switch

    loops = ["asyncio", "uvloop"] if _installed("uvloop") else ["asyncio"]
    lean_reason = None if has_metrics_switch() else "no metrics switch"
    impls: list[Impl] = []
    for loop in loops:
        suffix = "" if loop == "asyncio" else f"/{loop}"
        impls.append(Impl(f"runtime{suffix}", "runtime", "benchmarks.runtime", loop, "runtime"))
    for loop in loops:
        suffix = "" if loop == "asyncio" else f"/{loop}"
        impls.append(
            Impl(
                f"runtime-lean{suffix}",
                "runtime-lean",
                "benchmarks.runtime",
                loop,
                "runtime",
                lean=True,
                unavailable=lean_reason,
            )
        )
    for loop in loops:
        suffix = "" if loop == "asyncio" else f"/{loop}"
        impls.append(
            Impl(f"asyncio{suffix}", "asyncio", "benchmarks.raw_asyncio", loop, "baseline")
        )
    for loop in loops:
        suffix = "" if loop == "asyncio" else f"/{loop}"
        impls.append(Impl(f"limit{suffix}", "limit", "benchmarks.limit", loop, "baseline"))
    impls.append(
        Impl(
            "pykka",
            "pykka",
            "benchmarks.pykka_impl",
            "threads",
            "peer",
            scale={"S4": {"events": 0.2}},
            max_actors=(10_000, 'one OS thread per actor: "can\'t start new thread" first'),
            unavailable=None if _installed("pykka") else "not installed",
        )
    )
    impls.append(
        Impl(
            "thespian",
            "thespian",
            "benchmarks.thespian_impl",
            "threads",
            "peer",
            scale={"S4": {"events": 0.2}},
            unavailable=None if _installed("thespian") else "not installed",
        )
    )
    xoscar_missing = None if _installed("xoscar") else "not installed"
    for loop in loops if xoscar_missing is None else ["asyncio"]:
        suffix = "" if loop == "asyncio" else f"/{loop}"
        impls.append(
            Impl(
                f"xoscar{suffix}",
                "xoscar",
                "benchmarks.xoscar_impl",
                loop,
                "peer",
                scale={"S1": {"n": 0.1}, "S2": {"n": 0.25}, "S4": {"events": 0.02}},
                max_actors=(10_000, "about 20 s a run (create and destroy ~100 us each)"),
                unavailable=xoscar_missing,
            )
        )
    return impls


# Asks in flight: each of the ``in_flight`` asking tasks asks at least this many times, so
# that starting the tasks is a small part of the time.
IN_FLIGHT_ROUNDS = 5


def cases_for(sizes: Sizes) -> list[Case]:
    cases = [
        Case(
            "S1",
            "S1",
            f"tell throughput: one sender, {sizes.tell_messages:,} messages",
            {"n": sizes.tell_messages},
        ),
        Case(
            "S1/inside",
            "S1",
            f"tell throughput: one sender inside a handler, {sizes.tell_messages:,} messages",
            {"n": sizes.tell_messages, "inside": True},
        ),
        Case("S2", "S2", f"ask round trip: {sizes.asks:,} sequential asks", {"n": sizes.asks}),
    ]
    for in_flight in sizes.ask_in_flight:
        asks = max(sizes.asks, IN_FLIGHT_ROUNDS * in_flight)
        cases.append(
            Case(
                f"S2/inflight{in_flight}",
                "S2",
                f"asks in flight: {in_flight:,} at once, {asks:,} asks",
                {"n": asks, "in_flight": in_flight},
            )
        )
    for count in sizes.spawn_counts:
        cases.append(
            Case(f"S3/{count}", "S3", f"spawn and memory: {count:,} idle actors", {"n": count})
        )
    for count in sizes.spawn_counts:
        cases.append(
            Case(
                f"S3/{count}/traced",
                "S3",
                f"memory by tracemalloc: {count:,} idle actors",
                {"n": count, "traced": True},
            )
        )
    cases.append(
        Case(
            "S4",
            "S4",
            f"fan-out: {sizes.subscribers} subscribers x {sizes.events:,} events",
            {"subscribers": sizes.subscribers, "events": sizes.events},
        )
    )
    cases.append(
        Case(
            "S5",
            "S5",
            f"restart: one-for-one, {sizes.failures:,} failures",
            {"failures": sizes.failures},
        )
    )
    cases.append(
        Case(
            "S6",
            "S6",
            f"ledger under chaos: {sizes.chaos_actors} actors, 1% failures,"
            f" {sizes.chaos_seconds:g} s",
            {"seconds": sizes.chaos_seconds, "actors": sizes.chaos_actors},
        )
    )
    return cases


def capped_size(impl: Impl, case: Case) -> dict[str, Any]:
    """The size ``impl`` runs ``case`` at (the case's, or smaller by the impl's scale).

    Raises NotApplicable when the impl does not run the case at all."""
    if "in_flight" in case.size and impl.family == "peer":
        raise NotApplicable("asks in flight are measured against the limit only")
    if "traced" in case.size and impl.family == "peer":
        raise NotApplicable("tracemalloc is read on the runtime and the baselines only")
    if "inside" in case.size and impl.family == "peer":
        raise NotApplicable("tells from a handler are measured against the baselines only")
    size = dict(case.size)
    limit = impl.max_actors
    if case.scenario == "S3" and limit is not None and size["n"] > limit[0]:
        raise NotApplicable(f"{size['n']:,} actors not run: {limit[1]}")
    for name, fraction in impl.scale.get(case.scenario, {}).items():
        size[name] = max(1, round(size[name] * fraction))
    return size


def run_case(impl: Impl, case: Case, size: dict[str, Any]) -> Result:
    """Run one measurement in this process (S3 is run in a child process by the caller)."""
    if impl.unavailable is not None:
        raise NotApplicable(impl.unavailable)
    if case.scenario == "S6" and impl.family != "runtime":
        raise NotApplicable("no supervision tree or dead letters: no ledger to check")
    if case.scenario == "S6" and impl.lean:
        raise NotApplicable("the ledger is checked on the default configuration")
    fn = impl.scenario_fn()
    if impl.family == "runtime":
        return fn(case.scenario, impl.loop, lean=impl.lean, **size)
    return fn(case.scenario, impl.loop, **size)
