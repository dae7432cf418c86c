"""Run the benchmark suite: every scenario for every implementation, interleaved, in rounds.

    python -m benchmarks.run                 # the full suite, 5 rounds (make bench)
    python -m benchmarks.run --quick         # reduced sizes, 3 rounds (make bench-quick)
    python -m benchmarks.run --only S1,S2 --impl runtime,asyncio,limit --rounds 7 --json out.json
    python -m benchmarks.run --previous out.json  # spawn rate compared with that earlier run

In every round each case (a scenario at one size) runs once for each implementation, the
order of implementations rotating from round to round, so that slow drifts of a shared,
noisy machine hit every implementation alike. Each measurement gets a fresh event loop and
a garbage collection before it. S3 (spawn and memory) runs in a fresh child process per
measurement: a process's resident memory does not shrink back after an earlier scenario, so
only a fresh process gives an honest "RSS delta / N". The report goes to stdout; progress to
stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from benchmarks._common import FULL, QUICK, NotApplicable, configure_logging, settle
from benchmarks._impls import Case, Impl, available_impls, capped_size, cases_for, run_case
from benchmarks.report import Outcome, Results, fmt, render

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
CHILD_TIMEOUT = 600.0
HEADLINE = {
    "S1": "msgs_per_s",
    "S2": "asks_per_s",
    "S3": "bytes_per_actor",
    "S4": "deliveries_per_s",
    "S5": "restart_p50_us",
    "S6": "difference",
}


def _versions() -> dict[str, str]:
    found = {}
    for name in ("actor-supervision", "pykka", "thespian", "xoscar", "uvloop", "structlog"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def measure_in_child(impl: Impl, case: Case, size: dict[str, Any]) -> dict[str, float]:
    """Run one measurement in a fresh interpreter (S3)."""
    command = [
        sys.executable,
        "-m",
        "benchmarks._child",
        impl.key,
        case.scenario,
        json.dumps(size),
    ]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=CHILD_TIMEOUT, check=False
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"child exited {done.returncode}: {tail}")
    answer = json.loads(lines[-1])
    if "not_applicable" in answer:
        raise NotApplicable(answer["not_applicable"])
    result: dict[str, float] = answer["result"]
    return result


def measure(impl: Impl, case: Case, size: dict[str, Any]) -> dict[str, float]:
    if case.scenario == "S3" and impl.unavailable is None:
        return measure_in_child(impl, case, size)
    settle()
    configure_logging(not impl.lean)
    try:
        return run_case(impl, case, size)
    finally:
        configure_logging(True)


def _select(names: str | None, known: list[str], what: str) -> set[str] | None:
    if not names:
        return None
    chosen = {name.strip() for name in names.split(",") if name.strip()}
    unknown = chosen - set(known)
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(sorted(unknown))} (known: {known})")
    return chosen


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="The runtime side by side with raw asyncio, pykka, thespian and xoscar.",
    )
    parser.add_argument("--quick", action="store_true", help="reduced sizes, 3 rounds")
    parser.add_argument("--rounds", type=int, help="rounds (default: 5, or 3 with --quick)")
    parser.add_argument("--only", help="scenarios to run, e.g. S1,S2,S3 (default: all)")
    parser.add_argument(
        "--impl",
        help="implementations to run, by name (runtime, runtime-lean, asyncio, limit, pykka,"
        " thespian, xoscar) or column (runtime/uvloop); default: all",
    )
    parser.add_argument("--json", metavar="FILE", help="also write every figure as JSON")
    parser.add_argument(
        "--previous",
        metavar="FILE",
        type=Path,
        help="the --json FILE of an earlier run: the spawn-rate target compares with it",
    )
    parser.add_argument("--markdown", metavar="FILE", help="also write the report to FILE")
    args = parser.parse_args(argv)
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be >= 1")
    return args


def load_previous(path: Path) -> dict[str, Any]:
    """The JSON document an earlier run wrote with ``--json``; a clear error if it is not."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SystemExit(f"--previous {path}: cannot read a run's JSON: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("cases"), dict):
        raise SystemExit(f"--previous {path}: not a --json file of a run (no 'cases' object)")
    return document


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    previous = None if args.previous is None else load_previous(args.previous)
    sizes = QUICK if args.quick else FULL
    rounds = args.rounds or (3 if args.quick else 5)
    impls = available_impls()
    cases = cases_for(sizes)
    names = sorted({i.base for i in impls} | {i.key for i in impls})
    chosen = _select(args.impl, names, "implementation")
    if chosen is not None:
        impls = [i for i in impls if i.key in chosen or i.base in chosen]
    scenarios = _select(args.only, ["S1", "S2", "S3", "S4", "S5", "S6"], "scenario")
    if scenarios is not None:
        cases = [c for c in cases if c.scenario in scenarios]
    configure_logging(True)
    results = Results(impls, cases, previous=previous)
    started = time.perf_counter()
    for round_index in range(rounds):
        shift = round_index % len(impls)
        order = impls[shift:] + impls[:shift]
        for case in cases:
            for impl in order:
                outcome = results.outcomes.get((case.key, impl.key))
                if outcome is not None and outcome.not_applicable is not None:
                    continue
                try:
                    size = capped_size(impl, case)
                except NotApplicable as reason:
                    results.outcomes[(case.key, impl.key)] = Outcome(
                        case.size, not_applicable=str(reason)
                    )
                    continue
                if outcome is None:
                    outcome = results.outcomes[(case.key, impl.key)] = Outcome(size)
                began = time.perf_counter()
                try:
                    figures = measure(impl, case, size)
                except NotApplicable as reason:
                    outcome.not_applicable = str(reason)
                    figure = f"n/a ({reason})"
                except Exception as error:
                    outcome.not_applicable = f"error: {type(error).__name__}: {error}"
                    figure = outcome.not_applicable
                else:
                    outcome.rounds.append(figures)
                    figure = f"{fmt(figures.get(HEADLINE[case.scenario]))}"
                print(
                    f"[round {round_index + 1}/{rounds}] {case.key:<16} {impl.key:<20}"
                    f" {HEADLINE[case.scenario]}={figure}"
                    f"  ({time.perf_counter() - began:.1f} s)",
                    file=sys.stderr,
                    flush=True,
                )
    elapsed = time.perf_counter() - started
    meta = {
        "command": "python -m benchmarks.run " + " ".join(sys.argv[1:] if argv is None else argv),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": ", ".join(f"{k} {v}" for k, v in _versions().items()),
        "rounds": rounds,
        "elapsed": elapsed,
        "sizes": sizes.__dict__,
        "previous": None if args.previous is None else str(args.previous),
    }
    report = render(results, meta)
    print(report)
    if args.markdown:
        Path(args.markdown).write_text(report, encoding="utf-8")
    if args.json:
        document = {"meta": meta, **results.to_json()}
        Path(args.json).write_text(json.dumps(document, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
