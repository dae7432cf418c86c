"""``ExceptionDecider``: a decider written as a table from exception classes to directives.

The matching rule is the one Python's own ``except`` clauses and Akka's ``makeDecider``
follow for single inheritance, made exact for multiple inheritance: the error's class and
then its bases are looked up in the table in method resolution order
(``type(error).__mro__``), and the first class found decides. So an entry for a subclass wins
over an entry for its base whatever the order the table was written in, and an error that
matches no entry is decided by ``otherwise`` (``default_decider`` unless given).

Configuration files build their ``decider`` tables with this class too: there is one matcher.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from supervision._strategy import Decider, Directive, default_decider

__all__ = ["ExceptionDecider"]


def _table(value: Mapping[type[BaseException], Directive] | Iterable[Any]) -> tuple[Any, ...]:
    pairs = list(value.items()) if isinstance(value, Mapping) else list(value)
    seen: set[type[BaseException]] = set()
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError(
                f"ExceptionDecider table: expected (class, Directive) pairs, got {pair!r}"
            )
        cls, directive = pair
        if not (isinstance(cls, type) and issubclass(cls, BaseException)):
            shown = cls.__name__ if isinstance(cls, type) else repr(cls)
            raise TypeError(f"ExceptionDecider table: {shown} is not an exception class")
        if not isinstance(directive, Directive):
            raise TypeError(
                f"ExceptionDecider table: {cls.__name__} maps to {directive!r}, not a Directive"
            )
        if cls in seen:
            raise ValueError(f"ExceptionDecider table: {cls.__name__} appears twice")
        seen.add(cls)
    return tuple(pairs)


def _check_otherwise(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not callable(value):
        raise TypeError(f"ExceptionDecider otherwise must be callable, got {value!r}")


def _name(cls: type[BaseException]) -> str:
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


@attrs.frozen(repr=False)
class ExceptionDecider:
    """A decider from a table of exception classes to directives; the most specific class
    wins.

    ``ExceptionDecider({ValueError: Directive.RESUME, OSError: Directive.STOP})`` is a
    callable ``error -> Directive`` to pass as a strategy's ``decider``. For an error, the
    classes of ``type(error).__mro__`` (the class itself, then its bases, nearest first) are
    looked up in ``table`` and the first one found decides: ``KeyError`` matches a
    ``LookupError`` entry, and a ``ConnectionError`` entry beats an ``OSError`` entry. An error
    that matches no entry is decided by ``otherwise``: ``default_decider`` (``RESTART`` for an
    ``Exception``) unless given.

    ``ExceptionDecider(table, otherwise=default_decider)``.

    Attributes:
        table: the ``(class, directive)`` pairs, in the order given (the constructor takes a
            mapping or pairs) from ``BaseException`` subclasses to ``Directive`` values.
        otherwise: the decider for errors the table does not name.

    Raises:
        TypeError: a key is not an exception class, a value not a ``Directive``, or
            ``otherwise`` not callable.
        ValueError: a class appears twice in ``table`` pairs.
    """

    table: tuple[tuple[type[BaseException], Directive], ...] = attrs.field(converter=_table)
    otherwise: Decider = attrs.field(default=default_decider, validator=_check_otherwise)
    # The same table as a dict, for the MRO walk (a class is looked up, not scanned for).
    _by_class: dict[type[BaseException], Directive] = attrs.field(init=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_by_class", dict(self.table))

    def __call__(self, error: BaseException) -> Directive:
        """Return the directive for ``error``: its nearest class in the table, else
        ``otherwise(error)``. Raises whatever ``otherwise`` raises."""
        by_class = self._by_class
        for cls in type(error).__mro__:
            directive = by_class.get(cls)
            if directive is not None:
                return directive
        return self.otherwise(error)

    def __repr__(self) -> str:
        entries = ", ".join(f"{_name(cls)}: {directive.name}" for cls, directive in self.table)
        text = f"ExceptionDecider({{{entries}}}"
        if self.otherwise is not default_decider:
            text += f", otherwise={self.otherwise!r}"
        return text + ")"
