"""ClusterConfig validation: every bad field is a typed error naming the field."""

from __future__ import annotations

import ssl

import msgspec
import pytest

from actors import ActorSystem, ClusterConfig
from tests.actors.remote._cluster import Item


def test_a_valid_config_keeps_its_fields_and_builds_connect_options() -> None:
    config = ClusterConfig(
        servers="nats://127.0.0.1:4222",
        node="orders-1",
        messages=[Item],
        user="svc",
        password="s3cret",
    )
    assert config.servers == ("nats://127.0.0.1:4222",)
    options = config.connect_options()
    assert options["servers"] == ["nats://127.0.0.1:4222"]
    assert options["user"] == "svc"
    assert options["password"] == "s3cret"
    assert options["name"] == "orders-1"
    assert "s3cret" not in repr(config)


def test_tls_and_token_pass_through_to_nats_connect() -> None:
    context = ssl.create_default_context()
    config = ClusterConfig(
        servers=["tls://127.0.0.1:4222"], node="a", token="t0k", tls=context, tls_hostname="n"
    )
    options = config.connect_options()
    assert options["tls"] is context
    assert options["token"] == "t0k"
    assert options["tls_hostname"] == "n"
    assert "t0k" not in repr(config)


@pytest.mark.parametrize(
    ("fields", "error", "says"),
    [
        ({"servers": []}, ValueError, "servers"),
        ({"servers": [""]}, ValueError, "servers[0]"),
        ({"node": "a.b"}, ValueError, "node"),
        ({"node": 3}, TypeError, "node"),
        ({"heartbeat_interval": 0}, ValueError, "heartbeat_interval"),
        ({"heartbeat_timeout": "1"}, TypeError, "heartbeat_timeout"),
        ({"heartbeat_interval": 2.0, "heartbeat_timeout": 1.0}, ValueError, "heartbeat_timeout"),
        ({"user": "u"}, ValueError, "password"),
        ({"token": "t", "user": "u", "password": "p"}, ValueError, "token"),
        ({"messages": [int]}, TypeError, "messages[0]"),
        ({"tls": "yes"}, TypeError, "tls"),
    ],
)
def test_a_bad_field_raises_a_typed_error_naming_it(
    fields: dict[str, object], error: type[Exception], says: str
) -> None:
    arguments: dict[str, object] = {"servers": ["nats://127.0.0.1:4222"], "node": "a"}
    arguments.update(fields)
    with pytest.raises(error, match=says.replace("[", r"\[").replace("]", r"\]")):
        ClusterConfig(**arguments)  # type: ignore[arg-type]


def test_two_types_travelling_under_one_name_are_refused() -> None:
    class A(msgspec.Struct, tag="same"):
        pass

    class B(msgspec.Struct, tag="same"):
        pass

    with pytest.raises(ValueError, match="same name"):
        ClusterConfig(servers=["nats://127.0.0.1:1"], node="a", messages=[A, B])


def test_a_cluster_system_name_must_be_one_subject_token() -> None:
    config = ClusterConfig(servers=["nats://127.0.0.1:1"], node="a")
    with pytest.raises(ValueError, match="system"):
        ActorSystem("my shop", cluster=config)
    with pytest.raises(TypeError, match="ClusterConfig"):
        ActorSystem("shop", cluster={"node": "a"})  # type: ignore[arg-type]


def test_remote_ref_without_a_cluster_says_so() -> None:
    with pytest.raises(RuntimeError, match="no cluster"):
        ActorSystem("local").remote_ref("b", "/x")
