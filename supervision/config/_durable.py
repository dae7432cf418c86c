"""Durable events in configuration files: ``[cluster] streams`` and durable ``subscribe``
entries of workers.

```toml
[cluster]
servers = ["nats://127.0.0.1:4222"]
node = "billing"
streams = [{ name = "orders", subjects = ["orders.>"], max_age = 604800 }]

[[tree.children]]
name = "billing"
actor = "shop.billing:Billing"
subscribe = ["audit.>", { pattern = "orders.paid", durable = "billing", max_deliver = 5 }]
```

Every problem is recorded with its location: a stream's settings are checked by
``actors.DurableStream`` itself (its error names the field), a durable entry field by
field, and each durable pattern against the declared streams (one must keep all of it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar, cast

from actors import Actor, DurableStream, EventBus
from supervision.config._durable_spec import DurableSubscriptionSpec
from supervision.config._fields import BAD, FieldChecker, join
from supervision.config._resolve import did_you_mean, show

__all__ = [
    "check_durable_patterns",
    "check_streams",
    "check_subscriptions",
    "with_durable_subscriptions",
]

_STREAM_KEYS = (
    "name",
    "subjects",
    "retention",
    "max_age",
    "max_bytes",
    "replicas",
    "duplicate_window",
    "storage",
)
_DURABLE_KEYS = ("pattern", "durable", "max_deliver", "max_ack_pending", "backoff", "ack_wait")
_DURABLE_NAME = re.compile(r"[A-Za-z0-9_-]+")


def check_streams(checker: FieldChecker, value: Any, location: str) -> Any:
    """Check ``[cluster] streams``: a list of tables, each valid for ``DurableStream``."""
    if not isinstance(value, list):
        checker.problem(
            location, "a list of stream tables such as [{ name = 'orders', ... }]", show(value)
        )
        return BAD
    out: list[dict[str, Any]] = []
    good = True
    for index, entry in enumerate(value):
        where = f"{location}[{index}]"
        table = checker.table(
            entry, where, "a table such as { name = 'orders', subjects = ['orders.>'] }"
        )
        if table is None:
            good = False
            continue
        unknown = [key for key in table if key not in _STREAM_KEYS]
        for key in unknown:
            checker.problem(
                join(where, key),
                f"a key of a stream ({', '.join(_STREAM_KEYS)})",
                repr(key),
                did_you_mean(key, _STREAM_KEYS),
            )
        for key in ("name", "subjects"):
            if key not in table:
                checker.problem(
                    join(where, key), f"the stream's {key}", "nothing", "the key is required"
                )
        if unknown or "name" not in table or "subjects" not in table:
            good = False
            continue
        try:
            DurableStream(**table)
        except (TypeError, ValueError) as error:
            good = False
            checker.problem(where, "valid stream settings", show(table), str(error))
            continue
        out.append(table)
    return out if good else BAD


def check_subscriptions(checker: FieldChecker, value: Any, location: str) -> Any:
    """Check a ``subscribe`` list: bus patterns, or durable tables ``{ pattern, durable,
    ... }``."""
    if not isinstance(value, list):
        checker.problem(
            location,
            "a list of bus patterns such as ['orders.>'] or durable tables"
            " { pattern = 'orders.>', durable = 'billing' }",
            show(value),
        )
        return BAD
    out: list[Any] = []
    good = True
    for index, entry in enumerate(value):
        where = f"{location}[{index}]"
        if isinstance(entry, dict):
            durable = _durable_entry(checker, entry, where)
            if durable is BAD:
                good = False
            else:
                out.append(durable)
            continue
        if _pattern(checker, entry, where) is BAD:
            good = False
        else:
            out.append(entry)
    return tuple(out) if good else BAD


def _pattern(checker: FieldChecker, value: Any, location: str) -> Any:
    try:
        EventBus.validate_pattern(value)
    except (TypeError, ValueError) as error:
        checker.problem(
            location,
            "a bus pattern such as 'orders.>' or 'orders.*.created'",
            show(value),
            str(error),
        )
        return BAD
    return value


def _durable_entry(checker: FieldChecker, entry: dict[str, Any], location: str) -> Any:
    table = checker.table(entry, location)
    assert table is not None
    before = len(checker.problems)
    for key in table:
        if key not in _DURABLE_KEYS:
            checker.problem(
                join(location, key),
                f"a key of a durable subscription ({', '.join(_DURABLE_KEYS)})",
                repr(key),
                did_you_mean(key, _DURABLE_KEYS),
            )
    out: dict[str, Any] = {}
    if checker.required(table, "pattern", location, "a bus pattern such as 'orders.>'"):
        pattern = _pattern(checker, table["pattern"], join(location, "pattern"))
        if pattern is not BAD:
            out["pattern"] = pattern
    if checker.required(table, "durable", location, "the durable subscription's name"):
        name = table["durable"]
        if isinstance(name, str) and _DURABLE_NAME.fullmatch(name):
            out["durable"] = name
        else:
            checker.problem(
                join(location, "durable"),
                "a durable name: letters, digits, '_' or '-'",
                show(name),
            )
    checker.copy(table, out, "max_deliver", location, checker.integer, minimum=1)
    checker.copy(table, out, "max_ack_pending", location, checker.integer, minimum=1)
    checker.copy(table, out, "ack_wait", location, checker.number, above=0)
    if "backoff" in table:
        delays = table["backoff"]
        where = join(location, "backoff")
        if isinstance(delays, int | float) and not isinstance(delays, bool):
            delays = [delays]
        if not isinstance(delays, list) or not delays:
            checker.problem(where, "a list of seconds >= 0 such as [0.1, 1, 5]", show(delays))
        else:
            checked = [
                checker.number(delay, f"{where}[{index}]", at_least=0)
                for index, delay in enumerate(delays)
            ]
            if BAD not in checked:
                out["backoff"] = checked
    return out if len(checker.problems) == before else BAD


def check_durable_patterns(
    checker: FieldChecker,
    durables: Sequence[tuple[str, str]],
    streams: Any,
) -> None:
    """Every durable ``(location, pattern)`` must be kept whole by one declared stream."""
    declared: list[DurableStream] = []
    if isinstance(streams, list):
        declared = [DurableStream(**table) for table in streams]
    for location, pattern in durables:
        if any(stream.holds(pattern) for stream in declared):
            continue
        if streams is BAD:
            continue  # the streams have problems of their own
        kept = ", ".join(repr(subject) for stream in declared for subject in stream.subjects)
        checker.problem(
            location,
            "a pattern that a [cluster] streams entry keeps whole",
            repr(pattern),
            f"the declared streams keep {kept}" if kept else "declare one in [cluster] streams",
        )


_A = TypeVar("_A", bound=Actor)


def with_durable_subscriptions(
    cls: type[_A], entries: Sequence[DurableSubscriptionSpec]
) -> type[_A]:
    """``cls`` itself, or a subclass whose ``on_start`` then subscribes durably to each entry
    (again after every restart: subscribing with the same settings is a no-op)."""
    if not entries:
        return cls
    wanted = tuple(entries)

    async def on_start(self: Actor) -> None:
        await cls.on_start(self)
        system = self.context.system
        for entry in wanted:
            await system.subscribe(
                self.context.ref,
                entry.pattern,
                durable=entry.durable,
                max_deliver=entry.max_deliver,
                max_ack_pending=entry.max_ack_pending,
                backoff=entry.backoff,
                ack_wait=entry.ack_wait,
            )

    subclass = type(
        cls.__name__,
        (cls,),
        {
            "on_start": on_start,
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__,
        },
    )
    return cast(type[_A], subclass)
