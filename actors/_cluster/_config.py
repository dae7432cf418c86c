"""``ClusterConfig``: how one ``ActorSystem`` joins a cluster of nodes over NATS.

Pure data, validated at construction; nothing here imports ``nats``.
"""

from __future__ import annotations

import math
import re
import ssl
from collections.abc import Iterable
from typing import Any

import attrs
import msgspec

from actors._cluster._streams import DurableStream, check_streams

__all__ = ["ClusterConfig", "check_subject_token", "message_type_name"]

_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


def check_subject_token(what: str, value: object) -> str:
    """``value`` as a NATS subject token made of letters, digits, ``_`` and ``-``.

    Raises TypeError for a non-str, ValueError for anything else that would not be one
    plain token (dots, wildcards, whitespace, empty).
    """
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, got {type(value).__name__}")
    if not _TOKEN.fullmatch(value):
        raise ValueError(
            f"{what} must be letters, digits, '_' or '-' (one NATS subject token), got {value!r}"
        )
    return value


def _servers(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable):
        raise TypeError(f"servers must be a list of URLs, got {type(value).__name__}")
    servers = tuple(value)
    if not servers:
        raise ValueError("servers must name at least one NATS server URL")
    for index, server in enumerate(servers):
        if not isinstance(server, str) or not server.strip():
            raise ValueError(f"servers[{index}] must be a non-empty URL str, got {server!r}")
    return servers


def _messages(value: object) -> tuple[type[msgspec.Struct], ...]:
    if not isinstance(value, Iterable):
        raise TypeError(f"messages must be a list of msgspec.Struct types, got {value!r}")
    types = tuple(value)
    for index, kind in enumerate(types):
        if not (isinstance(kind, type) and issubclass(kind, msgspec.Struct)):
            raise TypeError(
                f"messages[{index}] must be a msgspec.Struct subclass, got {kind!r}; plain"
                " values (int, str, float, bool, None, bytes, list, dict) need no registration"
            )
    return types


def _positive(instance: object, attribute: attrs.Attribute[float], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{attribute.name} must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{attribute.name} must be > 0 seconds, got {value!r}")


def _optional_str(instance: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise TypeError(f"{attribute.name} must be a non-empty str or None, got {value!r}")


@attrs.frozen(kw_only=True)
class ClusterConfig:
    """Makes an ``ActorSystem`` one node of a cluster: ``ActorSystem("shop",
    cluster=ClusterConfig(servers=["nats://127.0.0.1:4222"], node="orders"))``.

    Every node of one cluster uses the same system name (it is the prefix of every NATS
    subject the cluster uses) and a node name of its own. The connection is made when the
    system starts (``async with`` or ``await system.start()``); each start is a fresh
    incarnation of the node.

    Attributes:
        servers: NATS server URLs (``nats://host:port``, ``tls://...``), tried in order.
        node: this node's name, unique in the cluster: letters, digits, ``_``, ``-``.
        messages: the ``msgspec.Struct`` types that may cross the process boundary as
            messages or replies, on top of the plain values msgspec encodes (``int``,
            ``str``, ``float``, ``bool``, ``None``, ``bytes``, ``list``, ``dict``). Every
            node must register the same types; a type travels under its qualified name
            (``module.Class``), or under its Struct ``tag`` when it has one.
        heartbeat_interval: seconds between this node's heartbeats.
        heartbeat_timeout: a node not heard from for this many seconds is declared down:
            its actors' watchers get ``Terminated(reason="node_lost")``. Must be larger than
            ``heartbeat_interval``.
        connect_timeout: seconds to wait for the first connection to NATS.
        user, password: NATS user/password authentication (both or neither).
        token: NATS token authentication (not together with ``user``).
        nkeys_seed: path of an NKey seed file.
        user_credentials: path of a ``.creds`` file (JWT and NKey seed).
        tls: an ``ssl.SSLContext`` for TLS connections (client certificates, CA).
        tls_hostname: the server name TLS checks the certificate against.
        streams: the JetStream streams that keep the events of some topics for durable
            subscribers (see ``DurableStream``); created or updated when the system
            starts, which then needs a server with JetStream (``nats-server -js``), 2.10
            or later.

    Secrets are never part of the ``repr``. Read them from the environment rather than
    writing them in code (the ``[cluster]`` table of a configuration file has
    ``password_env`` and ``token_env`` for that).

    Raises:
        TypeError, ValueError: a field has the wrong type or is out of range; the message
            names the field.
    """

    servers: tuple[str, ...] = attrs.field(converter=_servers)
    node: str = attrs.field()
    messages: tuple[type[msgspec.Struct], ...] = attrs.field(default=(), converter=_messages)
    heartbeat_interval: float = attrs.field(default=1.0, validator=_positive)
    heartbeat_timeout: float = attrs.field(default=5.0, validator=_positive)
    connect_timeout: float = attrs.field(default=2.0, validator=_positive)
    user: str | None = attrs.field(default=None, validator=_optional_str)
    password: str | None = attrs.field(default=None, validator=_optional_str, repr=False)
    token: str | None = attrs.field(default=None, validator=_optional_str, repr=False)
    nkeys_seed: str | None = attrs.field(default=None, validator=_optional_str)
    user_credentials: str | None = attrs.field(default=None, validator=_optional_str)
    tls: ssl.SSLContext | None = attrs.field(default=None)
    tls_hostname: str | None = attrs.field(default=None, validator=_optional_str)
    streams: tuple[DurableStream, ...] = attrs.field(default=(), converter=check_streams)

    @node.validator
    def _check_node(self, attribute: attrs.Attribute[str], value: object) -> None:
        check_subject_token("node", value)

    @tls.validator
    def _check_tls(self, attribute: attrs.Attribute[ssl.SSLContext | None], value: object) -> None:
        if value is not None and not isinstance(value, ssl.SSLContext):
            raise TypeError(f"tls must be an ssl.SSLContext or None, got {value!r}")

    def __attrs_post_init__(self) -> None:
        if self.heartbeat_timeout <= self.heartbeat_interval:
            raise ValueError(
                f"heartbeat_timeout ({self.heartbeat_timeout}) must be larger than"
                f" heartbeat_interval ({self.heartbeat_interval})"
            )
        if (self.user is None) != (self.password is None):
            raise ValueError("user and password go together: give both or neither")
        if self.token is not None and self.user is not None:
            raise ValueError("token and user/password are two ways to authenticate: pick one")
        names: dict[str, type] = {}
        for kind in self.messages:
            name = message_type_name(kind)
            if name in names and names[name] is not kind:
                raise ValueError(
                    f"messages: {kind!r} and {names[name]!r} travel under the same name {name!r}"
                )
            names[name] = kind

    def connect_options(self) -> dict[str, Any]:
        """The keyword arguments for ``nats.connect`` (servers and credentials)."""
        options: dict[str, Any] = {
            "servers": list(self.servers),
            "name": self.node,
            "connect_timeout": self.connect_timeout,
        }
        for key in ("user", "password", "token", "nkeys_seed", "user_credentials", "tls"):
            value = getattr(self, key)
            if value is not None:
                options[key] = value
        if self.tls_hostname is not None:
            options["tls_hostname"] = self.tls_hostname
        return options


def message_type_name(kind: type) -> str:
    """The name a registered message type travels under: its Struct tag, else
    ``module.QualifiedName``."""
    config = getattr(kind, "__struct_config__", None)
    tag = None if config is None else config.tag
    if isinstance(tag, str):
        return tag
    return f"{kind.__module__}.{kind.__qualname__}"
