"""Static warnings about a valid tree: legal, but probably not what was meant.

Pure functions of a ``TreeSpec`` (the only side effect: an actor class is imported again, to
know whether it is a supervisor). ``supervise check`` prints them; they never stop a tree.

- **Restart budget up the tree.** A child that keeps failing is restarted ``max_restarts``
  times by its supervisor, which then gives up and is restarted by *its* supervisor, with a
  fresh budget for the child, and so on: up to the product of ``max_restarts + 1`` along
  the path before the root gives up. Past ``BUDGET_LIMIT`` that is a crash loop, not a cure.
- **A supervisor child with a finite shutdown.** A supervisor's own children's shutdown times
  already bound how long it takes to stop; a finite ``shutdown`` on the supervisor cuts them
  short (OTP recommends ``infinity``).
- **A window too short for its budget.** With a backoff, ``max_restarts + 1`` restarts take
  at least the sum of the shortest backoff delays; a ``within`` shorter than that can never
  hold them all, so the supervisor never gives up. Without backoff, a ``within`` that leaves
  less than ``MIN_RESTART_TIME`` per restart only catches a crash loop faster than that.
"""

from __future__ import annotations

import math

from supervision._backoff import Backoff
from supervision._supervisor import Supervisor
from supervision.config._error import ConfigProblem
from supervision.config._resolve import Unusable, resolve_actor
from supervision.config._spec import (
    BackoffSpec,
    ChildNode,
    DynamicSupervisorSpec,
    PoolSpec,
    SupervisorSpec,
    TreeSpec,
    WorkerSpec,
)

__all__ = ["BUDGET_LIMIT", "MIN_RESTART_TIME", "tree_warnings"]

BUDGET_LIMIT = 1000
"""Restarts of one failing child, multiplied up the tree, past which ``check`` warns."""

MIN_RESTART_TIME = 0.01
"""Seconds per restart that a restart window should at least leave (10 ms)."""


def tree_warnings(spec: TreeSpec) -> tuple[ConfigProblem, ...]:
    """The static warnings about ``spec``, in tree order (see the module docstring).

    Each is a ``ConfigProblem`` (location, what was expected, what was found, a hint).
    Never raises for a spec that ``load_tree`` returned.
    """
    warnings: list[ConfigProblem] = []
    _walk(spec.tree, "$.tree", 1, (), warnings)
    return tuple(warnings)


def _walk(
    node: ChildNode,
    location: str,
    budget: int,
    factors: tuple[str, ...],
    warnings: list[ConfigProblem],
) -> None:
    if isinstance(node, SupervisorSpec | DynamicSupervisorSpec):
        budget, factors = _budget(node.max_restarts, location, budget, factors, warnings)
        _window(node.max_restarts, node.within, node.backoff, location, warnings)
    elif isinstance(node, PoolSpec):
        options = node.pool
        where = f"{location}.pool"
        budget, factors = _budget(options.max_restarts, where, budget, factors, warnings)
        _window(options.max_restarts, options.within, None, where, warnings)
    finite = isinstance(node.shutdown, int | float)
    if finite and location != "$.tree" and _is_supervisor(node):
        warnings.append(
            ConfigProblem(
                f"{location}.shutdown",
                '"infinity" for a supervisor (its children\'s shutdown times bound it)',
                repr(node.shutdown),
                "its children may be killed before their own shutdown times are up",
            )
        )
    if isinstance(node, SupervisorSpec):
        for index, child in enumerate(node.children):
            _walk(child, f"{location}.children[{index}]", budget, factors, warnings)


def _budget(
    max_restarts: int,
    location: str,
    budget: int,
    factors: tuple[str, ...],
    warnings: list[ConfigProblem],
) -> tuple[int, tuple[str, ...]]:
    total = budget * (max_restarts + 1)
    factors = (*factors, str(max_restarts + 1))
    if total > BUDGET_LIMIT >= budget:
        warnings.append(
            ConfigProblem(
                f"{location}.max_restarts",
                f"a restart budget up the tree of at most {BUDGET_LIMIT} restarts",
                f"{total} ({' x '.join(factors)}: max_restarts + 1 for each supervisor"
                " from the root)",
                "a child failing below here is restarted that often before the root gives up",
            )
        )
    return total, factors


def _window(
    max_restarts: int,
    within: float,
    backoff: BackoffSpec | None,
    location: str,
    warnings: list[ConfigProblem],
) -> None:
    if max_restarts == 0:
        return
    if backoff is not None:
        schedule = Backoff(
            min=backoff.min, max=backoff.max, factor=backoff.factor, jitter=backoff.jitter
        )
        shortest = sum(
            schedule.base_delay(attempt) * (1 - backoff.jitter) for attempt in range(max_restarts)
        )
        if shortest > within and math.isfinite(shortest):
            warnings.append(
                ConfigProblem(
                    f"{location}.within",
                    f"a window of at least {shortest:.3g}s, the shortest time the backoff"
                    f" allows for {max_restarts + 1} restarts",
                    f"{within!r}",
                    "the restarts never all fit in the window: the supervisor never gives up",
                )
            )
        return
    if within / max_restarts < MIN_RESTART_TIME:
        each = within / max_restarts * 1000
        warnings.append(
            ConfigProblem(
                f"{location}.within",
                f"at least {max_restarts * MIN_RESTART_TIME:.3g}s for {max_restarts} restarts"
                f" ({MIN_RESTART_TIME * 1000:g} ms each)",
                f"{within!r}",
                f"a crash loop whose restarts take longer than {each:.3g} ms each never"
                " exceeds the budget, so it is restarted forever",
            )
        )


def _is_supervisor(node: ChildNode) -> bool:
    if isinstance(node, SupervisorSpec | DynamicSupervisorSpec):
        return True
    if isinstance(node, WorkerSpec):
        try:
            return issubclass(resolve_actor(node.actor), Supervisor)
        except Unusable:
            return False
    return False
