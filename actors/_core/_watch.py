"""Death watch between local cells: who watches whom, and the ``Terminated`` notices.

A watch is a relation between two cells, kept on both sides (``watcher.watching`` and
``target.watchers``) so that either end can drop it in one step: a watcher that stops
forgets its targets, a target that stops notifies its watchers once. The sets are created
on first use; the shared empty frozenset stands for "none".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors._core._messages import Terminated
from actors._core._state import _NO_CELLS, STOPPED

if TYPE_CHECKING:
    # cycle: typing only; death watch is a relation between cells, which call it.
    from actors._core._cell import ActorCell

__all__ = ["notify_watchers", "unwatch", "watch"]


def watch(watcher: ActorCell, target: ActorCell) -> None:
    """Make ``watcher`` receive ``Terminated`` once when ``target`` stops; at once (as a
    notice) when it has already stopped. Watching twice is watching once.

    Raises ValueError when a cell would watch itself.
    """
    if target is watcher:
        raise ValueError(f"{watcher.path} cannot watch itself")
    if target in watcher.watching:
        return
    if not isinstance(watcher.watching, set):
        watcher.watching = set()
    watcher.watching.add(target)
    if target.state is STOPPED:
        watcher.deliver_notice(Terminated(target.ref, target.ended))
    else:
        if not isinstance(target.watchers, set):
            target.watchers = set()
        target.watchers.add(watcher)


def unwatch(watcher: ActorCell, target: ActorCell) -> None:
    """End ``watcher``'s watch of ``target``; a ``Terminated`` already queued for it is
    withdrawn (and leaves the ledger), so after ``unwatch`` none arrives."""
    if target not in watcher.watching or not isinstance(watcher.watching, set):
        return
    watcher.watching.discard(target)
    if isinstance(target.watchers, set):
        target.watchers.discard(watcher)
    mailbox = watcher.mailbox
    notices = mailbox.notices
    for envelope in list(notices):
        message = envelope.message
        if isinstance(message, Terminated) and message.ref is target.ref:
            notices.remove(envelope)  # type: ignore[union-attr]  # non-empty: a deque
            mailbox.accepted -= 1


def notify_watchers(cell: ActorCell, ended: str) -> None:
    """``cell`` has stopped (``ended`` says how): drop its watches both ways and queue one
    ``Terminated`` for each cell that still watches it."""
    for target in cell.watching:
        if isinstance(target.watchers, set):
            target.watchers.discard(cell)
    cell.watching = _NO_CELLS
    for watcher in cell.watchers:
        if cell in watcher.watching:
            watcher.deliver_notice(Terminated(cell.ref, ended))
    cell.watchers = _NO_CELLS
