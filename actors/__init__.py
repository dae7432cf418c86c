"""Actors for asyncio: bounded mailboxes, supervision hooks, ask/tell, dead letters, an
event bus and worker pools.

The public names are re-exported here; the modules that define them are private.
"""

from actors._accounting import SystemStatistics
from actors._actor import Actor, ChildFailure
from actors._bus import EventBus, Publish, Subscribe, Unsubscribe
from actors._context import Context
from actors._dead_letters import DeadLetters
from actors._errors import (
    ActorError,
    ActorFailed,
    ActorStartError,
    ActorStopped,
    AskTimeout,
    MailboxFull,
)
from actors._health import Health, SupervisorHealth
from actors._mailbox import MailboxStatistics
from actors._messages import DeadLetter, Overflow, Terminated
from actors._pool import Pool, RestartPolicy, Routing
from actors._ref import ActorRef
from actors._system import ActorSystem
from actors._timers import Timer

__all__ = [
    "Actor",
    "ActorError",
    "ActorFailed",
    "ActorRef",
    "ActorStartError",
    "ActorStopped",
    "ActorSystem",
    "AskTimeout",
    "ChildFailure",
    "Context",
    "DeadLetter",
    "DeadLetters",
    "EventBus",
    "Health",
    "MailboxFull",
    "MailboxStatistics",
    "Overflow",
    "Pool",
    "Publish",
    "RestartPolicy",
    "Routing",
    "Subscribe",
    "SupervisorHealth",
    "SystemStatistics",
    "Terminated",
    "Timer",
    "Unsubscribe",
]
