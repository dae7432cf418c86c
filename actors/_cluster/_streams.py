"""``DurableStream``: a declared JetStream stream that keeps the bus events of some topics.

Pure data, validated at construction; nothing here imports ``nats``. The runtime creates
(or updates) each declared stream when the system starts, and ``publish`` sends an event
through JetStream, waiting for the server's acknowledgement, when its topic falls under a
declared stream.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from typing import Any, Literal

import attrs

from actors._routing._topics import pattern_matches, validate_pattern

__all__ = ["DurableStream", "check_streams", "pattern_within"]

Retention = Literal["limits", "interest", "work_queue"]
Storage = Literal["file", "memory"]
_RETENTIONS = ("limits", "interest", "work_queue")
_STORAGES = ("file", "memory")
# One NATS subject token (the rule ClusterConfig applies to node names).
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


def pattern_within(inner: str, outer: str) -> bool:
    """True when every topic ``inner`` matches is also matched by ``outer`` (both valid
    patterns): ``orders.eu.*`` is within ``orders.>``, ``orders.*`` is not within
    ``orders.eu``."""
    inner_tokens = inner.split(".")
    outer_tokens = outer.split(".")
    for index, token in enumerate(outer_tokens):
        if token == ">":
            return len(inner_tokens) > index
        if index >= len(inner_tokens):
            return False
        mine = inner_tokens[index]
        if mine == ">":
            return False
        if token != "*" and token != mine:
            return False
    return len(inner_tokens) == len(outer_tokens)


def _overlap(first: str, second: str) -> bool:
    """True when some topic matches both patterns."""
    a = first.split(".")
    b = second.split(".")
    for index in range(max(len(a), len(b))):
        left = a[index] if index < len(a) else None
        right = b[index] if index < len(b) else None
        if left == ">" or right == ">":
            return left is not None and right is not None
        if left is None or right is None:
            return False
        if left != "*" and right != "*" and left != right:
            return False
    return True


def _subjects(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable):
        raise TypeError(f"subjects must be a list of topic patterns, got {value!r}")
    subjects = tuple(value)
    if not subjects:
        raise ValueError("subjects must name at least one topic pattern")
    for index, pattern in enumerate(subjects):
        try:
            validate_pattern(pattern)
        except (TypeError, ValueError) as error:
            raise type(error)(f"subjects[{index}]: {error}") from None
        if pattern.split(".")[0] == "system" or pattern == ">":
            raise ValueError(
                f"subjects[{index}]: {pattern!r} would cover the runtime's own 'system.*'"
                " topics; name the application's topics (for example 'orders.>')"
            )
    return subjects


def _choice(choices: tuple[str, ...]) -> Callable[[object, attrs.Attribute[Any], object], None]:
    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value not in choices:
            raise ValueError(f"{attribute.name} must be one of {', '.join(choices)}; got {value!r}")

    return check


def _seconds_or_none(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{attribute.name} must be a number of seconds or None, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{attribute.name} must be > 0 seconds, got {value!r}")


def _bytes_or_none(instance: object, attribute: attrs.Attribute[int | None], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{attribute.name} must be an int (bytes) or None, got {value!r}")
    if value <= 0:
        raise ValueError(f"{attribute.name} must be > 0 bytes, got {value!r}")


def _replicas(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"replicas must be an int, got {value!r}")
    if not 1 <= value <= 5:
        raise ValueError(f"replicas must be between 1 and 5 (JetStream's limit), got {value}")


@attrs.frozen(kw_only=True)
class DurableStream:
    """A JetStream stream that keeps the events published on some topics, for durable
    subscribers (``system.subscribe(ref, pattern, durable="billing")``).

    Declare it in ``ClusterConfig(streams=[DurableStream(name="orders",
    subjects=["orders.>"])])``. When the system starts, the runtime creates the stream on
    the NATS server, or updates it to these settings; every node of the cluster should
    declare the same streams. From then on ``system.publish(topic, event)`` for a topic
    matching ``subjects`` goes through JetStream and returns only once the server has
    stored the event (see the durable events page).

    Attributes:
        name: the stream's name on the server: letters, digits, ``_``, ``-``. Stored as
            ``<system>_<name>``, so two systems on one server never share a stream.
        subjects: the topic patterns whose events it keeps (the bus's topic rules:
            ``orders.>``, ``orders.*.paid``); never the runtime's ``system.`` topics.
            The NATS subjects are ``actors.<system>.bus.<pattern>``.
        retention: ``limits`` (keep events until ``max_age``/``max_bytes``; default),
            ``interest`` (drop an event once every durable subscriber acknowledged it) or
            ``work_queue`` (drop it once one subscriber acknowledged it; at most one
            durable subscriber per topic).
        max_age: seconds an event is kept at most; ``None``: no age limit.
        max_bytes: bytes the stream keeps at most (oldest events go first); ``None``: no
            limit.
        replicas: copies kept in a NATS cluster (1 to 5; needs that many servers).
        duplicate_window: seconds within which a second publish with the same ``key``
            is dropped by the server (``publish(..., key=...)``); at most ``max_age``.
            ``None``: two minutes, or ``max_age`` when that is shorter.
        storage: ``file`` (survives a server restart; default) or ``memory``.

    Raises:
        TypeError, ValueError: a field has the wrong type or is out of range; the message
            names the field.
    """

    name: str = attrs.field()
    subjects: tuple[str, ...] = attrs.field(converter=_subjects)
    retention: Retention = attrs.field(default="limits", validator=_choice(_RETENTIONS))
    max_age: float | None = attrs.field(default=None, validator=_seconds_or_none)
    max_bytes: int | None = attrs.field(default=None, validator=_bytes_or_none)
    replicas: int = attrs.field(default=1, validator=_replicas)
    duplicate_window: float | None = attrs.field(default=None, validator=_seconds_or_none)
    storage: Storage = attrs.field(default="file", validator=_choice(_STORAGES))

    @name.validator
    def _check_name(self, attribute: attrs.Attribute[str], value: object) -> None:
        if not isinstance(value, str):
            raise TypeError(f"stream name must be a str, got {type(value).__name__}")
        if not _TOKEN.fullmatch(value):
            raise ValueError(
                f"stream name must be letters, digits, '_' or '-' (one NATS subject token),"
                f" got {value!r}"
            )

    def __attrs_post_init__(self) -> None:
        for index, pattern in enumerate(self.subjects):
            for other in self.subjects[:index]:
                if _overlap(pattern, other):
                    raise ValueError(
                        f"stream {self.name!r}: subjects {other!r} and {pattern!r} overlap;"
                        " JetStream refuses a stream whose subjects overlap"
                    )
        window = self.duplicate_window
        if self.max_age is not None and window is not None and window > self.max_age:
            raise ValueError(
                f"stream {self.name!r}: duplicate_window ({self.duplicate_window}s) must not"
                f" exceed max_age ({self.max_age}s)"
            )

    @property
    def effective_duplicate_window(self) -> float:
        """The de-duplication window in seconds, defaults applied."""
        if self.duplicate_window is not None:
            return self.duplicate_window
        return 120.0 if self.max_age is None else min(120.0, self.max_age)

    def covers(self, topic: str) -> bool:
        """True when an event published on ``topic`` is kept by this stream."""
        return any(pattern_matches(pattern, topic) for pattern in self.subjects)

    def holds(self, pattern: str) -> bool:
        """True when every topic ``pattern`` matches is kept by this stream."""
        return any(pattern_within(pattern, subject) for subject in self.subjects)


def check_streams(value: object) -> tuple[DurableStream, ...]:
    """``value`` as a tuple of ``DurableStream`` with distinct names and subjects that do not
    overlap across streams (a topic is kept by at most one stream).

    Raises TypeError or ValueError naming the offending entry.
    """
    if not isinstance(value, Iterable) or isinstance(value, str | DurableStream):
        raise TypeError(f"streams must be a list of DurableStream, got {value!r}")
    streams = tuple(value)
    for index, stream in enumerate(streams):
        if not isinstance(stream, DurableStream):
            raise TypeError(f"streams[{index}] must be a DurableStream, got {stream!r}")
        for other in streams[:index]:
            if other.name == stream.name:
                raise ValueError(f"streams[{index}]: a second stream named {stream.name!r}")
            for mine in stream.subjects:
                for theirs in other.subjects:
                    if _overlap(mine, theirs):
                        raise ValueError(
                            f"streams[{index}] ({stream.name!r}): subject {mine!r} overlaps"
                            f" {theirs!r} of stream {other.name!r}; a topic is kept by one"
                            " stream at most"
                        )
    return streams
