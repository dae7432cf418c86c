"""A supervisor's records of its children, and how it reports them (``WhichChildren``)."""

from __future__ import annotations

import attrs

from actors import ActorRef, ActorStartError
from supervision._backoff import BackoffState
from supervision._spec import ChildSpec
from supervision._strategy import Restart

__all__ = ["ChildInfo", "ChildRecord", "RestartDue", "StartFailed", "WhichChildren"]


@attrs.frozen
class WhichChildren:
    """Ask a supervisor for its children: ``await sup.ask(WhichChildren())`` answers a tuple
    of ``ChildInfo`` in start order."""


@attrs.frozen
class ChildInfo:
    """One child of a supervisor, as ``WhichChildren`` reports it.

    ``state`` is ``running``, ``restarting`` (halted, its restart under way), ``backoff``
    (halted, waiting for its backoff delay; messages to it queue meanwhile), or ``stopped``
    (not running, its spec kept: ended by ``terminate_child``, or a ``TRANSIENT`` child that
    stopped normally; ``ref`` is then its last, stopped incarnation's). ``ref`` stays the
    same across restarts; it changes only when a stopped child is started again (a
    ``PERMANENT`` child that stopped on its own, ``restart_child``, or a group restart).
    """

    name: str
    ref: ActorRef
    state: str
    restart: Restart


@attrs.frozen
class RestartDue:
    token: int


@attrs.frozen
class StartFailed:
    name: str
    ref: ActorRef
    error: ActorStartError


class ChildRecord:
    """The supervisor's record of one child (mutable, private)."""

    __slots__ = ("backoff", "ref", "spec", "state")

    def __init__(self, spec: ChildSpec, ref: ActorRef) -> None:
        self.spec = spec
        self.ref = ref
        self.state = "running"
        self.backoff: BackoffState | None = None
