"""The ``[cluster]`` table of a configuration file: this node of a cluster over NATS.

```toml
[cluster]
servers = ["nats://127.0.0.1:4222"]
node = "orders"
messages = ["examples.cluster.messages:Charge", "examples.cluster.messages:Receipt"]
heartbeat = { interval = 1.0, timeout = 5.0 }
user = "shop"
password_env = "NATS_PASSWORD"    # the secret itself stays out of the file
```

Checked like the rest of the file (every problem with its location), decoded into a
``ClusterSpec`` (``_cluster_spec``), and turned into an ``actors.ClusterConfig`` by
``cluster_config`` when the node starts, reading the secrets from the environment;
``supervise run --node --nats`` override ``node`` and ``servers``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from actors import ClusterConfig
from supervision.config._cluster_spec import ClusterSpec
from supervision.config._durable import check_streams
from supervision.config._durable_spec import durable_streams
from supervision.config._error import ConfigError, ConfigProblem
from supervision.config._fields import BAD, FieldChecker, join
from supervision.config._resolve import Unusable, _resolve, did_you_mean, show
from supervision.config._spec import TreeSpec

__all__ = ["check_cluster", "cluster_config", "part_for_node"]

_KEYS = (
    "servers",
    "node",
    "messages",
    "heartbeat",
    "user",
    "password_env",
    "token_env",
    "nkeys_seed",
    "user_credentials",
    "nodes",
    "streams",
)
_HEARTBEAT_KEYS = ("interval", "timeout")
_NODE = re.compile(r"[A-Za-z0-9_-]+")
_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_cluster(
    checker: FieldChecker, value: Any, location: str, children: Sequence[str] = ()
) -> Any:
    """Check a ``[cluster]`` table, recording problems on ``checker``; returns it normalized
    or ``BAD``. ``children`` are the names of the tree's top-level children, which
    ``nodes`` may name."""
    table = checker.table(value, location, "a table such as { servers = [...], node = 'a' }")
    if table is None:
        return BAD
    for key in table:
        if key not in _KEYS:
            hint = did_you_mean(key, _KEYS)
            if key in ("password", "token"):
                hint = f"write the secret in an environment variable and name it: {key}_env"
            checker.problem(
                join(location, key), f"a key of [cluster] ({', '.join(_KEYS)})", repr(key), hint
            )
    out: dict[str, Any] = {}
    if "servers" in table:
        servers = _strings(checker, table["servers"], join(location, "servers"), "a URL")
        if servers is not BAD:
            out["servers"] = servers
    if "node" in table:
        node = table["node"]
        if isinstance(node, str) and _NODE.fullmatch(node):
            out["node"] = node
        else:
            checker.problem(
                join(location, "node"), "a node name: letters, digits, '_' or '-'", show(node)
            )
    if "messages" in table:
        where = join(location, "messages")
        names = _strings(checker, table["messages"], where, "'package.module:Struct'")
        if names is not BAD:
            for index, name in enumerate(names):
                _check_message_type(checker, name, f"{where}[{index}]")
            out["messages"] = names
    if "heartbeat" in table:
        heartbeat = _heartbeat(checker, table["heartbeat"], join(location, "heartbeat"))
        if heartbeat is not BAD:
            out["heartbeat"] = heartbeat
    for key in ("user", "nkeys_seed", "user_credentials"):
        if key in table:
            if isinstance(table[key], str) and table[key]:
                out[key] = table[key]
            else:
                checker.problem(join(location, key), "a non-empty string", show(table[key]))
    for key in ("password_env", "token_env"):
        if key in table:
            if isinstance(table[key], str) and _ENV.fullmatch(table[key]):
                out[key] = table[key]
            else:
                checker.problem(
                    join(location, key), "the name of an environment variable", show(table[key])
                )
    if "streams" in table:
        streams = check_streams(checker, table["streams"], join(location, "streams"))
        out["streams"] = streams  # BAD stays, so that durable patterns are not re-checked
    if "nodes" in table:
        nodes = _nodes(checker, table["nodes"], join(location, "nodes"), children)
        if nodes is not BAD:
            out["nodes"] = nodes
    if ("user" in out) != ("password_env" in out):
        missing = "password_env" if "user" in out else "user"
        checker.problem(join(location, missing), "user and password_env together", "nothing")
    if "token_env" in out and "user" in out:
        checker.problem(
            join(location, "token_env"), "either token_env or user/password_env", "both"
        )
    return out


def _nodes(checker: FieldChecker, value: Any, location: str, children: Sequence[str]) -> Any:
    table = checker.table(value, location, "a table such as { orders = ['orders'] }")
    if table is None:
        return BAD
    out: dict[str, list[str]] = {}
    for node, names in table.items():
        where = join(location, node)
        if not _NODE.fullmatch(node):
            checker.problem(where, "a node name: letters, digits, '_' or '-'", repr(node))
            continue
        listed = _strings(checker, names, where, "the name of a child of [tree]")
        if listed is BAD:
            continue
        for index, name in enumerate(listed):
            if name not in children:
                checker.problem(
                    f"{where}[{index}]",
                    f"the name of a child of [tree] ({', '.join(children) or 'none'})",
                    repr(name),
                    did_you_mean(name, children),
                )
        out[node] = listed
    return out


def part_for_node(spec: TreeSpec, node: str, source: str | None = None) -> TreeSpec:
    """The part of the tree ``node`` runs: the top-level children that ``[cluster] nodes``
    gives it, and those it gives no node. Without ``nodes``, the whole tree.

    Raises:
        ConfigError: ``nodes`` is given but has no entry for ``node``.
    """
    nodes = {} if spec.cluster is None else spec.cluster.nodes
    if not nodes:
        return spec
    if node not in nodes:
        raise ConfigError(
            [
                ConfigProblem(
                    "$.cluster.nodes",
                    f"an entry for node {node!r} ({', '.join(sorted(nodes))} are listed)",
                    "none",
                    did_you_mean(node, nodes),
                )
            ],
            source=source,
        )
    placed = {name for names in nodes.values() for name in names}
    mine = set(nodes[node])
    kept = tuple(
        child for child in spec.tree.children if child.name in mine or child.name not in placed
    )
    return msgspec.structs.replace(spec, tree=msgspec.structs.replace(spec.tree, children=kept))


def _strings(checker: FieldChecker, value: Any, location: str, what: str) -> Any:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        checker.problem(location, f"a list of strings, each {what}", show(value))
        return BAD
    return value


def _check_message_type(checker: FieldChecker, reference: str, location: str) -> None:
    try:
        found, _, name = _resolve(reference)
    except Unusable as problem:
        checker.unusable(location, problem)
        return
    if not (isinstance(found, type) and issubclass(found, msgspec.Struct)):
        checker.problem(location, "a msgspec.Struct subclass", f"{type(found).__name__} {name!r}")


def _heartbeat(checker: FieldChecker, value: Any, location: str) -> Any:
    table = checker.table(value, location, "a table such as { interval = 1.0, timeout = 5.0 }")
    if table is None:
        return BAD
    for key in table:
        if key not in _HEARTBEAT_KEYS:
            checker.problem(
                join(location, key),
                "a key of a heartbeat (interval, timeout)",
                repr(key),
                did_you_mean(key, _HEARTBEAT_KEYS),
            )
    out: dict[str, Any] = {}
    checker.copy(table, out, "interval", location, checker.number, above=0)
    checker.copy(table, out, "timeout", location, checker.number, above=0)
    interval = out.get("interval", 1.0)
    if "timeout" in out and out["timeout"] <= interval:
        checker.problem(
            join(location, "timeout"), f"a number > interval ({interval:g})", show(out["timeout"])
        )
    return out


def cluster_config(
    spec: ClusterSpec | None,
    *,
    node: str | None = None,
    servers: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    source: str | None = None,
) -> ClusterConfig:
    """The ``ClusterConfig`` of a ``[cluster]`` table (or of none), with ``node`` and
    ``servers`` (from ``supervise run --node --nats``) taking precedence over the file's.
    Secrets are read from ``environ`` (default: ``os.environ``).

    Raises:
        ConfigError: no node or no server is given, an environment variable named by
            ``password_env``/``token_env`` is not set, or a message type cannot be imported;
            every problem with its location.
    """
    spec = ClusterSpec() if spec is None else spec
    environ = os.environ if environ is None else environ
    problems: list[ConfigProblem] = []
    chosen_node = node or spec.node
    chosen_servers = tuple(servers) if servers else spec.servers
    if chosen_node is None:
        problems.append(
            ConfigProblem("$.cluster.node", "this node's name (or --node NAME)", "nothing")
        )
    elif not _NODE.fullmatch(chosen_node):
        problems.append(ConfigProblem("--node", "letters, digits, '_' or '-'", show(chosen_node)))
    if not chosen_servers:
        problems.append(
            ConfigProblem("$.cluster.servers", "NATS server URLs (or --nats URL)", "nothing")
        )
    secrets: dict[str, str] = {}
    for key, field in (("password_env", "password"), ("token_env", "token")):
        variable = getattr(spec, key)
        if variable is not None:
            if variable in environ:
                secrets[field] = environ[variable]
            else:
                problems.append(
                    ConfigProblem(
                        f"$.cluster.{key}",
                        f"the environment variable {variable} to be set",
                        "it is not set",
                    )
                )
    messages: list[type[msgspec.Struct]] = []
    for index, reference in enumerate(spec.messages):
        try:
            found, _, _ = _resolve(reference)
        except Unusable as problem:
            problems.append(
                ConfigProblem(
                    f"$.cluster.messages[{index}]", problem.expected, problem.found, problem.hint
                )
            )
            continue
        if isinstance(found, type) and issubclass(found, msgspec.Struct):
            messages.append(found)
        else:
            problems.append(
                ConfigProblem(f"$.cluster.messages[{index}]", "a msgspec.Struct", show(reference))
            )
    if problems:
        raise ConfigError(problems, source=source)
    assert chosen_node is not None
    try:
        streams = durable_streams(spec.streams)
        return ClusterConfig(
            servers=chosen_servers,
            node=chosen_node,
            messages=messages,
            heartbeat_interval=spec.heartbeat.interval,
            heartbeat_timeout=spec.heartbeat.timeout,
            user=spec.user,
            nkeys_seed=spec.nkeys_seed,
            user_credentials=spec.user_credentials,
            password=secrets.get("password"),
            token=secrets.get("token"),
            streams=streams,
        )
    except ValueError as error:  # streams that share a topic: only seen all together
        raise ConfigError(
            [ConfigProblem("$.cluster.streams", "streams that keep distinct topics", str(error))],
            source=source,
        ) from None
