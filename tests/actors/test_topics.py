"""Tests for the event bus's topic rules and topic trie (actors._routing._topics)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from actors._routing._topics import TopicTrie, pattern_matches, validate_pattern, validate_topic

# --- validation ------------------------------------------------------------------------------

VALID_TOPICS = [
    ("a", ("a",)),
    ("orders.created", ("orders", "created")),
    ("orders.eu.2024.created", ("orders", "eu", "2024", "created")),
    ("with-dash_and:colon.x", ("with-dash_and:colon", "x")),
    ("café.größe", ("café", "größe")),
]

VALID_PATTERNS = [
    *VALID_TOPICS,
    ("*", ("*",)),
    (">", (">",)),
    ("orders.*", ("orders", "*")),
    ("orders.>", ("orders", ">")),
    ("*.*.>", ("*", "*", ">")),
    ("orders.*.created", ("orders", "*", "created")),
]

INVALID_BOTH = [
    ("", "must not be empty"),
    ("orders..created", "empty token at position 1"),
    (".orders", "empty token at position 0"),
    ("orders.", "empty token at position 1"),
    (".", "empty token at position 0"),
    ("orders created", "token 'orders created' at position 0 contains whitespace"),
    ("orders.\tcreated", "token '\\tcreated' at position 1 contains whitespace"),
    ("orders.created\n", "token 'created\\n' at position 1 contains whitespace"),
    ("orders.\u00a0", "at position 1 contains whitespace"),
    ("orders.a*", "token 'a*' at position 1 mixes a wildcard with other characters"),
    ("orders.>b", "token '>b' at position 1 mixes a wildcard with other characters"),
    ("**", "token '**' at position 0 mixes a wildcard"),
    ("a.>>", "token '>>' at position 1 mixes a wildcard"),
]

INVALID_TOPICS = [
    *INVALID_BOTH,
    ("orders.*", "wildcard '*' at position 1 is only allowed in a pattern"),
    ("orders.>", "wildcard '>' at position 1 is only allowed in a pattern"),
    ("*", "wildcard '*' at position 0 is only allowed in a pattern"),
    (">", "wildcard '>' at position 0 is only allowed in a pattern"),
]

INVALID_PATTERNS = [
    *INVALID_BOTH,
    ("a.>.b", "'>' may only be the last token"),
    (">.a", "'>' may only be the last token"),
    (">.>", "'>' may only be the last token"),
]


@pytest.mark.parametrize(("topic", "tokens"), VALID_TOPICS)
def test_validate_topic_returns_tokens_of_valid_topic(topic: str, tokens: tuple[str, ...]) -> None:
    assert validate_topic(topic) == tokens


@pytest.mark.parametrize(("pattern", "tokens"), VALID_PATTERNS)
def test_validate_pattern_returns_tokens_of_valid_pattern(
    pattern: str, tokens: tuple[str, ...]
) -> None:
    assert validate_pattern(pattern) == tokens


@pytest.mark.parametrize(("topic", "problem"), INVALID_TOPICS)
def test_validate_topic_rejects_invalid_topic_naming_topic_and_problem(
    topic: str, problem: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(f"invalid topic {topic!r}: ")) as info:
        validate_topic(topic)
    assert problem in str(info.value)


@pytest.mark.parametrize(("pattern", "problem"), INVALID_PATTERNS)
def test_validate_pattern_rejects_invalid_pattern_naming_pattern_and_problem(
    pattern: str, problem: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(f"invalid pattern {pattern!r}: ")) as info:
        validate_pattern(pattern)
    assert problem in str(info.value)


def test_error_messages_match_the_documented_wording_exactly() -> None:
    with pytest.raises(ValueError) as empty_token:
        validate_topic("orders..created")
    assert str(empty_token.value) == "invalid topic 'orders..created': empty token at position 1"
    with pytest.raises(ValueError) as misplaced:
        validate_pattern("a.>.b")
    assert str(misplaced.value) == "invalid pattern 'a.>.b': '>' may only be the last token"


@pytest.mark.parametrize("not_a_string", [None, 3, b"a.b", ("a", "b"), ["a"]])
@pytest.mark.parametrize("validate", [validate_topic, validate_pattern])
def test_validators_reject_non_str_with_type_error(
    validate: Callable[[object], tuple[str, ...]], not_a_string: object
) -> None:
    with pytest.raises(TypeError, match="must be a str, not"):
        validate(not_a_string)


# --- pattern_matches and the trie on specific cases ------------------------------------------

MATCH_TABLE = [
    ("a.b", "a.b", True),
    ("a.b", "a.c", False),
    ("a.b", "a", False),
    ("a", "a.b", False),
    ("a.*", "a.b", True),
    ("a.*", "a", False),
    ("a.*", "a.b.c", False),
    ("*", "a", True),
    ("*", "a.b", False),
    ("*.b", "a.b", True),
    ("a.>", "a", False),
    ("a.>", "a.b", True),
    ("a.>", "a.b.c.d", True),
    ("a.>", "b.c", False),
    (">", "a", True),
    (">", "a.b.c", True),
    ("*.>", "a", False),
    ("*.>", "a.b", True),
    ("a.*.>", "a.b", False),
    ("a.*.>", "a.b.c", True),
]


@pytest.mark.parametrize(("pattern", "topic", "expected"), MATCH_TABLE)
def test_pattern_matches_follows_nats_rules(pattern: str, topic: str, expected: bool) -> None:
    assert pattern_matches(pattern, topic) is expected


@pytest.mark.parametrize(("pattern", "topic", "expected"), MATCH_TABLE)
def test_trie_match_follows_nats_rules(pattern: str, topic: str, expected: bool) -> None:
    trie: TopicTrie[str] = TopicTrie()
    trie.add(pattern, "subscriber")
    assert trie.match(topic) == (["subscriber"] if expected else [])


def test_pattern_matches_rejects_invalid_arguments() -> None:
    with pytest.raises(ValueError, match=re.escape("invalid pattern 'a.>.b'")):
        pattern_matches("a.>.b", "a.b")
    with pytest.raises(ValueError, match=re.escape("invalid topic 'a.*'")):
        pattern_matches("a.*", "a.*")


def test_trailing_wildcard_needs_at_least_one_token() -> None:
    trie: TopicTrie[str] = TopicTrie()
    trie.add("a.>", "x")
    assert trie.match("a") == []
    assert trie.match("a.b") == ["x"]
    assert trie.match("a.b.c") == ["x"]


def test_single_wildcard_matches_exactly_one_token() -> None:
    trie: TopicTrie[str] = TopicTrie()
    trie.add("a.*", "x")
    assert trie.match("a") == []
    assert trie.match("a.b") == ["x"]
    assert trie.match("a.b.c") == []


def test_value_matching_through_several_patterns_is_returned_once() -> None:
    trie: TopicTrie[str] = TopicTrie()
    for pattern in ["a.b", "a.*", "a.>", "*.b", ">"]:
        assert trie.add(pattern, "x")
    assert trie.match("a.b") == ["x"]
    assert len(trie) == 5


def test_match_returns_values_in_first_subscribed_order() -> None:
    trie: TopicTrie[str] = TopicTrie()
    trie.add("a.>", "first")
    trie.add("a.b", "second")
    trie.add(">", "third")
    trie.add("*.b", "first")  # a later pattern does not move a value back in the order
    assert trie.match("a.b") == ["first", "second", "third"]


def test_value_subscribed_again_after_full_removal_goes_to_the_back() -> None:
    trie: TopicTrie[str] = TopicTrie()
    trie.add("a", "x")
    trie.add("a", "y")
    trie.remove("a", "x")
    trie.add("a", "x")
    assert trie.match("a") == ["y", "x"]


def test_value_keeps_its_order_while_any_pattern_remains() -> None:
    trie: TopicTrie[str] = TopicTrie()
    trie.add("a", "x")
    trie.add("b", "x")
    trie.add("a", "y")
    trie.remove("a", "x")
    trie.add("a", "x")
    assert trie.match("a") == ["x", "y"]


def test_add_returns_false_for_duplicate_subscription_and_keeps_count() -> None:
    trie: TopicTrie[str] = TopicTrie()
    assert trie.add("a.*", "x") is True
    assert trie.add("a.*", "x") is False
    assert trie.add("a.*", "y") is True
    assert len(trie) == 2
    assert trie.match("a.b") == ["x", "y"]


def test_remove_returns_false_when_not_subscribed() -> None:
    trie: TopicTrie[str] = TopicTrie()
    trie.add("a.b", "x")
    assert trie.remove("a.b", "y") is False
    assert trie.remove("a.c", "x") is False
    assert trie.remove("a", "x") is False
    assert trie.remove("a.b", "x") is True
    assert trie.remove("a.b", "x") is False
    assert len(trie) == 0


def test_remove_value_removes_all_its_patterns_in_subscription_order() -> None:
    trie: TopicTrie[str] = TopicTrie()
    trie.add("b.>", "x")
    trie.add("a.*", "x")
    trie.add("a.*", "y")
    assert trie.remove_value("x") == ["b.>", "a.*"]
    assert trie.patterns_of("x") == []
    assert trie.match("a.b") == ["y"]
    assert trie.match("b.c") == []
    assert len(trie) == 1
    assert trie.remove_value("x") == []


def test_patterns_of_lists_patterns_in_subscription_order() -> None:
    trie: TopicTrie[str] = TopicTrie()
    trie.add("c", "x")
    trie.add("a.>", "x")
    trie.add("b", "y")
    assert trie.patterns_of("x") == ["c", "a.>"]
    assert trie.patterns_of("y") == ["b"]
    assert trie.patterns_of("unknown") == []


def test_remove_prunes_nodes_left_without_subscriptions() -> None:
    trie: TopicTrie[str] = TopicTrie()
    trie.add("a.b.c", "x")
    trie.add("a.b", "y")
    trie.add("a.*.>", "z")
    trie.remove("a.b.c", "x")
    trie.remove("a.*.>", "z")
    # White-box: pruning is invisible through the API, but leaked nodes would be a memory leak.
    root = trie._root
    assert list(root.children) == ["a"]
    assert list(root.children["a"].children) == ["b"]
    assert root.children["a"].children["b"].children == {}
    trie.remove("a.b", "y")
    assert root.children == {}


def test_add_and_remove_reject_invalid_pattern() -> None:
    trie: TopicTrie[str] = TopicTrie()
    with pytest.raises(ValueError, match=re.escape("invalid pattern 'a.>.b'")):
        trie.add("a.>.b", "x")
    with pytest.raises(ValueError, match=re.escape("invalid pattern 'a..b'")):
        trie.remove("a..b", "x")
    assert len(trie) == 0


def test_match_rejects_wildcard_topic() -> None:
    trie: TopicTrie[str] = TopicTrie()
    trie.add(">", "x")
    with pytest.raises(ValueError, match=re.escape("invalid topic 'a.*'")):
        trie.match("a.*")
    with pytest.raises(TypeError):
        trie.match(None)  # type: ignore[arg-type]


# --- properties ------------------------------------------------------------------------------

LITERALS = ["a", "b", "c"]
# "d" never occurs in a pattern, so topics also exercise tokens no literal child matches.
TOPIC_TOKENS = [*LITERALS, "d"]


def reference_matches(pattern: str, topic: str) -> bool:
    """Brute-force matcher written independently of the module: translate to a regex."""
    parts = []
    for token in pattern.split("."):
        if token == "*":
            parts.append(r"[^.]+")
        elif token == ">":
            parts.append(r".+")
        else:
            parts.append(re.escape(token))
    return re.fullmatch(r"\.".join(parts), topic) is not None


patterns = st.builds(
    lambda head, last: ".".join([*head, last]),
    st.lists(st.sampled_from([*LITERALS, "*"]), max_size=4),
    st.sampled_from([*LITERALS, "*", ">"]),
)
topics = st.lists(st.sampled_from(TOPIC_TOKENS), min_size=1, max_size=5).map(".".join)


def test_reference_matcher_agrees_with_hand_written_table() -> None:
    for pattern, topic, expected in MATCH_TABLE:
        assert reference_matches(pattern, topic) is expected, (pattern, topic)


@given(subscriptions=st.lists(patterns, max_size=30), topic=topics)
def test_trie_match_returns_exactly_the_values_whose_pattern_matches(
    subscriptions: list[str], topic: str
) -> None:
    trie: TopicTrie[int] = TopicTrie()
    for value, pattern in enumerate(subscriptions):
        trie.add(pattern, value)
    expected = [value for value, p in enumerate(subscriptions) if reference_matches(p, topic)]
    assert trie.match(topic) == expected
    assert [v for v, p in enumerate(subscriptions) if pattern_matches(p, topic)] == expected


@given(pattern=patterns, topic=topics)
def test_pattern_matches_agrees_with_reference(pattern: str, topic: str) -> None:
    assert pattern_matches(pattern, topic) is reference_matches(pattern, topic)


@given(subscriptions=st.lists(st.tuples(patterns, st.integers(0, 4)), max_size=30), topic=topics)
def test_trie_match_lists_each_matching_value_once_in_first_subscribed_order(
    subscriptions: list[tuple[str, int]], topic: str
) -> None:
    trie: TopicTrie[int] = TopicTrie()
    first_seen: list[int] = []
    for pattern, value in subscriptions:
        trie.add(pattern, value)
        if value not in first_seen:
            first_seen.append(value)
    matching = {value for pattern, value in subscriptions if reference_matches(pattern, topic)}
    assert trie.match(topic) == [value for value in first_seen if value in matching]


class TrieAgainstModel(RuleBasedStateMachine):
    """add / remove / remove_value keep the trie equal to a plain dict model."""

    def __init__(self) -> None:
        super().__init__()
        self.trie: TopicTrie[int] = TopicTrie()
        # value -> its patterns in subscription order; insertion order of the dict is the
        # first-subscribed order, because a value is deleted once its last pattern goes.
        self.model: dict[int, list[str]] = {}

    @rule(pattern=patterns, value=st.integers(0, 5))
    def add(self, pattern: str, value: int) -> None:
        added = self.trie.add(pattern, value)
        subscribed = self.model.setdefault(value, [])
        assert added is (pattern not in subscribed)
        if added:
            subscribed.append(pattern)

    @rule(pattern=patterns, value=st.integers(0, 5))
    def remove_any(self, pattern: str, value: int) -> None:
        subscribed = self.model.get(value, [])
        assert self.trie.remove(pattern, value) is (pattern in subscribed)
        self._forget(value, pattern)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def remove_existing(self, data: st.DataObject) -> None:
        value = data.draw(st.sampled_from(sorted(self.model)))
        pattern = data.draw(st.sampled_from(self.model[value]))
        assert self.trie.remove(pattern, value) is True
        self._forget(value, pattern)

    @rule(value=st.integers(0, 5))
    def remove_value(self, value: int) -> None:
        assert self.trie.remove_value(value) == self.model.pop(value, [])

    def _forget(self, value: int, pattern: str) -> None:
        subscribed = self.model.get(value, [])
        if pattern in subscribed:
            subscribed.remove(pattern)
        if not subscribed:
            self.model.pop(value, None)

    @rule(topic=topics)
    def match_agrees_with_model(self, topic: str) -> None:
        expected = [
            value
            for value, subscribed in self.model.items()
            if any(reference_matches(pattern, topic) for pattern in subscribed)
        ]
        assert self.trie.match(topic) == expected

    @invariant()
    def sizes_and_patterns_agree_with_model(self) -> None:
        assert all(self.model.values())
        assert len(self.trie) == sum(len(subscribed) for subscribed in self.model.values())
        for value in range(6):
            assert self.trie.patterns_of(value) == self.model.get(value, [])

    def teardown(self) -> None:
        for value in list(self.model):
            self.trie.remove_value(value)
        assert len(self.trie) == 0
        assert self.trie._root.children == {}  # white-box: everything was pruned


TrieAgainstModel.TestCase.settings = settings(max_examples=200, stateful_step_count=40)
TestTrieStaysConsistentWithModelUnderAddRemoveAndRemoveValue = TrieAgainstModel.TestCase
