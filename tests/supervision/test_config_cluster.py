"""The [cluster] table of a configuration file, and `supervise run --node --nats`."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

from supervision import ConfigError, load_tree
from supervision._config import parse_tree
from supervision._config_cluster import cluster_config

ROOT = pathlib.Path(__file__).resolve().parents[2]

TREE = """
[system]
name = "shop"

[tree]
[[tree.children]]
name = "payments"
actor = "examples.cluster.actors:Payments"
"""


def test_a_cluster_table_becomes_a_cluster_config_with_secrets_from_the_environment() -> None:
    spec = parse_tree(
        TREE
        + """
[cluster]
servers = ["nats://127.0.0.1:4222"]
node = "payments"
messages = ["examples.cluster.messages:Charge"]
heartbeat = { interval = 0.5, timeout = 2.0 }
user = "shop"
password_env = "SHOP_NATS_PASSWORD"
""",
        "toml",
    )
    config = cluster_config(spec.cluster, environ={"SHOP_NATS_PASSWORD": "from-env"})
    assert config.node == "payments"
    assert config.servers == ("nats://127.0.0.1:4222",)
    assert config.password == "from-env"
    assert config.heartbeat_interval == 0.5
    assert config.heartbeat_timeout == 2.0
    assert [kind.__name__ for kind in config.messages] == ["Charge"]
    # --node and --nats win over the file.
    other = cluster_config(
        spec.cluster, node="b", servers=["nats://127.0.0.1:1"], environ={"SHOP_NATS_PASSWORD": "x"}
    )
    assert (other.node, other.servers) == ("b", ("nats://127.0.0.1:1",))


def test_every_problem_of_a_cluster_table_is_reported_with_its_location() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_tree(
            TREE
            + """
[cluster]
servers = "nats://127.0.0.1:4222"
node = "a.b"
password = "literal"
messages = ["examples.cluster.messages:Chrage", "examples.cluster.actors:Payments"]
heartbeat = { interval = 2.0, timeout = 1.0, jitter = 1 }
token_env = "not a variable"
""",
            "toml",
        )
    locations = {problem.location: problem for problem in caught.value.errors}
    assert set(locations) == {
        "$.cluster.node",
        "$.cluster.password",
        "$.cluster.messages[0]",
        "$.cluster.messages[1]",
        "$.cluster.heartbeat.timeout",
        "$.cluster.heartbeat.jitter",
        "$.cluster.token_env",
    }
    assert "password_env" in locations["$.cluster.password"].hint
    assert "Charge" in locations["$.cluster.messages[0]"].hint


def test_a_missing_node_server_or_secret_is_a_located_error_when_the_node_starts() -> None:
    spec = parse_tree(TREE + '\n[cluster]\nuser = "u"\npassword_env = "UNSET_VAR_X"\n', "toml")
    with pytest.raises(ConfigError) as caught:
        cluster_config(spec.cluster, environ={})
    assert {problem.location for problem in caught.value.errors} == {
        "$.cluster.node",
        "$.cluster.servers",
        "$.cluster.password_env",
    }


def test_the_example_files_are_valid() -> None:
    for name in ("orders", "payments"):
        spec = load_tree(ROOT / "examples" / "cluster" / f"{name}.toml")
        assert spec.cluster is not None
        assert len(spec.cluster.messages) == 3


@pytest.mark.real_time
def test_supervise_run_without_a_reachable_nats_exits_1() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "supervision",
            "run",
            "examples/cluster/payments.toml",
            "--node",
            "payments",
            "--nats",
            "nats://127.0.0.1:1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert "cannot join the cluster" in done.stderr


@pytest.mark.real_time
def test_supervise_run_with_a_cluster_table_but_no_node_exits_2() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "supervision", "run", "examples/cluster/payments.toml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "$.cluster.node" in done.stderr
