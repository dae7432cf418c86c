"""Checks of single fields of a configuration file, each recording a tagged problem.

One small function per kind of field (OTP's ``valid*`` functions): each takes the value and
its location, records a ``ConfigProblem`` when the value is wrong, and returns the value, or
``BAD``. The tree's structure is checked in ``_validate``, on top of these.
"""

from __future__ import annotations

import math
import re
from typing import Any

from actors import Actor, EventBus
from supervision.config._error import ConfigProblem
from supervision.config._resolve import (
    Unusable,
    did_you_mean,
    resolve_actor,
    resolve_exception,
    show,
)
from supervision.config._spec import DIRECTIVES, INFINITY

__all__ = ["BAD", "INT_MAX", "NAME", "FieldChecker", "join"]

INT_MAX = 2**63 - 1
"""The largest int a field accepts (msgspec's, and any sane count's, bound)."""

NAME = re.compile(r"[^/\s$][^/\s]*")
"""A child's name, as ``ChildSpec`` requires it."""


class _Bad:
    """A value that failed its check (a problem was recorded)."""

    def __repr__(self) -> str:
        return "BAD"


BAD: Any = _Bad()


def join(location: str, key: object) -> str:
    """``$.tree`` + ``children`` -> ``$.tree.children``; odd keys in brackets."""
    if isinstance(key, str) and key.isidentifier():
        return f"{location}.{key}"
    return f"{location}[{key!r}]"


class FieldChecker:
    """Collects the problems of one document; the field checks."""

    def __init__(self) -> None:
        self.problems: list[ConfigProblem] = []
        self._actors: dict[str, type[Actor] | Unusable] = {}
        # Each module named in the file but not found, and where it was first named: its
        # later mentions point there, and the report explains sys.path once.
        self.missing_modules: dict[str, str] = {}

    def problem(self, location: str, expected: str, found: str, hint: str = "") -> None:
        self.problems.append(ConfigProblem(location, expected, found, hint))

    def copy(
        self,
        table: dict[str, Any],
        out: dict[str, Any],
        key: str,
        location: str,
        check: Any,
        **options: Any,
    ) -> None:
        if key in table:
            value = check(table[key], join(location, key), **options)
            if value is not BAD:
                out[key] = value

    def table(self, value: Any, location: str, what: str = "a table") -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(location, what, show(value))
            return None
        for key in value:
            if not isinstance(key, str):
                self.problem(location, "keys that are strings", f"the key {show(key)}")
        return {key: item for key, item in value.items() if isinstance(key, str)}

    def required(self, table: dict[str, Any], key: str, location: str, expected: str) -> bool:
        if key in table:
            return True
        self.problem(join(location, key), expected, "nothing", "the key is required")
        return False

    def integer(self, value: Any, location: str, minimum: int) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(location, f"an int >= {minimum}", show(value))
            return BAD
        if value < minimum or value > INT_MAX:
            self.problem(location, f"an int >= {minimum}", show(value))
            return BAD
        return value

    def number(
        self,
        value: Any,
        location: str,
        *,
        above: float | None = None,
        at_least: float | None = None,
        below: float | None = None,
    ) -> Any:
        bounds = []
        if above is not None:
            bounds.append(f"> {above:g}")
        if at_least is not None:
            bounds.append(f">= {at_least:g}")
        if below is not None:
            bounds.append(f"< {below:g}")
        expected = "a number " + " and ".join(bounds)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(location, expected, show(value))
            return BAD
        if not math.isfinite(value):
            self.problem(location, f"a finite number ({' and '.join(bounds)})", show(value))
            return BAD
        if (
            (above is not None and not value > above)
            or (at_least is not None and not value >= at_least)
            or (below is not None and not value < below)
        ):
            self.problem(location, expected, show(value))
            return BAD
        return value

    def shutdown(self, value: Any, location: str) -> Any:
        expected = f'seconds >= 0 or "{INFINITY}"'
        if value == INFINITY and isinstance(value, str):
            return value
        if isinstance(value, str):
            self.problem(location, expected, show(value), did_you_mean(value, [INFINITY]))
            return BAD
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            self.problem(location, expected, show(value))
            return BAD
        return value

    def choice(self, value: Any, location: str, options: tuple[str, ...]) -> Any:
        if isinstance(value, str) and value in options:
            return value
        expected = "one of " + ", ".join(repr(option) for option in options)
        hint = did_you_mean(value, options) if isinstance(value, str) else ""
        if not hint and isinstance(value, str) and value.lower() in options:
            hint = f"did you mean {value.lower()!r}?"
        self.problem(location, expected, show(value), hint)
        return BAD

    def name(self, value: Any, location: str) -> Any:
        expected = "a name: not empty, without '/' or whitespace, not starting with '$'"
        if not isinstance(value, str) or not NAME.fullmatch(value):
            self.problem(location, expected, show(value))
            return BAD
        return value

    def patterns(self, value: Any, location: str) -> Any:
        if not isinstance(value, list):
            self.problem(location, "a list of bus patterns such as ['orders.>']", show(value))
            return BAD
        good = True
        for index, pattern in enumerate(value):
            try:
                EventBus.validate_pattern(pattern)
            except (TypeError, ValueError) as error:
                good = False
                self.problem(
                    f"{location}[{index}]",
                    "a bus pattern such as 'orders.>' or 'orders.*.created'",
                    show(pattern),
                    str(error),
                )
        return tuple(value) if good else BAD

    def actor(self, value: Any, location: str) -> type[Actor] | None:
        key = value if isinstance(value, str) else None
        cached = self._actors.get(key) if key is not None else None
        if cached is None:
            try:
                cached = resolve_actor(value)
            except Unusable as problem:
                cached = problem
            if key is not None:
                self._actors[key] = cached
        if isinstance(cached, Unusable):
            self.unusable(location, cached)
            return None
        return cached

    def decider(self, value: Any, location: str) -> Any:
        """A ``decider`` table: each key an exception class, each value a directive, each
        class once (``"builtins:IOError"`` is ``"builtins:OSError"``)."""
        table = self.table(
            value,
            location,
            "a table from exception classes to directives, such as"
            ' { "builtins:ValueError" = "resume" }',
        )
        if table is None:
            return BAD
        good = True
        first: dict[type[BaseException], str] = {}
        for key, directive in table.items():
            where = join(location, key)
            try:
                cls = resolve_exception(key)
            except Unusable as problem:
                self.unusable(where, problem)
                good = False
                cls = None
            if cls is not None:
                if cls in first:
                    good = False
                    self.problem(
                        where,
                        "each exception class once",
                        repr(key),
                        f"the same class as {first[cls]!r}",
                    )
                else:
                    first[cls] = key
            if self.choice(directive, where, options=DIRECTIVES) is BAD:
                good = False
        return table if good else BAD

    def exceptions(self, value: Any, location: str) -> Any:
        """A list of exception classes (``["builtins:ConnectionError", "pkg.mod:Error"]``),
        at least one."""
        if not isinstance(value, list | tuple) or not value:
            self.problem(
                location,
                'a non-empty list of exception classes, such as ["builtins:OSError"]',
                show(value),
            )
            return BAD
        good = True
        for index, reference in enumerate(value):
            try:
                resolve_exception(reference)
            except Unusable as problem:
                self.unusable(f"{location}[{index}]", problem)
                good = False
        return list(value) if good else BAD

    def unusable(self, location: str, problem: Unusable) -> None:
        where = location + problem.where
        hint = problem.hint
        missing = problem.missing_module
        if missing is not None:
            first = self.missing_modules.setdefault(missing, where)
            if first != where:
                hint = f"not found, as at {first}"
        self.problem(where, problem.expected, problem.found, hint)
