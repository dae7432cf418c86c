"""What a supervisor adds to tree snapshots (``Supervisor.introspect()``): strategy, budget,
backoff, child specs and its latest decisions, as the live view shows them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from actors import Actor, ActorSystem, snapshot_tree
from actors._system._snapshot import snapshot_actor
from actors.liveview import LiveView
from actors.testing import VirtualTimeLoop
from supervision import (
    Backoff,
    ChildSpec,
    DynamicSupervisor,
    OneForOne,
    Restart,
    Supervisor,
    start_child,
)

pytestmark = pytest.mark.actors(virtual_time=True)


class Fragile(Actor):
    async def receive(self, message: Any) -> Any:
        if message == "boom":
            raise RuntimeError("boom")
        return message


class Shop(Supervisor):
    strategy = OneForOne(max_restarts=1, within=10.0, backoff=Backoff(min=1.0, max=4.0))
    children = (
        ChildSpec("fragile", Fragile),
        ChildSpec("once", Fragile, restart=Restart.TEMPORARY),
    )


class Outer(Supervisor):
    strategy = OneForOne(max_restarts=5, within=10.0)
    children = (ChildSpec("shop", Shop),)


async def test_a_supervisor_reports_its_budget_backoff_and_children(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    shop = await actor_system.spawn(Shop, name="shop")
    details = snapshot_tree(actor_system).find("/shop").details  # type: ignore[union-attr]
    assert details == {
        "kind": "supervisor",
        "strategy": "one_for_one",
        "status": "running",
        "restarts_in_window": 0,
        "max_restarts": 1,
        "within": 10.0,
        "backoff": {"min": 1.0, "max": 4.0},
        "children": [
            {
                "name": "fragile",
                "state": "running",
                "restart": "permanent",
                "path": "/shop/fragile",
            },
            {"name": "once", "state": "running", "restart": "temporary", "path": "/shop/once"},
        ],
        "history": [],
    }
    fragile = actor_system.lookup("/shop/fragile")
    assert fragile is not None
    await fragile.tell("boom")
    await actor_system.wait_idle()  # the restart now waits for its backoff delay
    snapshot = snapshot_tree(actor_system)
    waiting = snapshot.find("/shop/fragile")
    assert waiting is not None
    assert (waiting.state, waiting.failed) == ("backoff", 1)
    alone = snapshot_actor(actor_system, "/shop/fragile")  # what the side panel reads
    assert alone is not None
    assert alone.state == "backoff"
    top = snapshot_actor(actor_system, "/shop")
    assert top is not None
    assert [child.state for child in top.children] == ["backoff", "running"]
    assert all(child.children == () for child in top.children)
    details = snapshot.find("/shop").details  # type: ignore[union-attr]
    assert (details["status"], details["restarts_in_window"]) == ("backoff", 1)
    [decision] = details["history"]
    assert decision["kind"] == "restart"
    assert (decision["child"], decision["error"]) == ("/shop/fragile", "RuntimeError: boom")
    await asyncio.sleep(1.5)  # virtual time: instant
    await actor_system.wait_idle()
    running = snapshot_tree(actor_system).find("/shop/fragile")
    assert running is not None
    assert (running.state, running.incarnation) == ("running", 2)
    # A temporary child that stopped is gone from the tree and from the specs.
    once = actor_system.lookup("/shop/once")
    assert once is not None
    await once.stop()
    await actor_system.wait_idle()
    names = [c["name"] for c in snapshot_tree(actor_system).find("/shop").details["children"]]  # type: ignore[union-attr]
    assert names == ["fragile"]
    assert shop.is_alive


async def test_escalations_and_giving_up_reach_the_live_views_timeline(
    actor_system: ActorSystem, virtual_time: VirtualTimeLoop
) -> None:
    await actor_system.spawn(Outer, name="outer")
    view = LiveView(actor_system)
    try:
        for _ in range(2):  # one more failure than the budget of 1
            fragile = actor_system.lookup("/outer/shop/fragile")
            assert fragile is not None
            await fragile.tell("boom")
            await actor_system.wait_idle()
            view.hub.snapshot()
            await asyncio.sleep(5.0)  # virtual time: instant
            await actor_system.wait_idle()
            view.hub.snapshot()
        events = view.timeline.recent()
        kinds = [(event["kind"], event["actor"]) for event in events]
        assert kinds == [
            ("failure", "/outer/shop/fragile"),
            ("restart", "/outer/shop/fragile"),
            ("failure", "/outer/shop/fragile"),
            ("escalation", "/outer/shop"),
            ("restart", "/outer/shop"),
        ]
        for event in events[-2:]:
            assert event["supervisor"] == "/outer"
            assert event["error"].startswith("RestartIntensityExceeded: gave up")
    finally:
        view.close()


class Sessions(DynamicSupervisor):
    child_spec = ChildSpec("session", Fragile, restart=Restart.TEMPORARY)
    max_children = 3


async def test_a_dynamic_supervisor_reports_its_limit_and_children(
    actor_system: ActorSystem,
) -> None:
    sessions = await actor_system.spawn(Sessions, name="sessions")
    await start_child(sessions)
    details = snapshot_tree(actor_system).find("/sessions").details  # type: ignore[union-attr]
    assert details["kind"] == "dynamic_supervisor"
    assert details["max_children"] == 3
    assert [child["name"] for child in details["children"]] == ["session-1"]
