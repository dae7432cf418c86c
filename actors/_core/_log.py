"""The runtime's logger. The library never configures logging; applications do.

Debug events (one per actor start or stop) are guarded by ``debug_enabled`` so that an
unconfigured structlog, which prints every level, is not flooded by them.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Hashable, MutableMapping
from typing import Any

import structlog
import structlog.contextvars

from actors._core._ambient import AMBIENT
from actors._core._state import current_cell

logger = structlog.get_logger("actors")
"""The runtime's structlog logger; ``supervision`` logs through it too."""

debug_enabled = False

# structlog's own context variable for the actor's path, set once per incarnation task, so it
# appears in every log line written from a handler (the runtime's and the user's own) whenever
# structlog's configuration merges contextvars (its default does). Obtained once here, through
# the public API, in a throwaway context so that nothing is bound at import.
_tokens = contextvars.copy_context().run(structlog.contextvars.bind_contextvars, actor=...)
ACTOR_VAR: contextvars.ContextVar[Any] = _tokens["actor"].var
del _tokens


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


def error_fields(error: BaseException) -> dict[str, Any]:
    """The fields describing an exception: type, message, cause chain, and the traceback
    (``exc_info``, rendered by the configured processors)."""
    chain: list[str] = []
    seen: set[int] = set()
    cause = error.__cause__ or error.__context__
    while cause is not None and id(cause) not in seen:
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
