"""A supervision tree from a configuration file, run as the lifespan of an ASGI service.

``tree_service(path)`` is ``actors.asgi.ActorService`` for a tree declared in a file (the
same files ``supervise run`` takes); the rest of the ASGI integration (``RequestContext``,
``error_response``, metrics) is in ``actors.asgi``.
"""

from supervision._asgi_tree import tree_service

__all__ = ["tree_service"]
