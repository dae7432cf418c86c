"""The runtime's logger. The library never configures logging; applications do.

Debug events (one per actor start or stop) are guarded by ``debug_enabled`` so that an
unconfigured structlog, which prints every level, is not flooded by them.
"""

from __future__ import annotations

import contextvars
from typing import Any

import structlog
import structlog.contextvars

logger = structlog.get_logger("actors")

debug_enabled = False

# structlog's own context variables for the two keys the runtime binds: the actor's path, set
# once per incarnation task, and the correlation id of the message being handled, set once per
# message. Binding through structlog.contextvars makes them appear in every log line written
# from a handler (the runtime's and the user's own) whenever structlog's configuration merges
# contextvars (its default does). Obtained once here, through the public API, in a throwaway
# context so that nothing is bound at import.
_tokens = contextvars.copy_context().run(
    structlog.contextvars.bind_contextvars, actor=..., correlation_id=...
)
ACTOR_VAR: contextvars.ContextVar[Any] = _tokens["actor"].var
CORRELATION_VAR: contextvars.ContextVar[Any] = _tokens["correlation_id"].var
del _tokens
