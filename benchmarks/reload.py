"""The pause for unchanged actors while a 1,000-actor tree reloads (issue 19).

    python -m benchmarks.reload                 # 10 supervisors x 100 workers, 5 reloads
    python -m benchmarks.reload --supervisors 20 --workers 50 --reloads 10

A root holds ``--supervisors`` supervisors of ``--workers`` workers each. While a reload
adds a child to every supervisor, grows one worker's mailbox per supervisor and restarts one
worker per supervisor (new arguments), a prober asks an unchanged worker in a loop, one ask
at a time. Reported: the reload's duration, and the ask round trips to the unchanged worker
during the reloads against the same number of asks with no reload (median, p99, max): the
pause an unchanged actor sees is the difference. Logging is off (level ``critical``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
from collections.abc import Sequence
from typing import Any

from actors import Actor
from supervision import TreeSpec, apply_tree, create_system, spawn_tree
from supervision.config._tree import parse_tree


class Worker(Actor):
    def __init__(self, tag: str = "a") -> None:
        self.tag = tag

    def receive(self, message: Any) -> Any:
        return message


def tree(supervisors: int, workers: int, version: int) -> TreeSpec:
    actor = f"{__name__}:Worker" if __name__ != "__main__" else "benchmarks.reload:Worker"
    lines = ['[tree]\nname = "root"\n']
    for s in range(supervisors):
        lines.append(f'[[tree.children]]\nname = "s{s}"\nkind = "supervisor"\n')
        for w in range(workers):
            extra = ""
            if version % 2 and w == 1:
                extra = "mailbox = { capacity = 2000 }\n"
            if version % 2 and w == 2:
                extra = 'args = { tag = "b" }\n'
            lines.append(f'[[tree.children.children]]\nname = "w{w}"\nactor = "{actor}"\n{extra}')
        if version % 2:
            lines.append(f'[[tree.children.children]]\nname = "new"\nactor = "{actor}"\n')
    return parse_tree("".join(lines), "toml")


def _summary(samples: list[float], what: str = "asks") -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"median {statistics.median(ordered) * 1e6:.0f} us, p99 {p99 * 1e6:.0f} us,"
        f" max {ordered[-1] * 1e3:.2f} ms ({len(ordered)} {what})"
    )


async def measure(supervisors: int, workers: int, reloads: int) -> None:
    specs = [tree(supervisors, workers, version) for version in range(2)]
    async with create_system(specs[0]) as system:
        await spawn_tree(system, specs[0])
        print(f"{len(system.actors)} actors")
        target = system.lookup("/root/s0/w0")  # never changed
        assert target is not None
        incarnation = target._cell.incarnation
        during: list[float] = []
        reloading = True

        async def probe(into: list[float], limit: int | None) -> None:
            while reloading if limit is None else len(into) < limit:
                started = time.perf_counter()
                await target.ask("ping")
                into.append(time.perf_counter() - started)

        durations = []
        for number in range(reloads):
            reloading = True
            prober = asyncio.ensure_future(probe(during, None))
            started = time.perf_counter()
            await apply_tree(system, specs[(number + 1) % 2])
            durations.append(time.perf_counter() - started)
            reloading = False
            await prober
        quiet: list[float] = []
        await probe(quiet, max(len(during), 100))
        assert target._cell.incarnation == incarnation, "an unchanged actor restarted"
        print(f"reload:          {_summary(durations, 'reloads')}")
        print(f"during a reload: {_summary(during)}")
        print(f"no reload:       {_summary(quiet)}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--supervisors", type=int, default=10)
    parser.add_argument("--workers", type=int, default=100)
    parser.add_argument("--reloads", type=int, default=5)
    options = parser.parse_args(argv)
    logging.getLogger().setLevel(logging.CRITICAL)
    from actors.logging import configure

    configure("console", "critical")
    asyncio.run(measure(options.supervisors, options.workers, options.reloads))


if __name__ == "__main__":
    main()
