"""Property tests: whatever a mutated configuration file holds, loading it either succeeds or
raises ConfigError, never anything else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supervision import ConfigError, TreeSpec
from supervision.config._tree import parse_tree

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"
TEXTS = {
    "toml": (SHOP / "tree.toml").read_text(),
    "yaml": (SHOP / "tree.yaml").read_text(),
    "json": json.dumps(
        json.loads(msgspec.json.encode(parse_tree((SHOP / "tree.toml").read_text(), "toml"))),
        indent=2,
    ),
}
DOCUMENT = json.loads(TEXTS["json"])

# No ':' in generated text: a generated "module:Name" could import any installed module.
CHARACTERS = "abz019 _-.=[]{}\"',#&*!>\n\t\u00e9\\"
ALPHABET = st.sampled_from([*CHARACTERS, "true", "-1", "inf"])
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def load(text: str, kind: str) -> TreeSpec | ConfigError:
    try:
        return parse_tree(text, kind)
    except ConfigError as error:
        outcome = error
    assert outcome.errors, "a ConfigError always lists at least one problem"
    for problem in outcome.errors:
        assert problem.location.startswith("$")
        assert problem.message
    return outcome


@st.composite
def mutated_text(draw: st.DrawFn) -> tuple[str, str]:
    kind = draw(st.sampled_from(sorted(TEXTS)))
    text = TEXTS[kind]
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(st.sampled_from(["delete", "insert", "replace", "duplicate", "swap"]))
        start = draw(st.integers(0, len(text)))
        end = min(len(text), start + draw(st.integers(0, 40)))
        lines = text.splitlines(keepends=True)
        if operation == "delete":
            text = text[:start] + text[end:]
        elif operation == "insert":
            text = text[:start] + "".join(draw(st.lists(ALPHABET, max_size=8))) + text[start:]
        elif operation == "replace" and start < len(text):
            text = text[:start] + draw(ALPHABET) + text[start + 1 :]
        elif operation == "duplicate" and lines:
            index = draw(st.integers(0, len(lines) - 1))
            text = "".join(lines[: index + 1] + lines[index:])
        elif operation == "swap" and len(lines) > 1:
            first = draw(st.integers(0, len(lines) - 1))
            second = draw(st.integers(0, len(lines) - 1))
            lines[first], lines[second] = lines[second], lines[first]
            text = "".join(lines)
    return kind, text


@SETTINGS
@given(mutated_text())
def test_a_mutated_file_loads_or_raises_config_error_only(case: tuple[str, str]) -> None:
    kind, text = case
    load(text, kind)


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(CHARACTERS, max_size=6),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(CHARACTERS, max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
KEYS = st.sampled_from(
    [
        "name",
        "actor",
        "args",
        "children",
        "pool",
        "size",
        "strategy",
        "within",
        "max_restarts",
        "shutdown",
        "subscribe",
        "mailbox",
        "template",
        "kind",
        "backoff",
        "restart",
        "system",
    ]
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


@st.composite
def mutated_document(draw: st.DrawFn) -> Any:
    document = json.loads(json.dumps(DOCUMENT))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(document)))
        if not path:
            document = draw(values)
            continue
        parent = document
        try:
            for step in path[:-1]:
                parent = parent[step]
        except (KeyError, IndexError, TypeError):
            continue
        operation = draw(st.sampled_from(["replace", "delete", "add"]))
        last = path[-1]
        if operation == "replace":
            parent[last] = draw(values)
        elif operation == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[draw(KEYS)] = draw(values)
        else:
            parent.insert(last, draw(values))
    return document


@SETTINGS
@given(mutated_document())
def test_a_mutated_document_loads_or_raises_config_error_only(document: Any) -> None:
    outcome = load(json.dumps(document), "json")
    if isinstance(outcome, TreeSpec):
        # A document that loads is one the typed specs describe exactly.
        assert msgspec.convert(msgspec.to_builtins(outcome), TreeSpec) == outcome
