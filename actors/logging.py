"""Logging setup for applications and the ``supervise`` command.

The library never configures logging on import. Its events (``actor.failed``,
``supervisor.restarting``, ``dead_letter``, ...) go to standard library loggers under
``actors.`` and ``supervision.`` (``actors.actor``, ``actors.dead_letter``,
``supervision.supervisor``, ...), so until the application configures logging only warnings
and errors appear, on standard error, as stdlib's last-resort handler prints them.

Call ``configure`` once at start-up to send structlog and the standard library's ``logging``
through one pipeline (structlog's ``ProcessorFormatter`` on a handler of the root logger): the
runtime's events, your own ``structlog.get_logger()`` lines, and the records of any stdlib
logger (``logging.getLogger("myapp.db")``, third-party libraries) all come out as the same
console lines or JSON objects, each with its logger's name, the actor's path and, inside a
handler, the message's ``correlation_id``. Per-logger levels work as in plain stdlib logging:
``logging.getLogger("actors").setLevel(logging.WARNING)``.
"""

from __future__ import annotations

import logging as _stdlib_logging
import os
import sys
import traceback
from typing import Any, Literal, TextIO

import structlog
import structlog.stdlib
import structlog.tracebacks

from actors._core._log import (
    CHAIN_LINKS,
    add_message_context,
    error_fields,
    log_limited,
    logger,
    wrap_for_stdlib,
)

__all__ = ["add_message_context", "configure", "error_fields", "log_limited", "logger"]

_LEVELS = {
    "debug": _stdlib_logging.DEBUG,
    "info": _stdlib_logging.INFO,
    "warning": _stdlib_logging.WARNING,
    "error": _stdlib_logging.ERROR,
    "critical": _stdlib_logging.CRITICAL,
}


class _Handler(_stdlib_logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``configure`` installs on the root logger (so that calling it again
    replaces it, and only it)."""


def configure(
    format: Literal["console", "json"] = "console",
    level: str | int = "info",
    *,
    stream: TextIO | None = None,
    short_tracebacks: bool = False,
    replace_handlers: bool = False,
) -> None:
    """Send structlog and the standard library's logging through one pipeline.

    Configures structlog to hand its events to stdlib logging, and installs one handler on
    the root logger whose ``structlog.stdlib.ProcessorFormatter`` renders every record, from
    structlog or from plain stdlib loggers, in the chosen format, with ``logger`` (the
    logger's name), ``level`` and ``timestamp``, plus the actor path and correlation id when
    logged from a handler. The root logger's level is set to ``level``; set other levels per
    logger as usual (``logging.getLogger("actors").setLevel("WARNING")``). Calling it again
    replaces the handler it installed before.

    Args:
        format: ``"console"`` for readable, coloured lines; ``"json"`` for one JSON object
            per line (with the traceback as structured data), for log collectors.
        level: the lowest level written: ``"debug"``, ``"info"``, ``"warning"``, ``"error"``,
            ``"critical"`` or a ``logging`` number. At ``debug`` the runtime also logs every
            actor start and stop.
        stream: where lines go (default: standard error).
        short_tracebacks: in console format, show an exception as one line (its type and
            message) instead of the whole traceback; JSON always has the whole traceback.
        replace_handlers: also remove the handlers the application installed on the root
            logger itself (by default they stay, and get every record as well).

    A traceback shows the exception and at most 8 of its causes (the nearest), so that a
    failure escalated through many supervisors, whose cause chain holds every level below,
    does not cost every level more than the one below it.

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
    # For every record: structlog's (before it leaves structlog) and stdlib's (in the
    # formatter, as "foreign" records).
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        add_message_context,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: list[structlog.typing.Processor]
    if format == "json":
        renderer = [
            # Structured tracebacks without frame locals: locals would copy message
            # contents (and anything else in scope) into the logs.
            structlog.processors.ExceptionRenderer(_BoundedDictTransformer(show_locals=False)),
            structlog.processors.EventRenamer("event"),
            structlog.processors.JSONRenderer(),
        ]
    else:
        renderer = [
            structlog.dev.ConsoleRenderer(
                colors=output.isatty(),
                exception_formatter=_one_line if short_tracebacks else _bounded_traceback,
            )
        ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            wrap_for_stdlib,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = _Handler(output)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
        )
    )
    root = _stdlib_logging.getLogger()
    for installed in list(root.handlers):
        if replace_handlers or isinstance(installed, _Handler):
            root.removeHandler(installed)
            if isinstance(installed, _Handler):
                installed.close()
    root.addHandler(handler)
    root.setLevel(number)


def _one_line(stream: TextIO, exc_info: Any) -> None:
    stream.write("\n  " + _exception_line(exc_info[1]))


def _exception_line(error: BaseException) -> str:
    """``module.Type: message``, as the last line of Python's traceback says it, without
    ``traceback.format_exception_only``, which walks the whole cause chain."""
    kind = type(error)
    name = kind.__qualname__
    if kind.__module__ not in ("builtins", "__main__"):
        name = f"{kind.__module__}.{name}"
    text = _safe_str(error)
    return f"{name}: {text}" if text else name


def _causes(error: BaseException) -> tuple[list[BaseException], bool]:
    """``error`` and its nearest causes (at most ``CHAIN_LINKS``), outermost first, and
    whether there are more."""
    links: list[BaseException] = []
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        if len(links) > CHAIN_LINKS:
            return links, True
        seen.add(id(link))
        links.append(link)
        link = _cause(link)
    return links, False


def _cause(error: BaseException) -> BaseException | None:
    if error.__cause__ is not None:
        return error.__cause__
    return None if error.__suppress_context__ else error.__context__


def _bounded_traceback(stream: TextIO, exc_info: Any) -> None:
    """Python's traceback of the exception and at most ``CHAIN_LINKS`` of its causes."""
    links, more = _causes(exc_info[1])
    stream.write("\n")
    if more:
        stream.write(f"(earlier causes not shown: the chain is longer than {len(links)})\n\n")
    for index in range(len(links) - 1, -1, -1):
        error = links[index]
        if error.__traceback__ is not None:
            stream.write("Traceback (most recent call last):\n")
            stream.write("".join(traceback.format_tb(error.__traceback__)))
        stream.write(_exception_line(error) + "\n")
        if index:
            outer = links[index - 1]
            stream.write(
                "\nThe above exception was the direct cause of the following exception:\n\n"
                if outer.__cause__ is error
                else "\nDuring handling of the above exception, another exception occurred:\n\n"
            )


class _BoundedDictTransformer(structlog.tracebacks.ExceptionDictTransformer):
    """structlog's structured traceback, keeping the exception and at most ``CHAIN_LINKS`` of
    its causes. A longer chain is not handed to structlog (which would walk all of it): its
    kept links are described the same way, by type, message, notes and frames (the
    sub-exceptions of an exception group in such a chain are not listed)."""

    def __call__(self, exc_info: Any) -> list[dict[str, Any]]:
        links, more = _causes(exc_info[1])
        if not more:
            return super().__call__(exc_info)
        stacks = [
            {
                "exc_type": type(error).__name__,
                "exc_value": _safe_str(error),
                "exc_notes": [_safe_str(note) for note in getattr(error, "__notes__", ())],
                "syntax_error": None,
                "is_cause": index > 0 and links[index - 1].__cause__ is error,
                "frames": [
                    {
                        "filename": os.path.abspath(frame.f_code.co_filename),
                        "lineno": lineno,
                        "name": frame.f_code.co_name,
                    }
                    for frame, lineno in traceback.walk_tb(error.__traceback__)
                ][-self.max_frames :],
                "is_group": isinstance(error, BaseExceptionGroup),
                "exceptions": [],
            }
            for index, error in enumerate(links)
        ]
        stacks.append(
            {
                "exc_type": "...",
                "exc_value": f"earlier causes not shown: the chain is longer than {len(links)}",
                "exc_notes": [],
                "syntax_error": None,
                "is_cause": True,
                "frames": [],
                "is_group": False,
                "exceptions": [],
            }
        )
        return stacks


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except Exception as failure:  # a broken __str__ must not lose the log line
        return f"<str() failed: {failure!r}>"
