"""Turning the names in a configuration file into Python objects, with tagged errors.

``"package.module:Class"`` is imported and checked to be an ``Actor`` subclass; a child's
``args`` are checked against the class's constructor: every name must be a parameter, every
required parameter must be given, and a value whose parameter is annotated with a type msgspec
can decode (``int``, ``float``, ``str``, ``list[...]``, ``tuple[...]``, ``Literal``, enums,
datetimes, Structs, ...) is converted to it (strictly: ``"3"`` is not an ``int``). Values for
parameters annotated otherwise (or not at all) are passed as they are.

Each failure is an ``Unusable`` naming the sub-location (``""``, ``".url"``), what was
expected and what was found, which the caller turns into a ``ConfigProblem``.
"""

from __future__ import annotations

import builtins
import difflib
import functools
import importlib
import inspect
import os
import re
import sys
import typing
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeGuard

import msgspec

from actors import Actor
from actors.logging import logger
from supervision.config._refs import is_ref

__all__ = [
    "Unusable",
    "did_you_mean",
    "fit_args",
    "import_path_note",
    "resolve_actor",
    "resolve_callable",
    "resolve_exception",
    "show",
]

_REFERENCE = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")
REFERENCE_SHAPE = "'package.module:Name'"


class Unusable(Exception):
    """A name or argument in a configuration file that cannot be used (internal)."""

    def __init__(
        self,
        expected: str,
        found: str,
        hint: str = "",
        where: str = "",
        *,
        missing_module: str | None = None,
    ) -> None:
        super().__init__(expected, found, hint, where)
        self.expected = expected
        self.found = found
        self.hint = hint
        self.where = where
        # The module named in the file that is not on sys.path (not one it imports).
        self.missing_module = missing_module


def show(value: object) -> str:
    """``value`` as a problem report names it: ``-1``, ``'abc'``, ``true``, ``a table``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= 80 else text[:77] + "...'"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def did_you_mean(word: str, choices: typing.Iterable[str]) -> str:
    """``"did you mean 'x'?"`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else ""


def _is_exception_class(value: object) -> TypeGuard[type[BaseException]]:
    return isinstance(value, type) and issubclass(value, BaseException)


def _resolve(
    reference: object, suggest: Callable[[object], bool] | None = None
) -> tuple[object, str, str]:
    """The object ``reference`` names; a did-you-mean considers only the names whose value
    passes ``suggest`` (all of them when it is ``None``)."""
    if not isinstance(reference, str):
        raise Unusable(f"a string {REFERENCE_SHAPE}", show(reference))
    if not _REFERENCE.fullmatch(reference):
        raise Unusable(REFERENCE_SHAPE, show(reference))
    module_name, _, attribute_path = reference.partition(":")
    try:
        module = _import(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if module_name == missing or module_name.startswith(missing + "."):
            raise Unusable(
                "an importable module",
                repr(module_name),
                f"No module named {missing!r} on sys.path",
                missing_module=missing,
            ) from None
        raise Unusable(
            "an importable module",
            repr(module_name),
            f"it imports {missing!r}, which is not installed: {error}",
        ) from None
    except Exception as error:
        raise Unusable(
            "an importable module", repr(module_name), f"{type(error).__name__}: {error}"
        ) from None
    except SystemExit as error:  # a module that exits while imported is still a bad module
        raise Unusable(
            "an importable module", repr(module_name), f"it called exit({error.code!r})"
        ) from None
    found: object = module
    for part in attribute_path.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            names = [
                name
                for name in dir(found)
                if not name.startswith("_")
                and (suggest is None or suggest(getattr(found, name, None)))
            ]
            hint = did_you_mean(part, names)
            owner = getattr(found, "__name__", module_name)
            raise Unusable(
                f"a name defined in {owner}", repr(part), hint or f"{owner} has no {part!r}"
            ) from None
    return found, module_name, attribute_path


def import_path_note(missing: typing.Iterable[str]) -> str:
    """The one explanation, for a problem report, of where the modules ``missing`` (named in
    the file, not found) were looked for."""
    unique = list(dict.fromkeys(missing))
    names = ", ".join(repr(name) for name in unique)
    verb = "is" if len(unique) == 1 else "are"
    cwd = os.getcwd()
    if cwd in sys.path or "" in sys.path:
        where = f"relative to the current directory ({cwd}), then PYTHONPATH"
    else:
        where = (
            f"from sys.path (the running script's directory {sys.path[0]!r}, PYTHONPATH, the"
            f" installed packages; not the current directory {cwd})"
        )
    return (
        f"modules named in the file are imported {where}; {names} {verb} not there."
        " Run from the directory that holds it, set PYTHONPATH, or give supervise"
        " `--path DIR`"
    )


def _import(module_name: str) -> object:
    return importlib.import_module(module_name)


def resolve_actor(reference: object) -> type[Actor]:
    """The ``Actor`` subclass named by ``reference`` (``"package.module:Class"``)."""
    found, _, attribute_path = _resolve(reference)
    if not isinstance(found, type):
        raise Unusable(
            "an Actor subclass", f"{type(found).__name__} {attribute_path!r}", "not a class"
        )
    if not issubclass(found, Actor):
        raise Unusable(
            "an Actor subclass", f"class {attribute_path!r}", "it does not subclass actors.Actor"
        )
    return found


def resolve_exception(reference: object) -> type[Exception]:
    """The ``Exception`` subclass named by ``reference`` (``"builtins:ValueError"``,
    ``"package.module:Error"``)."""
    if isinstance(reference, str) and ":" not in reference:
        builtin = getattr(builtins, reference, None)
        hint = ""
        if isinstance(builtin, type) and issubclass(builtin, BaseException):
            hint = f"did you mean 'builtins:{reference}'?"
        raise Unusable(f"an exception class {REFERENCE_SHAPE}", show(reference), hint)
    found, _, attribute_path = _resolve(reference, _is_exception_class)
    if not _is_exception_class(found):
        what = "class" if isinstance(found, type) else type(found).__name__
        raise Unusable(
            "an exception class (an Exception subclass)",
            f"{what} {attribute_path!r}",
            "not an exception" if isinstance(found, type) else "not a class",
        )
    if not issubclass(found, Exception):
        # Handlers fail only by raising an Exception; the others stop things instead.
        raise Unusable(
            "an exception class (an Exception subclass)",
            f"class {attribute_path!r}",
            "KeyboardInterrupt, SystemExit, CancelledError and other BaseExceptions never"
            " fail an actor, so no decider sees them",
        )
    return found


def resolve_callable(reference: object) -> Callable[..., Any]:
    """The callable named by ``reference`` (``"package.module:function"``)."""
    found, _, attribute_path = _resolve(reference)
    if not callable(found):
        raise Unusable("a callable", f"{type(found).__name__} {attribute_path!r}")
    return found


def fit_args(cls: type[Actor], args: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """``args`` checked against ``cls``'s constructor and converted to its annotations.

    ``partial``: required parameters may be missing (a dynamic supervisor's template, whose
    children get more arguments at run time). Raises ``Unusable`` for the first problem;
    ``args_problems`` lists them all.
    """
    problems = list(args_problems(cls, args, partial=partial))
    if problems:
        raise problems[0]
    return _convert(cls, args)


def args_problems(
    cls: type[Actor], args: Mapping[str, Any], *, partial: bool = False
) -> Iterator[Unusable]:
    """Every problem of ``args`` for ``cls``'s constructor (``where`` is ``.name`` or ``""``)."""
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return  # no signature to check against (a builtin, a C extension)
    parameters = signature.parameters
    by_name = {
        name: parameter
        for name, parameter in parameters.items()
        if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
    }
    takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    shown = f"an argument of {cls.__name__} ({', '.join(by_name)})"
    if not by_name:
        shown = f"no arguments ({cls.__name__} takes none)"
    for key in args:
        if key not in by_name and not takes_any:
            yield Unusable(
                shown,
                repr(key),
                did_you_mean(key, by_name),
                where=_sub(key),
            )
    if not partial:
        for name, parameter in parameters.items():
            if parameter.default is not parameter.empty or name in args:
                continue
            if parameter.kind is parameter.POSITIONAL_ONLY:
                yield Unusable(
                    f"a class whose required arguments can be given by name ({cls.__name__}"
                    f" takes {name!r} by position only)",
                    "args given by name",
                )
            elif parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
                yield Unusable(
                    f"the required argument {name!r} of {cls.__name__}",
                    "nothing",
                    "the key is required",
                    where=_sub(name),
                )
    hints = _hints(cls)
    for key, value in args.items():
        hint = hints.get(key)
        if hint is None or key not in by_name or not _decodable(hint):
            continue
        if is_ref(value):
            if hint not in (Any, object):
                yield Unusable(
                    f"a parameter that takes a ref (annotated ActorRef, PathRef or Any),"
                    f" not {cls.__name__}({key}: {_type_name(hint)})",
                    "a ref table",
                    where=_sub(key),
                )
            continue
        try:
            msgspec.convert(value, hint)
        except msgspec.ValidationError as error:
            yield Unusable(
                f"{_type_name(hint)} for {cls.__name__}({key}=...)",
                show(value),
                str(error),
                where=_sub(key),
            )
        except Exception:  # a value msgspec cannot walk (a YAML alias cycle): not ours to judge
            continue


def _convert(cls: type[Actor], args: Mapping[str, Any]) -> dict[str, Any]:
    hints = _hints(cls)
    converted = dict(args)
    for key, value in args.items():
        hint = hints.get(key)
        if hint is not None and _decodable(hint) and not is_ref(value):
            try:
                converted[key] = msgspec.convert(value, hint)
            except msgspec.ValidationError:
                # Reported by args_problems, which runs first (fit_args): only a value it
                # passed over (one msgspec cannot walk) reaches here, and passes as written.
                continue
    return converted


# The evaluated constructor annotations of each class checked so far: a class's args are
# checked, then converted, and each tree names a class many times.
_hints_of: weakref.WeakKeyDictionary[type, dict[str, Any]] = weakref.WeakKeyDictionary()


def _hints(cls: type[Actor]) -> dict[str, Any]:
    """The evaluated annotations of ``cls``'s constructor; none when they cannot be
    evaluated (its args are then passed as written, not converted)."""
    hints = _hints_of.get(cls)
    if hints is None:
        hints = _hints_of[cls] = _evaluate_hints(cls)
    return hints


def _evaluate_hints(cls: type[Actor]) -> dict[str, Any]:
    init = cls.__init__
    if init is object.__init__:
        return {}
    try:
        return typing.get_type_hints(init, include_extras=True)
    except NameError:
        return {}  # names imported only for type checking: nothing to convert to
    except Exception as error:
        # Broad on purpose: evaluating a string annotation runs an arbitrary expression, so
        # it can raise anything. The class still works (Python never evaluates them), so the
        # file is not refused; the args go unconverted, and the warning says why.
        logger.warning(
            "config.annotations_unusable",
            actor=f"{cls.__module__}.{cls.__qualname__}",
            error=repr(error),
            detail="its args are passed as written, not converted to its annotations",
            exc_info=error,
        )
        return {}


@functools.lru_cache(maxsize=512)
def _decodable_cached(hint: Any) -> bool:
    try:
        msgspec.json.schema(hint)
    except Exception:
        return False
    return True


def _decodable(hint: Any) -> bool:
    """Whether msgspec knows ``hint`` through and through (no custom class inside)."""
    try:
        return _decodable_cached(hint)
    except TypeError:  # an unhashable annotation
        return False


def _type_name(hint: Any) -> str:
    if isinstance(hint, type):
        return {"int": "an int", "float": "a number", "str": "a string", "bool": "a boolean"}.get(
            hint.__name__, hint.__name__
        )
    return str(hint).replace("typing.", "")


def _sub(key: str) -> str:
    return f".{key}" if key.isidentifier() else f"[{key!r}]"
