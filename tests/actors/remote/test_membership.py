"""The membership state machine on its own (pure: no network, no clock)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from actors import Member, MemberDown, MemberUp
from actors._cluster._membership import Membership


def test_a_first_heartbeat_makes_a_member_and_later_ones_only_refresh_it() -> None:
    membership = Membership(timeout=5.0)
    assert membership.heard("b", "i1", 0.0) == [MemberUp("b", "i1")]
    assert membership.heard("b", "i1", 4.0) == []
    assert membership.expire(8.0) == []  # heard at 4.0: not yet 5 s of silence
    assert membership.members == (Member("b", "i1"),)


def test_silence_for_the_timeout_declares_the_node_lost() -> None:
    membership = Membership(timeout=5.0)
    membership.heard("b", "i1", 0.0)
    assert membership.expire(4.99) == []
    assert membership.expire(5.0) == [MemberDown("b", "i1", "node_lost")]
    assert membership.members == ()


def test_the_next_expiry_is_the_least_recently_heard_member_plus_the_timeout() -> None:
    membership = Membership(timeout=5.0)
    assert membership.next_expiry() is None
    membership.heard("b", "i1", 1.0)
    membership.heard("c", "i1", 2.0)
    assert membership.next_expiry() == 6.0
    membership.heard("b", "i1", 3.0)
    assert membership.next_expiry() == 7.0
    assert membership.expire(7.0) == [MemberDown("c", "i1", "node_lost")]
    assert membership.next_expiry() == 8.0


def test_a_declared_down_incarnation_never_comes_back() -> None:
    membership = Membership(timeout=5.0)
    membership.heard("b", "i1", 0.0)
    membership.expire(10.0)
    assert membership.heard("b", "i1", 11.0) == []
    assert membership.members == ()
    assert membership.heard("b", "i2", 12.0) == [MemberUp("b", "i2")]


def test_a_new_incarnation_replaces_the_old_one() -> None:
    membership = Membership(timeout=5.0)
    membership.heard("b", "i1", 0.0)
    assert membership.heard("b", "i2", 1.0) == [
        MemberDown("b", "i1", "restarted"),
        MemberUp("b", "i2"),
    ]
    assert membership.heard("b", "i1", 2.0) == []  # a late heartbeat of the old one
    assert membership.incarnation_of("b") == "i2"


def test_leaving_is_final_for_that_incarnation() -> None:
    membership = Membership(timeout=5.0)
    membership.heard("b", "i1", 0.0)
    assert membership.left("b", "i1") == MemberDown("b", "i1", "left")
    assert membership.left("b", "i1") is None
    assert membership.heard("b", "i1", 1.0) == []


def test_forgetting_all_lets_the_same_incarnations_come_back() -> None:
    membership = Membership(timeout=5.0)
    membership.heard("b", "i1", 0.0)
    assert membership.forget_all() == [MemberDown("b", "i1", "node_lost")]
    assert membership.heard("b", "i1", 1.0) == [MemberUp("b", "i1")]


events = st.lists(
    st.tuples(
        st.sampled_from(["heard", "left", "expire"]),
        st.sampled_from(["b", "c"]),
        st.sampled_from(["i1", "i2", "i3"]),
        st.floats(min_value=0.0, max_value=3.0),
    ),
    max_size=40,
)


@given(events)
def test_ups_and_downs_alternate_per_incarnation_and_members_match_them(
    steps: list[tuple[str, str, str, float]],
) -> None:
    membership = Membership(timeout=2.0)
    now = 0.0
    live: dict[str, str] = {}
    ended: set[tuple[str, str]] = set()
    for kind, node, incarnation, step in steps:
        now += step
        changes: list[MemberUp | MemberDown]
        if kind == "heard":
            changes = membership.heard(node, incarnation, now)
        elif kind == "left":
            left = membership.left(node, incarnation)
            changes = [] if left is None else [left]
        else:
            changes = list(membership.expire(now))
        for change in changes:
            key = (change.node, change.incarnation)
            if isinstance(change, MemberUp):
                assert change.node not in live
                assert key not in ended, "a dead incarnation came back"
                live[change.node] = change.incarnation
            else:
                assert live.pop(change.node) == change.incarnation
                ended.add(key)
        assert {m.node: m.incarnation for m in membership.members} == live
