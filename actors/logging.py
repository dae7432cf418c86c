"""Logging setup for applications and the ``supervise`` command.

The library never configures logging on import: it logs through structlog and leaves the
output to the application. Call ``configure`` once at start-up to get the runtime's events
(``actor.failed``, ``supervisor.restarting``, ``dead_letter``, ...) as console lines or JSON,
each with the actor's path and, inside a handler, the message's ``correlation_id``; your own
``structlog.get_logger()`` calls inside handlers carry both too.
"""

from __future__ import annotations

import logging as _stdlib_logging
import sys
import traceback
from typing import Any, Literal, TextIO

import structlog
import structlog.tracebacks

from actors._core import _log
from actors._core._log import add_message_context, error_fields, log_limited, logger

__all__ = ["add_message_context", "configure", "error_fields", "log_limited", "logger"]

_LEVELS = {
    "debug": _stdlib_logging.DEBUG,
    "info": _stdlib_logging.INFO,
    "warning": _stdlib_logging.WARNING,
    "error": _stdlib_logging.ERROR,
    "critical": _stdlib_logging.CRITICAL,
}


def configure(
    format: Literal["console", "json"] = "console",
    level: str | int = "info",
    *,
    stream: TextIO | None = None,
    short_tracebacks: bool = False,
) -> None:
    """Configure structlog (and the standard library's logging) for an application.

    Args:
        format: ``"console"`` for readable, coloured lines; ``"json"`` for one JSON object
            per line (with the traceback as structured data), for log collectors.
        level: the lowest level written: ``"debug"``, ``"info"``, ``"warning"``, ``"error"``,
            ``"critical"`` or a ``logging`` number. At ``debug`` the runtime also logs every
            actor start and stop.
        stream: where lines go (default: standard error).
        short_tracebacks: in console format, show an exception as one line (its type and
            message) instead of the whole traceback; JSON always has the whole traceback.

    Raises:
        ValueError: an unknown ``format`` or ``level``.
    """
    if format not in ("console", "json"):
        raise ValueError(f"log format must be 'console' or 'json', got {format!r}")
    if isinstance(level, str):
        try:
            number = _LEVELS[level.lower()]
        except KeyError:
            raise ValueError(
                f"log level must be one of {', '.join(_LEVELS)}, got {level!r}"
            ) from None
    elif isinstance(level, int) and not isinstance(level, bool):
        number = level
    else:
        raise ValueError(f"log level must be a name or a number, got {level!r}")
    output = sys.stderr if stream is None else stream
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        add_message_context,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: list[structlog.typing.Processor]
    if format == "json":
        renderer = [
            # Structured tracebacks without frame locals: locals would copy message
            # contents (and anything else in scope) into the logs.
            structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
            ),
            structlog.processors.EventRenamer("event"),
            structlog.processors.JSONRenderer(),
        ]
    else:
        renderer = [
            structlog.dev.ConsoleRenderer(
                colors=output.isatty(),
                exception_formatter=(
                    _one_line if short_tracebacks else structlog.dev.plain_traceback
                ),
            )
        ]
    structlog.configure(
        processors=[*shared, *renderer],
        wrapper_class=structlog.make_filtering_bound_logger(number),
        logger_factory=structlog.PrintLoggerFactory(output),
        cache_logger_on_first_use=False,
    )
    _stdlib_logging.basicConfig(level=number, stream=output, force=True)
    _log.debug_enabled = number <= _stdlib_logging.DEBUG


def _one_line(stream: TextIO, exc_info: Any) -> None:
    lines = traceback.format_exception_only(exc_info[0], exc_info[1])
    stream.write("\n  " + lines[-1].strip())
