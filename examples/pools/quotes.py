"""Tutorial "A pool", scatter-gather: ask every routee, keep every answer or the first.

Run it with ``python -m examples.pools.quotes``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
from typing import Any

from actors import Actor, ActorSystem, Routing, ScatterResult

# --8<-- [end:imports]


# --8<-- [start:quoter]
LATENCY = {"routee-0": 0.05, "routee-1": 0.01, "routee-2": 0.3}  # routee-2's backend is slow


class Quoter(Actor):
    """Quotes a price for an item after its backend's latency; fails for unobtainium."""

    async def receive(self, message: Any) -> Any:
        name = self.context.name
        if message == "unobtainium":
            raise LookupError(f"{name} cannot quote {message}")
        await asyncio.sleep(LATENCY[name])
        return 100 + int(name[-1])


# --8<-- [end:quoter]


# --8<-- [start:scatter]
async def best_quote(system: ActorSystem) -> ScatterResult:
    quoters = await system.spawn_pool(Quoter, size=3, routing=Routing.BROADCAST, name="quoters")
    # Every routee is asked at once; what arrived within the timeout is gathered.
    quotes = await system.scatter(quoters, "widget", timeout=0.2)
    print("answered:", [(reply.target.name, reply.value) for reply in quotes.replies])
    print("timed out:", [ref.name for ref in quotes.timed_out])
    print("best:", min(quotes.values))
    # first=True: the first reply wins, the other asks are abandoned.
    fastest = await system.scatter(quoters, "widget", timeout=0.2, first=True)
    assert fastest.first_reply is not None
    print("fastest:", fastest.first_reply.target.name, fastest.first_reply.value)
    # A failure is recorded, never raised: the result says who failed and why.
    failed = await system.scatter(quoters, "unobtainium", timeout=0.5)
    print("failed:", [(f.target.name, type(f.error).__name__) for f in failed.failures])
    return quotes


# --8<-- [end:scatter]


# --8<-- [start:tail]
async def quick_quote(system: ActorSystem) -> ScatterResult:
    quoters = system.lookup("/quoters")
    assert quoters is not None
    # Ask one routee; if it has not answered within 20 ms, ask the next one as well.
    result = await system.tail_chop(quoters, "widget", interval=0.02, timeout=0.5)
    print("tail-chop asked:", [ref.name for ref in result.asked])
    assert result.first_reply is not None
    print("answer:", result.first_reply.target.name, result.first_reply.value)
    return result


# --8<-- [end:tail]


# --8<-- [start:main]
async def main() -> tuple[ScatterResult, ScatterResult]:
    async with ActorSystem("quotes") as system:
        quotes = await best_quote(system)
        quick = await quick_quote(system)
    return quotes, quick


if __name__ == "__main__":
    asyncio.run(main())
# --8<-- [end:main]
