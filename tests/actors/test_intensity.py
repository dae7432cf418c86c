"""Restart intensity: OTP's sliding window, checked by table and against a brute-force model.

Boundary: the window at time ``now`` is the closed interval ``[now - within, now]``, as in OTP's
``add_restart/3`` (it keeps a restart while ``R >= Now - Period``). A restart exactly ``within``
seconds old still counts.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors._core._intensity import RestartIntensity


def record(intensity: RestartIntensity, stamps: list[float]) -> list[bool]:
    return [intensity.add_restart(stamp) for stamp in stamps]


def test_up_to_max_restarts_in_the_window_are_allowed_and_one_more_exceeds() -> None:
    intensity = RestartIntensity(max_restarts=3, within=5.0)

    assert record(intensity, [0.0, 1.0, 2.0, 3.0]) == [False, False, False, True]


def test_restart_exactly_within_seconds_old_still_counts() -> None:
    intensity = RestartIntensity(max_restarts=1, within=5.0)

    assert record(intensity, [0.0, 5.0]) == [False, True]


def test_restart_just_over_within_seconds_old_is_dropped() -> None:
    intensity = RestartIntensity(max_restarts=1, within=5.0)

    assert record(intensity, [0.0, 5.000001]) == [False, False]


def test_restarts_spaced_wider_than_the_window_never_exceed() -> None:
    intensity = RestartIntensity(max_restarts=1, within=5.0)

    assert not any(record(intensity, [6.0 * i for i in range(100)]))


def test_zero_max_restarts_means_the_first_restart_exceeds() -> None:
    intensity = RestartIntensity(max_restarts=0, within=5.0)

    assert intensity.add_restart(0.0) is True


def test_window_slides_so_old_bursts_are_forgotten() -> None:
    intensity = RestartIntensity(max_restarts=2, within=10.0)

    assert record(intensity, [0.0, 1.0, 2.0]) == [False, False, True]
    # At 12.0 the window is [2.0, 12.0]: only the restart at 2.0 is still in it.
    assert intensity.add_restart(12.0) is False
    assert intensity.restarts_in_window(12.0) == 2


def test_restarts_in_window_counts_without_recording() -> None:
    intensity = RestartIntensity(max_restarts=5, within=10.0)
    record(intensity, [0.0, 4.0, 8.0])

    assert intensity.restarts_in_window(10.0) == 3
    assert intensity.restarts_in_window(14.0) == 2
    assert intensity.restarts_in_window(14.0) == 2
    assert intensity.restarts_in_window(100.0) == 0


def test_restarts_in_window_is_capped_at_max_restarts_plus_one() -> None:
    intensity = RestartIntensity(max_restarts=2, within=100.0)
    record(intensity, [float(i) for i in range(10)])

    assert intensity.restarts_in_window(10.0) == 3


def test_reset_forgets_every_restart() -> None:
    intensity = RestartIntensity(max_restarts=1, within=5.0)
    record(intensity, [0.0, 1.0])

    intensity.reset()

    assert intensity.restarts_in_window(1.0) == 0
    assert intensity.add_restart(1.0) is False


def test_reset_allows_time_to_start_over() -> None:
    intensity = RestartIntensity(max_restarts=1, within=5.0)
    intensity.add_restart(10.0)

    intensity.reset()

    assert intensity.add_restart(0.0) is False


def test_the_same_instant_twice_counts_twice() -> None:
    intensity = RestartIntensity(max_restarts=1, within=5.0)

    assert record(intensity, [3.0, 3.0]) == [False, True]


def test_time_going_backwards_is_rejected_and_nothing_is_recorded() -> None:
    intensity = RestartIntensity(max_restarts=1, within=5.0)
    intensity.add_restart(10.0)

    with pytest.raises(ValueError, match="backwards"):
        intensity.add_restart(9.0)
    with pytest.raises(ValueError, match="backwards"):
        intensity.restarts_in_window(9.0)
    assert intensity.restarts_in_window(10.0) == 1


@pytest.mark.parametrize("now", [math.nan, math.inf, -math.inf])
def test_non_finite_time_is_rejected(now: float) -> None:
    intensity = RestartIntensity(max_restarts=1, within=5.0)

    with pytest.raises(ValueError, match="finite"):
        intensity.add_restart(now)
    assert intensity.restarts_in_window(0.0) == 0


@pytest.mark.parametrize("max_restarts", [-1, -100])
def test_negative_max_restarts_is_a_value_error(max_restarts: int) -> None:
    with pytest.raises(ValueError, match=rf"max_restarts.*{max_restarts}"):
        RestartIntensity(max_restarts=max_restarts, within=5.0)


@pytest.mark.parametrize("max_restarts", [True, False, 1.0, "3", None])
def test_non_int_max_restarts_is_a_type_error(max_restarts: object) -> None:
    with pytest.raises(TypeError, match="max_restarts"):
        RestartIntensity(max_restarts=max_restarts, within=5.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("within", [0, 0.0, -1.0, math.nan, math.inf])
def test_within_must_be_finite_and_positive(within: float) -> None:
    with pytest.raises(ValueError, match="within"):
        RestartIntensity(max_restarts=1, within=within)


@pytest.mark.parametrize("within", [True, "5", None])
def test_non_number_within_is_a_type_error(within: object) -> None:
    with pytest.raises(TypeError, match="within"):
        RestartIntensity(max_restarts=1, within=within)  # type: ignore[arg-type]


def test_properties_report_the_configuration() -> None:
    intensity = RestartIntensity(max_restarts=4, within=2)

    assert intensity.max_restarts == 4
    assert intensity.within == 2.0
    assert isinstance(intensity.within, float)


# --- Against a brute-force model ----------------------------------------------------------


def model_count(history: list[float], now: float, within: float) -> int:
    """Every restart ever recorded that lies in the closed window [now - within, now]."""
    return sum(1 for stamp in history if now - within <= stamp <= now)


@st.composite
def timelines(draw: st.DrawFn) -> tuple[int, float, list[float]]:
    """max_restarts, within, and sorted timestamps; integer-valued often, to hit boundaries."""
    max_restarts = draw(st.integers(min_value=0, max_value=6))
    exact = draw(st.booleans())
    if exact:
        within = float(draw(st.integers(min_value=1, max_value=10)))
        gaps = st.integers(min_value=0, max_value=12).map(float)
    else:
        within = draw(st.floats(min_value=1e-3, max_value=1e3))
        gaps = st.floats(min_value=0.0, max_value=2e3)
    start = draw(st.floats(min_value=-1e6, max_value=1e6))
    stamps = [start]
    for gap in draw(st.lists(gaps, max_size=40)):
        stamps.append(stamps[-1] + gap)
    return max_restarts, within, stamps


@given(timelines())
def test_add_restart_agrees_with_brute_force_model(
    timeline: tuple[int, float, list[float]],
) -> None:
    max_restarts, within, stamps = timeline
    intensity = RestartIntensity(max_restarts=max_restarts, within=within)

    for i, now in enumerate(stamps):
        exceeded = intensity.add_restart(now)
        count = model_count(stamps[: i + 1], now, within)
        assert exceeded == (count > max_restarts)
        assert intensity.restarts_in_window(now) == min(count, max_restarts + 1)


@given(timelines(), st.floats(min_value=0.0, max_value=1e4))
def test_restarts_in_window_agrees_with_model_at_later_times(
    timeline: tuple[int, float, list[float]], later: float
) -> None:
    max_restarts, within, stamps = timeline
    intensity = RestartIntensity(max_restarts=max_restarts, within=within)
    record(intensity, stamps)
    now = stamps[-1] + later

    assert intensity.restarts_in_window(now) == min(
        model_count(stamps, now, within), max_restarts + 1
    )


@given(
    st.integers(min_value=1, max_value=6),
    st.floats(min_value=1e-3, max_value=1e3),
    st.floats(min_value=-1e6, max_value=1e6),
    st.lists(st.floats(min_value=1.0, max_value=10.0), max_size=40),
)
def test_restarts_spaced_wider_than_within_never_exceed_any_positive_max(
    max_restarts: int, within: float, start: float, stretches: list[float]
) -> None:
    intensity = RestartIntensity(max_restarts=max_restarts, within=within)
    now = start
    assert intensity.add_restart(now) is False
    for stretch in stretches:
        # Strictly more than `within` after the previous one, even after rounding.
        now = math.nextafter(now + within * (1.0 + stretch), math.inf)
        assert intensity.add_restart(now) is False
