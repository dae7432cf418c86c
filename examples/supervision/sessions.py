"""Tutorial "A supervisor, then a tree", section "Children at run time": a
``DynamicSupervisor`` starts children from one template while it runs.

Run it with ``python -m examples.supervision.sessions``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
from typing import Any

from actors import Actor, ActorSystem
from supervision import ChildSpec, DynamicSupervisor, Restart, start_child, stop_child

# --8<-- [end:imports]


# --8<-- [start:sessions]
class Session(Actor):
    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.pages: list[str] = []

    def receive(self, message: Any) -> Any:
        self.pages.append(message)
        return f"user {self.user_id} has seen {len(self.pages)} pages"


class Sessions(DynamicSupervisor):
    child_spec = ChildSpec("session", Session, restart=Restart.TRANSIENT)
    max_children = 10_000


# --8<-- [end:sessions]


# --8<-- [start:main]
async def main() -> list[str]:
    async with ActorSystem("web") as system:
        sessions = await system.spawn(Sessions, name="sessions")
        ref = await start_child(sessions, user_id=7)  # Session(user_id=7)
        print(ref)  # <ActorRef /sessions/session-1>
        await ref.tell("/")
        print(await ref.ask("/cart"))  # user 7 has seen 2 pages
        other = await start_child(sessions, user_id=8)
        print(other)  # <ActorRef /sessions/session-2>
        await stop_child(sessions, ref)  # stopped for good: not restarted
        print(ref.is_alive, other.is_alive)  # False True
    return [ref.path, other.path]


if __name__ == "__main__":
    asyncio.run(main())
# --8<-- [end:main]
