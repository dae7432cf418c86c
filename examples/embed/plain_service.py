"""How-to "Embed the runtime in a service": a plain asyncio service that runs an actor tree
until SIGINT or SIGTERM, then shuts it down gracefully and exits 0; a second signal exits at
once; a root that gives up exits 1.

Run it with ``python -m examples.embed.plain_service`` and stop it with Ctrl-C.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
import os
import signal
import sys
from typing import Any

import actors
from actors import Actor, ActorSystem
from supervision import ChildSpec, OneForOne, RestartIntensityExceeded, Supervisor

# --8<-- [end:imports]


# --8<-- [start:actors]
class Poller(Actor):
    """Does the service's work on a timer; flushes what it holds when it stops."""

    def __init__(self) -> None:
        self.polls = 0

    async def on_start(self) -> None:
        self.context.schedule_every(0.5, "poll")

    def receive(self, message: Any) -> Any:
        self.polls += 1  # a real poller would fetch and hand out work here
        return None

    async def on_stop(self) -> None:
        print(f"poller: flushed after {self.polls} polls", flush=True)


class Service(Supervisor):
    strategy = OneForOne(max_restarts=3, within=10.0)
    children = (ChildSpec("poller", Poller),)


# --8<-- [end:actors]


# --8<-- [start:main]
async def main() -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def on_signal(number: int) -> None:
        if stop.is_set():
            os._exit(128 + number)  # a second signal: stop at once, as shells expect
        print(f"received {signal.Signals(number).name}: shutting down", flush=True)
        stop.set()

    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, on_signal, number)

    system = ActorSystem("service")
    try:
        await system.spawn(Service, name="service")
        print("ready", flush=True)
        closed = asyncio.create_task(system.wait_closed())  # raises if the root gave up
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({closed, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        await system.shutdown(timeout=10.0)  # graceful: children first, on_stop runs
        await closed
    except RestartIntensityExceeded as error:
        print("the service gave up:", *error.chain, sep="\n  ", file=sys.stderr)
        return 1
    finally:
        await system.shutdown()
    print("stopped gracefully", flush=True)
    return 0


if __name__ == "__main__":
    # Not asyncio.run: its end waits without limit for a task that ignores cancellation.
    sys.exit(actors.run(main()))
# --8<-- [end:main]
