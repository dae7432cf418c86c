"""DynamicSupervisor: children from one template, started and stopped at run time."""

from __future__ import annotations

from typing import Any

import pytest

from actors import ActorStartError, ActorSystem
from supervision import (
    ChildSpec,
    DynamicSupervisor,
    OneForAll,
    Restart,
    SupervisionError,
    WhichChildren,
    start_child,
    stop_child,
)

from ._workers import Journal, Worker

pytestmark = pytest.mark.actors(virtual_time=True)


def pool(restart: Restart = Restart.PERMANENT, limit: int | None = None) -> type:
    class Pool(DynamicSupervisor):
        child_spec = ChildSpec("worker", Worker, restart=restart)
        max_children = limit

    return Pool


async def test_children_start_from_the_template_with_arguments(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    sup = await actor_system.spawn(pool(), name="pool")
    first = await start_child(sup, journal, "first")
    second = await start_child(sup, journal, "second", name="named")
    assert first.path == "/pool/worker-1"
    assert second.path == "/pool/named"
    assert journal.starts() == ["first", "second"]
    assert [i.name for i in await sup.ask(WhichChildren())] == ["worker-1", "named"]


async def test_dynamic_children_follow_the_restart_rules(actor_system: ActorSystem) -> None:
    journal = Journal()
    sup = await actor_system.spawn(pool(Restart.TRANSIENT), name="pool")
    ref = await start_child(sup, journal, "t")
    await ref.tell("boom")
    await actor_system.wait_idle()
    assert ref.is_alive
    assert journal.starts() == ["t", "t"]
    await ref.tell("quit")
    await ref.wait_stopped()
    await actor_system.wait_idle()
    assert await sup.ask(WhichChildren()) == ()


async def test_stop_child_stops_for_good(actor_system: ActorSystem) -> None:
    journal = Journal()
    sup = await actor_system.spawn(pool(), name="pool")
    ref = await start_child(sup, journal, "x")
    await stop_child(sup, ref)
    assert not ref.is_alive
    assert journal.stops() == ["x"]
    assert await sup.ask(WhichChildren()) == ()
    with pytest.raises(LookupError, match="no child 'worker-1'"):
        await stop_child(sup, "worker-1")


async def test_max_children_is_enforced(actor_system: ActorSystem) -> None:
    journal = Journal()
    sup = await actor_system.spawn(pool(limit=2), name="pool")
    await start_child(sup, journal, "a")
    await start_child(sup, journal, "b")
    with pytest.raises(SupervisionError, match="max_children=2"):
        await start_child(sup, journal, "c")


async def test_a_child_failing_to_start_raises_and_the_supervisor_lives_on(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    sup = await actor_system.spawn(pool(), name="pool")
    with pytest.raises(ActorStartError) as raised:
        await start_child(sup, journal, "bad", fail_start=lambda: True)
    assert isinstance(raised.value.__cause__, OSError)
    assert sup.is_alive
    assert await sup.ask(WhichChildren()) == ()


async def test_a_duplicate_name_is_refused(actor_system: ActorSystem) -> None:
    journal = Journal()
    sup = await actor_system.spawn(pool(), name="pool")
    await start_child(sup, journal, "a", name="same")
    with pytest.raises(ValueError, match="already has a child named 'same'"):
        await start_child(sup, journal, "b", name="same")


@pytest.mark.parametrize(
    ("attributes", "match"),
    [
        ({"strategy": OneForAll()}, "one for one"),
        ({"max_children": -1}, "max_children"),
        ({"child_spec": "nope"}, "child_spec must be a ChildSpec"),
    ],
)
async def test_invalid_declarations_fail_the_start(
    actor_system: ActorSystem, attributes: dict[str, Any], match: str
) -> None:
    cls = pool()
    for key, value in attributes.items():
        setattr(cls, key, value)
    with pytest.raises(ActorStartError) as raised:
        await actor_system.spawn(cls)
    assert match in str(raised.value.__cause__)
