"""The shop demo's actors: an order pipeline whose tree is declared in ``tree.toml``.

``make demo`` runs it: ``supervise run examples/shop/tree.toml --for 3``.

    source --"orders.created"--> workers (a pool) --Charge--> gateway --Credit--> ledger
                                     |
                                     +-- asks chaos whether to fail, now and then

The ledger also subscribes to every order and to the dead letters, so that when it stops
(last, since it starts first) it can check that every order was charged (at once or after a
retry) or is a dead letter with a reason: nothing lost.

The payment provider has an outage (orders ``outage_first`` to ``outage_last`` fail at the
provider, a window fixed by the file, so every run goes the same way): the gateway's circuit
breaker opens, fails the next charges fast with ``CircuitOpen``, lets one trial through
after its reset timeout (half-open) and closes again once the provider is back. The workers'
pool retries a refused charge later, when the breaker may be closed again.

The workers and the gateway get their peers from the file as ref arguments
(``args = { ledger = { ref = "../ledger" } }``): ``supervision.PathRef``s, which reach the
actor at that path even after a supervisor restarted its subtree and re-created it.
"""

# --8<-- [start:imports]
from __future__ import annotations

import random
from typing import Any

import msgspec

from actors import Actor, ActorFailed, CircuitState, DeadLetter
from supervision import PathRef

# --8<-- [end:imports]


# --8<-- [start:messages]
class Order(msgspec.Struct, frozen=True):
    """An order, published on the bus under ``orders.created``."""

    id: int
    cents: int


class Charge(msgspec.Struct, frozen=True):
    """Ask the gateway to charge an order (``attempt``: the worker's attempt at the order)."""

    order: Order
    attempt: int = 1


class Credit(msgspec.Struct, frozen=True):
    """Tell the ledger that an order was charged (``retried``: not at the first attempt)."""

    order_id: int
    cents: int
    retried: bool = False


class Roll(msgspec.Struct, frozen=True):
    """Ask the chaos switch whether handling this order fails."""

    order_id: int


class ChaosError(Exception):
    """A failure injected on purpose by the chaos switch."""


class GatewayUnavailable(Exception):
    """The payment provider did not answer in time: transient, worth another attempt."""


class PaymentFailed(Exception):
    """A worker could not get an order charged (the gateway failed or refused it): the
    pool's ``retry`` tries the order again later."""


# --8<-- [end:messages]


# --8<-- [start:source]
class OrderSource(Actor):
    """Publishes a new order every ``interval`` seconds (amounts from a seeded generator)."""

    def __init__(self, interval: float = 0.05, seed: int = 1) -> None:
        self.interval = interval
        self.amounts = random.Random(seed)
        self.published = 0

    async def on_start(self) -> None:
        self.context.schedule_every(self.interval, "tick")

    async def receive(self, message: Any) -> None:
        self.published += 1
        order = Order(self.published, self.amounts.randint(500, 20_000))
        await self.context.system.publish("orders.created", order)


# --8<-- [end:source]


# --8<-- [start:worker]
class OrderWorker(Actor):
    """Charges the orders the pool routes to it; fails when the chaos switch says so, and
    with ``PaymentFailed`` when the gateway could not charge the order."""

    def __init__(self, gateway: PathRef, chaos: PathRef) -> None:
        self.gateway = gateway  # refs from the file: args = { gateway = { ref = ... } }
        self.chaos = chaos

    async def receive(self, order: Order) -> None:
        if await self.chaos.ask(Roll(order.id)):
            raise ChaosError(f"order {order.id}: failure injected")
        try:
            await self.gateway.ask(Charge(order, self.context.attempt))
        except ActorFailed as failed:  # its __cause__: GatewayUnavailable or CircuitOpen
            raise PaymentFailed(f"order {order.id}: {failed.__cause__!r}") from failed


# --8<-- [end:worker]


# --8<-- [start:payments]
class Gateway(Actor):
    """The payment provider's client: charges an order through the system's circuit breaker
    ``provider``, then credits the ledger. While the provider keeps failing the breaker is
    open and charges fail fast (``CircuitOpen``); the worker then fails the order with
    ``PaymentFailed`` and its pool tries it again later.

    The provider is flaky: about ``flaky_rate`` of the charges fail their first attempt
    with ``GatewayUnavailable`` before reaching it (seeded by the order, so a run is
    reproducible); the file's ``retry`` tries them again, so they are charged all the same.
    And it is down for the orders ``outage_first`` to ``outage_last``: each of their charges
    fails at the provider, inside the breaker, which opens after five failures in a row.
    """

    def __init__(
        self,
        ledger: PathRef,
        flaky_rate: float = 0.0,
        seed: int = 11,
        outage_first: int = 0,
        outage_last: int = -1,
    ) -> None:
        self.ledger = ledger
        self.flaky_rate = flaky_rate
        self.seed = seed
        self.outage = range(outage_first, outage_last + 1)
        self.unavailable = 0
        self.opened = 0  # times the breaker was seen to open, and to close again
        self.closed = 0

    async def on_start(self) -> None:
        # The same breaker after a restart: it is the system's, by name.
        self.provider = self.context.system.circuit_breaker(
            "provider", max_failures=5, reset_timeout=0.2, call_timeout=2.0
        )
        self.state = self.provider.state

    async def receive(self, message: Charge) -> str:
        order = message.order
        if (
            self.context.attempt == 1
            and random.Random(f"{self.seed}:{order.id}").random() < self.flaky_rate
        ):
            # Injected before the breaker's call: these do not count against the provider.
            self.unavailable += 1
            raise GatewayUnavailable(f"order {order.id}: the provider did not answer")
        try:
            await self.provider.call(self.charge, order)
        finally:
            self.observe_breaker()
        retried = message.attempt > 1 or self.context.attempt > 1
        await self.ledger.tell(Credit(order.id, order.cents, retried))
        return "charged"

    async def charge(self, order: Order) -> None:
        """The call to the payment provider: down for the orders of the outage."""
        if order.id in self.outage:
            raise GatewayUnavailable(f"order {order.id}: the provider is down")

    def observe_breaker(self) -> None:
        state = self.provider.state
        if state is not self.state:
            self.opened += state is CircuitState.OPEN
            self.closed += state is CircuitState.CLOSED
            self.state = state

    async def on_stop(self) -> None:
        stats = self.provider.statistics()
        print(
            f"gateway: breaker {stats.name!r} opened {self.opened}x, closed again"
            f" {self.closed}x, now {stats.state.name.lower()}; {stats.calls} calls,"
            f" {stats.failures} failed, {stats.rejections} refused",
            flush=True,
        )
        print(f"gateway: {self.unavailable} charges retried", flush=True)


class Ledger(Actor):
    """Keeps the balance, and accounts for every order: charged (at once or after a retry),
    or a dead letter with its reason."""

    def __init__(self) -> None:
        self.orders: dict[int, int] = {}  # every order published: id -> cents
        self.charged: set[int] = set()
        self.retried: set[int] = set()  # charged orders whose first attempt failed
        self.dead: dict[int, str] = {}  # order id -> the dead letter's reason
        # Charged orders published before this ledger started (a restarted ledger starts
        # empty): id -> cents credited.
        self.unseen: dict[int, int] = {}
        self.balance = 0

    def receive(self, message: Any) -> Any:
        match message:
            case Order(id=order_id, cents=cents):  # from the bus: "orders.created"
                self.orders[order_id] = cents
            case Credit(order_id=order_id, cents=cents, retried=retried):
                self.balance += cents
                self.charged.add(order_id)
                if order_id not in self.orders:
                    self.unseen[order_id] = cents
                if retried:
                    self.retried.add(order_id)
            case DeadLetter(message=Order(id=order_id), reason=reason):  # "system.dead_letters"
                self.dead[order_id] = reason
            case "report":
                return self.report()
        return None

    def report(self) -> str:
        unaccounted = self.orders.keys() - self.charged - self.dead.keys()
        reasons: dict[str, int] = {}
        for reason in self.dead.values():
            reasons[reason] = reasons.get(reason, 0) + 1
        expected = sum(self.orders.get(order_id, 0) for order_id in self.charged)
        expected += sum(self.unseen.values())
        verdict = "nothing lost" if not unaccounted and expected == self.balance else "LOST"
        by_reason = ", ".join(f"{reason} {count}" for reason, count in sorted(reasons.items()))
        return (
            f"ledger: {len(self.orders)} orders, {len(self.charged)} charged"
            f" ({len(self.retried)} after a retry),"
            f" {len(self.dead)} dead letter{'' if len(self.dead) == 1 else 's'}"
            f"{f' ({by_reason})' if by_reason else ''},"
            f"{f' {len(self.unseen)} charged from before this ledger,' if self.unseen else ''}"
            f" {len(unaccounted)} unaccounted: {verdict};"
            f" balance {self.balance / 100:.2f} (charged orders: {expected / 100:.2f})"
        )

    async def on_stop(self) -> None:
        print(self.report(), flush=True)


# --8<-- [end:payments]


# --8<-- [start:chaos]
class Chaos(Actor):
    """The chaos switch: answers ``Roll`` with True for about ``rate`` of the orders.

    The verdict depends only on the seed and the order, so a run is reproducible whichever
    worker asks first. Tell it ``"off"`` or ``"on"`` to flip it.
    """

    def __init__(self, rate: float = 0.05, seed: int = 7) -> None:
        self.rate = rate
        self.seed = seed
        self.enabled = True
        self.injected = 0

    def receive(self, message: Any) -> Any:
        match message:
            case Roll(order_id=order_id):
                fails = (
                    self.enabled and random.Random(f"{self.seed}:{order_id}").random() < self.rate
                )
                self.injected += fails
                return fails
            case "on" | "off":
                self.enabled = message == "on"
        return None

    async def on_stop(self) -> None:
        failures = "failure" if self.injected == 1 else "failures"
        print(f"chaos: {self.injected} {failures} injected (rate {self.rate:.0%})", flush=True)


# --8<-- [end:chaos]
