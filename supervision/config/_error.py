"""``ConfigError``: every problem found in a configuration file, each with its location."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from supervision._errors import SupervisionError

__all__ = ["ConfigError", "ConfigProblem"]


@attrs.frozen
class ConfigProblem:
    """One problem (or warning) found in a configuration file.

    Attributes:
        location: where, as a path into the document: ``$.tree.children[1].max_restarts``
            (``$`` is the whole document).
        expected: what would have been valid there (``"an int >= 0"``).
        found: what the file has there (``"-1"``), or what went wrong.
        hint: more help, or ``""``: a did-you-mean, the error an import raised, ...
        line: the line in the file (from 1) when the parser knows it, else ``None``.
        column: the column in the file (from 1) when the parser knows it, else ``None``.
    """

    location: str
    expected: str
    found: str
    hint: str = ""
    line: int | None = None
    column: int | None = None

    @property
    def message(self) -> str:
        """The problem as one readable line: ``location: expected ..., got ... (hint)``."""
        where = self.location
        if self.line is not None:
            where += f" (line {self.line}" + (
                f", column {self.column})" if self.column is not None else ")"
            )
        text = f"{where}: expected {self.expected}, got {self.found}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def __str__(self) -> str:
        return self.message


class ConfigError(SupervisionError):
    """A configuration file (or a ``TreeSpec``) is not valid; nothing was started.

    Raised by ``load_tree`` with **every** problem the file has, not only the first, and by
    ``spawn_tree`` when a spec built by hand names an actor class that cannot be used.
    ``errors`` lists them as ``ConfigProblem`` records (location, expected, found);
    ``str(error)`` lists them one per line. What to do: fix the file; ``supervise check
    FILE`` prints the same list.
    """

    __module__ = "supervision"  # its public module, as tracebacks show it

    def __init__(self, errors: Iterable[ConfigProblem], *, source: str | None = None) -> None:
        self.errors: list[ConfigProblem] = list(errors)
        self.source = source
        count = len(self.errors)
        title = f"{source}: " if source else ""
        title += f"{count} problem{'s' if count != 1 else ''} in the configuration"
        super().__init__("\n  ".join([title, *(problem.message for problem in self.errors)]))

    def __str__(self) -> str:
        return self.reason
