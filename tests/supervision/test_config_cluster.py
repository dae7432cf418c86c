"""The [cluster] table of a configuration file, and `supervise run --node --nats`."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

from supervision import ConfigError, load_tree
from supervision.config._cluster import cluster_config, part_for_node
from supervision.config._tree import parse_tree

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


def test_each_node_runs_its_part_of_the_example_tree() -> None:
    spec = load_tree(ROOT / "examples" / "cluster" / "shop.toml")
    assert spec.cluster is not None
    assert len(spec.cluster.messages) == 3
    assert [child.name for child in part_for_node(spec, "orders").tree.children] == ["orders"]
    assert [c.name for c in part_for_node(spec, "payments").tree.children] == ["payments"]
    with pytest.raises(ConfigError) as caught:
        part_for_node(spec, "payment")
    [problem] = caught.value.errors
    assert problem.location == "$.cluster.nodes"
    assert "payments" in problem.hint


def test_a_child_no_node_lists_runs_on_every_node_and_unknown_names_are_located() -> None:
    text = TREE + (
        '\n[[tree.children]]\nname = "audit"\nactor = "examples.cluster.actors:Payments"\n'
        '\n[cluster]\nnodes = { a = ["payments"], b = [] }\n'
    )
    spec = parse_tree(text, "toml")
    assert [child.name for child in part_for_node(spec, "a").tree.children] == [
        "payments",
        "audit",
    ]
    assert [child.name for child in part_for_node(spec, "b").tree.children] == ["audit"]
    with pytest.raises(ConfigError) as caught:
        parse_tree(TREE + '\n[cluster]\nnodes = { a = ["paymnets"], "b c" = [] }\n', "toml")
    problems = {problem.location: problem for problem in caught.value.errors}
    assert set(problems) == {"$.cluster.nodes.a[0]", "$.cluster.nodes['b c']"}
    assert "payments" in problems["$.cluster.nodes.a[0]"].hint


@pytest.mark.real_time
def test_supervise_run_without_a_reachable_nats_exits_1() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "supervision",
            "run",
            "examples/cluster/shop.toml",
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
        [sys.executable, "-m", "supervision", "run", "examples/cluster/shop.toml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "$.cluster.node" in done.stderr
