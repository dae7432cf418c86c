"""``ExceptionDecider``: the table from exception classes to directives, matched by MRO."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supervision import Directive, ExceptionDecider, OneForOne

RESUME, RESTART, STOP, ESCALATE = (
    Directive.RESUME,
    Directive.RESTART,
    Directive.STOP,
    Directive.ESCALATE,
)


class Both(ValueError, KeyError):
    """An error with two unrelated bases (its MRO: Both, ValueError, KeyError, ...)."""


def test_the_class_itself_wins_over_its_bases_whatever_the_order_written() -> None:
    for table in (
        {OSError: STOP, ConnectionError: RESUME},
        {ConnectionError: RESUME, OSError: STOP},
    ):
        decide = ExceptionDecider(table)
        assert decide(ConnectionResetError()) is RESUME  # ConnectionError is nearer
        assert decide(FileNotFoundError()) is STOP  # only OSError matches


def test_a_base_class_entry_matches_its_subclasses() -> None:
    decide = ExceptionDecider({LookupError: STOP})
    assert decide(KeyError("k")) is STOP
    assert decide(IndexError()) is STOP


def test_multiple_inheritance_follows_the_mro() -> None:
    assert Both.__mro__.index(ValueError) < Both.__mro__.index(KeyError)
    decide = ExceptionDecider({KeyError: STOP, ValueError: RESUME})
    assert decide(Both()) is RESUME


def test_unmatched_errors_go_to_otherwise_by_default_the_default_decider() -> None:
    decide = ExceptionDecider({ValueError: RESUME})
    assert decide(RuntimeError()) is RESTART
    assert decide(KeyboardInterrupt()) is ESCALATE
    stop_all = ExceptionDecider({ValueError: RESUME}, otherwise=lambda error: STOP)
    assert stop_all(RuntimeError()) is STOP
    assert stop_all(ValueError()) is RESUME


def test_a_strategy_uses_it_as_its_decider() -> None:
    strategy = OneForOne(decider=ExceptionDecider({ValueError: RESUME}))
    assert strategy.decide(ValueError()) is RESUME
    assert strategy.decide(TypeError()) is RESTART


@pytest.mark.parametrize(
    ("table", "error", "match"),
    [
        ({int: RESUME}, TypeError, "int is not an exception class"),
        ({"builtins:ValueError": RESUME}, TypeError, "is not an exception class"),
        ({ValueError: "resume"}, TypeError, "ValueError maps to 'resume', not a Directive"),
        ([(ValueError, RESUME), (ValueError, STOP)], ValueError, "ValueError appears twice"),
        ([ValueError], TypeError, r"expected \(class, Directive\) pairs"),
    ],
)
def test_bad_tables_are_refused_with_a_typed_error(
    table: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        ExceptionDecider(table)  # type: ignore[arg-type]


def test_otherwise_must_be_callable() -> None:
    with pytest.raises(TypeError, match="otherwise must be callable"):
        ExceptionDecider({}, otherwise="stop")  # type: ignore[arg-type]


def test_the_repr_shows_the_table() -> None:
    decide = ExceptionDecider({ValueError: RESUME, asyncio.InvalidStateError: STOP})
    assert repr(decide) == (
        "ExceptionDecider({ValueError: RESUME, asyncio.exceptions.InvalidStateError: STOP})"
    )


def test_equal_tables_are_equal_and_hashable() -> None:
    first = ExceptionDecider({ValueError: RESUME, KeyError: STOP})
    second = ExceptionDecider([(ValueError, RESUME), (KeyError, STOP)])
    assert first == second
    assert hash(first) == hash(second)


_CLASSES = [
    BaseException,
    Exception,
    ArithmeticError,
    ZeroDivisionError,
    LookupError,
    KeyError,
    IndexError,
    OSError,
    ConnectionError,
    ConnectionResetError,
    ValueError,
    UnicodeDecodeError,
    Both,
]


@given(
    st.dictionaries(st.sampled_from(_CLASSES), st.sampled_from(list(Directive))),
    st.sampled_from(_CLASSES),
)
def test_the_nearest_class_of_the_mro_in_the_table_decides(
    table: dict[type[BaseException], Directive], raised: type[BaseException]
) -> None:
    error = raised.__new__(raised)
    decision = ExceptionDecider(table)(error)
    nearest = next((cls for cls in raised.__mro__ if cls in table), None)
    if nearest is None:
        assert decision is (RESTART if issubclass(raised, Exception) else ESCALATE)
    else:
        assert decision is table[nearest]
        # No entry for a class between the error's class and the winner.
        assert not any(cls in table for cls in raised.__mro__[: raised.__mro__.index(nearest)])


def test_the_tutorials_table_decides_as_its_function_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from actors.testing import run_virtual
    from examples.supervision import decider, decider_table

    def printed() -> list[str]:  # the example's own lines, not the runtime's log lines
        return [line for line in capsys.readouterr().out.splitlines() if "[" not in line[:40]]

    by_function = run_virtual(decider.main(decider.Counting))
    function_out = printed()
    by_table = run_virtual(decider.main(decider_table.CountingByTable))
    assert by_table == by_function == {"alive": False, "dead_letters": {"failed": 3}}
    assert "resumed, total kept: 6" in function_out
    assert printed() == function_out
    for error in (ValueError(), PermissionError(), MemoryError(), RuntimeError(), OSError()):
        assert decider_table.decide_by_class(error) is decider.decide(error)
