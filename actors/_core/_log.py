"""The runtime's loggers. The library never configures logging; applications do.

Every runtime event goes to the standard library logger named after the event's first part,
under the package that owns it: ``actor.failed`` to ``actors.actor``, ``dead_letter`` to
``actors.dead_letter``, ``mailbox.overflow`` to ``actors.mailbox``, ``system.shutdown`` to
``actors.system``, ``bus.*`` to ``actors.bus``, ``breaker.*`` to ``actors.breaker``,
``loop.blocked`` to ``actors.loop``, and ``supervisor.*`` (from supervisors and
pools) to ``supervision.supervisor``. So ``logging.getLogger("actors").setLevel(...)`` and
the like work as for any library.

How a line is written depends on the application:

- structlog configured (by ``actors.logging.configure`` or by the application itself): the
  event goes through that configuration, like the application's own structlog lines.
- structlog not configured: the event goes straight to the stdlib logger, with the event's
  fields in the record (``record.msg`` is the event dict, which ``str()`` renders as
  ``event key=value ...``, so plain stdlib handlers and formatters print it readably, and
  ``structlog.stdlib.ProcessorFormatter`` recovers it whole). With no handler installed
  anywhere, stdlib's last-resort handler prints warnings and errors to standard error and
  nothing below: a library is quiet until the application configures logging.

Debug events (one per actor start or stop) are guarded by ``debug_enabled``, which is true
when ``actors.actor`` is enabled for ``DEBUG``.

A failure cascade (an actor fails, its supervisor gives up, its parent escalates, the
system fails) logs one error several times. The traceback is written once, on the first line
that logs the exception or any exception of its cause chain; that line gets an ``error_id``,
and every later line about the same failure carries the same ``error_id`` and the chain's
summary (``error_chain``) instead of the traceback again.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import time
from collections.abc import Hashable, MutableMapping
from typing import Any

import structlog
import structlog.contextvars
import structlog.stdlib

from actors._core._ambient import AMBIENT
from actors._core._state import current_cell

__all__ = [
    "RateLimiter",
    "RuntimeLogger",
    "add_message_context",
    "debug_enabled",
    "error_fields",
    "log_limited",
    "logger",
    "logger_name",
]


def logger_name(event: str) -> str:
    """The stdlib logger a runtime event goes to (see the module docstring)."""
    area = event.split(".", 1)[0]
    return f"supervision.{area}" if area == "supervisor" else f"actors.{area}"


class EventDict(dict[str, Any]):
    """An event's fields as a stdlib record's ``msg``: ``str()`` renders ``event k=v ...``."""

    def __str__(self) -> str:
        fields = " ".join(
            f"{key}={value!r}" for key, value in self.items() if key not in ("event", "exc_info")
        )
        return f"{self.get('event', '')} {fields}".rstrip()


def wrap_for_stdlib(
    logger: logging.Logger, method_name: str, event_dict: structlog.typing.EventDict
) -> tuple[tuple[EventDict], dict[str, Any]]:
    """The last processor of a pipeline that ends in stdlib logging: hands the event dict to
    the stdlib logger as the record's ``msg`` (what ``ProcessorFormatter`` expects), readable
    by plain formatters too, with the exception as the record's ``exc_info``."""
    keywords: dict[str, Any] = {"extra": {"_logger": logger, "_name": method_name}}
    error = event_dict.get("exc_info")
    if isinstance(error, BaseException):
        keywords["exc_info"] = error
    return (EventDict(event_dict),), keywords


def add_message_context(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: inside a handler, add the handled message's
    ``correlation_id`` (unless the line has one) and the actor's path (``actor``); outside
    actors, the correlation id of the enclosing ``actors.correlation_scope``, if any.

    The message being handled lives on the actor's record, which the task finds through a
    context variable set once when the task starts; nothing is written per message.
    ``actors.logging.configure`` installs it; an application that configures structlog itself
    adds it to its processors to get correlation ids in its own lines from handlers.
    """
    cell = current_cell.get()
    if cell is not None:
        event_dict.setdefault("actor", cell.path)
        envelope = cell.current
        if envelope is not None:
            event_dict.setdefault("correlation_id", envelope.correlation_id)
    else:
        ambient = AMBIENT.get()  # outside actors: an actors.correlation_scope, if any
        if ambient is not None and ambient.correlation_id is not None:
            event_dict.setdefault("correlation_id", ambient.correlation_id)
    return event_dict


_LEVELS = logging.getLevelNamesMapping()
_UNCONFIGURED_PROCESSORS: list[structlog.typing.Processor] = [
    structlog.contextvars.merge_contextvars,
    add_message_context,
    wrap_for_stdlib,
]

# The attribute an exception whose traceback has been logged carries: its error_id.
_ERROR_ID = "_actors_error_id"


def _deduplicated(fields: dict[str, Any]) -> dict[str, Any]:
    """Give an error line its ``error_id``; keep the traceback only on the first line that
    logs the exception or one of its causes."""
    error = fields.get("exc_info")
    if not isinstance(error, BaseException):
        return fields
    logged = None
    seen: set[int] = set()
    walked: list[BaseException] = []
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        logged = getattr(link, _ERROR_ID, None)
        if logged is not None:
            break
        walked.append(link)
        link = link.__cause__ or link.__context__
    if logged is not None:
        # The links walked get the id too, so that the next line about a later link of this
        # chain stops at once: a failure escalated through N supervisors would otherwise
        # walk the whole chain below at every level (N^2).
        for earlier in walked:
            with contextlib.suppress(AttributeError):  # __slots__: walked again next time
                setattr(earlier, _ERROR_ID, logged)
        del fields["exc_info"]  # written with the line that first carried this error_id
        fields["error_id"] = logged
        summary = error_fields(error)  # the chain's summary in place of the traceback
        fields.setdefault("error_type", summary["error_type"])
        if "error_chain" in summary:
            fields.setdefault("error_chain", summary["error_chain"])
        return fields
    error_id = secrets.token_hex(4)
    try:
        setattr(error, _ERROR_ID, error_id)
    except AttributeError:  # an exception type with __slots__: not deduplicated
        return fields
    fields["error_id"] = error_id
    return fields


class RuntimeLogger:
    """The runtime's logger: ``debug``/``info``/``warning``/``error``/``critical(event,
    **fields)`` on the stdlib logger named by ``logger_name(event)`` (see the module
    docstring for where the line goes)."""

    def __init__(self) -> None:
        self._unconfigured: dict[str, Any] = {}

    def _log(self, level: str, event: str, fields: dict[str, Any]) -> None:
        name = logger_name(event)
        if structlog.is_configured():
            target: Any = structlog.get_logger(name)
        else:
            target = self._unconfigured.get(name)
            if target is None:
                target = structlog.wrap_logger(
                    logging.getLogger(name),
                    processors=_UNCONFIGURED_PROCESSORS,
                    wrapper_class=structlog.stdlib.BoundLogger,
                )
                self._unconfigured[name] = target
            if not target.isEnabledFor(_LEVELS[level.upper()]):
                return  # (before the error_id: a line not written carries no traceback)
        getattr(target, level)(event, **_deduplicated(fields))

    def debug(self, event: str, **fields: Any) -> None:
        self._log("debug", event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._log("info", event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._log("warning", event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._log("error", event, fields)

    def critical(self, event: str, **fields: Any) -> None:
        self._log("critical", event, fields)


logger = RuntimeLogger()
"""The runtime's logger (``supervision`` logs through it too): each event goes to the stdlib
logger ``logger_name(event)`` names."""


class _EnabledFor:
    """True while a stdlib logger is enabled for a level: the logger's own (cached) check,
    so that levels set after ``configure`` (or without it) apply. ``if debug_enabled:``
    costs a few hundred nanoseconds, at each actor start and stop (never per message)."""

    __slots__ = ("_check", "_level")

    def __init__(self, name: str, level: int) -> None:
        self._check = logging.getLogger(name).isEnabledFor
        self._level = level

    def __bool__(self) -> bool:
        return self._check(self._level)


debug_enabled = _EnabledFor("actors.actor", logging.DEBUG)


class RateLimiter:
    """At most ``limit`` lines per key in each ``window`` seconds; counts what it holds back.

    A failing actor in a restart loop, or a burst of dead letters, must not write unbounded
    lines. The first line of a key in a new window carries ``suppressed=N``: how many lines of
    that key were held back since the previous one. ``suppressed_total`` counts them all
    (exported as a metric).
    """

    def __init__(self, limit: int = 10, window: float = 10.0) -> None:
        self.limit = limit
        self.window = window
        self.suppressed_total = 0
        # key -> [window start, lines written in the window, lines held back since the last]
        self._keys: dict[Hashable, list[float]] = {}

    def allow(self, key: Hashable) -> tuple[bool, int]:
        """Whether a line for ``key`` may be written now, and how many were held back before
        it (to report on that line)."""
        now = time.monotonic()
        state = self._keys.get(key)
        if state is None or now - state[0] >= self.window:
            held_back = 0 if state is None else int(state[2])
            if len(self._keys) > 10_000:
                self._keys.clear()  # bounded memory: forget old keys wholesale
            self._keys[key] = [now, 1, 0]
            return True, held_back
        if state[1] < self.limit:
            state[1] += 1
            held_back = int(state[2])
            state[2] = 0
            return True, held_back
        state[2] += 1
        self.suppressed_total += 1
        return False, 0


limiter = RateLimiter()


def log_limited(level: str, event: str, key: Hashable, **fields: Any) -> None:
    """Log ``event`` unless its key is over the rate limit (see ``RateLimiter``)."""
    allowed, held_back = limiter.allow((event, key))
    if not allowed:
        return
    if held_back:
        fields["suppressed"] = held_back
    getattr(logger, level)(event, **fields)


CHAIN_LINKS = 8
"""How many causes ``error_fields`` describes in ``error_chain``; a longer chain ends with
``"..."``. Bounded so that a failure escalated through N supervisors costs the same at every
level (each level's error has the whole chain below it as causes); the exception itself, with
its full chain, is still in ``exc_info``."""


def error_fields(error: BaseException) -> dict[str, Any]:
    """The fields describing an exception: type, message, its nearest causes (at most
    ``CHAIN_LINKS``), and the traceback (``exc_info``, rendered by the configured processors)."""
    chain: list[str] = []
    seen: set[int] = set()
    cause = error.__cause__ or error.__context__
    while cause is not None and id(cause) not in seen:
        if len(chain) == CHAIN_LINKS:
            chain.append("...")
            break
        seen.add(id(cause))
        chain.append(f"{type(cause).__name__}: {cause}")
        cause = cause.__cause__ or cause.__context__
    fields: dict[str, Any] = {
        "error_type": type(error).__name__,
        "error": str(error),
        "exc_info": error,
    }
    if chain:
        fields["error_chain"] = chain
    return fields
