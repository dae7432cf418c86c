"""Strategies, deciders and plan_restart: OTP's rules for which children stop, restart, go."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from supervision._backoff import Backoff
from supervision._strategy import (
    ChildState,
    Directive,
    OneForAll,
    OneForOne,
    Restart,
    RestartPlan,
    RestForOne,
    Strategy,
    default_decider,
    needs_restart,
    plan_restart,
)

P, T, X = Restart.PERMANENT, Restart.TRANSIENT, Restart.TEMPORARY


def kids(*specs: tuple[str, Restart]) -> list[ChildState]:
    return [ChildState(name, restart) for name, restart in specs]


def plan(stop: str = "", start: str = "", remove: str = "") -> RestartPlan:
    """A plan from space-separated names, to keep the tables readable."""
    return RestartPlan(
        stop=tuple(stop.split()), start=tuple(start.split()), remove=tuple(remove.split())
    )


# --- Enums, deciders ------------------------------------------------------------------------


def test_restart_and_directive_values_are_otp_words() -> None:
    assert [r.value for r in Restart] == ["permanent", "transient", "temporary"]
    assert [d.value for d in Directive] == ["resume", "restart", "stop", "escalate"]


def test_default_decider_restarts_on_exception() -> None:
    assert default_decider(ValueError("boom")) is Directive.RESTART


@pytest.mark.parametrize(
    "error", [KeyboardInterrupt(), SystemExit(1), asyncio.CancelledError(), GeneratorExit()]
)
def test_default_decider_escalates_base_exceptions_that_are_not_exceptions(
    error: BaseException,
) -> None:
    assert default_decider(error) is Directive.ESCALATE


def test_strategy_decide_uses_default_decider_when_none_is_given() -> None:
    assert OneForOne().decide(RuntimeError()) is Directive.RESTART
    assert OneForOne().decide(KeyboardInterrupt()) is Directive.ESCALATE


def test_strategy_decide_uses_the_given_decider() -> None:
    def decider(error: BaseException) -> Directive:
        return Directive.RESUME if isinstance(error, KeyError) else Directive.STOP

    strategy = OneForAll(decider=decider)

    assert strategy.decide(KeyError("k")) is Directive.RESUME
    assert strategy.decide(ValueError()) is Directive.STOP


def test_strategy_decide_rejects_a_decider_that_returns_no_directive() -> None:
    strategy = OneForOne(decider=lambda error: "restart")  # type: ignore[arg-type,return-value]

    with pytest.raises(TypeError, match="expected a Directive"):
        strategy.decide(ValueError())


def test_strategy_decide_lets_the_deciders_own_error_propagate() -> None:
    def decider(error: BaseException) -> Directive:
        raise LookupError("decider broke")

    with pytest.raises(LookupError, match="decider broke"):
        OneForOne(decider=decider).decide(ValueError())


# --- Strategy specs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "name"),
    [(OneForOne, "one_for_one"), (OneForAll, "one_for_all"), (RestForOne, "rest_for_one")],
)
def test_each_strategy_has_its_otp_name(cls: type[Strategy], name: str) -> None:
    assert cls.name == name
    assert cls().name == name


def test_strategy_defaults() -> None:
    strategy = OneForOne()

    assert (strategy.max_restarts, strategy.within, strategy.backoff, strategy.decider) == (
        3,
        5.0,
        None,
        None,
    )


def test_strategy_fields_are_keyword_or_positional() -> None:
    backoff = Backoff(0.1, 1.0)

    assert OneForOne(3, 5.0, backoff) == OneForOne(max_restarts=3, within=5.0, backoff=backoff)


def test_strategies_of_different_kinds_are_not_equal() -> None:
    strategies: list[Strategy] = [OneForOne(3, 5.0), OneForAll(3, 5.0), RestForOne(3, 5.0)]

    assert len(set(strategies)) == 3
    assert strategies[0] != strategies[1]


def test_strategy_is_frozen() -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        OneForOne().max_restarts = 5  # type: ignore[misc]


def test_bare_strategy_cannot_be_instantiated() -> None:
    with pytest.raises(TypeError, match="abstract"):
        Strategy()


def test_zero_max_restarts_is_allowed() -> None:
    assert OneForOne(max_restarts=0).max_restarts == 0


@pytest.mark.parametrize("max_restarts", [-1, -10])
def test_negative_max_restarts_is_a_value_error(max_restarts: int) -> None:
    with pytest.raises(ValueError, match="max_restarts"):
        OneForOne(max_restarts=max_restarts)


@pytest.mark.parametrize("max_restarts", [True, False, 3.0, "3", None])
def test_non_int_or_bool_max_restarts_is_a_type_error(max_restarts: object) -> None:
    with pytest.raises(TypeError, match="max_restarts"):
        OneForOne(max_restarts=max_restarts)  # type: ignore[arg-type]


@pytest.mark.parametrize("within", [0, 0.0, -1.0, math.inf, -math.inf, math.nan])
def test_within_must_be_positive_and_finite(within: float) -> None:
    with pytest.raises(ValueError, match="within"):
        RestForOne(within=within)


@pytest.mark.parametrize("within", [True, "5", None])
def test_non_number_within_is_a_type_error(within: object) -> None:
    with pytest.raises(TypeError, match="within"):
        RestForOne(within=within)  # type: ignore[arg-type]


def test_backoff_must_be_a_backoff() -> None:
    with pytest.raises(TypeError, match="backoff"):
        OneForOne(backoff=(0.1, 1.0))  # type: ignore[arg-type]


def test_decider_must_be_callable() -> None:
    with pytest.raises(TypeError, match="decider"):
        OneForOne(decider="restart")  # type: ignore[arg-type]


def test_child_state_validates_its_fields() -> None:
    with pytest.raises(TypeError):
        ChildState("a", "permanent")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ChildState(1, Restart.PERMANENT)  # type: ignore[arg-type]


# --- needs_restart ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("restart", "abnormal", "expected"),
    [
        (P, True, True),
        (P, False, True),
        (T, True, True),
        (T, False, False),
        (X, True, False),
        (X, False, False),
    ],
)
def test_needs_restart_follows_the_restart_type(
    restart: Restart, abnormal: bool, expected: bool
) -> None:
    assert needs_restart(restart, abnormal) is expected


# --- plan_restart: tables ---------------------------------------------------------------------

ABC = kids(("a", P), ("b", P), ("c", P))
MIXED = kids(("a", P), ("b", X), ("c", T), ("d", P), ("e", X))


@pytest.mark.parametrize(
    ("strategy", "children", "failed", "abnormal", "expected"),
    [
        # one_for_one: only the failed child.
        (OneForOne(), ABC, "b", True, plan(start="b")),
        (OneForOne(), ABC, "b", False, plan(start="b")),
        (OneForOne(), MIXED, "c", True, plan(start="c")),
        # one_for_all: others stopped in reverse start order, everyone restarted in start order.
        (OneForAll(), ABC, "a", True, plan(stop="c b", start="a b c")),
        (OneForAll(), ABC, "b", True, plan(stop="c a", start="a b c")),
        (OneForAll(), ABC, "c", False, plan(stop="b a", start="a b c")),
        # one_for_all with temporary bystanders: stopped and removed, not restarted.
        (OneForAll(), MIXED, "d", True, plan(stop="e c b a", start="a c d", remove="b e")),
        (OneForAll(), MIXED, "c", True, plan(stop="e d b a", start="a c d", remove="b e")),
        # rest_for_one: the failed child and the later ones; earlier siblings untouched.
        (RestForOne(), ABC, "a", True, plan(stop="c b", start="a b c")),
        (RestForOne(), ABC, "b", True, plan(stop="c", start="b c")),
        (RestForOne(), ABC, "c", True, plan(start="c")),
        (RestForOne(), MIXED, "a", True, plan(stop="e d c b", start="a c d", remove="b e")),
        (RestForOne(), MIXED, "c", True, plan(stop="e d", start="c d", remove="e")),
        (RestForOne(), MIXED, "d", False, plan(stop="e", start="d", remove="e")),
        # Not restarted: temporary (forgotten), or transient with a normal exit (its spec
        # kept, as OTP's del_child). Nobody else is touched.
        (OneForOne(), MIXED, "b", True, plan(remove="b")),
        (OneForAll(), MIXED, "b", True, plan(remove="b")),
        (RestForOne(), MIXED, "b", False, plan(remove="b")),
        (OneForAll(), MIXED, "c", False, plan()),
        (RestForOne(), MIXED, "c", False, plan()),
        (OneForOne(), MIXED, "e", True, plan(remove="e")),
        # A lone child.
        (OneForAll(), kids(("only", P)), "only", True, plan(start="only")),
        (RestForOne(), kids(("only", T)), "only", False, plan()),
    ],
)
def test_plan_restart_table(
    strategy: Strategy,
    children: list[ChildState],
    failed: str,
    abnormal: bool,
    expected: RestartPlan,
) -> None:
    assert plan_restart(strategy, children, failed, abnormal) == expected


def test_plan_restart_rejects_an_unknown_failed_child() -> None:
    with pytest.raises(ValueError, match="'z'"):
        plan_restart(OneForOne(), ABC, "z", abnormal=True)


def test_plan_restart_rejects_an_empty_child_list() -> None:
    with pytest.raises(ValueError, match="not among"):
        plan_restart(OneForAll(), [], "a", abnormal=True)


def test_plan_restart_rejects_duplicate_child_names() -> None:
    with pytest.raises(ValueError, match="distinct"):
        plan_restart(OneForAll(), kids(("a", P), ("a", T)), "a", abnormal=True)


def test_plan_restart_accepts_any_sequence_of_children() -> None:
    assert plan_restart(RestForOne(), tuple(ABC), "b", abnormal=True) == plan(stop="c", start="b c")


# --- plan_restart: properties ---------------------------------------------------------------


@st.composite
def situations(draw: st.DrawFn) -> tuple[Strategy, list[ChildState], str, bool]:
    names = draw(st.lists(st.text(min_size=1, max_size=3), min_size=1, max_size=10, unique=True))
    children = [ChildState(name, draw(st.sampled_from(Restart))) for name in names]
    strategy = draw(st.sampled_from([OneForOne(), OneForAll(), RestForOne()]))
    return strategy, children, draw(st.sampled_from(names)), draw(st.booleans())


def positions(children: Sequence[ChildState], names: Sequence[str]) -> list[int]:
    order = [child.name for child in children]
    return [order.index(name) for name in names]


@given(situations())
def test_plan_has_no_duplicates(situation: tuple[Strategy, list[ChildState], str, bool]) -> None:
    result = plan_restart(*situation)

    for field in (result.stop, result.start, result.remove):
        assert len(set(field)) == len(field)


@given(situations())
def test_stop_is_in_reverse_start_order(
    situation: tuple[Strategy, list[ChildState], str, bool],
) -> None:
    _, children, _, _ = situation
    stop = positions(children, plan_restart(*situation).stop)

    assert stop == sorted(stop, reverse=True)


@given(situations())
def test_start_and_remove_are_in_start_order(
    situation: tuple[Strategy, list[ChildState], str, bool],
) -> None:
    _, children, _, _ = situation
    result = plan_restart(*situation)

    for field in (result.start, result.remove):
        assert positions(children, field) == sorted(positions(children, field))


@given(situations())
def test_failed_child_is_never_stopped(
    situation: tuple[Strategy, list[ChildState], str, bool],
) -> None:
    _, _, failed, _ = situation

    assert failed not in plan_restart(*situation).stop


@given(situations())
def test_only_bystanders_are_both_stopped_and_started(
    situation: tuple[Strategy, list[ChildState], str, bool],
) -> None:
    _, _, failed, _ = situation
    result = plan_restart(*situation)

    assert failed not in set(result.stop) & set(result.start)


@given(situations())
def test_temporary_children_are_never_started(
    situation: tuple[Strategy, list[ChildState], str, bool],
) -> None:
    _, children, _, _ = situation
    temporary = {child.name for child in children if child.restart is Restart.TEMPORARY}

    assert not temporary & set(plan_restart(*situation).start)


@given(situations())
def test_every_stopped_child_is_either_restarted_or_removed(
    situation: tuple[Strategy, list[ChildState], str, bool],
) -> None:
    _, children, failed, abnormal = situation
    restart = next(child.restart for child in children if child.name == failed)
    result = plan_restart(*situation)

    assert not set(result.start) & set(result.remove)
    ended = set(result.stop) | {failed}
    if restart is Restart.TRANSIENT and not abnormal:
        ended -= {failed}  # kept, not running
    assert ended == set(result.start) | set(result.remove)


@given(situations())
def test_failed_child_is_restarted_exactly_when_its_restart_type_says_so(
    situation: tuple[Strategy, list[ChildState], str, bool],
) -> None:
    _, children, failed, abnormal = situation
    restart = next(child.restart for child in children if child.name == failed)
    result = plan_restart(*situation)

    if needs_restart(restart, abnormal):
        assert failed in result.start
    elif restart is Restart.TEMPORARY:
        assert result == RestartPlan(stop=(), start=(), remove=(failed,))
    else:  # a TRANSIENT child's normal exit: its spec is kept
        assert result == RestartPlan(stop=(), start=(), remove=())


@given(situations())
def test_one_for_one_touches_only_the_failed_child(
    situation: tuple[Strategy, list[ChildState], str, bool],
) -> None:
    _, children, failed, abnormal = situation

    result = plan_restart(OneForOne(), children, failed, abnormal)

    assert result.stop == ()
    assert set(result.start) | set(result.remove) <= {failed}


@given(situations())
def test_one_for_all_stops_every_other_child(
    situation: tuple[Strategy, list[ChildState], str, bool],
) -> None:
    _, children, failed, abnormal = situation
    restart = next(child.restart for child in children if child.name == failed)

    result = plan_restart(OneForAll(), children, failed, abnormal)

    if needs_restart(restart, abnormal):
        assert set(result.stop) == {child.name for child in children} - {failed}


@given(situations())
def test_rest_for_one_never_touches_earlier_siblings(
    situation: tuple[Strategy, list[ChildState], str, bool],
) -> None:
    _, children, failed, abnormal = situation
    index = [child.name for child in children].index(failed)
    earlier = {child.name for child in children[:index]}
    later = {child.name for child in children[index + 1 :]}
    restart = children[index].restart

    result = plan_restart(RestForOne(), children, failed, abnormal)

    touched = set(result.stop) | set(result.start) | set(result.remove)
    assert not touched & earlier
    if needs_restart(restart, abnormal):
        assert set(result.stop) == later
