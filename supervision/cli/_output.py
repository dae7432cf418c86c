"""What ``supervise`` prints: status lines, configuration errors, cause chains, the summary."""

from __future__ import annotations

import sys
from typing import TextIO

from actors import ActorSystem
from supervision.cli._args import PROGRAM
from supervision.config._error import ConfigError

__all__ = ["print_chain", "report", "say", "summary"]


def say(text: str, stream: TextIO | None = None) -> None:
    print(f"{PROGRAM}: {text}", file=stream or sys.stdout, flush=True)


def report(error: ConfigError) -> None:
    print(error, file=sys.stderr)
    for note in getattr(error, "__notes__", ()):
        print(f"note: {note}", file=sys.stderr)


def print_chain(title: str, error: BaseException) -> None:
    say(title, sys.stderr)
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        print(f"  {type(link).__name__}: {link}", file=sys.stderr, flush=True)
        cause = link.__cause__
        if cause is None and not link.__suppress_context__:
            cause = link.__context__
        link = cause


def summary(system: ActorSystem, root: str, elapsed: float) -> None:
    totals = system.statistics()
    letters = totals.dead_letters_by_reason
    reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(letters.items()))
    count = totals.dead_letters
    restarts = totals.restarts
    failures = totals.failed
    say(
        f"stopped {root} after {elapsed:.1f}s: {failures} failure{'s' if failures != 1 else ''},"
        f" {restarts} restart{'s' if restarts != 1 else ''},"
        f" {count} dead letter{'s' if count != 1 else ''}" + (f" ({reasons})" if reasons else "")
    )
