"""The reload property test (issue 19): for random pairs of valid trees, a tree running from
the first and reloaded with the second equals a tree started from the second; the actors the
plan leaves alone are never restarted; and messages sent while the reload runs are all
accounted for (the ledger balances for every actor)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from hypothesis import HealthCheck, given, settings

from actors import ActorRef, ActorSystem, MailboxFull, Pool
from supervision import DynamicSupervisor, Supervisor, TreeSpec, apply_tree, diff_trees, spawn_tree

from ._config_actors import Echo
from ._trees import trees

EXAMPLES = 100
SENT_PER_WORKER = 20


def describe(ref: ActorRef) -> tuple[Any, ...]:
    """What a running actor is, as a file says it: its kind and settings, its mailbox, and
    its children in start order (routees and dynamic children included)."""
    cell = ref._cell
    actor = cell.instance
    mailbox = cell.mailbox
    entry: list[Any] = [ref.path, type(actor).__name__, mailbox.capacity, mailbox.overflow]
    entry.append(cell.shutdown_timeout)
    if isinstance(actor, Supervisor):
        strategy = actor.strategy
        entry += [strategy.name, strategy.max_restarts, strategy.within]
        entry += [(name, r.spec.restart, r.spec.capacity) for name, r in actor._records.items()]
        if isinstance(actor, DynamicSupervisor):
            template = actor.child_spec
            entry += [template.restart, template.capacity, template.overflow, actor.max_children]
    elif isinstance(actor, Pool):
        entry += [actor._size, actor._routing, len(actor.routees)]
    elif isinstance(actor, Echo):
        entry += [actor.greeting, actor.times]
    entry.append(tuple(describe(child.ref) for child in cell.children.values()))
    return tuple(entry)


def unchanged_paths(old: TreeSpec, new: TreeSpec, before: dict[str, Any]) -> set[str]:
    """The paths the plan neither restarts, replaces nor removes, nor any of their ancestors."""
    touched = [
        change.path
        for change in diff_trees(old, new).changes
        if change.action in ("restart", "replace", "remove")
    ]
    return {
        path for path in before if not any(path == t or path.startswith(t + "/") for t in touched)
    }


def workers(system: ActorSystem) -> list[ActorRef]:
    return [ref for ref in system.actors if isinstance(ref._cell.instance, Echo)]


async def reload_under_load(old: TreeSpec, new: TreeSpec) -> None:
    async with ActorSystem("a") as reloaded, ActorSystem("b") as fresh:
        root = await spawn_tree(reloaded, old)
        cells = {ref.path: (ref._cell, ref._cell.incarnation) for ref in reloaded.actors}
        targets = workers(reloaded)
        refused = 0
        for ref in targets:  # queued while the reload runs
            for number in range(SENT_PER_WORKER):
                try:
                    ref.tell_nowait(number)
                except MailboxFull:
                    refused += 1  # refused at the door (reject, block): never accepted

        async def load() -> None:  # and more sent during it, bounded in count
            for number in range(SENT_PER_WORKER):
                for ref in targets:
                    if ref.is_alive:
                        with contextlib.suppress(MailboxFull):
                            ref.tell_nowait(("late", number))
                await asyncio.sleep(0)

        sender = asyncio.ensure_future(load())
        await apply_tree(reloaded, new)
        await sender
        await spawn_tree(fresh, new)
        fresh_root = fresh.lookup(root.path)
        assert fresh_root is not None
        assert describe(root) == describe(fresh_root)
        for path in unchanged_paths(old, new, cells):
            if fresh.lookup(path) is None:
                continue  # a routee beyond a pool's smaller size
            cell, incarnation = cells[path]
            ref = reloaded.lookup(path)
            assert ref is not None, path
            assert ref._cell is cell, f"{path} was replaced"
            assert cell.incarnation == incarnation, f"{path} was restarted"
        # Every message accepted was handled or dead-lettered with a reason.
        for ref in targets:
            if ref.is_alive:
                await ref.ask("sync", timeout=None)  # behind everything it accepted
            else:
                await ref.wait_stopped()
            stats = ref.statistics()
            assert stats.accepted == stats.processed + stats.dead_lettered, ref.path
        reasons = set(reloaded.dead_letters.by_reason)
        assert reasons <= {"stopped", "timeout", "mailbox_full"}, reasons


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(trees(depth=1), trees(depth=1))
def test_a_reloaded_tree_equals_one_started_from_the_new_spec(old: TreeSpec, new: TreeSpec) -> None:
    started = time.monotonic()
    asyncio.run(asyncio.wait_for(reload_under_load(old, new), 30))
    assert time.monotonic() - started < 30
