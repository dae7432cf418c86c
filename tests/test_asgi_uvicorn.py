"""ASGI services run for real: uvicorn as a subprocess on a loopback socket, the how-to's
FastAPI service as shown, and a service whose root supervisor gives up."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.real_time  # a server process on a loopback socket


class Server:
    """A uvicorn process serving one application on a socket bound here (no port race)."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.port = port
        self.log: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def read_until(self, text: str, timeout: float = 30.0) -> None:
        """Read the server's log until a line contains ``text``."""
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            while True:
                line = await self.process.stdout.readline()
                if not line:
                    raise AssertionError(f"uvicorn ended before {text!r}:\n" + "".join(self.log))
                self.log.append(line.decode(errors="replace"))
                if text in self.log[-1]:
                    return

    async def wait_exit(self, timeout: float = 30.0) -> int:
        assert self.process.stdout is not None
        async with asyncio.timeout(timeout):
            rest = await self.process.stdout.read()
            self.log.append(rest.decode(errors="replace"))
            return await self.process.wait()


@asynccontextmanager
async def uvicorn(application: str) -> AsyncIterator[Server]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "uvicorn",
        application,
        "--fd",
        str(listener.fileno()),
        "--no-access-log",
        cwd=ROOT,
        pass_fds=(listener.fileno(),),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    listener.close()  # the child has its own copy
    server = Server(process, port)
    try:
        await server.read_until("Application startup complete")
        yield server
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_the_how_to_service_runs_under_uvicorn_as_shown() -> None:
    async with (
        uvicorn("examples.fastapi_service.app:app") as server,
        httpx.AsyncClient(base_url=server.url, timeout=10.0) as http,
    ):
        response = await http.post("/items/apples", params={"quantity": 5})
        assert response.json() == {"item": "apples", "in_stock": 5}
        response = await http.post(
            "/items/apples/take", params={"quantity": 2}, headers={"X-Request-ID": "order-17"}
        )
        assert response.json() == {"item": "apples", "in_stock": 3}
        assert response.headers["x-request-id"] == "order-17"
        response = await http.post("/items/apples/take", params={"quantity": 9})
        assert (response.status_code, response.json()) == (
            409,
            {"detail": "not enough apples in stock"},
        )
        assert (await http.get("/items/apples")).json() == {"item": "apples", "in_stock": 3}

        changes = (await http.get("/audit")).json()
        assert [(change["change"], change["in_stock"]) for change in changes] == [(5, 5), (-2, 3)]
        assert changes[1]["request"] == "order-17"  # the request id travelled through the bus

        metrics = await http.get("/ops/metrics")
        assert 'actors_messages_processed_total{actor_class="Stock"}' in metrics.text
        health = await http.get("/ops/healthz")
        assert (health.status_code, health.json()["status"]) == (200, "ok")

        server.process.send_signal(signal.SIGTERM)
        # A graceful stop. uvicorn >= 0.29 re-raises the signal once it has shut down, so
        # the process then ends by SIGTERM, as a process without handlers would.
        assert await server.wait_exit() in (0, -signal.SIGTERM)
    log = "".join(server.log)
    assert "system.shutdown" in log  # the lifespan shut the tree down
    assert "Application shutdown complete" in log


async def test_when_the_root_supervisor_gives_up_the_process_exits_non_zero() -> None:
    async with (
        uvicorn("tests.asgi_apps.giving_up:app") as server,
        httpx.AsyncClient(base_url=server.url, timeout=10.0) as http,
    ):
        assert (await http.get("/work")).json() == "ok"
        assert (await http.post("/crash")).status_code == 200
        code = await server.wait_exit()
    log = "".join(server.log)
    assert code == 1, log
    assert "asgi.system_failed" in log
    assert "RestartIntensityExceeded" in log
