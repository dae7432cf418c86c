"""Reading a configuration file into plain data (dicts, lists, scalars), by its extension.

Every failure becomes a ``ConfigError`` carrying the parser's line and column where the
parser gives them. Duplicate keys are errors in every format: TOML's parser refuses them
itself; for YAML and JSON, whose usual parsers keep the last value silently, they are found
here (YAML with the line and column of the repeated key).
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from supervision.config._error import ConfigError, ConfigProblem
from supervision.config._fields import join

__all__ = ["FORMATS", "format_of", "parse_text", "read_file"]

FORMATS = {".toml": "toml", ".yaml": "yaml", ".yml": "yaml", ".json": "json"}
"""File extensions and the format each one means."""

_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def format_of(path: str | os.PathLike[str]) -> str:
    """The format (``toml``, ``yaml``, ``json``) of ``path``, by its extension.

    Raises ConfigError for any other extension.
    """
    suffix = Path(path).suffix.lower()
    try:
        return FORMATS[suffix]
    except KeyError:
        raise ConfigError(
            [
                ConfigProblem(
                    "$",
                    "a .toml, .yaml, .yml or .json file",
                    repr(suffix) if suffix else "a file without an extension",
                )
            ],
            source=os.fspath(path),
        ) from None


def read_file(path: str | os.PathLike[str]) -> tuple[str, str]:
    """Read ``path`` as UTF-8 text; return ``(text, format)``. Raises ConfigError."""
    kind = format_of(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            [ConfigProblem("$", "a UTF-8 text file", f"undecodable bytes ({error.reason})")],
            source=os.fspath(path),
        ) from None
    except OSError as error:
        raise ConfigError(
            [ConfigProblem("$", "a readable file", error.strerror or str(error))],
            source=os.fspath(path),
        ) from None
    return text, kind


def parse_text(text: str, kind: str, source: str | None = None) -> Any:
    """Parse ``text`` in format ``kind`` into plain data. Raises ConfigError (only)."""
    if not text.strip():
        raise ConfigError(
            [ConfigProblem("$", "a configuration with a [tree] table", "an empty file")],
            source=source,
        )
    try:
        if kind == "toml":
            return _parse_toml(text)
        if kind == "yaml":
            return _parse_yaml(text)
        if kind == "json":
            return _parse_json(text)
        raise ValueError(f"unknown format {kind!r}")
    except ConfigError as error:
        raise ConfigError(error.errors, source=source) from None
    except RecursionError:
        problem = ConfigProblem("$", f"valid {kind.upper()}", "values nested too deeply")
    except Exception as error:  # a parser's own bug must still come out as a ConfigError
        problem = ConfigProblem("$", f"valid {kind.upper()}", f"{type(error).__name__}: {error}")
    raise ConfigError([problem], source=source)


def _syntax_error(kind: str, message: str, line: int | None, column: int | None) -> ConfigError:
    return ConfigError(
        [
            ConfigProblem(
                "$", f"valid {kind}", f"a syntax error: {message.strip()}", line=line, column=column
            )
        ]
    )


# ---------------------------------------------------------------------------- TOML


def _parse_toml(text: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = _TOML_POSITION.search(message)
        line = column = None
        if match:
            line, column = int(match[1]), int(match[2])
            message = message[: match.start()] + message[match.end() :]
        elif "(at end of document)" in message:
            line = text.count("\n") + 1
            message = message.replace("(at end of document)", "at the end of the file")
        raise _syntax_error("TOML", message, line, column) from None


# ---------------------------------------------------------------------------- JSON


def _parse_json(text: str) -> Any:
    duplicates: list[tuple[int, str]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        table: dict[str, Any] = {}
        for key, value in items:
            if key in table:
                duplicates.append((id(table), key))
            table[key] = value
        return table

    try:
        data = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as error:
        raise _syntax_error("JSON", error.msg, error.lineno, error.colno) from None
    if duplicates:
        paths = _paths_of_tables(data, {table for table, _ in duplicates})
        raise ConfigError(
            ConfigProblem(
                join(paths.get(table, "$"), key),
                "each key once in a table",
                f"{key!r} more than once",
                hint="JSON parsers keep only the last one",
            )
            for table, key in dict.fromkeys(duplicates)
        )
    return data


def _paths_of_tables(data: Any, wanted: set[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    stack: list[tuple[Any, str]] = [(data, "$")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            if id(value) in wanted:
                found[id(value)] = path
            stack.extend((item, join(path, key)) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{index}]") for index, item in enumerate(value))
    return found


# ---------------------------------------------------------------------------- YAML


class _Loader(yaml.SafeLoader):
    """The safe loader (no Python objects); duplicate keys are found on the node graph."""


def _parse_yaml(text: str) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        duplicates = list(_yaml_duplicates(node))
        if duplicates:
            raise ConfigError(duplicates)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = " ".join(part for part in (error.context, error.problem) if part)
        line = column = None
        if mark is not None:
            line, column = mark.line + 1, mark.column + 1
        raise _syntax_error("YAML", message or str(error), line, column) from None
    except yaml.YAMLError as error:
        raise _syntax_error("YAML", str(error), None, None) from None
    finally:
        loader.dispose()


def _yaml_duplicates(root: yaml.Node) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    seen: set[int] = set()  # aliases share nodes (and may form cycles): visit each once
    stack: list[tuple[yaml.Node, str]] = [(root, "$")]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, yaml.Node] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = key_node.value
                if key in first and key != "<<":
                    earlier = first[key].start_mark.line + 1
                    problems.append(
                        ConfigProblem(
                            join(path, key),
                            "each key once in a mapping",
                            f"{key!r} again (first on line {earlier})",
                            line=key_node.start_mark.line + 1,
                            column=key_node.start_mark.column + 1,
                        )
                    )
                first.setdefault(key, key_node)
                stack.append((value_node, join(path, key)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, f"{path}[{index}]") for index, item in enumerate(node.value))
    problems.sort(key=lambda problem: (problem.line or 0, problem.column or 0))
    return problems
