"""Random supervision trees against a reference model, checked after every step.

Hypothesis draws a tree (a root supervisor, nested supervisors down to depth 3, every
strategy, every restart type, random restart intensities, no backoff) and a list of steps
(crash a live worker, make a live worker stop itself normally, kill a live worker with
``ActorRef.kill``, ``terminate_child`` a live worker, ``restart_child`` a stopped one, advance
virtual time). One
``run_virtual`` call per example plays the steps on a live ``ActorSystem`` and, after every
step, compares the live tree with a reference model: which actors are alive, the
incarnation of each (how many times its ``on_start`` ran), each supervisor's children in
start order, and how many restarts each supervisor's intensity window holds.

The model is written here from OTP's rules (``supervisor.erl``), independently of
``plan_restart`` and ``RestartIntensity``:

- ``PERMANENT`` is always restarted, ``TRANSIENT`` only after a crash or a kill (OTP's
  ``killed`` is abnormal), ``TEMPORARY`` never; a child that is not restarted is left alone
  and nothing else happens: a ``TEMPORARY`` child is forgotten, a ``TRANSIENT`` one keeps its
  spec, not running (OTP's ``del_child``).
- ``one_for_one`` restarts the child, ``one_for_all`` every child, ``rest_for_one`` the
  child and the ones started after it; a ``TEMPORARY`` bystander is stopped and forgotten;
  every kept spec of the group is started, the not-running ones too (OTP's
  ``restart_multiple_children``). Children keep their start order.
- ``terminate_child`` stops a child and keeps its spec, not running (a ``TEMPORARY`` one is
  forgotten); ``restart_child`` starts a stopped child again. Neither is a restart: the
  restart log is not touched.
- A (group) restart counts once in the supervisor's restart log. It gives up when, counting
  this restart, more than ``max_restarts`` restarts were at times ``s`` with
  ``now - within <= s <= now``: its children stop and it fails, which its parent handles as
  a crash of that child. A restarted supervisor is a fresh instance: all its children start
  again and its restart log is empty. The root giving up shuts the system down, and
  ``wait_closed`` raises ``RestartIntensityExceeded``.

Virtual time advances in multiples of 0.5 s and windows are multiples of 0.5 s, so the
window boundaries are hit exactly (in binary floating point, too).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from actors import Actor, ActorRef, ActorSystem
from actors._core import _log
from actors.testing import VirtualTimeLoop, run_virtual
from supervision import (
    ChildSpec,
    OneForAll,
    OneForOne,
    Restart,
    RestartIntensityExceeded,
    RestForOne,
    Strategy,
    Supervisor,
    WhichChildren,
    restart_child,
    terminate_child,
)

from ._workers import Journal, worker

MAX_DEPTH = 3  # supervisor levels: the root is level 1
STRATEGIES: dict[str, type[Strategy]] = {
    "one_for_one": OneForOne,
    "one_for_all": OneForAll,
    "rest_for_one": RestForOne,
}
WINDOWS = (1.0, 2.0, 2.5, 5.0, 10.0)

# ----------------------------------------------------------------------------- trees


@dataclasses.dataclass(frozen=True)
class Tree:
    """A drawn node: a worker when ``children`` is None, else a supervisor."""

    name: str
    restart: Restart = Restart.PERMANENT
    children: tuple[Tree, ...] | None = None
    strategy: str = "one_for_one"
    max_restarts: int = 3
    within: float = 5.0


def _draw_supervisor(draw: st.DrawFn, name: str, restart: Restart, level: int) -> Tree:
    count = draw(st.integers(1, 4 if level == 1 else 3))
    children = []
    for index in range(count):
        child_restart = draw(st.sampled_from(list(Restart)))
        if level < MAX_DEPTH and draw(st.booleans()):
            children.append(_draw_supervisor(draw, f"s{index}", child_restart, level + 1))
        else:
            children.append(Tree(f"w{index}", child_restart))
    return Tree(
        name,
        restart,
        tuple(children),
        strategy=draw(st.sampled_from(sorted(STRATEGIES))),
        max_restarts=draw(st.integers(0, 3)),
        within=draw(st.sampled_from(WINDOWS)),
    )


@st.composite
def trees(draw: st.DrawFn) -> Tree:
    return _draw_supervisor(draw, "root", Restart.PERMANENT, 1)


Step = tuple[str, int]
"""("crash", k) / ("exit", k) / ("kill", k) / ("terminate", k): the k-th live worker in tree
order (modulo their number) raises / stops itself normally / is killed / is stopped by
``terminate_child``; ("restart", k): the k-th stopped worker is started by ``restart_child``;
("advance", k): virtual time moves k / 2 seconds."""

KINDS = ["advance", "crash", "exit", "kill", "terminate", "restart"]
step = st.tuples(st.sampled_from(KINDS), st.integers(0, 40)).map(
    lambda step: ("advance", step[1] % 20 + 1) if step[0] == "advance" else step
)


@st.composite
def steps(draw: st.DrawFn) -> list[Step]:
    count = draw(st.integers(0, 25))  # a uniform length, not Hypothesis' short lists
    return draw(st.lists(step, min_size=count, max_size=count))


# ----------------------------------------------------------------------------- live actors

Starts = dict[str, int]
"""Path -> how many times an ``on_start`` ran at that path (the live side's incarnations)."""


def _record_start(starts: Starts, path: str) -> int:
    starts[path] = starts.get(path, 0) + 1
    return starts[path]


class ModelWorker(Actor):
    """Raises on "crash", stops itself normally on "exit", answers "incarnation"."""

    def __init__(self, starts: Starts) -> None:
        self.starts = starts
        self.incarnation = 0

    async def on_start(self) -> None:
        self.incarnation = _record_start(self.starts, self.context.path)

    async def receive(self, message: Any) -> Any:
        match message:
            case "crash":
                raise RuntimeError(f"{self.context.path} crashed")
            case "exit":
                self.context.stop()
            case "incarnation":
                return self.incarnation
        return None


class ModelSupervisor(Supervisor):
    """A supervisor that records its incarnations and answers "incarnation" and
    "restarts_in_window"."""

    def __init__(self, starts: Starts) -> None:
        self.starts = starts
        self.incarnation = 0

    async def on_start(self) -> None:
        self.incarnation = _record_start(self.starts, self.context.path)
        await super().on_start()

    async def handle(self, message: Any) -> Any:
        match message:
            case "incarnation":
                return self.incarnation
            case "restarts_in_window":
                return self.restarts_in_window()
        return await super().handle(message)


def factory(tree: Tree, starts: Starts) -> Callable[[], Actor]:
    if tree.children is None:
        return functools.partial(ModelWorker, starts)

    class Sup(ModelSupervisor):
        pass

    Sup.strategy = STRATEGIES[tree.strategy](max_restarts=tree.max_restarts, within=tree.within)
    Sup.children = [
        ChildSpec(child.name, factory(child, starts), restart=child.restart)
        for child in tree.children
    ]
    return functools.partial(Sup, starts)


# ----------------------------------------------------------------------------- the model


class Node:
    """The model's record of one live actor."""

    def __init__(self, tree: Tree, path: str) -> None:
        self.tree = tree
        self.path = path
        self.children: list[Node] = []  # kept children (live or stopped), in start order
        self.running = True  # False: a stopped child whose spec its supervisor keeps
        self.restart_log: list[float] = []  # times of this instance's restarts

    @property
    def is_supervisor(self) -> bool:
        return self.tree.children is not None

    def restarts_in_window(self, now: float) -> int:
        return sum(1 for stamp in self.restart_log if now - self.tree.within <= stamp <= now)


class Model:
    """What OTP says the live tree is."""

    def __init__(self, tree: Tree) -> None:
        self.starts: Starts = {}
        self.root: Node | None = self._start(tree, f"/{tree.name}")
        self.restarts = 0  # restarts decided (a group restart counts once)
        self.gave_up: list[str] = []

    def _start(self, tree: Tree, path: str) -> Node:
        """A fresh instance: for a supervisor, all its children start too, in order."""
        _record_start(self.starts, path)
        node = Node(tree, path)
        for child in tree.children or ():
            node.children.append(self._start(child, f"{path}/{child.name}"))
        return node

    def nodes(self) -> Iterator[Node]:
        """The live nodes, in tree order."""
        stack = [] if self.root is None else [self.root]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(child for child in reversed(node.children) if child.running)

    def workers(self) -> list[Node]:
        return [node for node in self.nodes() if not node.is_supervisor]

    def stopped_workers(self) -> list[Node]:
        """Kept, not running workers, in tree order."""
        return [
            child
            for node in self.nodes()
            for child in node.children
            if not child.running and not child.is_supervisor
        ]

    def parent(self, child: Node) -> Node:
        return self._parent(child)

    def terminate(self, child: Node) -> None:
        """``terminate_child``: stopped for good, its spec kept unless TEMPORARY."""
        parent = self._parent(child)
        if child.tree.restart is Restart.TEMPORARY:
            parent.children.remove(child)
        else:
            child.running = False

    def restart(self, child: Node) -> None:
        """``restart_child`` of a stopped child: a fresh instance in the same place."""
        parent = self._parent(child)
        index = parent.children.index(child)
        parent.children[index] = self._start(child.tree, child.path)

    def _parent(self, child: Node) -> Node:
        return next(node for node in self.nodes() if child in node.children)

    def terminated(self, child: Node, *, abnormal: bool, now: float) -> None:
        """``child`` crashed or was killed (``abnormal``), or stopped itself normally, at
        ``now``."""
        while True:
            parent = self._parent(child)
            if not self._supervise(parent, child, abnormal, now):
                return
            self.gave_up.append(parent.path)
            if parent is self.root:
                self.root = None  # the system shuts down
                return
            child, abnormal = parent, True  # the parent fails: a crash for the grandparent

    def _supervise(self, sup: Node, child: Node, abnormal: bool, now: float) -> bool:
        """Apply OTP's rules in ``sup`` for ``child``'s end; True when ``sup`` gives up."""
        restart = child.tree.restart
        if restart is Restart.TEMPORARY:
            sup.children.remove(child)
            return False
        if restart is Restart.TRANSIENT and not abnormal:
            child.running = False
            return False
        sup.restart_log = [stamp for stamp in sup.restart_log if now - sup.tree.within <= stamp]
        sup.restart_log.append(now)
        if len(sup.restart_log) > sup.tree.max_restarts:
            sup.children = []
            return True
        self.restarts += 1
        index = sup.children.index(child)
        if sup.tree.strategy == "one_for_one":
            group = {index}
        elif sup.tree.strategy == "one_for_all":
            group = set(range(len(sup.children)))
        else:
            group = set(range(index, len(sup.children)))
        children: list[Node] = []
        for position, sibling in enumerate(sup.children):
            if position not in group:
                children.append(sibling)
            elif sibling is child or sibling.tree.restart is not Restart.TEMPORARY:
                children.append(self._start(sibling.tree, sibling.path))
            # else: a TEMPORARY bystander is stopped and forgotten
        sup.children = children
        return False


# ----------------------------------------------------------------------------- the run


def _compare_decisions(model: Model, logs: list[MutableMapping[str, Any]]) -> None:
    """Every restart decision (a group counts once) and every give-up, as the supervisors
    logged them."""
    restarts = sum(1 for entry in logs if entry["event"] == "supervisor.restarting")
    assert restarts == model.restarts
    assert [e["actor"] for e in logs if e["event"] == "supervisor.gave_up"] == model.gave_up


async def _compare(
    system: ActorSystem,
    model: Model,
    starts: Starts,
    logs: list[MutableMapping[str, Any]],
    now: float,
) -> None:
    _compare_decisions(model, logs)
    assert {ref.path for ref in system.actors} == {node.path for node in model.nodes()}
    assert starts == model.starts
    for node in model.nodes():
        ref = system.lookup(node.path)
        assert ref is not None, node.path
        assert ref.is_alive, node.path
        assert await ref.ask("incarnation") == model.starts[node.path], node.path
        if not node.is_supervisor:
            continue
        infos = await ref.ask(WhichChildren())
        assert [(info.name, info.restart) for info in infos] == [
            (child.tree.name, child.tree.restart) for child in node.children
        ], node.path
        for info, child in zip(infos, node.children, strict=True):
            assert info.state == ("running" if child.running else "stopped"), child.path
            assert info.ref.path == child.path
            assert info.ref.is_alive is child.running, child.path
        assert await ref.ask("restarts_in_window") == node.restarts_in_window(now), node.path


def _target(model: Model, kind: str, index: int) -> Node | None:
    workers = model.stopped_workers() if kind == "restart" else model.workers()
    return workers[index % len(workers)] if workers else None


def check_against_model(tree: Tree, plan: list[Step]) -> None:
    async def scenario(logs: list[MutableMapping[str, Any]]) -> Model:
        loop = asyncio.get_running_loop()
        starts: Starts = {}
        system = ActorSystem("model")
        model = Model(tree)
        await system.spawn(factory(tree, starts), name=tree.name)
        await system.wait_idle()
        await _compare(system, model, starts, logs, loop.time())
        for kind, value in plan:
            now = loop.time()
            node = None if kind == "advance" else _target(model, kind, value)
            if kind == "advance":
                await asyncio.sleep(value / 2)
                now += value / 2
            elif node is not None and kind in ("terminate", "restart"):
                parent = system.lookup(model.parent(node).path)
                assert parent is not None, node.path
                if kind == "terminate":
                    await terminate_child(parent, node.tree.name)
                    model.terminate(node)
                else:
                    await restart_child(parent, node.tree.name)
                    model.restart(node)
            elif node is not None:
                ref = system.lookup(node.path)
                assert ref is not None, node.path
                if kind == "kill":
                    ref.kill()
                else:
                    await ref.tell(kind)
                model.terminated(node, abnormal=kind != "exit", now=now)
            await system.wait_idle()
            if model.root is None:
                break
            assert loop.time() == now  # restarts take no virtual time without backoff
            await _compare(system, model, starts, logs, now)
        else:
            assert system.actors
            await system.shutdown()
            assert system.actors == ()
            return model
        # The root gave up: the whole system is down, with the root's error.
        with pytest.raises(RestartIntensityExceeded) as raised:
            await asyncio.wait_for(system.wait_closed(), timeout=60.0)
        assert raised.value.path == model.gave_up[-1] == f"/{tree.name}"
        assert system.actors == ()
        assert starts == model.starts
        _compare_decisions(model, logs)
        return model

    # The decisions are read from the log: lift the runtime's log rate limit for the run.
    saved, _log.limiter = _log.limiter, _log.RateLimiter(limit=10**9)
    try:
        with capture_logs() as logs:
            model = run_virtual(scenario(logs))
    finally:
        _log.limiter = saved
    event("restarts", str(min(model.restarts, 5)) + ("+" if model.restarts >= 5 else ""))
    event("steps", str(len(plan) // 5 * 5))
    event("gave up", "root" if model.root is None else "nested" if model.gave_up else "none")


ROOT_OF_TWO_PERMANENT_WORKERS = Tree("root", children=(Tree("w0"), Tree("w1")))
ROOT_WITHOUT_RESTARTS = Tree("root", children=(Tree("w0"),), max_restarts=0)
ALL_FOR_ONE_WITH_A_TRANSIENT = Tree(
    "root",
    children=(Tree("w0"), Tree("w1", Restart.TRANSIENT), Tree("w2", Restart.TEMPORARY)),
    strategy="one_for_all",
)


@settings(max_examples=100, deadline=None)
@given(tree=trees(), plan=steps())
@example(tree=ROOT_OF_TWO_PERMANENT_WORKERS, plan=[("exit", 0)])
@example(tree=ROOT_WITHOUT_RESTARTS, plan=[("exit", 0)])
@example(tree=ALL_FOR_ONE_WITH_A_TRANSIENT, plan=[("terminate", 0), ("crash", 0), ("restart", 0)])
@example(tree=ALL_FOR_ONE_WITH_A_TRANSIENT, plan=[("exit", 1), ("kill", 0), ("terminate", 2)])
@example(tree=ALL_FOR_ONE_WITH_A_TRANSIENT, plan=[("exit", 1), ("restart", 0), ("kill", 1)])
def test_random_trees_match_the_otp_model_after_every_crash_exit_and_time_advance(
    tree: Tree, plan: list[Step]
) -> None:
    """The first two explicit examples are the two bugs this test first found (see the
    regression tests at the end of the module); the others play child administration, a
    TRANSIENT child's kept spec and kill() under one_for_all."""
    check_against_model(tree, plan)


# ----------------------------------------------------------------------------- smaller checks


def test_the_model_restarts_a_supervisor_as_a_fresh_instance_with_all_its_children() -> None:
    inner = Tree(
        "s0",
        children=(Tree("w0"), Tree("w1", Restart.TEMPORARY)),
        max_restarts=0,
    )
    model = Model(Tree("root", children=(inner,)))
    w1 = next(node for node in model.workers() if node.path == "/root/s0/w1")
    model.terminated(w1, abnormal=True, now=0.0)  # a temporary child: forgotten
    assert [node.path for node in model.workers()] == ["/root/s0/w0"]
    w0 = model.workers()[0]
    model.terminated(w0, abnormal=True, now=1.0)  # s0 gives up, root restarts it
    assert model.gave_up == ["/root/s0"]
    assert [node.path for node in model.workers()] == ["/root/s0/w0", "/root/s0/w1"]
    assert model.starts == {"/root": 1, "/root/s0": 2, "/root/s0/w0": 2, "/root/s0/w1": 2}
    assert model.root is not None
    assert model.root.restarts_in_window(1.0) == 1


def test_the_model_window_is_closed_at_both_ends() -> None:
    model = Model(Tree("root", children=(Tree("w0"),), max_restarts=1, within=2.0))
    model.terminated(model.workers()[0], abnormal=True, now=1.0)
    model.terminated(model.workers()[0], abnormal=True, now=3.5)  # 1.0 left the window
    assert model.gave_up == []
    model.terminated(model.workers()[0], abnormal=True, now=5.5)  # 3.5 is exactly 2.0 old
    assert model.gave_up == ["/root"]
    assert list(model.nodes()) == []


# ----------------------------------------------------------------------------- regressions
# Bugs the model test found: a PERMANENT child restarted after a normal exit was re-spawned
# at the end of the start order; a root supervisor that gave up while handling a normal exit
# stopped quietly instead of shutting the system down with RestartIntensityExceeded.


async def _children(sup: ActorRef) -> list[str]:
    return [info.name for info in await sup.ask(WhichChildren())]


def _three_workers(journal: Journal, strategy: Strategy) -> type[Supervisor]:
    class Sup(Supervisor):
        pass

    Sup.strategy = strategy
    Sup.children = [ChildSpec(name, worker(journal, name)) for name in ("a", "b", "c")]
    return Sup


async def _exit_and_wait(system: ActorSystem, path: str) -> None:
    ref = system.lookup(path)
    assert ref is not None
    await ref.tell("quit")
    await ref.wait_stopped()
    await system.wait_idle()


@pytest.mark.actors(virtual_time=True)
async def test_a_permanent_child_restarted_after_a_normal_exit_keeps_its_start_position(
    actor_system: ActorSystem,
) -> None:
    sup = await actor_system.spawn(_three_workers(Journal(), OneForOne()), name="sup")
    await _exit_and_wait(actor_system, "/sup/a")
    assert await _children(sup) == ["a", "b", "c"]


@pytest.mark.actors(virtual_time=True)
async def test_rest_for_one_spares_an_earlier_child_that_was_restarted_after_a_normal_exit(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    await actor_system.spawn(_three_workers(journal, RestForOne()), name="sup")
    await _exit_and_wait(actor_system, "/sup/a")
    journal.clear()
    b = actor_system.lookup("/sup/b")
    assert b is not None
    await b.tell("boom")
    await actor_system.wait_idle()
    assert journal.starts() == ["b", "c"]


@pytest.mark.actors(virtual_time=True)
async def test_children_stop_in_reverse_start_order_after_a_restart_from_a_normal_exit(
    actor_system: ActorSystem,
) -> None:
    journal = Journal()
    sup = await actor_system.spawn(_three_workers(journal, OneForOne()), name="sup")
    await _exit_and_wait(actor_system, "/sup/a")
    journal.clear()
    await sup.stop()
    assert journal.stops() == ["c", "b", "a"]


async def test_a_root_supervisor_giving_up_after_a_normal_exit_shuts_the_system_down(
    virtual_time: VirtualTimeLoop,
) -> None:
    journal = Journal()

    class Root(Supervisor):
        strategy = OneForOne(max_restarts=0)
        children = (ChildSpec("a", worker(journal, "a")),)

    system = ActorSystem("gives-up")
    await system.spawn(Root, name="root")
    a = system.lookup("/root/a")
    assert a is not None
    await a.tell("quit")
    await system.wait_idle()
    with pytest.raises(RestartIntensityExceeded):
        await asyncio.wait_for(system.wait_closed(), timeout=60.0)
