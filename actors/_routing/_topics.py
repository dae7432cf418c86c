"""Topic matching for the event bus: NATS subject rules and a token trie.

A *topic* is what is published: dot-separated, non-empty tokens without whitespace, such as
``orders.eu.created``. A *pattern* is what is subscribed: a topic in which a whole token may
also be a wildcard. ``*`` matches exactly one token; ``>`` matches one or more trailing tokens
and may only be the last token. These are the NATS subject rules, so that a bus can later be
bridged onto NATS one to one.

Everything here is pure (no I/O, no asyncio); the bus calls it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["TopicTrie", "pattern_matches", "validate_pattern", "validate_topic"]

T = TypeVar("T", bound=Hashable)

_SEPARATOR = "."
_ONE_TOKEN = "*"
_TRAILING_TOKENS = ">"
_WILDCARDS = (_ONE_TOKEN, _TRAILING_TOKENS)
# NATS forbids every kind of whitespace in a subject, not only the ASCII space.
_WHITESPACE = re.compile(r"\s")


def _split(text: object, kind: str, *, wildcards_allowed: bool) -> tuple[str, ...]:
    if not isinstance(text, str):
        raise TypeError(f"{kind} must be a str, not {type(text).__name__}")
    if not text:
        raise ValueError(f"invalid {kind} '': must not be empty")
    tokens = tuple(text.split(_SEPARATOR))
    last = len(tokens) - 1
    for position, token in enumerate(tokens):
        if not token:
            raise ValueError(f"invalid {kind} {text!r}: empty token at position {position}")
        if _WHITESPACE.search(token):
            raise ValueError(
                f"invalid {kind} {text!r}: token {token!r} at position {position} "
                "contains whitespace"
            )
        if token in _WILDCARDS:
            if not wildcards_allowed:
                raise ValueError(
                    f"invalid {kind} {text!r}: wildcard {token!r} at position {position} "
                    "is only allowed in a pattern, not in a published topic"
                )
            if token == _TRAILING_TOKENS and position != last:
                raise ValueError(f"invalid {kind} {text!r}: '>' may only be the last token")
        elif _ONE_TOKEN in token or _TRAILING_TOKENS in token:
            raise ValueError(
                f"invalid {kind} {text!r}: token {token!r} at position {position} mixes "
                "a wildcard with other characters; '*' and '>' must be whole tokens"
            )
    return tokens


def validate_topic(topic: str) -> tuple[str, ...]:
    """Check that *topic* can be published and return its tokens.

    A topic is one or more dot-separated tokens; no token may be empty, contain whitespace,
    be a wildcard (``*``, ``>``) or contain one.

    Raises:
        TypeError: *topic* is not a ``str``.
        ValueError: *topic* breaks a rule; the message names the topic, the token and its
            position.
    """
    return _split(topic, "topic", wildcards_allowed=False)


def validate_pattern(pattern: str) -> tuple[str, ...]:
    """Check that *pattern* can be subscribed to and return its tokens.

    A pattern follows the topic rules, except that a whole token may be ``*`` (exactly one
    token) and the last token may be ``>`` (one or more tokens).

    Raises:
        TypeError: *pattern* is not a ``str``.
        ValueError: *pattern* breaks a rule; the message names the pattern and the problem.
    """
    return _split(pattern, "pattern", wildcards_allowed=True)


# Publishers reuse a handful of topics, so the split of each is remembered; the bound keeps
# a stream of distinct topics from growing memory. Invalid topics raise and are not cached.
_topic_tokens = functools.lru_cache(maxsize=1024)(validate_topic)
_pattern_tokens = functools.lru_cache(maxsize=1024)(validate_pattern)


def pattern_matches(pattern: str, topic: str) -> bool:
    """Return whether *pattern* matches *topic*, by comparing them token by token.

    This is the reference definition of matching; ``TopicTrie.match`` gives the same answer
    for many patterns at once.

    Raises:
        TypeError: *pattern* or *topic* is not a ``str``.
        ValueError: *pattern* is not a valid pattern or *topic* is not a valid topic.
    """
    pattern_tokens = _pattern_tokens(pattern)
    topic_tokens = _topic_tokens(topic)
    for position, token in enumerate(pattern_tokens):
        if token == _TRAILING_TOKENS:
            return len(topic_tokens) > position
        if position >= len(topic_tokens):
            return False
        if token != _ONE_TOKEN and token != topic_tokens[position]:
            return False
    return len(pattern_tokens) == len(topic_tokens)


class _Node(Generic[T]):
    __slots__ = ("children", "values")

    def __init__(self) -> None:
        # Keyed by a pattern token: a literal, "*" or ">". A ">" child never has children of
        # its own, because ">" is always the last token of a pattern.
        self.children: dict[str, _Node[T]] = {}
        # The values subscribed with the pattern that ends at this node, each mapped to its
        # subscription order (see TopicTrie._order). Invariant: a node other than the root
        # has children or values; remove prunes it as soon as it has neither.
        self.values: dict[T, int] = {}


class TopicTrie(Generic[T]):
    """An index of (pattern, value) subscriptions that finds the values matching a topic.

    Patterns are stored as a tree of their tokens, so ``match`` follows only the branches
    that can match (the literal token, ``*`` and ``>``) and its cost does not grow with the
    number of subscriptions that do not match. Values must be hashable; a value may be
    subscribed with several patterns and is still returned once per match.
    """

    __slots__ = ("_counter", "_order", "_patterns", "_root", "_size")

    def __init__(self) -> None:
        self._root: _Node[T] = _Node()
        # value -> its patterns in subscription order (a dict used as an ordered set).
        # Invariant: no inner dict is empty; a value whose last pattern is removed is deleted
        # from here and from _order.
        self._patterns: dict[T, dict[str, None]] = {}
        # value -> sequence number taken when the value first became subscribed; match sorts
        # by it so that subscribers are served first-subscribed first. Same keys as _patterns.
        self._order: dict[T, int] = {}
        # Only grows, so sequence numbers are never reused and the order stays stable.
        self._counter = 0
        # Number of (pattern, value) pairs: the sum of the lengths of _patterns' values.
        self._size = 0

    def __len__(self) -> int:
        """Return the number of (pattern, value) subscriptions."""
        return self._size

    def add(self, pattern: str, value: T) -> bool:
        """Subscribe *value* to *pattern*.

        Return ``False`` (and change nothing) if *value* is already subscribed to exactly
        this pattern, ``True`` otherwise.

        Raises:
            TypeError: *pattern* is not a ``str``.
            ValueError: *pattern* is not a valid pattern.
        """
        tokens = _pattern_tokens(pattern)
        node = self._root
        for token in tokens:
            child = node.children.get(token)
            if child is None:
                child = node.children[token] = _Node()
            node = child
        if value in node.values:
            return False
        order = self._order.get(value)
        if order is None:
            order = self._order[value] = self._counter
            self._counter += 1
            self._patterns[value] = {}
        node.values[value] = order
        self._patterns[value][pattern] = None
        self._size += 1
        return True

    def remove(self, pattern: str, value: T) -> bool:
        """Unsubscribe *value* from *pattern*.

        Return ``False`` if *value* was not subscribed to exactly this pattern, ``True``
        otherwise. Nodes left without subscriptions are pruned.

        Raises:
            TypeError: *pattern* is not a ``str``.
            ValueError: *pattern* is not a valid pattern.
        """
        tokens = _pattern_tokens(pattern)
        patterns = self._patterns.get(value)
        if patterns is None or pattern not in patterns:
            return False
        path = [self._root]
        for token in tokens:
            path.append(path[-1].children[token])
        del path[-1].values[value]
        # Walk back up, dropping each node that no longer leads to a subscription.
        for depth in range(len(tokens), 0, -1):
            node = path[depth]
            if node.children or node.values:
                break
            del path[depth - 1].children[tokens[depth - 1]]
        del patterns[pattern]
        if not patterns:
            del self._patterns[value]
            del self._order[value]
        self._size -= 1
        return True

    def remove_value(self, value: T) -> list[str]:
        """Unsubscribe *value* from all its patterns and return them in subscription order.

        Return an empty list if *value* was not subscribed. Never raises.
        """
        patterns = self.patterns_of(value)
        for pattern in patterns:
            self.remove(pattern, value)
        return patterns

    def patterns_of(self, value: T) -> list[str]:
        """Return the patterns *value* is subscribed to, in subscription order."""
        patterns = self._patterns.get(value)
        return [] if patterns is None else list(patterns)

    def match(self, topic: str) -> list[T]:
        """Return the values subscribed to a pattern that matches *topic*.

        Each value appears once even if several of its patterns match. Values come in the
        order they were first subscribed (a value that was fully unsubscribed and subscribed
        again counts from its new subscription).

        Raises:
            TypeError: *topic* is not a ``str`` (or, if unhashable, from the split cache).
            ValueError: *topic* is not a valid topic (for example, it contains a wildcard).
        """
        tokens = _topic_tokens(topic)
        length = len(tokens)
        # value -> subscription order; a dict both removes duplicates and carries the sort key.
        found: dict[T, int] = {}
        # Depth-first over (node, number of topic tokens consumed to reach it). Topic tokens
        # are never wildcards, so a literal lookup cannot land on a "*" or ">" child.
        pending = [(self._root, 0)]
        while pending:
            node, consumed = pending.pop()
            if consumed == length:
                found.update(node.values)
                continue
            children = node.children
            # consumed < length, so at least one token is left for ">" to match.
            trailing = children.get(_TRAILING_TOKENS)
            if trailing is not None:
                found.update(trailing.values)
            one = children.get(_ONE_TOKEN)
            if one is not None:
                pending.append((one, consumed + 1))
            literal = children.get(tokens[consumed])
            if literal is not None:
                pending.append((literal, consumed + 1))
        if len(found) < 2:
            return list(found)
        return sorted(found, key=found.__getitem__)
