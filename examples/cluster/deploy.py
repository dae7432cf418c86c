"""ClusterConfig for a deployment: several NATS servers, credentials from the environment,
TLS. Included in the how-to "Deploy a cluster on NATS"; each function only builds a config
(nothing connects)."""

# --8<-- [start:servers]
from __future__ import annotations

import os
import ssl

from actors import ActorSystem, ClusterConfig


def replicated_node(node: str) -> ActorSystem:
    config = ClusterConfig(
        servers=["nats://nats-1:4222", "nats://nats-2:4222", "nats://nats-3:4222"],
        node=node,
        heartbeat_interval=1.0,
        heartbeat_timeout=5.0,
    )
    return ActorSystem("shop", cluster=config)


# --8<-- [end:servers]


# --8<-- [start:credentials]
def config_with_password() -> ClusterConfig:
    return ClusterConfig(
        servers=["nats://127.0.0.1:4222"],
        node="orders",
        user="shop",
        password=os.environ["NATS_PASSWORD"],
    )


# --8<-- [end:credentials]


# --8<-- [start:tls]
def config_with_tls(cafile: str | None = None) -> ClusterConfig:
    context = ssl.create_default_context(cafile=cafile)
    # With client certificates: context.load_cert_chain("client.pem", "client-key.pem")
    return ClusterConfig(servers=["tls://nats-1:4222"], node="orders", tls=context)


if __name__ == "__main__":
    print(replicated_node("payments-1"))
    print(config_with_tls())
# --8<-- [end:tls]
