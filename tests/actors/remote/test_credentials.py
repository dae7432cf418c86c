"""Credentials and TLS against a real nats-server configured for them (a config file, or a
self-signed certificate made here with the ``openssl`` binary): what is right connects and
carries remote asks; what is wrong is refused at ``ActorSystem.start`` at once with a
``ClusterAuthError`` naming the server and what it refused."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import ssl
import subprocess
import time
from pathlib import Path
from typing import Any

import nkeys
import pytest

from actors import Actor, ActorSystem, ClusterAuthError, ClusterConfig, NodeUnreachable
from actors.testing import NatsServer
from tests.actors.remote._cluster import MESSAGES, Item, wait_until

pytestmark = pytest.mark.real_time

# A refusal comes back within a round trip; a wrong credential must not wait for this.
CONNECT_TIMEOUT = 5.0


class Plus(Actor):
    async def receive(self, message: Any) -> Any:
        assert isinstance(message, Item)
        return Item(message.n + 1)


def _config(url: str, node: str, **credentials: Any) -> ClusterConfig:
    return ClusterConfig(
        servers=[url],
        node=node,
        messages=MESSAGES,
        connect_timeout=CONNECT_TIMEOUT,
        heartbeat_interval=0.2,
        heartbeat_timeout=2.0,
        **credentials,
    )


async def _works(url: str, **credentials: Any) -> None:
    """Two nodes with these credentials form a cluster and answer each other's asks."""
    async with (
        ActorSystem("creds", cluster=_config(url, "a", **credentials)) as a,
        ActorSystem("creds", cluster=_config(url, "b", **credentials)) as b,
    ):
        await b.spawn(Plus, name="plus")
        await a.cluster.wait_for("b", timeout=10.0)
        assert await a.remote_ref("b", "/plus").ask(Item(1)) == Item(2)


async def _refused(url: str, **credentials: Any) -> ClusterAuthError:
    """Starting a node with these credentials fails at once with a ClusterAuthError."""
    system = ActorSystem("creds", cluster=_config(url, "a", **credentials))
    started = time.monotonic()
    try:
        with pytest.raises(ClusterAuthError) as refused:
            await system.start()
    finally:
        await system.shutdown()
    assert time.monotonic() - started < CONNECT_TIMEOUT / 2, "waited instead of failing"
    error = refused.value
    assert error.server == url
    assert error.node == "a"
    assert str(error).startswith(f"NATS at {url} refused {error.refused} (node 'a')")
    return error


def _server_with(tmp_path: Path, config: str) -> NatsServer:
    path = tmp_path / "server.conf"
    path.write_text(config)
    return NatsServer(extra_args=["-c", str(path)])


async def test_user_and_password(tmp_path: Path) -> None:
    conf = 'authorization { users = [ { user: "shop", password: "s3cret" } ] }\n'
    with _server_with(tmp_path, conf) as server:
        await _works(server.url, user="shop", password="s3cret")
        error = await _refused(server.url, user="shop", password="wrong")
        assert error.refused == "the password of user 'shop'"
        assert "s3cret" not in str(error)
        assert "wrong" not in str(error)
        error = await _refused(server.url, user="someone", password="s3cret")
        assert error.refused == "the password of user 'someone'"
        error = await _refused(server.url)
        assert error.refused == "a connection without credentials (the server requires them)"


async def test_token(tmp_path: Path) -> None:
    with _server_with(tmp_path, 'authorization { token: "t0ken" }\n') as server:
        await _works(server.url, token="t0ken")
        error = await _refused(server.url, token="other")
        assert error.refused == "the token"
        assert "t0ken" not in str(error)
        assert "other" not in str(error)


def _nkey_seed(path: Path) -> str:
    """Write a fresh user NKey seed to ``path``; returns its public key."""
    seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    path.write_bytes(seed)
    public: bytes = nkeys.from_seed(bytearray(seed)).public_key
    return public.decode()


async def test_nkey_seed_file(tmp_path: Path) -> None:
    public = _nkey_seed(tmp_path / "user.nk")
    _nkey_seed(tmp_path / "stranger.nk")
    conf = f'authorization {{ users = [ {{ nkey: "{public}" }} ] }}\n'
    with _server_with(tmp_path, conf) as server:
        await _works(server.url, nkeys_seed=str(tmp_path / "user.nk"))
        error = await _refused(server.url, nkeys_seed=str(tmp_path / "stranger.nk"))
        assert error.refused == f"the NKey of seed file {tmp_path / 'stranger.nk'}"
        missing = tmp_path / "missing.nk"
        system = ActorSystem("creds", cluster=_config(server.url, "a", nkeys_seed=str(missing)))
        try:
            with pytest.raises(NodeUnreachable, match=f"FileNotFoundError: .*{missing}"):
                await system.start()
        finally:
            await system.shutdown()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _keypair(prefix: int) -> tuple[bytes, nkeys.KeyPair]:
    seed = nkeys.encode_seed(os.urandom(32), prefix)
    return seed, nkeys.from_seed(bytearray(seed))


def _jwt(signer: nkeys.KeyPair, subject: str, nats: dict[str, Any]) -> str:
    """A NATS JWT (v2) about ``subject``, signed by ``signer``."""
    claims: dict[str, Any] = {
        "iat": int(time.time()),
        "iss": signer.public_key.decode(),
        "name": nats["type"],
        "sub": subject,
        "nats": {**nats, "version": 2},
    }
    digest = hashlib.sha512(json.dumps(claims, sort_keys=True).encode()).digest()[:32]
    claims["jti"] = base64.b32encode(digest).decode().rstrip("=")
    signed = f"{_b64(json.dumps({'typ': 'JWT', 'alg': 'ed25519-nkey'}).encode())}"
    signed += f".{_b64(json.dumps(claims).encode())}"
    return f"{signed}.{_b64(signer.sign(signed.encode()))}"


def _creds(path: Path, account: nkeys.KeyPair) -> None:
    """Write a .creds file for a fresh user of ``account``."""
    seed, user = _keypair(nkeys.PREFIX_BYTE_USER)
    limits = {"subs": -1, "data": -1, "payload": -1, "pub": {}, "sub": {}}
    token = _jwt(account, user.public_key.decode(), {"type": "user", **limits})
    path.write_text(
        f"-----BEGIN NATS USER JWT-----\n{token}\n------END NATS USER JWT------\n\n"
        f"-----BEGIN USER NKEY SEED-----\n{seed.decode()}\n------END USER NKEY SEED------\n"
    )


async def test_user_credentials_file(tmp_path: Path) -> None:
    # Decentralized auth: an operator trusted by the server, an account it signed (preloaded
    # in the server's memory resolver), and users signed by that account (or by a stranger).
    _, operator = _keypair(nkeys.PREFIX_BYTE_OPERATOR)
    _, account = _keypair(nkeys.PREFIX_BYTE_ACCOUNT)
    _, stranger = _keypair(nkeys.PREFIX_BYTE_ACCOUNT)
    no_limit = {"subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1}
    no_limit |= {"wildcards": True, "conn": -1, "leaf": -1}
    operator_jwt = _jwt(operator, operator.public_key.decode(), {"type": "operator"})
    account_id = account.public_key.decode()
    account_jwt = _jwt(operator, account_id, {"type": "account", "limits": no_limit})
    conf = f'operator: "{operator_jwt}"\nresolver: MEMORY\n'
    conf += f'resolver_preload: {{ {account_id}: "{account_jwt}" }}\n'
    _creds(tmp_path / "user.creds", account)
    _creds(tmp_path / "stranger.creds", stranger)
    with _server_with(tmp_path, conf) as server:
        await _works(server.url, user_credentials=str(tmp_path / "user.creds"))
        error = await _refused(server.url, user_credentials=str(tmp_path / "stranger.creds"))
        assert error.refused == f"the credentials file {tmp_path / 'stranger.creds'}"


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


async def test_tls(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    tls_args = ["--tls", "--tlscert", str(cert), "--tlskey", str(key)]
    with NatsServer(extra_args=tls_args) as server:
        trusting = ssl.create_default_context(cafile=str(cert))
        await _works(server.url, tls=trusting)
        error = await _refused(server.url, tls=ssl.create_default_context())
        assert error.refused.startswith("the TLS connection: its certificate is not trusted")
        assert "self-signed certificate" in error.refused
        error = await _refused(server.url, tls=trusting, tls_hostname="example.org")
        assert "example.org" in error.refused
        error = await _refused(server.url)
        assert "the server requires TLS" in error.refused
        assert "set ClusterConfig.tls" in error.refused
    with NatsServer() as plain:
        for url in (plain.url, plain.url.replace("nats://", "tls://")):
            system = ActorSystem("creds", cluster=_config(url, "a", tls=trusting))
            try:
                with pytest.raises(ClusterAuthError, match="refusing a plain connection") as info:
                    await system.start()
            finally:
                await system.shutdown()
            assert info.value.server == url
            assert info.value.refused == "a plain connection (the server does not require TLS)"


async def test_a_server_that_is_not_there_is_unreachable_after_the_connect_timeout() -> None:
    server = NatsServer()  # a free port that nothing listens on
    config = ClusterConfig(servers=[server.url], node="a", connect_timeout=0.3)
    system = ActorSystem("creds", cluster=config)
    started = time.monotonic()
    try:
        with pytest.raises(NodeUnreachable, match="ConnectionRefusedError") as unreachable:
            await system.start()
    finally:
        await system.shutdown()
    assert 0.6 <= time.monotonic() - started < 3.0
    assert str(unreachable.value).startswith(f"cannot connect to NATS at {server.url} within 0.6s")


def _connecting() -> list[asyncio.Task[Any]]:
    return [
        task
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__qualname__", "") == "Client.connect" and not task.done()
    ]


async def test_a_cancelled_start_leaves_no_connection_attempt_behind() -> None:
    server = NatsServer()  # a free port that nothing listens on: nats-py retries
    config = ClusterConfig(servers=[server.url], node="a", connect_timeout=5.0)
    system = ActorSystem("creds", cluster=config)
    starting = asyncio.ensure_future(system.start())
    await wait_until(lambda: bool(_connecting()))
    starting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await starting
    assert _connecting() == []
    await system.shutdown()


async def test_a_start_cancelled_at_any_step_of_the_first_attempt_ends_it() -> None:
    # Python 3.11's asyncio.wait_for (nats-py opens its socket in one) swallows a cancel
    # that lands just as the connection is refused; nats-py then retried without end. So
    # cancel after each of the first loop steps of the attempt: every start must end.
    server = NatsServer()  # a free port that nothing listens on: refused at once
    config = ClusterConfig(servers=[server.url], node="a", connect_timeout=5.0)
    loop = asyncio.get_running_loop()
    for steps in range(30):
        system = ActorSystem("creds", cluster=config)
        starting = asyncio.ensure_future(system.start())
        for _ in range(steps):
            await asyncio.sleep(0)
        starting.cancel()
        began = loop.time()
        done, _ = await asyncio.wait({starting}, timeout=10.0)
        assert done, f"a start cancelled after {steps} steps did not end"
        assert starting.cancelled()
        assert loop.time() - began < 5.0
        assert _connecting() == []
        await system.shutdown()
