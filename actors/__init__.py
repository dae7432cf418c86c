"""Actors for asyncio: bounded mailboxes, supervision hooks, ask/tell, dead letters, an
event bus and worker pools.

The public names are re-exported here; the modules that define them are private.
"""

from actors._cluster._cluster import Cluster, ClusterStatistics
from actors._cluster._config import ClusterConfig
from actors._cluster._durable_errors import (
    DurablePublishFailed,
    JetStreamError,
    JetStreamUnavailable,
    MaxDeliveriesExceeded,
)
from actors._cluster._durable_pool import DurablePool
from actors._cluster._errors import ClusterAuthError
from actors._cluster._membership import Member, MemberDown, MemberUp
from actors._cluster._pool_ref import ClusterPoolRef
from actors._cluster._remote_ref import RemoteActorRef
from actors._cluster._streams import DurableStream
from actors._core._actor import Actor, ChildFailure
from actors._core._ambient import correlation_scope
from actors._core._backoff import Backoff
from actors._core._breaker import CircuitBreaker, CircuitBreakerStatistics
from actors._core._breaker_state import CircuitState
from actors._core._context import Context
from actors._core._dead_letters import DeadLetters
from actors._core._errors import (
    ActorError,
    ActorFailed,
    ActorStartError,
    ActorStopped,
    AmbiguousAsk,
    AskTimeout,
    CircuitOpen,
    MailboxFull,
    NodeUnreachable,
    RestartIntensityExceeded,
    SerializationError,
    SupervisionError,
)
from actors._core._handling_errors import HandlerTimeout, RetriesExhausted
from actors._core._health import Health, LoopHealth, SupervisorHealth
from actors._core._intensity import RestartIntensity
from actors._core._mailbox import MailboxStatistics
from actors._core._messages import DeadLetter, Overflow, Terminated
from actors._core._ref import ActorRef
from actors._core._retry import Retry
from actors._core._timers import Timer
from actors._observability._accounting import SystemStatistics
from actors._routing._bus import EventBus, Publish, Subscribe, Unsubscribe
from actors._routing._pool import Pool, ResizePool, RestartPolicy, Routing
from actors._routing._scatter import ScatterFailure, ScatterReply, ScatterResult
from actors._system._from_thread import FromThread
from actors._system._run import run
from actors._system._snapshot import ActorSnapshot, SystemSnapshot, snapshot_tree
from actors._system._system import ActorSystem

__all__ = [
    "Actor",
    "ActorError",
    "ActorFailed",
    "ActorRef",
    "ActorSnapshot",
    "ActorStartError",
    "ActorStopped",
    "ActorSystem",
    "AmbiguousAsk",
    "AskTimeout",
    "Backoff",
    "ChildFailure",
    "CircuitBreaker",
    "CircuitBreakerStatistics",
    "CircuitOpen",
    "CircuitState",
    "Cluster",
    "ClusterAuthError",
    "ClusterConfig",
    "ClusterPoolRef",
    "ClusterStatistics",
    "Context",
    "DeadLetter",
    "DeadLetters",
    "DurablePool",
    "DurablePublishFailed",
    "DurableStream",
    "EventBus",
    "FromThread",
    "HandlerTimeout",
    "Health",
    "JetStreamError",
    "JetStreamUnavailable",
    "LoopHealth",
    "MailboxFull",
    "MailboxStatistics",
    "MaxDeliveriesExceeded",
    "Member",
    "MemberDown",
    "MemberUp",
    "NodeUnreachable",
    "Overflow",
    "Pool",
    "Publish",
    "RemoteActorRef",
    "ResizePool",
    "RestartIntensity",
    "RestartIntensityExceeded",
    "RestartPolicy",
    "RetriesExhausted",
    "Retry",
    "Routing",
    "ScatterFailure",
    "ScatterReply",
    "ScatterResult",
    "SerializationError",
    "Subscribe",
    "SupervisionError",
    "SupervisorHealth",
    "SystemSnapshot",
    "SystemStatistics",
    "Terminated",
    "Timer",
    "Unsubscribe",
    "correlation_scope",
    "run",
    "snapshot_tree",
]
