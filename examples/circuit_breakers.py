"""How-to "Circuit breakers and blocked loops": a payments actor that calls a flaky gateway
through the system's circuit breaker, and the detector naming a handler that blocks the loop.

Run it with ``python -m examples.circuit_breakers``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
import time
from typing import Any

from actors import Actor, ActorSystem, CircuitOpen

# --8<-- [end:imports]


# --8<-- [start:gateway]
class Gateway:
    """A payment gateway that is down until ``up`` is set (a stand-in for an HTTP client)."""

    def __init__(self) -> None:
        self.up = False
        self.requests = 0

    async def charge(self, order: str, cents: int) -> str:
        self.requests += 1
        await asyncio.sleep(0.01)  # the network
        if not self.up:
            raise ConnectionError("gateway unreachable")
        return f"receipt-{order}"


GATEWAY = Gateway()
# --8<-- [end:gateway]


# --8<-- [start:payments]
class Payments(Actor):
    async def on_start(self) -> None:
        # The system's breaker named "gateway": made on first use, the same one after a
        # restart (state and all), exported as metrics and reported by system.health().
        self.breaker = self.context.system.circuit_breaker(
            "gateway", max_failures=3, reset_timeout=0.5, call_timeout=0.2
        )

    async def receive(self, message: Any) -> Any:
        order, cents = message
        try:
            return await self.breaker.call(GATEWAY.charge, order, cents)
        except CircuitOpen as refused:
            # Fail fast: the gateway is not even called while the breaker is open.
            return f"later: retry in {refused.remaining:.1f} s"
        except (ConnectionError, TimeoutError) as error:
            return f"failed: {error}"


# --8<-- [end:payments]


# --8<-- [start:trip]
async def trip_and_recover(system: ActorSystem) -> list[str]:
    payments = await system.spawn(Payments, name="payments")
    answers = [await payments.ask((f"o{n}", 1000)) for n in range(5)]
    breaker = system.circuit_breaker("gateway")
    print("breaker:", breaker.state.name, "| health:", system.health().status)
    print("gateway requests:", GATEWAY.requests)  # 3: the last two calls failed fast
    await asyncio.sleep(0.5)  # the reset timeout: the next call is the one trial
    GATEWAY.up = True
    answers.append(await payments.ask(("o5", 1000)))
    print("breaker:", breaker.state.name, "| health:", system.health().status)
    return answers


# --8<-- [end:trip]


# --8<-- [start:blocked]
class Report(Actor):
    def receive(self, message: Any) -> Any:
        time.sleep(0.5)  # blocks the loop: every actor of the system waits
        return "report ready"


async def block_the_loop(system: ActorSystem) -> str | None:
    report = await system.spawn(Report, name="report")
    await report.ask("monthly")  # logs loop.blocked, naming /report and str
    loop = system.health().loop
    assert loop is not None
    print("loop blocked", loop.blocked, "time(s), last by", loop.last_actor)
    return loop.last_actor


# --8<-- [end:blocked]


# --8<-- [start:main]
async def main() -> dict[str, Any]:
    # Blocks longer than 0.1 s are logged; longer than 0.25 s make health degraded.
    async with ActorSystem(
        "shop", loop_block_threshold=0.1, loop_degraded_threshold=0.25
    ) as system:
        answers = await trip_and_recover(system)
        blocked_by = await block_the_loop(system)
        print("health:", system.health().status)
    return {"answers": answers, "blocked_by": blocked_by}


if __name__ == "__main__":
    asyncio.run(main())
# --8<-- [end:main]
