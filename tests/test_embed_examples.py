"""The "Embed the runtime in a service" examples, run for real: the ASGI application under
uvicorn on loopback, and the plain asyncio service as a process stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from examples.embed import asgi_app

ROOT = Path(__file__).resolve().parents[1]


async def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.0 GET over loopback (so no chunked body); returns the status, headers and
    body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        await writer.drain()
        response = await asyncio.wait_for(reader.read(), timeout=10.0)
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = response.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


@pytest.mark.real_time  # a real server on a loopback socket
async def test_the_asgi_service_starts_the_tree_answers_and_stops_it_on_shutdown() -> None:
    import uvicorn

    service = asgi_app.Service()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        service, lifespan="on", ws="none", log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            assert not serving.done(), "uvicorn stopped during startup"
            await asyncio.sleep(0.01)
        assert service.system is not None
        assert service.system.lookup("/site/visits") is not None  # lifespan startup ran

        status, headers, body = await get(port, "/visit/home")
        assert (status, json.loads(body)) == (200, {"page": "home", "visits": 1})
        assert headers["content-type"] == "application/json"
        status, _, body = await get(port, "/visit/home")
        assert json.loads(body)["visits"] == 2

        status, _, body = await get(port, "/metrics")
        assert status == 200
        assert b'actors_messages_processed_total{actor_class="Visits"} 2.0' in body

        status, _, body = await get(port, "/healthz")
        assert status == 200
        assert json.loads(body)["status"] == "ok"

        status, _, _ = await get(port, "/nowhere")
        assert status == 404
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, timeout=30.0)
        listener.close()
    assert service.system.is_closed  # lifespan shutdown shut the system down
    assert service.visits is not None
    assert not service.visits.is_alive


@pytest.mark.real_time  # a subprocess
@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
def test_the_plain_service_shuts_down_gracefully_on_a_signal_and_exits_0(
    number: signal.Signals,
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "examples.embed.plain_service"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        process.send_signal(number)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    lines = out.splitlines()
    assert lines[0] == f"received {number.name}: shutting down"
    assert lines[1].startswith("poller: flushed after")  # on_stop ran, children first
    assert lines[-1] == "stopped gracefully"


async def test_the_asgi_service_refuses_to_start_when_its_tree_cannot_start() -> None:
    # Driven through the lifespan protocol directly: uvicorn answers a failed startup with
    # SystemExit, which has no place inside a test's event loop.
    from actors import Actor
    from supervision import ChildSpec

    class Broken(Actor):
        async def on_start(self) -> None:
            raise ConnectionError("no database")

    class BrokenSite(asgi_app.Site):
        children = (ChildSpec("visits", Broken),)

    class BrokenService(asgi_app.Service):
        async def startup(self) -> None:
            self.system = asgi_app.ActorSystem("site")
            await self.system.spawn(BrokenSite, name="site")

    service = BrokenService()
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "lifespan.startup"}

    async def send(message: object) -> None:
        assert isinstance(message, dict)
        sent.append(message)

    await service({"type": "lifespan"}, receive, send)
    [answer] = sent
    assert answer["type"] == "lifespan.startup.failed"
    assert "ActorStartError" in str(answer["message"])
    assert service.system is not None
    assert service.system.is_closed  # nothing is left running
