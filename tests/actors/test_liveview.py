"""The live view without a browser: tree snapshots, the timeline, the throttle, the ASGI
application (API, mount prefix, token, actions) and its HTTP server."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import MutableMapping
from typing import Any

import pytest

from actors import (
    Actor,
    ActorSystem,
    Pool,
    snapshot_tree,
)
from actors.liveview import LiveView, is_loopback, serve
from actors.metrics import asgi_app
from actors.testing import VirtualTimeLoop

from ._helpers import Recorder


class Parent(Actor):
    """Spawns two Recorder children in on_start."""

    async def on_start(self) -> None:
        await self.context.spawn(Recorder, name="left", capacity=10)
        await self.context.spawn(Recorder, name="right")

    async def receive(self, message: Any) -> Any:
        return message


class Listener(Recorder):
    subscriptions = ("orders.>", "audit.*")


class Broken(Recorder):
    def introspect(self) -> dict[str, Any]:
        raise LookupError("no details today")


# ----------------------------------------------------------------------------- snapshots


async def test_a_snapshot_shows_a_plain_actor_tree_with_its_counters(
    actor_system: ActorSystem,
) -> None:
    parent = await actor_system.spawn(Parent, name="parent")
    listener = await actor_system.spawn(Listener, name="listener")
    left = actor_system.lookup("/parent/left")
    assert left is not None
    for number in range(3):
        await left.tell(number)
    await actor_system.publish("orders.created", "order")
    await actor_system.wait_idle()
    snapshot = snapshot_tree(actor_system)
    assert [root.path for root in snapshot.actors] == ["/parent", "/listener"]
    assert [root.path for root in snapshot.runtime] == ["/system/bus"]
    assert snapshot.runtime[0].details == {"kind": "bus", "subscribers": 1, "patterns": 2}
    assert snapshot.statistics == actor_system.statistics()
    tree = snapshot.find("/parent")
    assert tree is not None
    assert [child.name for child in tree.children] == ["left", "right"]
    assert tree.actor_class == "Parent"
    shown = snapshot.find("/parent/left")
    assert shown is not None
    assert (shown.state, shown.processed, shown.failed, shown.capacity) == ("running", 3, 0, 10)
    assert (shown.depth, shown.high_water_mark, shown.incarnation) == (0, 3, 1)
    subscribed = snapshot.find(listener.path)
    assert subscribed is not None
    assert subscribed.subscriptions == ("orders.>", "audit.*")
    assert subscribed.processed == 1
    assert {actor.path for actor in snapshot.walk()} == set(actor_system._registry)
    flat = tree.to_dict(depth=0)
    assert flat["children"] == ["/parent/left", "/parent/right"]
    json.dumps(snapshot.to_dict())  # JSON-ready
    assert parent.is_alive


async def test_a_raising_introspect_is_shown_in_the_details_not_raised(
    actor_system: ActorSystem,
) -> None:
    await actor_system.spawn(Broken, name="broken")
    shown = snapshot_tree(actor_system).find("/broken")
    assert shown is not None
    assert shown.details == {"introspect_error": "LookupError: no details today"}


async def test_a_pool_reports_its_routing_and_budget(actor_system: ActorSystem) -> None:
    await actor_system.spawn(Pool.factory(Recorder, 3), name="pool")
    shown = snapshot_tree(actor_system).find("/pool")
    assert shown is not None
    assert shown.details == {
        "kind": "pool",
        "routing": "round_robin",
        "cluster": False,
        "size": 3,
        "routees": 3,
        "status": "running",
        "restarts_in_window": 0,
        "max_restarts": 3,
        "within": 5.0,
    }
    assert [child.name for child in shown.children] == ["routee-0", "routee-1", "routee-2"]


# ----------------------------------------------------------------------------- the ASGI app


class Response:
    def __init__(self, messages: list[MutableMapping[str, Any]]) -> None:
        start = messages[0]
        self.status: int = start["status"]
        self.headers = {name.decode(): value.decode() for name, value in start["headers"]}
        self.body = b"".join(message.get("body", b"") for message in messages[1:])

    def json(self) -> Any:
        return json.loads(self.body)


async def call(
    app: Any,
    path: str,
    *,
    method: str = "GET",
    root_path: str = "",
    query: str = "",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> Response:
    """Call an ASGI app once, as a server would, and collect its response."""
    sent: list[MutableMapping[str, Any]] = []
    requested = False

    async def receive() -> MutableMapping[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        raise AssertionError("a plain request reads its body once")

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": root_path + path,
        "root_path": root_path,
        "query_string": query.encode(),
        "headers": headers or [],
    }
    await app(scope, receive, send)
    return Response(sent)


async def test_the_api_answers_under_any_mount_prefix(actor_system: ActorSystem) -> None:
    await actor_system.spawn(Parent, name="parent")
    view = LiveView(actor_system)
    try:
        root = "/ops/live"
        redirect = await call(view, "", root_path=root, query="token=x")
        assert (redirect.status, redirect.headers["location"]) == (307, "/ops/live/?token=x")
        page = await call(view, "/", root_path=root)
        assert page.status == 200
        assert page.headers["content-type"].startswith("text/html")
        assert b'src="static/app.js"' in page.body  # relative: works under any prefix
        script = await call(view, "/static/app.js", root_path=root)
        assert script.status == 200
        assert b"EventSource" in script.body
        tree = await call(view, "/api/tree", root_path=root)
        assert tree.status == 200
        data = tree.json()
        assert data["system"] == actor_system.name
        assert data["actions"] is False
        assert [actor["path"] for actor in data["actors"]] == ["/parent"]
        actor = await call(view, "/api/actors/parent/left", root_path=root)
        assert actor.status == 200
        assert actor.json()["path"] == "/parent/left"
        assert actor.json()["statistics"]["capacity"] == 10
        missing = await call(view, "/api/actors/nobody", root_path=root)
        assert (missing.status, missing.json()) == (404, {"error": "no live actor at /nobody"})
        assert (await call(view, "/api/nothing", root_path=root)).status == 404
        assert (await call(view, "/static/secret.py", root_path=root)).status == 404
        wrong = await call(view, "/api/tree", method="DELETE", root_path=root)
        assert (wrong.status, wrong.headers["allow"]) == (405, "GET")
        bad = await call(view, "/api/events", query="limit=many")
        assert bad.status == 400
    finally:
        view.close()


async def test_the_runtime_asgi_app_serves_the_live_view_under_ui(
    actor_system: ActorSystem,
) -> None:
    await actor_system.spawn(Recorder, name="solo")
    app = asgi_app(actor_system)
    tree = await call(app, "/ui/api/tree", root_path="/service")
    assert tree.status == 200
    assert [actor["path"] for actor in tree.json()["actors"]] == ["/solo"]
    redirect = await call(app, "/ui", root_path="/service")
    assert redirect.headers["location"] == "/service/ui/"
    assert (await call(app, "/metrics")).status == 200


async def test_a_token_protects_the_api_but_not_the_page(actor_system: ActorSystem) -> None:
    view = LiveView(actor_system, token="s3cret")
    try:
        assert (await call(view, "/")).status == 200
        refused = await call(view, "/api/tree")
        assert (refused.status, refused.headers["www-authenticate"]) == (401, "Bearer")
        assert (await call(view, "/api/tree", query="token=wrong")).status == 401
        assert (await call(view, "/api/tree", query="token=s3cret")).status == 200
        bearer = [(b"authorization", b"Bearer s3cret")]
        assert (await call(view, "/api/events", headers=bearer)).status == 200
    finally:
        view.close()


async def test_peers_are_listed_and_only_their_origins_may_read_cross_origin(
    actor_system: ActorSystem,
) -> None:
    view = LiveView(actor_system, peers=["http://127.0.0.1:8766", "https://node-b.internal/ui/"])
    try:
        assert view.peers == ("http://127.0.0.1:8766/", "https://node-b.internal/ui/")
        tree = await call(view, "/api/tree", headers=[(b"origin", b"http://127.0.0.1:8766")])
        assert tree.json()["peers"] == ["http://127.0.0.1:8766/", "https://node-b.internal/ui/"]
        assert tree.headers["access-control-allow-origin"] == "http://127.0.0.1:8766"
        assert tree.headers["vary"] == "origin"
        stranger = await call(view, "/api/tree", headers=[(b"origin", b"http://evil.example")])
        assert "access-control-allow-origin" not in stranger.headers
        same = await call(view, "/api/tree")
        assert "access-control-allow-origin" not in same.headers
    finally:
        view.close()
    with pytest.raises(ValueError, match="peer must be an http"):
        LiveView(actor_system, peers=["ftp://node-b"])
    with pytest.raises(ValueError, match="peer must be an http"):
        LiveView(actor_system, peers=["node-b:8765"])


async def test_actions_are_off_by_default_and_need_a_token(actor_system: ActorSystem) -> None:
    await actor_system.spawn(Recorder, name="solo")
    view = LiveView(actor_system)
    try:
        refused = await call(view, "/api/actors/solo/kill", method="POST")
        assert refused.status == 403
        assert actor_system.lookup("/solo") is not None
    finally:
        view.close()
    with pytest.raises(ValueError, match="need a token"):
        LiveView(actor_system, actions=True)
    with pytest.raises(ValueError, match="non-empty"):
        LiveView(actor_system, token="")
    with pytest.raises(ValueError, match="max_updates_per_second"):
        LiveView(actor_system, max_updates_per_second=0)


async def test_the_actions_stop_kill_and_restart_an_actor(actor_system: ActorSystem) -> None:
    parent = await actor_system.spawn(Parent, name="parent")
    view = LiveView(actor_system, token="t", actions=True)
    auth = [(b"authorization", b"Bearer t")]
    try:
        assert (await call(view, "/api/actors/parent/left/kill", method="POST")).status == 401
        restarted = await call(view, "/api/actors/parent/left/restart", method="POST", headers=auth)
        assert (restarted.status, restarted.json()["state"]) == (200, "running")
        left = snapshot_tree(actor_system).find("/parent/left")
        assert left is not None
        assert (left.incarnation, left.restarts) == (2, 1)
        killed = await call(view, "/api/actors/parent/left/kill", method="POST", headers=auth)
        assert killed.status == 200
        assert actor_system.lookup("/parent/left") is None
        stopped = await call(view, "/api/actors/parent/right/stop", method="POST", headers=auth)
        assert stopped.status == 200
        right = actor_system.lookup("/parent/right")
        assert right is None or not right.is_alive or await right.wait_stopped() is None
        gone = await call(view, "/api/actors/parent/left/stop", method="POST", headers=auth)
        assert gone.status == 404
        unknown = await call(view, "/api/actors/parent/explode", method="POST", headers=auth)
        assert unknown.status == 404
        _ = actor_system.bus
        runtime = await call(view, "/api/actors/system/bus/kill", method="POST", headers=auth)
        assert runtime.status == 403
        assert parent.is_alive
    finally:
        view.close()


# ----------------------------------------------------------------------------- the timeline


async def test_the_timeline_keeps_recent_dead_letters_and_failures_bounded(
    actor_system: ActorSystem,
) -> None:
    view = LiveView(actor_system, events=3)
    try:
        ref = await actor_system.spawn(Recorder, name="r")
        await ref.tell("boom")
        await ref.wait_stopped()
        for number in range(4):
            await ref.tell(number)  # to a stopped actor: dead letters, reason "stopped"
        events = (await call(view, "/api/events")).json()
        assert events["counts"] == {"failure": 1, "dead_letter": 4}
        assert len(events["events"]) == 3
        assert [event["reason"] for event in events["events"]] == ["stopped"] * 3
        assert events["dead_letters_by_reason"] == {"failed": 1, "stopped": 4}
        only = (await call(view, "/api/events", query="limit=1&actor=/r")).json()
        assert [event["message_type"] for event in only["events"]] == ["int"]
    finally:
        view.close()
    before = len(actor_system.dead_letters._listeners)
    view.close()  # idempotent
    assert len(actor_system.dead_letters._listeners) == before


async def test_restarts_by_a_pool_reach_the_timeline(actor_system: ActorSystem) -> None:
    pool = await actor_system.spawn(Pool.factory(Recorder, 2), name="pool")
    view = LiveView(actor_system)
    try:
        await call(view, "/api/tree")  # the first snapshot is the baseline
        await pool.tell("boom")
        await actor_system.wait_idle()
        events = (await call(view, "/api/events")).json()["events"]
        [restart] = [event for event in events if event["kind"] == "restart"]
        assert restart["supervisor"] == "/pool"
        assert restart["actor"] == "/pool/routee-0"
        assert restart["error"] == "RuntimeError: boom"
        panel = (await call(view, "/api/actors/pool/routee-0")).json()
        assert [event["kind"] for event in panel["failures"]] == ["failure"]
        assert [event["kind"] for event in panel["restart_events"]] == ["restart"]
    finally:
        view.close()


# ----------------------------------------------------------------------------- the throttle


class Flapper(Actor):
    """Fails on every message."""

    async def receive(self, message: Any) -> Any:
        raise RuntimeError("flap")


async def test_a_restart_storm_is_coalesced_into_at_most_n_updates_per_second(
    virtual_time: VirtualTimeLoop,
) -> None:
    async with ActorSystem("storm") as system:
        pool = await system.spawn(
            Pool.factory(Flapper, 2, strategy=_Unlimited()), name="pool", capacity=100_000
        )
        view = LiveView(system, max_updates_per_second=2.0)
        try:
            seen, updates = 0, 0
            start = virtual_time.time()
            while virtual_time.time() - start < 5.0:
                for _ in range(50):
                    pool.tell_nowait("fail")
                seen, body = await view.hub.next(seen, heartbeat=1.0)
                updates += bool(body)
            # 5 s at 2 per second, plus the first one at once.
            assert view.hub.snapshots <= 11
            assert 5 <= updates <= 11
        finally:
            view.close()


class Slow(Recorder):
    def introspect(self) -> dict[str, Any]:
        time.sleep(0.02)  # a snapshot that costs 20 ms of the loop
        return {}


async def test_updates_of_a_costly_tree_slow_down_to_keep_the_loop_free(
    virtual_time: VirtualTimeLoop,
) -> None:
    async with ActorSystem("big") as system:
        await system.spawn(Slow, name="slow")
        view = LiveView(system, max_updates_per_second=4.0)
        try:
            seen = 0
            start = virtual_time.time()
            while virtual_time.time() - start < 10.0:
                seen, _ = await view.hub.next(seen, heartbeat=1.0)
            # 4 per second would be 40; 20 ms each may take at most 5% of the loop.
            assert view.hub.snapshots <= 10.0 * 0.05 / 0.02 + 1
        finally:
            view.close()


class _Unlimited:
    max_restarts = 1_000_000
    within = 1.0

    def decide(self, error: BaseException) -> Any:
        return _Restart()


class _Restart:
    value = "restart"


# ----------------------------------------------------------------------------- the server


@pytest.mark.real_time
async def test_the_server_streams_snapshots_and_ends_the_stream_when_closed(
    actor_system: ActorSystem,
) -> None:
    await actor_system.spawn(Recorder, name="solo")
    server = await serve(actor_system, 0)
    assert server.url == f"http://127.0.0.1:{server.port}/"
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(
            b"GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"content-type: text/event-stream" in head
        assert await asyncio.wait_for(reader.readuntil(b"\n\n"), 5) == b"retry: 1000\n\n"
        event = await asyncio.wait_for(reader.readuntil(b"\n\n"), 5)
        name, data = event.decode().strip().split("\n")
        assert name == "event: snapshot"
        assert [actor["path"] for actor in json.loads(data.removeprefix("data: "))["actors"]] == [
            "/solo"
        ]
        await server.close()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # the stream ended
    finally:
        writer.close()
        await writer.wait_closed()
        await server.close()


@pytest.mark.real_time
async def test_the_server_answers_plain_requests_and_refuses_bad_ones(
    actor_system: ActorSystem,
) -> None:
    server = await serve(actor_system, 0)
    try:
        for request, status in [
            (b"GET /api/tree HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", b"200"),
            (b"GET /api/tree HTTP/1.1\r\nHost: localhost:1234\r\n\r\n", b"200"),
            (b"GET /api/tree HTTP/1.1\r\nHost: [::1]:1234\r\n\r\n", b"200"),
            (b"GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", b"404"),
            # A DNS name rebound to 127.0.0.1 by a web page is not served.
            (b"GET /api/tree HTTP/1.1\r\nHost: rebound.example:1234\r\n\r\n", b"403"),
            (b"GET / HTTP/1.1\r\n\r\n", b"403"),
            (b"garbage\r\n\r\n", b"400"),
        ]:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(request)
            await writer.drain()
            answer = await asyncio.wait_for(reader.read(), 5)
            writer.close()
            await writer.wait_closed()
            assert answer.split(b" ")[1] == status, answer[:200]
    finally:
        await server.close()


async def test_serve_refuses_a_non_loopback_address_without_a_token(
    actor_system: ActorSystem,
) -> None:
    with pytest.raises(ValueError, match="non-loopback"):
        await serve(actor_system, 0, "0.0.0.0")
    assert actor_system.dead_letters._listeners == [actor_system._observability.log_dead_letter]


def test_is_loopback() -> None:
    assert is_loopback("127.0.0.1")
    assert is_loopback("127.0.0.2")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("")
    assert not is_loopback("example.org")
    assert not is_loopback("10.0.0.1")


@pytest.mark.real_time
def test_the_live_view_example_reads_the_tree_and_the_timeline_from_the_api() -> None:
    from examples.observability.live_view import main

    result = asyncio.run(main())
    [shop] = result["tree"]["actors"]
    assert (shop["path"], shop["details"]["strategy"]) == ("/shop", "one_for_one")
    assert [child["processed"] for child in shop["children"]] == [1, 1]
    assert shop["children"][1]["details"] == {"entries": 1}
    kinds = [(event["kind"], event["actor"], event["error"]) for event in result["events"]]
    assert kinds == [
        ("failure", "/shop/checkout", "ValueError: empty basket"),
        ("restart", "/shop/checkout", "ValueError: empty basket"),
    ]


@pytest.mark.real_time  # uvicorn on a loopback socket
async def test_under_uvicorn_with_a_root_path_the_stream_ends_when_the_page_leaves(
    actor_system: ActorSystem,
) -> None:
    import socket

    import uvicorn

    await actor_system.spawn(Recorder, name="solo")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        asgi_app(actor_system),
        root_path="/ops",
        lifespan="on",
        ws="none",
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            assert not serving.done(), "uvicorn stopped during startup"
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /ui HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        assert b"307" in answer.split(b"\r\n")[0]
        assert b"location: /ops/ui/" in answer.lower()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /ui/api/stream HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200")
        # Chunked by uvicorn: read events until the first snapshot.
        received = b""
        while b'"path": "/solo"' not in received:
            received += await asyncio.wait_for(reader.readuntil(b"\n\n"), 5)
        assert b"retry: 1000" in received
        assert b"event: snapshot" in received
        writer.close()  # the page leaves
        await writer.wait_closed()
    finally:
        server.should_exit = True
        # Ends at once: the stream saw its client go (uvicorn would otherwise wait for it).
        await asyncio.wait_for(serving, timeout=5.0)
