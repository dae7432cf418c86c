"""Checking a configuration's plain data, collecting every problem before anything starts.

msgspec stops at the first problem; a person fixing a file wants all of them. So the parsed
data is walked here first: every field is checked by its own small function (OTP's
``valid*`` functions), each failure recorded with its location, and only a document without
problems is decoded into the typed specs (``_spec``). Nothing here starts an actor;
the only side effect is importing the modules that the file names.

The constraints and defaults are those of ``_spec``; ``docs/reference/configuration.md``
states them for users.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from actors import Actor, DurablePool
from supervision.config._cluster import check_cluster
from supervision.config._durable import check_durable_patterns, check_subscriptions
from supervision.config._error import ConfigError, ConfigProblem
from supervision.config._fields import BAD, NAME, FieldChecker, join
from supervision.config._refs import REF_KEY, ref_problem, refs_of
from supervision.config._resolve import (
    Unusable,
    args_problems,
    did_you_mean,
    import_path_note,
    resolve_callable,
    show,
)
from supervision.config._spec import (
    KINDS,
    OVERFLOWS,
    RESTARTS,
    ROUTINGS,
    STRATEGIES,
    TreeSpec,
)

__all__ = ["MAX_DEPTH", "check_document", "decode_document"]

MAX_DEPTH = 32
"""The deepest a tree may be: the root is level 1. Deeper is a mistake (or a YAML alias loop)."""

# The root's name must not be the reserved "system" (the runtime's own actors' namespace).
_RESERVED_ROOT = "system"

_NODE = ("name", "kind")
_CHILD = ("restart", "shutdown", "mailbox")
_ACTOR = ("actor", "args", "subscribe")
_HANDLING = ("retry", "handler_timeout")
_BUDGET = ("max_restarts", "within", "backoff", "decider")
_KEYS: dict[str, tuple[str, ...]] = {
    "worker": (*_NODE, *_ACTOR, *_CHILD, *_HANDLING),
    "pool": (*_NODE, *_ACTOR, "pool", *_CHILD, *_HANDLING),
    "supervisor": (*_NODE, "strategy", *_BUDGET, "children", *_CHILD),
    "dynamic_supervisor": (*_NODE, "template", "max_children", *_BUDGET, *_CHILD),
}
_ROOT_KEYS = tuple(key for key in _KEYS["supervisor"] if key != "restart")
_TEMPLATE_KEYS = ("name", *_ACTOR, *_CHILD, *_HANDLING)
_MAILBOX_KEYS = ("capacity", "overflow")
_BACKOFF_KEYS = ("min", "max", "factor", "jitter", "reset_after")
_RETRY_KEYS = ("max_attempts", "backoff", "on", "to_back")
_POOL_KEYS = (
    "size",
    "routing",
    "key",
    "max_restarts",
    "within",
    "decider",
    "routee_mailbox",
    "cluster",
    "durable",
)
_SYSTEM_KEYS = (
    "name",
    "shutdown",
    "blocking_threads",
    "dead_letter_buffer",
    "timing_sample",
    "loop_block_threshold",
    "loop_degraded_threshold",
    "circuit_breakers",
)
_BREAKER_KEYS = (
    "max_failures",
    "reset_timeout",
    "call_timeout",
    "max_reset_timeout",
    "backoff_factor",
)
_TOP_KEYS = ("system", "tree", "cluster")
_KIND_NAMES = {
    "worker": "a worker",
    "pool": "a pool",
    "supervisor": "a supervisor",
    "dynamic_supervisor": "a dynamic supervisor",
}
_SUPERVISOR_MARKS = frozenset(
    {"children", "strategy", "max_restarts", "within", "backoff", "decider"}
)
_CHILD_SHAPES = (
    "a child: a worker (with 'actor'), a supervisor ('children'), a dynamic supervisor"
    " ('template') or a pool ('pool' and 'actor')"
)


def check_document(data: Any, source: str | None = None) -> dict[str, Any]:
    """Check a parsed document and return it normalized (each child's ``kind`` filled in,
    the root's name defaulted), ready for ``msgspec.convert(..., TreeSpec)``.

    Raises ConfigError listing every problem.
    """
    checker = _Checker()
    document = checker.document(data)
    if checker.problems:
        error = ConfigError(checker.problems, source=source)
        if checker.missing_modules:
            error.add_note(import_path_note(checker.missing_modules))
        raise error
    return document


def decode_document(data: Any, source: str | None = None) -> TreeSpec:
    """Check a parsed document and decode it into a ``TreeSpec``. Raises ConfigError."""
    document = check_document(data, source)
    try:
        return msgspec.convert(document, TreeSpec)
    except msgspec.ValidationError as error:
        # The checks above are meant to be msgspec's and more; should they ever let a
        # document through that msgspec refuses, that is still the file's problem.
        message, _, location = str(error).rpartition(" - at `")
        raise ConfigError(
            [ConfigProblem(location.rstrip("`") or "$", "a valid value", message or str(error))],
            source=source,
        ) from None


class _Checker(FieldChecker):
    def __init__(self) -> None:
        super().__init__()
        # Every node's path -> what it is ("a pool"); and each ref argument (its location,
        # the path of the node holding it, the path written), checked once the whole tree
        # is known.
        self.paths: dict[str, str] = {}
        self.refs: list[tuple[str, str, object]] = []
        # Each durable subscribe entry (the location of its pattern, the pattern), checked
        # against [cluster] streams once the whole document is read.
        self.durables: list[tuple[str, str]] = []

    # ------------------------------------------------------------------ document

    def document(self, data: Any) -> dict[str, Any]:
        expected = "a table with a [tree] (and optionally a [system]) table"
        if data is None:
            self.problem("$", expected, "an empty document")
            return {}
        top = self.table(data, "$", expected)
        if top is None:
            return {}
        self.keys(top, "$", _TOP_KEYS, "the document")
        system = self.system(top.get("system", {}), "$.system")
        tree: dict[str, Any] = {}
        if self.required(top, "tree", "$", "a [tree] table (the root supervisor)"):
            tree = self.root(top["tree"], "$.tree", system.get("name", "actors"))
        self.check_refs()
        document = {"system": system, "tree": tree}
        streams: Any = []
        if "cluster" in top:
            children = [child.get("name") for child in tree.get("children", ())]
            document["cluster"] = cluster = check_cluster(
                self, top["cluster"], "$.cluster", [name for name in children if name]
            )
            streams = cluster.get("streams", []) if isinstance(cluster, dict) else BAD
        check_durable_patterns(self, self.durables, streams)
        return document

    def check_refs(self) -> None:
        for location, base, written in self.refs:
            problem = ref_problem(location, base, written, show(written), self.paths)
            if problem is not None:
                self.problems.append(problem)

    def system(self, value: Any, location: str) -> dict[str, Any]:
        table = self.table(value, location)
        if table is None:
            return {}
        self.keys(table, location, _SYSTEM_KEYS, "[system]")
        out: dict[str, Any] = {}
        if "name" in table:
            name = table["name"]
            if not isinstance(name, str) or not name.strip():
                self.problem(join(location, "name"), "a non-empty string", show(name))
            else:
                out["name"] = name
        self.copy(table, out, "shutdown", location, self.shutdown)
        self.copy(table, out, "blocking_threads", location, self.integer, minimum=1)
        self.copy(table, out, "dead_letter_buffer", location, self.integer, minimum=0)
        self.copy(table, out, "timing_sample", location, self.integer, minimum=1)
        sample = out.get("timing_sample")
        if sample is not None and sample & (sample - 1):
            del out["timing_sample"]
            self.problem(
                join(location, "timing_sample"),
                "a power of two (1 times every message)",
                show(sample),
            )
        self.copy(table, out, "loop_block_threshold", location, self.seconds_or_off)
        self.copy(table, out, "loop_degraded_threshold", location, self.seconds_or_off)
        block = out.get("loop_block_threshold", 0.1)
        degraded = out.get("loop_degraded_threshold", 1.0)
        if block != "off" and degraded != "off" and degraded < block:
            self.problem(
                join(location, "loop_degraded_threshold"),
                f"seconds >= loop_block_threshold ({block:g})",
                show(degraded),
            )
        if "circuit_breakers" in table:
            breakers = self.circuit_breakers(
                table["circuit_breakers"], join(location, "circuit_breakers")
            )
            if breakers is not None:
                out["circuit_breakers"] = breakers
        return out

    def circuit_breakers(self, value: Any, location: str) -> dict[str, Any] | None:
        tables = self.table(value, location, "a table of circuit breakers by name")
        if tables is None:
            return None
        out: dict[str, Any] = {}
        for name, settings in tables.items():
            where = join(location, name)
            if not name:
                self.problem(where, "a non-empty circuit breaker name", show(name))
                continue
            table = self.table(settings, where, "a table (a circuit breaker's settings)")
            if table is None:
                continue
            self.keys(table, where, _BREAKER_KEYS, f"[system.circuit_breakers.{name}]")
            breaker: dict[str, Any] = {}
            self.copy(table, breaker, "max_failures", where, self.integer, minimum=1)
            self.copy(table, breaker, "reset_timeout", where, self.number, above=0)
            self.copy(table, breaker, "call_timeout", where, self.seconds_or_off)
            self.copy(table, breaker, "max_reset_timeout", where, self.number, above=0)
            self.copy(table, breaker, "backoff_factor", where, self.number, at_least=1)
            reset = breaker.get("reset_timeout", 15.0)
            longest = breaker.get("max_reset_timeout")
            if longest is not None and longest < reset:
                self.problem(
                    join(where, "max_reset_timeout"),
                    f"seconds >= reset_timeout ({reset:g})",
                    show(longest),
                )
                del breaker["max_reset_timeout"]
            out[name] = breaker
        return out

    def seconds_or_off(self, value: Any, location: str) -> Any:
        expected = 'a number of seconds > 0, or "off"'
        if value == "off" and isinstance(value, str):
            return value
        if isinstance(value, str):
            self.problem(location, expected, show(value), did_you_mean(value, ["off"]))
            return BAD
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value <= 0
        ):
            self.problem(location, expected, show(value))
            return BAD
        return value

    # ------------------------------------------------------------------ nodes

    def root(self, value: Any, location: str, default_name: str) -> dict[str, Any]:
        table = self.table(value, location, "a table (the root supervisor)")
        if table is None:
            return {}
        if "kind" in table and table["kind"] != "supervisor":
            self.problem(
                join(location, "kind"),
                "'supervisor' ([tree] is the root supervisor)",
                show(table["kind"]),
                "put workers, pools and dynamic supervisors in [[tree.children]]",
            )
        self.keys(table, location, _ROOT_KEYS, "the root supervisor", root=True)
        out: dict[str, Any] = {"kind": "supervisor"}
        if "name" in table:
            name = self.name(table["name"], join(location, "name"))
            if name == _RESERVED_ROOT:
                name = BAD
                self.problem(
                    join(location, "name"),
                    "a root name other than 'system'",
                    repr(_RESERVED_ROOT),
                    "/system is reserved for the runtime's own actors",
                )
        elif NAME.fullmatch(default_name) and default_name != _RESERVED_ROOT:
            name = default_name
        else:
            name = BAD
            self.problem(
                join(location, "name"),
                "a name without '/' or whitespace (the root's name defaults to the system's)",
                f"{default_name!r} (from $.system.name)",
            )
        path = None
        if name is not BAD:
            out["name"] = name
            path = f"/{name}"
            self.paths[path] = _KIND_NAMES["supervisor"]
        self.copy(table, out, "shutdown", location, self.shutdown)
        self.copy(table, out, "mailbox", location, self.mailbox)
        self.supervisor_body(table, location, out, depth=1, path=path)
        return out

    def child(
        self, value: Any, location: str, depth: int, parent: str | None
    ) -> dict[str, Any] | None:
        table = self.table(value, location, _CHILD_SHAPES)
        if table is None:
            return None
        kind = self.kind_of(table, location)
        if kind is None:
            return None
        self.keys(table, location, _KEYS[kind], _KIND_NAMES[kind])
        out: dict[str, Any] = {"kind": kind}
        path = None  # unknown when the name (or an ancestor's) is bad: refs from it unchecked
        if self.required(table, "name", location, "a name"):
            name = self.name(table["name"], join(location, "name"))
            if name is not BAD:
                out["name"] = name
                if parent is not None:
                    path = f"{parent}/{name}"
                    self.paths.setdefault(path, _KIND_NAMES[kind])
        self.copy(table, out, "restart", location, self.choice, options=RESTARTS)
        self.copy(table, out, "shutdown", location, self.shutdown)
        self.copy(table, out, "mailbox", location, self.mailbox)
        if kind == "supervisor":
            self.supervisor_body(table, location, out, depth, path)
        elif kind == "dynamic_supervisor":
            self.restart_budget(table, location, out)
            self.copy(table, out, "max_children", location, self.integer, minimum=0)
            if self.required(table, "template", location, "a template table (the children)"):
                template = self.template(table["template"], join(location, "template"), path)
                if template is not None:
                    out["template"] = template
        else:
            self.actor_fields(table, location, out, partial=False, base=path)
            self.handling(table, location, out)
            if kind == "pool":
                for index, entry in enumerate(out.get("subscribe", ())):
                    if isinstance(entry, dict):
                        self.problem(
                            f"{join(location, 'subscribe')}[{index}]",
                            "a bus pattern (a pool acknowledges an event when it routed it,"
                            " not when a routee handled it: subscribe its workers durably)",
                            "a durable subscription",
                        )
            if kind == "pool" and self.required(
                table, "pool", location, "a table such as { size = 4 }"
            ):
                options = self.pool_options(table["pool"], join(location, "pool"))
                if options is not None:
                    out["pool"] = options
        return out

    def kind_of(self, table: dict[str, Any], location: str) -> str | None:
        if "kind" in table:
            kind = self.choice(table["kind"], join(location, "kind"), options=KINDS)
            return None if kind is BAD else str(kind)
        if "pool" in table:
            return "pool"
        if "template" in table:
            return "dynamic_supervisor"
        if "actor" in table:
            return "worker"
        if _SUPERVISOR_MARKS.intersection(table):
            return "supervisor"
        keys = ", ".join(repr(key) for key in table) or "no keys"
        self.problem(location, _CHILD_SHAPES, f"a table with {keys}")
        return None

    def supervisor_body(
        self,
        table: dict[str, Any],
        location: str,
        out: dict[str, Any],
        depth: int,
        path: str | None,
    ) -> None:
        self.copy(table, out, "strategy", location, self.choice, options=STRATEGIES)
        self.restart_budget(table, location, out)
        if "children" not in table:
            return
        where = join(location, "children")
        children = table["children"]
        if not isinstance(children, list):
            self.problem(where, "a list of children (an array of tables)", show(children))
            return
        if children and depth >= MAX_DEPTH:
            self.problem(
                where,
                f"a tree at most {MAX_DEPTH} levels deep",
                f"children at level {depth + 1}",
                "is a YAML alias making the tree contain itself?",
            )
            return
        checked = []
        first: dict[str, int] = {}
        for index, value in enumerate(children):
            child_location = f"{where}[{index}]"
            child = self.child(value, child_location, depth + 1, path)
            if child is None:
                continue
            checked.append(child)
            name = child.get("name")
            if isinstance(name, str):
                if name in first:
                    self.problem(
                        join(child_location, "name"),
                        "a name unique among its siblings",
                        repr(name),
                        f"{where}[{first[name]}] has it too",
                    )
                else:
                    first[name] = index
        out["children"] = checked

    def restart_budget(self, table: dict[str, Any], location: str, out: dict[str, Any]) -> None:
        self.copy(table, out, "max_restarts", location, self.integer, minimum=0)
        self.copy(table, out, "within", location, self.number, above=0)
        self.copy(table, out, "backoff", location, self.backoff)
        self.copy(table, out, "decider", location, self.decider)

    def actor_fields(
        self,
        table: dict[str, Any],
        location: str,
        out: dict[str, Any],
        *,
        partial: bool,
        base: str | None,
    ) -> type[Actor] | None:
        cls: type[Actor] | None = None
        if self.required(table, "actor", location, "an actor class 'package.module:Class'"):
            cls = self.actor(table["actor"], join(location, "actor"))
            if cls is not None:
                out["actor"] = table["actor"]
        if "args" in table:
            where = join(location, "args")
            args = self.table(table["args"], where, "a table of keyword arguments")
            if args is not None:
                out["args"] = args
                if base is not None:
                    for key, written in refs_of(args):
                        self.refs.append((join(join(where, key), REF_KEY), base, written))
                if cls is not None:
                    for problem in args_problems(cls, args, partial=partial):
                        self.unusable(where, problem)
        elif cls is not None and not partial:
            for problem in args_problems(cls, {}, partial=False):
                self.unusable(join(location, "args"), problem)
        self.copy(table, out, "subscribe", location, self.subscriptions)
        return cls

    def subscriptions(self, value: Any, location: str) -> Any:
        checked = check_subscriptions(self, value, location)
        if checked is not BAD:
            for index, entry in enumerate(checked):
                if isinstance(entry, dict):
                    self.durables.append((f"{location}[{index}].pattern", entry["pattern"]))
        return checked

    def handling(self, table: dict[str, Any], location: str, out: dict[str, Any]) -> None:
        """A worker's (template's, pool's routees') message-handling policies: ``retry``,
        ``handler_timeout``."""
        self.copy(table, out, "retry", location, self.retry)
        self.copy(table, out, "handler_timeout", location, self.number, above=0)

    def template(self, value: Any, location: str, base: str | None) -> dict[str, Any] | None:
        table = self.table(value, location, "a table: the children's actor, args, ...")
        if table is None:
            return None
        self.keys(table, location, _TEMPLATE_KEYS, "a template")
        out: dict[str, Any] = {}
        if "name" in table:
            name = self.name(table["name"], join(location, "name"))
            if name is not BAD:
                out["name"] = name
        self.actor_fields(table, location, out, partial=True, base=base)
        self.handling(table, location, out)
        self.copy(table, out, "restart", location, self.choice, options=RESTARTS)
        self.copy(table, out, "shutdown", location, self.shutdown)
        self.copy(table, out, "mailbox", location, self.mailbox)
        return out

    def pool_options(self, value: Any, location: str) -> dict[str, Any] | None:
        table = self.table(value, location, "a table such as { size = 4 }")
        if table is None:
            return None
        self.keys(table, location, _POOL_KEYS, "a pool")
        out: dict[str, Any] = {}
        if self.required(table, "size", location, "the number of routees, an int >= 1"):
            self.copy(table, out, "size", location, self.integer, minimum=1)
        self.copy(table, out, "routing", location, self.choice, options=ROUTINGS)
        self.copy(table, out, "max_restarts", location, self.integer, minimum=0)
        self.copy(table, out, "within", location, self.number, above=0)
        self.copy(table, out, "decider", location, self.decider)
        self.copy(table, out, "routee_mailbox", location, self.mailbox)
        if "cluster" in table:
            if isinstance(table["cluster"], bool):
                out["cluster"] = table["cluster"]
            else:
                self.problem(join(location, "cluster"), "true or false", show(table["cluster"]))
        if "durable" in table:
            self.durable_pool(table, location, out)
        routing = table.get("routing", "round_robin")
        if "key" in table:
            where = join(location, "key")
            if routing != "consistent_hash":
                self.problem(
                    where,
                    "no key (a key function is for routing = 'consistent_hash')",
                    show(table["key"]),
                )
            else:
                try:
                    resolve_callable(table["key"])
                    out["key"] = table["key"]
                except Unusable as problem:
                    self.unusable(where, problem)
        elif routing == "consistent_hash":
            self.problem(
                join(location, "key"),
                "a key function 'package.module:function' for consistent_hash routing",
                "nothing",
            )
        return out

    def durable_pool(self, table: dict[str, Any], location: str, out: dict[str, Any]) -> None:
        """``pool.durable``: a durable consumer's name, on a pool with ``cluster = true``."""
        where = join(location, "durable")
        name = table["durable"]
        try:
            DurablePool(name=name)
        except (TypeError, ValueError) as error:
            expected = "a durable pool's name (letters, digits, '_' or '-')"
            self.problem(where, expected, show(name), str(error))
            return
        if table.get("cluster") is not True:
            self.problem(
                where,
                "no durable name on a pool without cluster = true (a durable pool is one"
                " work queue shared by the cluster's nodes)",
                show(name),
            )
            return
        out["durable"] = name

    # ------------------------------------------------------------------ tables

    def mailbox(self, value: Any, location: str) -> Any:
        table = self.table(value, location, "a table such as { capacity = 1000 }")
        if table is None:
            return BAD
        self.keys(table, location, _MAILBOX_KEYS, "a mailbox")
        out: dict[str, Any] = {}
        self.copy(table, out, "capacity", location, self.integer, minimum=1)
        self.copy(table, out, "overflow", location, self.choice, options=OVERFLOWS)
        return out

    def backoff(self, value: Any, location: str) -> Any:
        table = self.table(value, location, "a table such as { min = 0.1, max = 5.0 }")
        if table is None:
            return BAD
        self.keys(table, location, _BACKOFF_KEYS, "a backoff")
        out: dict[str, Any] = {}
        for key in ("min", "max"):
            if self.required(table, key, location, "a number of seconds > 0"):
                self.copy(table, out, key, location, self.number, above=0)
        self.copy(table, out, "factor", location, self.number, at_least=1)
        self.copy(table, out, "jitter", location, self.number, at_least=0, below=1)
        self.copy(table, out, "reset_after", location, self.number, above=0)
        if "min" in out and "max" in out and out["max"] < out["min"]:
            self.problem(
                join(location, "max"), f"a number >= min ({out['min']!r})", show(out["max"])
            )
        return out

    def retry(self, value: Any, location: str) -> Any:
        table = self.table(value, location, "a table such as { max_attempts = 3 }")
        if table is None:
            return BAD
        self.keys(table, location, _RETRY_KEYS, "a retry")
        out: dict[str, Any] = {}
        self.copy(table, out, "max_attempts", location, self.integer, minimum=1)
        self.copy(table, out, "backoff", location, self.backoff)
        self.copy(table, out, "on", location, self.exceptions)
        if "to_back" in table:
            if isinstance(table["to_back"], bool):
                out["to_back"] = table["to_back"]
            else:
                self.problem(join(location, "to_back"), "true or false", show(table["to_back"]))
        return out

    def keys(
        self,
        table: dict[str, Any],
        location: str,
        allowed: tuple[str, ...],
        what: str,
        *,
        root: bool = False,
    ) -> None:
        for key in table:
            if key in allowed:
                continue
            hint = did_you_mean(key, allowed) or _owner_hint(key, what, root)
            self.problem(
                join(location, key), f"a key of {what} ({', '.join(allowed)})", repr(key), hint
            )


def _owner_hint(key: str, what: str, root: bool) -> str:
    owners = [kind for kind, keys in _KEYS.items() if key in keys]
    if not owners:
        return ""
    names = " or ".join(_KIND_NAMES[kind] for kind in owners)
    if root:
        return (
            f"a key of {names}; [tree] is the root supervisor, its children go in [[tree.children]]"
        )
    return f"a key of {names}, not of {what}"
