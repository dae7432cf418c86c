"""Tutorial "A supervisor, then a tree", section "Deciding per error": the decider of
``decider.py`` written as a table, ``supervision.ExceptionDecider``.

Run it with ``python -m examples.supervision.decider_table``: the same run as
``decider.py``'s, decided by the table.
"""

# --8<-- [start:table]
from __future__ import annotations

import asyncio

from examples.supervision.decider import Tally, main
from supervision import ChildSpec, Directive, ExceptionDecider, OneForOne, Supervisor

decide_by_class = ExceptionDecider(
    {
        ValueError: Directive.RESUME,
        PermissionError: Directive.STOP,
        MemoryError: Directive.ESCALATE,
    }
)  # any other Exception: RESTART, as the default decider


class CountingByTable(Supervisor):
    strategy = OneForOne(max_restarts=3, within=5.0, decider=decide_by_class)
    children = (ChildSpec("tally", Tally),)


if __name__ == "__main__":
    asyncio.run(main(CountingByTable))
# --8<-- [end:table]
