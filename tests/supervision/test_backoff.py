"""Backoff: spec validation, the delay schedule, quiet-period reset, reproducible jitter."""

from __future__ import annotations

import math
import random

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from supervision._backoff import Backoff, BackoffState


def delays(state: BackoffState, times: list[float]) -> list[float]:
    return [state.next_delay(now) for now in times]


# --- Backoff spec ---------------------------------------------------------------------------


def test_defaults_match_the_design() -> None:
    backoff = Backoff(0.1, 5.0)

    assert (backoff.factor, backoff.jitter, backoff.reset_after) == (2.0, 0.1, None)


def test_backoff_is_frozen() -> None:
    backoff = Backoff(0.1, 5.0)

    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        backoff.min = 1.0  # type: ignore[misc]


def test_effective_reset_after_defaults_to_halfway_between_min_and_max() -> None:
    assert Backoff(1.0, 9.0).effective_reset_after == 5.0


def test_effective_reset_after_is_reset_after_when_set() -> None:
    assert Backoff(1.0, 9.0, reset_after=30.0).effective_reset_after == 30.0


@pytest.mark.parametrize(
    ("kwargs", "field", "value"),
    [
        ({"min": 0.0, "max": 1.0}, "min", "0.0"),
        ({"min": -1.0, "max": 1.0}, "min", "-1.0"),
        ({"min": 2.0, "max": 1.0}, "max", "1.0"),
        ({"min": 1.0, "max": 2.0, "factor": 0.5}, "factor", "0.5"),
        ({"min": 1.0, "max": 2.0, "jitter": -0.1}, "jitter", "-0.1"),
        ({"min": 1.0, "max": 2.0, "jitter": 1.0}, "jitter", "1.0"),
        ({"min": 1.0, "max": 2.0, "reset_after": 0.0}, "reset_after", "0.0"),
        ({"min": 1.0, "max": 2.0, "reset_after": -5.0}, "reset_after", "-5.0"),
        ({"min": math.nan, "max": 2.0}, "min", "nan"),
        ({"min": 1.0, "max": math.inf}, "max", "inf"),
        ({"min": 1.0, "max": 2.0, "factor": math.inf}, "factor", "inf"),
        ({"min": 1.0, "max": 2.0, "jitter": math.nan}, "jitter", "nan"),
        ({"min": 1.0, "max": 2.0, "reset_after": math.inf}, "reset_after", "inf"),
    ],
)
def test_invalid_field_is_a_value_error_naming_field_and_value(
    kwargs: dict[str, float], field: str, value: str
) -> None:
    with pytest.raises(ValueError, match=rf"Backoff\.{field} .*{value}"):
        Backoff(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"min": "1", "max": 2.0}, "min"),
        ({"min": 1.0, "max": None}, "max"),
        ({"min": 1.0, "max": 2.0, "factor": True}, "factor"),
        ({"min": 1.0, "max": 2.0, "jitter": "0.1"}, "jitter"),
        ({"min": 1.0, "max": 2.0, "reset_after": "1"}, "reset_after"),
    ],
)
def test_non_number_field_is_a_type_error_naming_field(
    kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(TypeError, match=rf"Backoff\.{field} "):
        Backoff(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min": 1.0, "max": 1.0},
        {"min": 1e-9, "max": 1e9, "factor": 1.0, "jitter": 0.0},
        {"min": 1, "max": 2, "factor": 3, "jitter": 0, "reset_after": 1},
        {"min": 0.5, "max": 10.0, "jitter": 0.999},
    ],
)
def test_valid_edge_values_are_accepted(kwargs: dict[str, float]) -> None:
    Backoff(**kwargs)


def test_base_delay_rejects_negative_attempt() -> None:
    with pytest.raises(ValueError, match="attempt"):
        Backoff(1.0, 2.0).base_delay(-1)


# --- The schedule ---------------------------------------------------------------------------


def test_without_jitter_delays_double_up_to_max() -> None:
    state = BackoffState(Backoff(0.1, 1.0, jitter=0.0))

    assert delays(state, [0.0] * 6) == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


def test_factor_one_keeps_a_constant_delay() -> None:
    state = BackoffState(Backoff(0.5, 10.0, factor=1.0, jitter=0.0))

    assert delays(state, [0.0] * 5) == [0.5] * 5


def test_attempt_counts_consecutive_restarts() -> None:
    state = BackoffState(Backoff(0.1, 1.0, jitter=0.0))
    assert state.attempt == 0

    delays(state, [0.0, 0.0, 0.0])

    assert state.attempt == 3


def test_quiet_period_of_reset_after_starts_the_schedule_over() -> None:
    state = BackoffState(Backoff(1.0, 8.0, jitter=0.0, reset_after=10.0))

    assert delays(state, [0.0, 1.0, 2.0]) == [1.0, 2.0, 4.0]
    assert state.next_delay(12.0) == 1.0
    assert state.attempt == 1


def test_quiet_period_just_short_of_reset_after_keeps_growing() -> None:
    state = BackoffState(Backoff(1.0, 8.0, jitter=0.0, reset_after=10.0))

    assert delays(state, [0.0, 9.999]) == [1.0, 2.0]


def test_quiet_period_is_measured_from_the_previous_failure_not_the_first() -> None:
    state = BackoffState(Backoff(1.0, 64.0, jitter=0.0, reset_after=10.0))

    assert delays(state, [0.0, 6.0, 12.0, 18.0]) == [1.0, 2.0, 4.0, 8.0]


def test_default_reset_after_is_used_when_unset() -> None:
    state = BackoffState(Backoff(2.0, 8.0, jitter=0.0))  # quiet period (2 + 8) / 2 = 5

    assert delays(state, [0.0, 4.9, 9.9]) == [2.0, 4.0, 2.0]


def test_reset_starts_the_schedule_over() -> None:
    state = BackoffState(Backoff(1.0, 8.0, jitter=0.0))
    delays(state, [0.0, 0.0, 0.0])

    state.reset()

    assert state.attempt == 0
    assert state.next_delay(0.0) == 1.0


def test_huge_attempt_counts_do_not_overflow() -> None:
    state = BackoffState(Backoff(0.001, 30.0, factor=10.0, jitter=0.0))

    result = delays(state, [0.0] * 5000)

    assert result[-1] == 30.0


@pytest.mark.parametrize(
    "backoff",
    [
        Backoff(0.001, 30.0, factor=1e300, jitter=0.0),
        Backoff(5e-324, 1e308, factor=1.5, jitter=0.0),
        Backoff(1e-300, 1e300, factor=1.0 + 2**-52, jitter=0.0),
    ],
)
def test_base_delay_never_overflows_for_extreme_specs(backoff: Backoff) -> None:
    for attempt in [0, 1, 10, 1_000, 10**6, 10**12, 10**18]:
        delay = backoff.base_delay(attempt)
        assert backoff.min <= delay <= backoff.max


def test_delays_are_floats_even_for_int_specs() -> None:
    state = BackoffState(Backoff(1, 10, factor=10, jitter=0))

    assert all(type(delay) is float for delay in delays(state, [0.0] * 4))


def test_seeded_rng_gives_a_reproducible_schedule() -> None:
    backoff = Backoff(0.1, 5.0, jitter=0.5)
    first = BackoffState(backoff, rng=random.Random(42))
    second = BackoffState(backoff, rng=random.Random(42))
    times = [0.0, 0.1, 0.3, 0.7, 1.5, 100.0]

    assert delays(first, times) == delays(second, times)


def test_jitter_actually_varies_the_delay() -> None:
    state = BackoffState(Backoff(1.0, 1.0, jitter=0.5), rng=random.Random(7))

    assert len(set(delays(state, [0.0] * 20))) > 1


@pytest.mark.parametrize("now", [math.nan, math.inf])
def test_non_finite_time_is_rejected(now: float) -> None:
    state = BackoffState(Backoff(1.0, 2.0))

    with pytest.raises(ValueError, match="finite"):
        state.next_delay(now)
    assert state.attempt == 0


# --- Properties -------------------------------------------------------------------------------


@st.composite
def backoffs(draw: st.DrawFn, jitter: st.SearchStrategy[float] | None = None) -> Backoff:
    low = draw(st.floats(min_value=1e-6, max_value=1e3))
    high = low * draw(st.floats(min_value=1.0, max_value=1e6))
    return Backoff(
        min=low,
        max=high,
        factor=draw(st.floats(min_value=1.0, max_value=1e3)),
        jitter=draw(jitter if jitter is not None else st.floats(min_value=0.0, max_value=0.99)),
        reset_after=draw(st.none() | st.floats(min_value=1e-3, max_value=1e6)),
    )


gaps = st.lists(st.floats(min_value=0.0, max_value=1e6), min_size=1, max_size=60)


def timeline(gap_list: list[float]) -> list[float]:
    times = [0.0]
    for gap in gap_list[1:]:
        times.append(times[-1] + gap)
    return times


@given(backoffs(), gaps, st.integers(min_value=0, max_value=2**32))
def test_delays_always_stay_within_bounds(
    backoff: Backoff, gap_list: list[float], seed: int
) -> None:
    state = BackoffState(backoff, rng=random.Random(seed))

    for delay in delays(state, timeline(gap_list)):
        assert 0.0 <= delay <= backoff.max * (1 + backoff.jitter)
        assert delay >= backoff.min * (1 - backoff.jitter)


@given(backoffs(jitter=st.just(0.0)), st.integers(min_value=1, max_value=80))
def test_without_jitter_delays_never_decrease_until_a_reset(backoff: Backoff, count: int) -> None:
    state = BackoffState(backoff)
    # Failures closer together than the quiet period never reset the schedule.
    step = backoff.effective_reset_after / 2
    result = delays(state, [i * step for i in range(count)])

    assert result == sorted(result)
    assert result[0] == backoff.min
    assert all(backoff.min <= delay <= backoff.max for delay in result)
    assert state.attempt == count


@given(backoffs(jitter=st.just(0.0)), st.integers(min_value=1, max_value=20))
def test_without_jitter_each_delay_is_min_times_factor_to_the_attempt_capped_at_max(
    backoff: Backoff, count: int
) -> None:
    state = BackoffState(backoff)

    result = delays(state, [0.0] * count)

    assert result == [min(backoff.max, backoff.min * backoff.factor**n) for n in range(count)]


@given(
    backoffs(), st.integers(min_value=1, max_value=20), st.integers(min_value=0, max_value=2**32)
)
def test_after_a_quiet_period_the_next_delay_is_min_again(
    backoff: Backoff, count: int, seed: int
) -> None:
    state = BackoffState(backoff, rng=random.Random(seed))
    delays(state, [0.0] * count)
    later = backoff.effective_reset_after

    delay = state.next_delay(later)

    assert state.attempt == 1
    assert backoff.min * (1 - backoff.jitter) <= delay
    # uniform(a, b) may round to just above b, hence the relative tolerance.
    assert delay <= backoff.min * (1 + backoff.jitter) * (1 + 1e-12)


@given(backoffs(), gaps, st.integers(min_value=0, max_value=2**32))
def test_same_seed_same_schedule(backoff: Backoff, gap_list: list[float], seed: int) -> None:
    times = timeline(gap_list)

    first = delays(BackoffState(backoff, rng=random.Random(seed)), times)
    second = delays(BackoffState(backoff, rng=random.Random(seed)), times)

    assert first == second


def test_the_quiet_period_counts_from_when_the_child_runs_again() -> None:
    state = BackoffState(Backoff(min=1.0, max=4.0, jitter=0.0))  # resets after 2.5 s quiet
    assert state.next_delay(0.0) == 1.0
    state.running_since(1.0)
    assert state.next_delay(2.0) == 2.0
    state.running_since(4.0)
    assert state.next_delay(5.0) == 4.0
    state.running_since(9.0)  # the 4 s delay itself is not a quiet period
    assert state.next_delay(10.0) == 4.0
    state.running_since(14.0)
    assert state.next_delay(16.5) == 1.0  # 2.5 s of running without failure


def test_running_since_rejects_a_non_finite_time() -> None:
    state = BackoffState(Backoff(min=1.0, max=4.0))
    with pytest.raises(ValueError, match="finite"):
        state.running_since(float("nan"))
