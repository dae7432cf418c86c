"""The ASGI integration (``actors.asgi``): a service lifespan, the request context
middleware, the error mapping and the metrics application. Nothing here imports a
framework."""
