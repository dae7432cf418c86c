"""``ClusterAuthError``: the NATS server refused this node (its credentials or its TLS)."""

from __future__ import annotations

from actors._core._errors import ActorError

__all__ = ["ClusterAuthError"]


class ClusterAuthError(ActorError):
    """The NATS server refused this node's connection: wrong or missing credentials
    (user/password, token, NKey, ``.creds``), or a TLS handshake that failed (a certificate
    not trusted, a host name it does not name, a server that requires TLS while
    ``ClusterConfig.tls`` is not set).

    Raised by ``ActorSystem.start`` (``async with``) as soon as the server refuses, not after
    ``connect_timeout``: retrying does not help, the configuration has to change. ``server``
    is the URL of the server that refused (without any secret in it), ``node`` this node,
    ``refused`` what was refused (for example ``"the password of user 'shop'"``).
    """

    __module__ = "actors"  # its public module, as tracebacks show it

    def __init__(self, reason: str, *, server: str, node: str, refused: str) -> None:
        super().__init__(reason)
        self.server = server
        self.node = node
        self.refused = refused
