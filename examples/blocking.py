"""How-to "Blocking code in actors": blocking actors on the system's thread pool, and
``asyncio.to_thread`` for one blocking call in an async handler.

Run it with ``python -m examples.blocking``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
import hashlib
import threading
import zlib
from typing import Any

from actors import Actor, ActorSystem

# --8<-- [end:imports]

# --8<-- [start:blocking]
ITERATIONS = 10_000


class PasswordHasher(Actor):
    blocking = True  # receive is a plain def and runs in the system's thread pool

    def receive(self, message: Any) -> Any:
        password, salt = message
        # A blocking call: in an async handler it would freeze every actor of the loop.
        return hashlib.pbkdf2_hmac("sha256", password, salt, ITERATIONS).hex()


# --8<-- [end:blocking]


# --8<-- [start:stuck]
class Heartbeat(Actor):
    def receive(self, message: Any) -> Any:
        return "alive"


class Stuck(Actor):
    blocking = True

    def receive(self, message: Any) -> Any:
        gate: threading.Event = message
        return gate.wait(timeout=10.0)  # blocks one pool thread, never the event loop


# --8<-- [end:stuck]


# --8<-- [start:to_thread]
class Archiver(Actor):
    """Mostly async work, with one blocking call handed to a thread."""

    def __init__(self) -> None:
        self.archived = 0

    async def receive(self, message: Any) -> Any:
        compressed = await asyncio.to_thread(zlib.compress, message, 9)
        self.archived += 1  # back on the loop: state is safe to touch again
        return len(compressed)


# --8<-- [end:to_thread]


# --8<-- [start:free]
async def free(system: ActorSystem) -> bool:
    heartbeat = await system.spawn(Heartbeat, name="heartbeat")
    stuck = await system.spawn(Stuck, name="stuck")
    gate = threading.Event()
    waiting = asyncio.create_task(stuck.ask(gate))  # a pool thread blocks in it
    print("heartbeat:", await heartbeat.ask("ping"))  # the loop answers meanwhile
    gate.set()
    released: bool = await waiting
    print("stuck actor released:", released)
    return released


# --8<-- [end:free]


# --8<-- [start:pool]
async def hash_passwords(system: ActorSystem) -> list[str]:
    # One blocking actor handles one message at a time; a pool of them works in
    # parallel, up to the number of threads.
    hashers = await system.spawn_pool(PasswordHasher, size=4, name="hashers")
    digests = await asyncio.gather(
        *(hashers.ask((f"password-{n}".encode(), b"salt")) for n in range(8))
    )
    print("hashed", len(digests), "passwords, first:", digests[0][:16])
    return list(digests)


async def main() -> dict[str, Any]:
    async with ActorSystem("auth", blocking_threads=4) as system:  # 4 threads (default 8)
        released = await free(system)
        digests = await hash_passwords(system)
        archiver = await system.spawn(Archiver, name="archiver")
        print("archived to", await archiver.ask(b"log line\n" * 10_000), "bytes")
    return {"digests": digests, "released": released}


# --8<-- [end:pool]


# --8<-- [start:run]
if __name__ == "__main__":
    asyncio.run(main())
# --8<-- [end:run]
