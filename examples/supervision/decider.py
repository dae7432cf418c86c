"""Tutorial "A supervisor, then a tree", section "Deciding per error": a decider maps each
exception to a directive.

Run it with ``python -m examples.supervision.decider``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
from typing import Any

from actors import Actor, ActorFailed, ActorSystem
from supervision import ChildSpec, Directive, OneForOne, Supervisor

# --8<-- [end:imports]


# --8<-- [start:decider]
def decide(error: BaseException) -> Directive:
    if isinstance(error, ValueError):
        return Directive.RESUME  # keep the instance and its state, go on
    if isinstance(error, PermissionError):
        return Directive.STOP  # stop the child for good
    if isinstance(error, MemoryError):
        return Directive.ESCALATE  # fail the supervisor, the child's error as cause
    return Directive.RESTART  # what the default decider does for any Exception


class Tally(Actor):
    def __init__(self) -> None:
        self.total = 0

    def receive(self, message: Any) -> Any:
        match message:
            case int(n) if n < 0:
                raise ValueError(f"negative: {n}")
            case int(n):
                self.total += n
                return self.total
            case "reset":
                raise RuntimeError("reset by restarting")
            case "close":
                raise PermissionError("closed for good")
        return None


class Counting(Supervisor):
    strategy = OneForOne(max_restarts=3, within=5.0, decider=decide)
    children = (ChildSpec("tally", Tally),)


# --8<-- [end:decider]


# --8<-- [start:main]
async def main(supervisor: type[Supervisor] = Counting) -> dict[str, Any]:
    async with ActorSystem("counting") as system:
        await system.spawn(supervisor, name="counting")
        tally = system.lookup("/counting/tally")
        assert tally is not None

        await tally.ask(5)
        for bad in (-1, "reset", "close"):
            try:
                await tally.ask(bad)
            except ActorFailed as failure:
                print(f"{bad!r} failed: {failure.__cause__!r}")
            if bad == -1:
                print("resumed, total kept:", await tally.ask(1))  # 6
            if bad == "reset":
                print("restarted, total lost:", await tally.ask(1))  # 1
        await tally.wait_stopped()  # PermissionError: stopped for good
        print("stopped for good:", not tally.is_alive)
    return {"alive": tally.is_alive, "dead_letters": system.dead_letters.by_reason}


if __name__ == "__main__":
    asyncio.run(main())
# --8<-- [end:main]
