"""Tutorial "Tell and ask": one-way messages, request and reply, failures and timeouts.

Run it with ``python -m examples.tutorial.tell_and_ask``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from actors import Actor, ActorFailed, ActorRef, ActorSystem, AskTimeout

# --8<-- [end:imports]


# --8<-- [start:messages]
@dataclass(frozen=True)
class Deposit:
    amount: int


@dataclass(frozen=True)
class Withdraw:
    amount: int


@dataclass(frozen=True)
class Balance:
    pass


@dataclass(frozen=True)
class Audit:
    seconds: float  # how long the audit takes


# --8<-- [end:messages]


# --8<-- [start:account]
class Account(Actor):
    def __init__(self) -> None:
        self.balance = 0

    async def receive(self, message: Any) -> Any:
        match message:
            case Deposit(amount):
                self.balance += amount  # returns None: a tell needs no answer
            case Withdraw(amount) if amount > self.balance:
                raise ValueError(f"insufficient funds: {self.balance} < {amount}")
            case Withdraw(amount):
                self.balance -= amount
                return self.balance
            case Balance():
                return self.balance  # the return value answers ask()
            case Audit(seconds):
                await asyncio.sleep(seconds)  # while it awaits, later messages wait
                return "audited"
        return None


# --8<-- [end:account]


# --8<-- [start:teller]
class Teller(Actor):
    """Moves money between two accounts: an actor that asks other actors."""

    def __init__(self, source: ActorRef, target: ActorRef) -> None:
        self.source = source
        self.target = target

    async def receive(self, message: Any) -> Any:
        amount = message
        await self.source.ask(Withdraw(amount))  # an ActorFailed here fails the teller too
        await self.target.tell(Deposit(amount))
        return f"moved {amount}"


# --8<-- [end:teller]


# --8<-- [start:tell]
async def deposit(alice: ActorRef) -> None:
    await alice.tell(Deposit(100))  # returns once the mailbox accepted the message
    alice.tell_nowait(Deposit(20))  # never waits (raises MailboxFull when full)
    # Messages from one sender are handled in the order they were sent:
    print("alice:", await alice.ask(Balance()))  # 120


# --8<-- [end:tell]


# --8<-- [start:failed]
async def overdraw(alice: ActorRef) -> None:
    try:
        await alice.ask(Withdraw(500))
    except ActorFailed as failure:  # the handler raised: the asker hears at once
        print("refused:", failure.__cause__)
    # A failed actor without a supervising parent is stopped (and the failure logged).
    await alice.wait_stopped()
    print("alice alive:", alice.is_alive)  # False: use a supervisor to restart her


# --8<-- [end:failed]


# --8<-- [start:timeout]
async def audit(bob: ActorRef) -> None:
    await bob.tell(Deposit(50))
    try:
        await bob.ask(Audit(seconds=1.0), timeout=0.1)
    except AskTimeout:  # also a TimeoutError
        print("the audit took too long")
    # The audit still runs to its end; its late reply is discarded, never delivered.
    print("bob:", await bob.ask(Balance(), timeout=5.0))  # waits behind the audit


# --8<-- [end:timeout]


# --8<-- [start:asking]
async def transfer(system: ActorSystem, bob: ActorRef) -> ActorRef:
    carol = await system.spawn(Account, name="carol")
    teller = await system.spawn(lambda: Teller(source=bob, target=carol), name="teller")
    print(await teller.ask(30))
    await system.wait_idle()  # the deposit was told: wait until it is handled
    print("bob:", await bob.ask(Balance()), "carol:", await carol.ask(Balance()))
    return carol


# --8<-- [end:asking]


# --8<-- [start:main]
async def main() -> dict[str, Any]:
    async with ActorSystem("bank") as system:
        alice = await system.spawn(Account, name="alice")
        bob = await system.spawn(Account, name="bob")
        await deposit(alice)
        await overdraw(alice)
        await audit(bob)
        carol = await transfer(system, bob)
        balances = {"bob": await bob.ask(Balance()), "carol": await carol.ask(Balance())}
        dead_letters = system.dead_letters.by_reason
    return {"balances": balances, "alice_alive": alice.is_alive, "dead_letters": dead_letters}


if __name__ == "__main__":
    asyncio.run(main())
# --8<-- [end:main]
