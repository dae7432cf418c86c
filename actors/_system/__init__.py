"""The ``ActorSystem`` facade, which composes the core, the routing actors and observability."""
