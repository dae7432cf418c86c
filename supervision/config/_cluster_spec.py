"""The typed form of the ``[cluster]`` table (checked by ``_cluster`` first)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from supervision.config._durable_spec import StreamSpec

__all__ = ["ClusterSpec", "HeartbeatSpec"]


class HeartbeatSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """``heartbeat = { interval = 1.0, timeout = 5.0 }`` (seconds; timeout > interval)."""

    interval: Annotated[float, msgspec.Meta(gt=0)] = 1.0
    timeout: Annotated[float, msgspec.Meta(gt=0)] = 5.0


class ClusterSpec(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, omit_defaults=True
):
    """The ``[cluster]`` table: NATS ``servers``, this ``node``'s name, the registered
    ``messages`` (``"package.module:Struct"``), ``heartbeat`` timing, and credentials:
    ``user`` with ``password_env`` (the name of the environment variable holding the
    password), ``token_env``, ``nkeys_seed`` or ``user_credentials`` (file paths); and
    ``nodes``, which top-level children of ``[tree]`` each node runs (a child no node lists
    runs on every node); ``streams``, the JetStream streams for durable events
    (``actors.DurableStream`` settings)."""

    servers: tuple[str, ...] = ()
    node: str | None = None
    messages: tuple[str, ...] = ()
    heartbeat: HeartbeatSpec = msgspec.field(default_factory=HeartbeatSpec)
    user: str | None = None
    password_env: str | None = None
    token_env: str | None = None
    nkeys_seed: str | None = None
    user_credentials: str | None = None
    nodes: dict[str, tuple[str, ...]] = msgspec.field(default_factory=dict)
    streams: tuple[StreamSpec, ...] = ()
