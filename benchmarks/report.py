"""The results of a run: medians with min-max, ratios, the issue's targets, JSON.

Every ratio is a ratio of medians measured in the same run, ``this / reference``: above 1 is
better for a rate (messages per second), below 1 is better for a time or a size. Every
column is compared with both baselines, raw asyncio (``asyncio.Queue``) and the limit (the
minimal pure-Python actor of ``benchmarks/limit.py``), and with each peer, on the same
event loop.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from benchmarks._impls import Case, Impl

__all__ = ["METRICS", "Outcome", "Results", "Target", "evaluate_targets", "render"]


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    higher_is_better: bool


METRICS: dict[str, list[Metric]] = {
    "S1": [Metric("msgs_per_s", "msgs/s", True)],
    "S2": [
        Metric("asks_per_s", "asks/s", True),
        Metric("p50_us", "p50 us", False),
        Metric("p99_us", "p99 us", False),
    ],
    "S3": [
        Metric("bytes_per_actor", "bytes/actor", False),
        Metric("spawn_s", "spawn s", False),
        Metric("stop_s", "stop s", False),
    ],
    "S4": [Metric("deliveries_per_s", "deliveries/s", True)],
    "S5": [
        Metric("restart_p50_us", "restart p50 us", False),
        Metric("restart_p99_us", "restart p99 us", False),
        Metric("msgs_per_s", "msgs/s", True),
    ],
    "S6": [
        Metric("processed_per_s", "processed/s", True),
        Metric("accepted", "accepted", True),
        Metric("processed", "processed", True),
        Metric("dead_lettered", "dead-lettered", False),
        Metric("difference", "difference", False),
    ],
}

# The metrics whose ratios the tables show (one group of ratio columns each).
RATIO_METRICS: dict[str, list[str]] = {
    "S1": ["msgs_per_s"],
    "S2": ["asks_per_s"],
    "S3": ["bytes_per_actor", "spawn_s"],
    "S4": ["deliveries_per_s"],
    "S5": ["restart_p50_us"],
    "S6": [],
}

REFERENCES = ("asyncio", "limit", "pykka", "thespian", "xoscar")


@dataclass
class Outcome:
    """Every round's figures of one implementation on one case (or why there are none)."""

    size: dict[str, Any]
    rounds: list[dict[str, float]] = field(default_factory=list)
    not_applicable: str | None = None

    def median(self, metric: str) -> float | None:
        values = [r[metric] for r in self.rounds if metric in r]
        return statistics.median(values) if values else None

    def span(self, metric: str) -> tuple[float, float] | None:
        values = [r[metric] for r in self.rounds if metric in r]
        return (min(values), max(values)) if values else None


@dataclass
class Results:
    impls: list[Impl]
    cases: list[Case]
    outcomes: dict[tuple[str, str], Outcome] = field(default_factory=dict)
    # The JSON document of an earlier run (``--previous``), for the targets that compare
    # with it; None when not given.
    previous: dict[str, Any] | None = None

    def get(self, case: str, impl: str) -> Outcome | None:
        return self.outcomes.get((case, impl))

    def reference(self, case: Case, impl: Impl, base: str) -> Impl | None:
        """The column ``impl`` is compared with for ``base``: the same event loop for the
        asyncio-based ones, else the plain-asyncio column."""
        if impl.base == base:
            return None
        loop = impl.loop if impl.loop in ("asyncio", "uvloop") else "asyncio"
        candidates = [i for i in self.impls if i.base == base]
        for candidate in candidates:
            if candidate.loop in (loop, "threads"):
                return candidate
        return candidates[0] if candidates else None

    def ratio(self, case: Case, impl: Impl, base: str, metric: str) -> float | None:
        reference = self.reference(case, impl, base)
        if reference is None:
            return None
        mine = self.get(case.key, impl.key)
        theirs = self.get(case.key, reference.key)
        if mine is None or theirs is None:
            return None
        a, b = mine.median(metric), theirs.median(metric)
        if a is None or b is None or b == 0:
            return None
        return a / b

    def to_json(self) -> dict[str, Any]:
        cases: dict[str, Any] = {}
        for case in self.cases:
            entry: dict[str, Any] = {"title": case.title, "size": case.size, "impls": {}}
            for impl in self.impls:
                outcome = self.get(case.key, impl.key)
                if outcome is None:
                    continue
                metrics = [m.name for m in METRICS[case.scenario]]
                entry["impls"][impl.key] = {
                    "size": outcome.size,
                    "not_applicable": outcome.not_applicable,
                    "rounds": outcome.rounds,
                    "median": {m: outcome.median(m) for m in metrics},
                    "min": {m: (s[0] if (s := outcome.span(m)) else None) for m in metrics},
                    "max": {m: (s[1] if (s := outcome.span(m)) else None) for m in metrics},
                    "ratios": {
                        m: {
                            base: self.ratio(case, impl, base, m)
                            for base in REFERENCES
                            if self.reference(case, impl, base) is not None
                        }
                        for m in RATIO_METRICS[case.scenario]
                    },
                }
            cases[case.key] = entry
        return {"cases": cases, "targets": [t.__dict__ for t in evaluate_targets(self)]}


# --------------------------------------------------------------------------- formatting


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude == 0:
        return "0"
    return f"{value:.3g}"


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 10:
        return f"{value:.1f}x"
    return f"{value:.2f}x"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    return lines


def _size_note(case: Case, outcome: Outcome) -> str | None:
    if outcome.size == case.size:
        return None
    return ", ".join(
        f"{name}={value:,}" for name, value in outcome.size.items() if case.size[name] != value
    )


def render_case(results: Results, case: Case) -> list[str]:
    metrics = METRICS[case.scenario]
    ratio_metrics = RATIO_METRICS[case.scenario]
    labels = {m.name: m for m in metrics}
    header = ["implementation"]
    header += [f"{m.label} {'(more)' if m.higher_is_better else '(less)'}" for m in metrics]
    for name in ratio_metrics:
        short = labels[name].label
        header += [f"{short} x {base}" for base in REFERENCES]
    rows: list[list[str]] = []
    notes: list[str] = []
    for impl in results.impls:
        outcome = results.get(case.key, impl.key)
        if outcome is None:
            continue
        label = impl.key
        note = _size_note(case, outcome)
        if note is not None:
            label += " *"
            notes.append(f"* {impl.key}: measured at {note} (a reduced size: slow implementation)")
        if outcome.not_applicable is not None or not outcome.rounds:
            reason = outcome.not_applicable or "no result"
            cells = [f"n/a ({reason})"] + [""] * (len(header) - 2)
            rows.append([label, *cells])
            continue
        row = [label]
        for metric in metrics:
            median = outcome.median(metric.name)
            span = outcome.span(metric.name)
            if span is None:
                row.append("-")
            else:
                row.append(f"{fmt(median)} ({fmt(span[0])}-{fmt(span[1])})")
        for name in ratio_metrics:
            for base in REFERENCES:
                row.append(fmt_ratio(results.ratio(case, impl, base, name)))
        rows.append(row)
    lines = [f"### {case.key}: {case.title}", ""]
    lines += _table(header, rows)
    if notes:
        lines += ["", *notes]
    return lines


@dataclass
class Target:
    name: str
    column: str
    figure: str
    status: str  # "met", "MISSED", "n/a"


def _status(ok: bool | None) -> str:
    if ok is None:
        return "n/a"
    return "met" if ok else "MISSED"


# The thresholds of the targets (issue 13's, and the earlier ones it does not replace).
S1_FLOOR = 1.0  # x asyncio
S1_STRETCH = 1.3  # x asyncio
S2_FLOOR = 1.0  # x asyncio, sequential asks
IN_FLIGHT_FLOOR = 0.85  # x limit, asks in flight
S4_FLOOR = 0.5  # x asyncio
BYTES_PER_ACTOR_CEILING = 2_000.0  # bytes, an idle actor
SPAWN_TIME_CEILING = 1.5  # x asyncio
RESTART_CEILING_US = 60.0  # median restart
OBSERVABILITY_CEILING = 0.05  # S1 throughput lost to metrics and logging


def previous_spawn_rate(previous: dict[str, Any], case_key: str, impl_key: str) -> float | None:
    """Actors spawned per second by ``impl_key`` on ``case_key`` in an earlier run's JSON
    document, or None if that run has no such figure."""
    entry = previous.get("cases", {}).get(case_key, {}).get("impls", {}).get(impl_key)
    if not entry:
        return None
    spawn_s = (entry.get("median") or {}).get("spawn_s")
    count = (entry.get("size") or {}).get("n")
    if not spawn_s or not count:
        return None
    return float(count) / float(spawn_s)


def evaluate_targets(results: Results) -> list[Target]:
    """The issue's targets, for each runtime column (default configuration)."""
    targets: list[Target] = []
    by_key = {case.key: case for case in results.cases}
    for impl in results.impls:
        if impl.base != "runtime":
            continue

        def ratio(case_key: str, base: str, metric: str, impl: Impl = impl) -> float | None:
            case = by_key.get(case_key)
            return None if case is None else results.ratio(case, impl, base, metric)

        def ahead(case_key: str, metric: str, higher: bool, impl: Impl = impl) -> str:
            parts = []
            ok: bool | None = None  # n/a until one peer has a figure
            for peer in ("pykka", "thespian", "xoscar"):
                value = ratio(case_key, peer, metric, impl)
                if value is None:
                    parts.append(f"{peer} n/a")
                    continue
                parts.append(f"{peer} {fmt_ratio(value)}")
                behind = (value <= 1) if higher else (value >= 1)
                ok = not behind and ok is not False
            return f"{'; '.join(parts)}|{_status(ok)}"

        def add(name: str, figure: str, ok: bool | None, impl: Impl = impl) -> None:
            targets.append(Target(name, impl.key, figure, _status(ok)))

        def add_ahead(name: str, combined: str, impl: Impl = impl) -> None:
            figure, status = combined.rsplit("|", 1)
            targets.append(Target(name, impl.key, figure, status))

        def add_floor(name: str, value: float | None, floor: float) -> None:
            add(name, fmt_ratio(value), None if value is None else value >= floor)

        for case in results.cases:
            if case.scenario == "S1":
                s1 = ratio(case.key, "asyncio", "msgs_per_s")
                add_floor(f"{case.key} tell >= {S1_FLOOR:.1f}x asyncio", s1, S1_FLOOR)
                stretch = f"{case.key} tell >= {S1_STRETCH:.1f}x asyncio (stretch)"
                add_floor(stretch, s1, S1_STRETCH)
        add_ahead("S1 ahead of every peer", ahead("S1", "msgs_per_s", True))
        s2 = ratio("S2", "asyncio", "asks_per_s")
        add_floor(f"S2 sequential ask >= {S2_FLOOR:.1f}x asyncio", s2, S2_FLOOR)
        add_ahead("S2 ahead of every peer", ahead("S2", "asks_per_s", True))
        for case in results.cases:
            if case.scenario == "S2" and "in_flight" in case.size:
                value = ratio(case.key, "limit", "asks_per_s")
                add_floor(f"{case.key} asks >= {IN_FLIGHT_FLOOR}x limit", value, IN_FLIGHT_FLOOR)
        s4 = ratio("S4", "asyncio", "deliveries_per_s")
        add_floor(f"S4 fan-out >= {S4_FLOOR}x asyncio", s4, S4_FLOOR)
        add_ahead("S4 ahead of every peer", ahead("S4", "deliveries_per_s", True))
        for case in results.cases:
            if case.scenario != "S3":
                continue
            outcome = results.get(case.key, impl.key)
            per_actor = None if outcome is None else outcome.median("bytes_per_actor")
            add(
                f"{case.key} memory/actor <= {BYTES_PER_ACTOR_CEILING:,.0f} B",
                f"{fmt(per_actor)} B",
                None if per_actor is None else per_actor <= BYTES_PER_ACTOR_CEILING,
            )
            if "traced" in case.size:
                continue  # spawning is slowed down by tracing: no spawn figures
            spawn = ratio(case.key, "asyncio", "spawn_s")
            add(
                f"{case.key} spawn time <= {SPAWN_TIME_CEILING}x asyncio",
                fmt_ratio(spawn),
                None if spawn is None else spawn <= SPAWN_TIME_CEILING,
            )
            spawn_s = None if outcome is None else outcome.median("spawn_s")
            rate = None if not spawn_s or outcome is None else outcome.size["n"] / spawn_s
            name = f"{case.key} spawn rate >= the previous run's"
            if results.previous is None:
                add(name, "n/a (no previous run: --previous FILE)", None)
                continue
            before = previous_spawn_rate(results.previous, case.key, impl.key)
            if rate is None or before is None:
                which = "this run" if rate is None else "the previous run"
                add(name, f"n/a (no figure in {which})", None)
                continue
            add(name, f"{fmt(rate)}/s against {fmt(before)}/s", rate >= before)
        s5 = results.get("S5", impl.key)
        restart = None if s5 is None else s5.median("restart_p50_us")
        add(
            f"S5 median restart <= {RESTART_CEILING_US:.0f} us",
            f"{fmt(restart)} us",
            None if restart is None else restart <= RESTART_CEILING_US,
        )
        add_ahead("S5 ahead of every peer", ahead("S5", "restart_p50_us", False))
        if not impl.lean:
            lean = next(
                (i for i in results.impls if i.base == "runtime-lean" and i.loop == impl.loop),
                None,
            )
            s1_case = by_key.get("S1")
            name = f"metrics+logging cost S1 <= {OBSERVABILITY_CEILING:.0%}"
            if lean is not None and s1_case is not None:
                mine = results.get("S1", impl.key)
                theirs = results.get("S1", lean.key)
                a = None if mine is None else mine.median("msgs_per_s")
                b = None if theirs is None else theirs.median("msgs_per_s")
                if a is not None and b is not None:
                    cost = 1 - a / b
                    add(name, f"{cost * 100:.1f}%", cost <= OBSERVABILITY_CEILING)
                else:
                    reason = theirs.not_applicable if theirs is not None else None
                    add(name, f"n/a ({reason or 'no figure'})", None)
            s6 = results.get("S6", impl.key)
            if s6 is not None and s6.rounds:
                worst = max(abs(r["difference"]) for r in s6.rounds)
                add("S6 ledger difference == 0 (every round)", f"{worst:g}", worst == 0)
    return targets


def render(results: Results, meta: dict[str, Any]) -> str:
    lines = [
        "## Benchmark results",
        "",
        f"- command: `{meta['command']}`",
        f"- machine: {meta['cores']} cores, {meta['platform']}, Python {meta['python']}",
        f"- versions: {meta['versions']}",
        f"- rounds: {meta['rounds']} (implementations interleaved in every round);"
        f" elapsed {meta['elapsed']:.0f} s",
        "- cells: median (min-max) over the rounds; ratios: median / the reference's median,"
        " on the same event loop (asyncio or uvloop); `x asyncio` is against raw"
        " asyncio.Queue, `x limit` against the minimal pure-Python actor"
        " (benchmarks/limit.py)",
    ]
    if meta.get("previous"):
        lines.append(f"- previous run (for the spawn-rate target): `{meta['previous']}`")
    lines.append("")
    for case in results.cases:
        lines += render_case(results, case)
        lines.append("")
    lines += ["### Targets", ""]
    rows = [[t.name, t.column, t.figure, t.status] for t in evaluate_targets(results)]
    lines += _table(["target", "column", "figure", "status"], rows)
    lines.append("")
    return "\n".join(lines)
