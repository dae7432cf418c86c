"""Where the runtime needs the actor behind a ref in this process: a typed refusal of
anything else (a remote ref, a supervision ``PathRef``, an object that is no ref at all),
naming the call and the ref, instead of an ``AttributeError`` deep inside the runtime."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actors._core._ref import ActorRef

if TYPE_CHECKING:
    # cycle: typing only; names the cell behind a local ref, and the cell's modules use this check.
    from actors._core._cell import ActorCell

__all__ = ["local_cell", "not_a_ref"]


def not_a_ref(call: str, ref: object) -> TypeError:
    """The error for ``call`` given ``ref``, which is not an ``ActorRef``."""
    hint = ""
    if callable(getattr(ref, "current", None)):
        # A ref to whatever lives at a path (supervision's PathRef) names no one actor.
        hint = " (it names a path, not one actor: pass its current() ActorRef)"
    return TypeError(f"{call} needs an ActorRef; got {ref!r}{hint}")


def local_cell(ref: object, call: str) -> ActorCell:
    """The cell of the local actor ``ref`` names.

    Raises:
        TypeError: ``ref`` is a remote ref or no ``ActorRef``; the message names ``call``.
    """
    if not isinstance(ref, ActorRef):
        raise not_a_ref(call, ref)
    return ref._local_cell(call)
