"""How-to "Handle failing messages": retries with backoff, poison messages, handler
timeouts and deadlines that follow a request.

Run it with ``python -m examples.failing_messages``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
from typing import Any

from actors import (
    Actor,
    ActorFailed,
    ActorRef,
    ActorSystem,
    AskTimeout,
    Backoff,
    HandlerTimeout,
    RetriesExhausted,
    Retry,
)
from supervision import ChildSpec, OneForOne, Supervisor

# --8<-- [end:imports]


# --8<-- [start:gateway]
class Gateway(Actor):
    """Charges a card through a flaky dependency: ("flaky", n) fails until attempt n,
    ("poison", _) always fails, ("slow", s) takes s seconds in its first attempt."""

    def __init__(self) -> None:
        self.charged: list[str] = []

    async def receive(self, message: Any) -> Any:
        kind, value = message
        attempt = self.context.attempt  # 1 for the first delivery, 2 for the first retry
        if kind == "flaky" and attempt < value:
            raise ConnectionError(f"gateway unreachable (attempt {attempt})")
        if kind == "poison":
            raise ConnectionError(f"card {value!r} always breaks the gateway")
        if kind == "slow" and attempt == 1:
            await asyncio.sleep(value)
        self.charged.append(f"{kind}-{value}")
        return f"charged after {attempt} attempt(s)"


class Payments(Supervisor):
    strategy = OneForOne(max_restarts=10, within=60.0)
    children = (
        ChildSpec(
            "gateway",
            Gateway,
            retry=Retry(
                max_attempts=3,
                backoff=Backoff(min=0.1, max=1.0, jitter=0.0),
                on=(ConnectionError, HandlerTimeout),
            ),
            handler_timeout=1.0,
        ),
    )


# --8<-- [end:gateway]


# --8<-- [start:checkout]
class Checkout(Actor):
    """Asks the gateway on behalf of its own caller: the caller's deadline travels along."""

    def __init__(self, gateway: ActorRef) -> None:
        self.gateway = gateway

    async def receive(self, message: Any) -> Any:
        left = self.context.time_left()  # what the caller gave us, minus the time spent
        try:
            # Asked with 30 s, but waits at most what our caller has left.
            reply = await self.gateway.ask(message, timeout=30.0)
        except AskTimeout:
            return "gave up: the caller's deadline passed"
        return reply, left


# --8<-- [end:checkout]


# --8<-- [start:retry]
async def charge_a_flaky_card(gateway: ActorRef) -> str:
    reply: str = await gateway.ask(("flaky", 3))
    print("flaky:", reply)  # charged after 3 attempt(s)
    return reply


# --8<-- [end:retry]


# --8<-- [start:poison]
async def quarantine_a_poison_card(system: ActorSystem, gateway: ActorRef) -> tuple[str, int]:
    try:
        await gateway.ask(("poison", "4242"))
    except ActorFailed as failed:
        print("poison:", failed.__cause__)  # the last attempt's error
    letter = system.dead_letters.recent[-1]
    assert isinstance(letter.error, RetriesExhausted)
    print("dead letter:", letter.reason, "after", len(letter.error.errors), "attempts")
    return letter.reason, len(letter.error.errors)


# --8<-- [end:poison]


# --8<-- [start:timeout]
async def outlast_a_slow_provider(gateway: ActorRef) -> str:
    # The first attempt overruns handler_timeout (1 s): cancelled, then retried.
    reply: str = await gateway.ask(("slow", 5.0), timeout=10.0)
    print("slow:", reply)  # charged after 2 attempt(s)
    return reply


# --8<-- [end:timeout]


# --8<-- [start:deadline]
async def check_out_within_deadlines(system: ActorSystem, gateway: ActorRef) -> dict[str, Any]:
    checkout = await system.spawn(lambda: Checkout(gateway), name="checkout")
    outcome: dict[str, Any] = {"checkout": await checkout.ask(("flaky", 1), timeout=2.0)}
    print("checkout:", outcome["checkout"])  # ('charged after 1 attempt(s)', 2.0)
    try:
        await checkout.ask(("slow", 0.5), timeout=0.2)
    except AskTimeout:
        outcome["late"] = "timed out"
        print("late checkout: timed out; so did the checkout's own ask")
    return outcome


# --8<-- [end:deadline]


# --8<-- [start:main]
async def main() -> dict[str, Any]:
    async with ActorSystem("payments") as system:
        await system.spawn(Payments, name="payments")
        gateway = system.lookup("/payments/gateway")
        assert gateway is not None
        outcome: dict[str, Any] = {
            "flaky": await charge_a_flaky_card(gateway),
            "poison": await quarantine_a_poison_card(system, gateway),
            "slow": await outlast_a_slow_provider(gateway),
        }
        outcome.update(await check_out_within_deadlines(system, gateway))
        await system.wait_idle()
        outcome["dead_letters"] = system.dead_letters.by_reason
    return outcome


if __name__ == "__main__":
    print(asyncio.run(main()))
# --8<-- [end:main]
