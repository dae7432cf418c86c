"""The testing kit: probes, virtual time, and the pytest plugin's fixtures.

- ``TestProbe``: a ref whose messages a test can ``expect``.
- ``VirtualTimeLoop``, ``virtual_time()``, ``run_virtual()``: run the runtime on a clock that
  jumps to the next timer whenever every task is idle, so restart windows, backoff, timers
  and timeouts are tested exactly and instantly.
- ``NatsServer``: a real ``nats-server`` on a free loopback port (start, stop, kill,
  restart) for cluster tests.
- The pytest plugin (installed with the package) adds the fixtures ``actor_system``,
  ``virtual_time``, ``actors_loop`` and ``nats_server`` (module-scoped) and the ``actors``
  marker.
"""

from actors.testing._nats_server import NatsServer, find_nats_server
from actors.testing._probe import TestProbe
from actors.testing._virtual_time import (
    VirtualTimeLoop,
    new_virtual_loop,
    run_virtual,
    virtual_time,
)

__all__ = [
    "NatsServer",
    "TestProbe",
    "VirtualTimeLoop",
    "find_nats_server",
    "new_virtual_loop",
    "run_virtual",
    "virtual_time",
]
