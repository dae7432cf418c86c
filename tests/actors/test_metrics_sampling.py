"""The histograms' sampling rate is a setting, their names say they are sampled, and
supervisors built from configuration files are labelled by their configured names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from actors import Actor, ActorSystem
from supervision import ConfigError, create_system, load_tree, spawn_tree

ROOT = Path(__file__).resolve().parents[2]


class Orders(Actor):
    def receive(self, message: Any) -> Any:
        return message


def sample(system: ActorSystem, name: str, **labels: str) -> float | None:
    value: float | None = system.registry.get_sample_value(name, labels)
    return value


async def handle(system: ActorSystem, count: int) -> None:
    ref = await system.spawn(Orders, name="orders")
    for number in range(count):
        await ref.ask(number)


async def test_timing_every_message_makes_the_histogram_count_the_messages() -> None:
    async with ActorSystem("every", timing_sample=1) as system:
        await handle(system, 40)
        name = "actors_message_processing_sampled_seconds_count"
        assert sample(system, name, actor_class="Orders") == 40
        wait = sample(system, "actors_mailbox_wait_sampled_seconds_count", actor_class="Orders")
        assert wait == 40
        assert sample(system, "actors_messages_processed_total", actor_class="Orders") == 40
        assert sample(system, "actors_timing_sample") == 1


async def test_by_default_one_in_sixteen_is_timed_and_the_names_say_so() -> None:
    async with ActorSystem("default") as system:
        await handle(system, 40)
        name = "actors_message_processing_sampled_seconds_count"
        assert sample(system, name, actor_class="Orders") == 2  # accepted 40: 2 of 16
        assert sample(system, "actors_timing_sample") == 16
        names = {metric.name for metric in system.registry.collect()}
        # No histogram whose _count could pass for the number of messages.
        assert "actors_message_processing_seconds" not in names
        assert "actors_mailbox_wait_seconds" not in names
        assert {
            "actors_message_processing_sampled_seconds",
            "actors_mailbox_wait_sampled_seconds",
        } <= names


@pytest.mark.parametrize(
    ("timing_sample", "error"),
    [(0, ValueError), (3, ValueError), (-16, ValueError), (True, TypeError), ("16", TypeError)],
)
def test_the_sampling_rate_is_a_power_of_two(timing_sample: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="timing_sample"):
        ActorSystem(timing_sample=timing_sample)


async def test_supervisors_from_a_file_are_labelled_by_their_configured_names() -> None:
    spec = load_tree(ROOT / "examples" / "shop" / "tree.toml")
    async with create_system(spec) as system:
        await spawn_tree(system, spec)
        live = {
            metric.labels["actor_class"]: metric.value
            for family in system.registry.collect()
            if family.name == "actors_live"
            for metric in family.samples
        }
        assert live["shop"] == 1  # the root, [tree]
        assert live["payments"] == 1
        assert "ConfiguredSupervisor" not in live
        assert live["Ledger"] == 1


def test_a_configuration_file_sets_the_sampling_rate(tmp_path: Path) -> None:
    tree = (
        '[tree]\nchildren = [{ name = "a", actor = "tests.actors.test_metrics_sampling:Orders" }]\n'
    )
    path = tmp_path / "tree.toml"
    path.write_text("[system]\ntiming_sample = 1\n" + tree)
    assert create_system(load_tree(path)).timing_sample == 1
    path.write_text(tree)
    assert create_system(load_tree(path)).timing_sample == 16
    path.write_text("[system]\ntiming_sample = 3\n" + tree)
    with pytest.raises(ConfigError) as caught:
        load_tree(path)
    [problem] = caught.value.errors
    assert problem.location == "$.system.timing_sample"
    assert "power of two" in str(caught.value)
