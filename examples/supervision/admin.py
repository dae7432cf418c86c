"""Tutorial "A supervisor, then a tree", section "Administering children": stop, start
again and forget a static supervisor's children while it runs, as OTP's ``supervisor``
module does.

Run it with ``python -m examples.supervision.admin``.
"""

# --8<-- [start:imports]
from __future__ import annotations

import asyncio
from typing import Any

from actors import Actor, ActorSystem
from supervision import (
    ChildSpec,
    OneForAll,
    Supervisor,
    WhichChildren,
    count_children,
    delete_child,
    restart_child,
    terminate_child,
)

# --8<-- [end:imports]


# --8<-- [start:admin]
class Feed(Actor):
    def receive(self, message: Any) -> Any:
        return f"{self.context.name}: {message}"


class Feeds(Supervisor):
    strategy = OneForAll()
    children = (ChildSpec("prices", Feed), ChildSpec("news", Feed), ChildSpec("weather", Feed))


async def main() -> list[str]:
    async with ActorSystem("feeds") as system:
        feeds = await system.spawn(Feeds, name="feeds")
        await terminate_child(feeds, "news")  # stopped for good, its spec kept
        for info in await feeds.ask(WhichChildren()):
            print(info.name, info.state)  # prices running / news stopped / weather running
        print(await count_children(feeds))
        # ChildCounts(specs=3, active=2, supervisors=0, workers=3)
        news = await restart_child(feeds, "news")  # a fresh instance from the kept spec
        print(await news.ask("hello"))  # news: hello
        await terminate_child(feeds, "weather")
        await delete_child(feeds, "weather")  # its spec forgotten too
        names = [info.name for info in await feeds.ask(WhichChildren())]
        print(names)  # ['prices', 'news']
    return names


if __name__ == "__main__":
    asyncio.run(main())
# --8<-- [end:admin]
