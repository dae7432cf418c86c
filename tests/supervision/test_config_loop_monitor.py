"""``[system] loop_block_threshold`` and ``loop_degraded_threshold`` in tree files."""

from __future__ import annotations

from pathlib import Path

import pytest

from supervision import ConfigError, create_system, load_tree

A = "tests.supervision._config_actors"


def _tree(tmp_path: Path, system: str) -> Path:
    path = tmp_path / "tree.toml"
    path.write_text(
        f'[system]\nname = "app"\n{system}\n[tree]\nname = "root"\n'
        f'[[tree.children]]\nname = "echo"\nactor = "{A}:Echo"\n'
    )
    return path


async def test_the_thresholds_reach_the_systems_loop_monitor(tmp_path: Path) -> None:
    spec = load_tree(_tree(tmp_path, "loop_block_threshold = 0.2\nloop_degraded_threshold = 2"))
    assert (spec.system.loop_block_threshold, spec.system.loop_degraded_threshold) == (0.2, 2)
    async with create_system(spec) as system:
        loop = system.health().loop
        assert loop is not None
        assert (loop.threshold, loop.degraded_threshold) == (0.2, 2.0)


async def test_off_turns_the_detector_or_its_degraded_health_off(tmp_path: Path) -> None:
    spec = load_tree(_tree(tmp_path, 'loop_block_threshold = "off"'))
    async with create_system(spec) as system:
        assert system.health().loop is None
    spec = load_tree(_tree(tmp_path, 'loop_degraded_threshold = "off"'))
    async with create_system(spec) as system:
        loop = system.health().loop
        assert loop is not None
        assert (loop.threshold, loop.degraded_threshold) == (0.1, None)


def test_the_defaults_are_a_tenth_and_one_second(tmp_path: Path) -> None:
    settings = load_tree(_tree(tmp_path, "")).system
    assert (settings.loop_block_threshold, settings.loop_degraded_threshold) == (0.1, 1.0)


@pytest.mark.parametrize(
    ("system", "location", "excerpt"),
    [
        ("loop_block_threshold = 0", "$.system.loop_block_threshold", "seconds > 0"),
        ('loop_block_threshold = "of"', "$.system.loop_block_threshold", "did you mean 'off'?"),
        ("loop_degraded_threshold = true", "$.system.loop_degraded_threshold", 'or "off"'),
        (
            "loop_block_threshold = 0.5\nloop_degraded_threshold = 0.2",
            "$.system.loop_degraded_threshold",
            "seconds >= loop_block_threshold (0.5)",
        ),
        ("loop_degraded_threshold = 0.05", "$.system.loop_degraded_threshold", "(0.1)"),
    ],
)
def test_bad_thresholds_are_reported_at_their_location(
    tmp_path: Path, system: str, location: str, excerpt: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_tree(_tree(tmp_path, system))
    problems = caught.value.errors
    assert [problem.location for problem in problems] == [location]
    assert excerpt in problems[0].message


# ----------------------------------------------------------------------------- breakers


async def test_circuit_breakers_declared_in_the_file_are_the_systems(tmp_path: Path) -> None:
    spec = load_tree(
        _tree(
            tmp_path,
            "[system.circuit_breakers.provider]\nmax_failures = 3\nreset_timeout = 2.5\n"
            'call_timeout = "off"\nbackoff_factor = 2\nmax_reset_timeout = 60\n'
            "[system.circuit_breakers.mailer]\n",
        )
    )
    assert set(spec.system.circuit_breakers) == {"provider", "mailer"}
    async with create_system(spec) as system:
        provider = system.circuit_breaker("provider")  # no settings: the file's
        assert provider.settings() == {
            "max_failures": 3,
            "reset_timeout": 2.5,
            "call_timeout": None,
            "max_reset_timeout": 60.0,
            "backoff_factor": 2.0,
        }
        assert system.circuit_breaker("mailer").settings()["max_failures"] == 10  # defaults
        with pytest.raises(ValueError, match="already exists with other settings"):
            system.circuit_breaker("provider", max_failures=4)


@pytest.mark.parametrize(
    ("table", "location", "excerpt"),
    [
        ("max_failures = 0", "$.system.circuit_breakers.p.max_failures", "an int >= 1"),
        ("reset_timeout = -1", "$.system.circuit_breakers.p.reset_timeout", "a number > 0"),
        ('call_timeout = "none"', "$.system.circuit_breakers.p.call_timeout", '"off"'),
        ("backoff_factor = 0.5", "$.system.circuit_breakers.p.backoff_factor", ">= 1"),
        (
            "reset_timeout = 10\nmax_reset_timeout = 5",
            "$.system.circuit_breakers.p.max_reset_timeout",
            "seconds >= reset_timeout (10)",
        ),
        ("max_failure = 3", "$.system.circuit_breakers.p.max_failure", "did you mean"),
    ],
)
def test_bad_circuit_breaker_settings_are_reported_at_their_location(
    tmp_path: Path, table: str, location: str, excerpt: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_tree(_tree(tmp_path, f"[system.circuit_breakers.p]\n{table}\n"))
    problems = caught.value.errors
    assert [problem.location for problem in problems] == [location]
    assert excerpt in problems[0].message
