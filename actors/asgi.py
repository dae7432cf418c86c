"""Running actors inside an ASGI service (Starlette, FastAPI, or any ASGI framework).

- ``ActorService``: the lifespan that creates the system, spawns the tree and shuts it down
  gracefully; ``service.ref(path)`` for routes; exits the process when the system fails.
- ``RequestContext``: middleware giving each request a correlation id (``X-Request-ID``)
  carried by every message sent while handling it, and answering runtime errors with 503,
  504 or 500.
- ``error_response``: the same error mapping, for a framework's own exception handlers.
- ``asgi_app`` (from ``actors.metrics``): metrics and health, mountable under any prefix.

Neither Starlette nor FastAPI is imported: everything here speaks plain ASGI. For a tree
declared in a configuration file, see ``supervision.asgi.tree_service``.
"""

from actors._asgi._errors import ErrorResponse, error_response
from actors._asgi._metrics_app import MetricsApp
from actors._asgi._request import RequestContext
from actors._asgi._service import ActorService, exit_process
from actors._core._ambient import correlation_scope

__all__ = [
    "ActorService",
    "ErrorResponse",
    "MetricsApp",
    "RequestContext",
    "correlation_scope",
    "error_response",
    "exit_process",
]
