"""Hypothesis strategies for valid supervision trees (reload property tests)."""

from __future__ import annotations

from hypothesis import strategies as st

from supervision import (
    DynamicSupervisorSpec,
    MailboxSpec,
    PoolOptions,
    PoolSpec,
    SupervisorSpec,
    TemplateSpec,
    TreeSpec,
    WorkerSpec,
)
from supervision.config._spec import ChildNode

A = "tests.supervision._config_actors"
NAMES = ("a", "b", "c", "d")

mailboxes = st.builds(
    MailboxSpec,
    capacity=st.sampled_from([5, 50]),
    overflow=st.sampled_from(["block", "drop_oldest", "reject"]),
)
restarts = st.sampled_from(["permanent", "transient", "temporary"])
shutdowns = st.sampled_from([None, 1.0, 2.0])


def workers(name: str) -> st.SearchStrategy[ChildNode]:
    return st.builds(
        WorkerSpec,
        name=st.just(name),
        actor=st.just(f"{A}:Echo"),
        args=st.sampled_from([{}, {"greeting": "yo"}, {"times": 2}]),
        subscribe=st.sampled_from([(), ("news.>",), ("jobs.*", "news.>")]),
        restart=restarts,
        shutdown=shutdowns,
        mailbox=mailboxes,
    )


def pools(name: str) -> st.SearchStrategy[ChildNode]:
    return st.builds(
        PoolSpec,
        name=st.just(name),
        actor=st.just(f"{A}:Echo"),
        args=st.sampled_from([{}, {"greeting": "yo"}]),
        pool=st.builds(
            PoolOptions,
            size=st.integers(1, 3),
            routing=st.sampled_from(["round_robin", "broadcast"]),
            max_restarts=st.sampled_from([3, 5]),
        ),
        restart=restarts,
        mailbox=mailboxes,
    )


def dynamics(name: str) -> st.SearchStrategy[ChildNode]:
    return st.builds(
        DynamicSupervisorSpec,
        name=st.just(name),
        template=st.builds(
            TemplateSpec,
            actor=st.just(f"{A}:Echo"),
            restart=restarts,
            mailbox=mailboxes,
        ),
        max_children=st.sampled_from([None, 2]),
        max_restarts=st.sampled_from([3, 5]),
        restart=restarts,
    )


def supervisors(name: str, depth: int) -> st.SearchStrategy[SupervisorSpec]:
    return st.builds(
        SupervisorSpec,
        name=st.just(name),
        strategy=st.sampled_from(["one_for_one", "one_for_all", "rest_for_one"]),
        max_restarts=st.sampled_from([3, 10]),
        within=st.sampled_from([5.0, 60.0]),
        children=children(depth),
        restart=restarts,
        shutdown=st.sampled_from([None, 10.0]),
        mailbox=mailboxes,
    )


def child(name: str, depth: int) -> st.SearchStrategy[ChildNode]:
    kinds = [workers(name), workers(name), pools(name), dynamics(name)]
    if depth > 0:
        kinds.append(supervisors(name, depth - 1))
    return st.one_of(kinds)


@st.composite
def children(draw: st.DrawFn, depth: int) -> tuple[ChildNode, ...]:
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=4))
    return tuple(draw(child(name, depth)) for name in names)


def trees(depth: int = 2) -> st.SearchStrategy[TreeSpec]:
    """Valid trees rooted at ``/root``: up to four children per supervisor, ``depth``
    levels of nested supervisors, every kind of child."""
    root = st.builds(
        SupervisorSpec,
        name=st.just("root"),
        strategy=st.sampled_from(["one_for_one", "one_for_all", "rest_for_one"]),
        max_restarts=st.sampled_from([3, 10]),
        children=children(depth),
    )
    return st.builds(TreeSpec, tree=root)
