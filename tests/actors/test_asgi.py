"""actors.asgi and actors.metrics.asgi_app inside real Starlette and FastAPI applications,
driven in-process through httpx's ASGI transport (the uvicorn tests are in
tests/test_asgi_uvicorn.py)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from actors import Actor, ActorRef, ActorStopped, ActorSystem, MailboxFull, Overflow
from actors.asgi import (
    ActorService,
    RequestContext,
    correlation_scope,
    error_response,
)
from actors.metrics import asgi_app


class Counter(Actor):
    def __init__(self) -> None:
        self.count = 0

    def receive(self, message: Any) -> Any:
        if message == "boom":
            raise ValueError("secret internal detail")
        self.count += 1
        return self.count


class Slow(Actor):
    async def receive(self, message: Any) -> Any:
        await asyncio.Event().wait()  # never answers: the ask times out


class Recorder(Actor):
    """Records the correlation id of every message, and forwards to `next_hop`."""

    def __init__(self, seen: list[Any], next_hop: ActorRef | None = None) -> None:
        self.seen = seen
        self.next_hop = next_hop

    async def receive(self, message: Any) -> Any:
        self.seen.append((self.context.path, message, self.context.correlation_id))
        if self.next_hop is not None:
            await self.next_hop.tell(message)
        return self.context.correlation_id


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


# ---------------------------------------------------------------- metrics under a prefix


def _prefixed_apps(metrics: Any) -> list[Any]:
    starlette = Starlette(routes=[Mount("/metrics", app=metrics), Mount("/ops", app=metrics)])
    fastapi = FastAPI()
    fastapi.mount("/metrics", metrics)
    fastapi.mount("/ops", metrics)
    return [starlette, fastapi]


@pytest.mark.parametrize("framework", ["starlette", "fastapi"])
async def test_the_metrics_app_answers_under_any_mount_prefix(
    actor_system: ActorSystem, framework: str
) -> None:
    await actor_system.spawn(Counter, name="counter")
    metrics = asgi_app(actor_system)
    app = _prefixed_apps(metrics)[["starlette", "fastapi"].index(framework)]
    async with client(app) as http:
        response = await http.get("/metrics", follow_redirects=True)
        assert response.status_code == 200
        assert "actors_live" in response.text
        assert response.headers["content-type"].startswith("text/plain")
        for path in ("/ops/metrics", "/ops/metrics/"):
            assert (await http.get(path)).status_code == 200, path
        for path in ("/ops/healthz", "/metrics/healthz"):
            response = await http.get(path)
            assert response.status_code == 200, path
            assert response.json()["status"] == "ok"
        assert (await http.get("/ops/nothing")).status_code == 404
        assert (await http.post("/ops/metrics")).status_code == 405


async def test_the_metrics_app_as_a_route_answers_the_exact_path_without_a_redirect(
    actor_system: ActorSystem,
) -> None:
    app = Starlette(routes=[Route("/metrics", asgi_app(actor_system))])
    async with client(app) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    assert "actors_live" in response.text


async def test_the_metrics_app_honours_the_root_path_the_server_sets(
    actor_system: ActorSystem,
) -> None:
    # A proxy strips /api and the server says so in root_path (uvicorn --root-path /api).
    transport = httpx.ASGITransport(app=asgi_app(actor_system), root_path="/api")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        assert (await http.get("/api/healthz")).status_code == 200
        assert (await http.get("/api/metrics")).status_code == 200
        assert (await http.get("/healthz")).status_code == 200


async def test_the_metrics_app_can_be_built_before_the_system_and_bound_later() -> None:
    metrics = asgi_app()
    app = Starlette(routes=[Mount("/ops", app=metrics)])
    async with client(app) as http:
        response = await http.get("/ops/healthz")
        assert response.status_code == 503
        assert "not started" in response.text
        async with ActorSystem("late") as system:
            metrics.bind(system)
            assert (await http.get("/ops/healthz")).status_code == 200


def test_asgi_app_refuses_what_is_not_a_system() -> None:
    with pytest.raises(TypeError, match="ActorSystem or a callable"):
        asgi_app(42)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the service lifespan


async def _start_counter(system: ActorSystem) -> None:
    await system.spawn(Counter, name="counter")


def _service_app(service: ActorService) -> FastAPI:
    app = FastAPI(lifespan=service.lifespan)
    app.add_middleware(RequestContext)
    app.mount("/ops", service.metrics_app())

    @app.post("/count")
    async def count(
        # A default, not Annotated: annotations are strings here (from __future__), and
        # FastAPI resolves them in the module's globals, where this local service is not.
        counter: ActorRef = Depends(service.dependency("/counter")),  # noqa: B008
    ) -> Any:
        return {"count": await counter.ask("+1", timeout=2.0)}

    @app.post("/boom")
    async def boom() -> Any:
        return await service.ref("/counter").ask("boom")

    @app.get("/missing")
    async def missing() -> Any:
        return await service.ref("/nobody").ask("x")

    return app


async def test_the_service_lifespan_starts_the_system_serves_and_shuts_it_down() -> None:
    service = ActorService(_start_counter, system_factory=lambda: ActorSystem("svc"))
    app = _service_app(service)
    async with client(app) as http:
        assert (await http.get("/ops/healthz")).status_code == 503  # not started yet
        with pytest.raises(RuntimeError, match="not running"):
            _ = service.system
        async with service.lifespan(app):
            system = service.system
            assert system.name == "svc"
            response = await http.post("/count")
            assert response.json() == {"count": 1}
            assert (await http.post("/count")).json() == {"count": 2}
            assert (await http.get("/ops/healthz")).status_code == 200
            # Under FastAPI too, runtime errors of routes become responses.
            response = await http.post("/boom", headers={"X-Request-ID": "r-5"})
            assert (response.status_code, response.json()["correlation_id"]) == (500, "r-5")
            response = await http.get("/missing")
            assert (response.status_code, response.json()["error"]) == (503, "ActorStopped")
            with pytest.raises(RuntimeError, match="already running"):
                await service.start()
        assert system.is_closed
        assert (await http.get("/ops/healthz")).status_code == 503


async def test_a_setup_that_fails_refuses_to_start_and_leaves_nothing_running() -> None:
    made: list[ActorSystem] = []

    def factory() -> ActorSystem:
        made.append(ActorSystem("broken"))
        return made[-1]

    async def setup(system: ActorSystem) -> None:
        await system.spawn(Counter, name="counter")
        raise ConnectionError("no database")

    service = ActorService(setup, system_factory=factory)
    with pytest.raises(ConnectionError):
        async with service.lifespan():
            pass
    [system] = made
    assert system.is_closed
    assert system.lookup("/counter") is None


def test_the_service_refuses_arguments_that_are_not_callable() -> None:
    with pytest.raises(TypeError, match="setup"):
        ActorService(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="starts with '/'"):
        ActorService().dependency("counter")


async def test_when_the_system_fails_the_service_calls_on_failure_once() -> None:
    from supervision import ChildSpec, OneForOne, RestartIntensityExceeded, Supervisor

    class Fragile(Supervisor):
        strategy = OneForOne(max_restarts=0, within=5.0)
        children = (ChildSpec("counter", Counter),)

    failures: list[BaseException] = []
    called = asyncio.Event()

    def on_failure(error: BaseException) -> None:
        failures.append(error)
        called.set()

    async def setup(system: ActorSystem) -> None:
        await system.spawn(Fragile, name="root")

    service = ActorService(setup, on_failure=on_failure)
    async with service.lifespan():
        await service.ref("/root/counter").tell("boom")
        await called.wait()
    [error] = failures
    assert isinstance(error, RestartIntensityExceeded)
    assert isinstance(error.__cause__, ValueError) or any(
        isinstance(link, ValueError) for link in error.chain
    )


# ---------------------------------------------------------------- errors as HTTP responses


async def test_runtime_errors_answer_503_504_and_500_with_the_correlation_id() -> None:
    async def setup(system: ActorSystem) -> None:
        await system.spawn(Counter, name="counter")
        await system.spawn(Slow, name="slow", shutdown=0.1)
        await system.spawn(Counter, name="full", capacity=1, overflow=Overflow.REJECT)

    service = ActorService(setup)
    app = Starlette(lifespan=service.lifespan)

    async def ask(request: Request) -> Response:
        ref = service.ref("/" + request.path_params["name"])
        message = request.query_params.get("message", "+1")
        return JSONResponse(await ref.ask(message, timeout=0.2))

    async def fill(request: Request) -> Response:
        full = service.ref("/full")
        full.tell_nowait("+1")
        full.tell_nowait("+1")  # the second finds the mailbox full: MailboxFull
        return JSONResponse(None)

    app.add_route("/ask/{name}", ask, methods=["GET"])
    app.add_route("/fill", fill, methods=["GET"])
    app.add_middleware(RequestContext, retry_after=7)
    headers = {"X-Request-ID": "req-1"}
    async with service.lifespan(), client(app) as http:
        response = await http.get("/ask/counter", params={"message": "boom"}, headers=headers)
        assert response.status_code == 500
        assert response.json() == {
            "error": "ActorFailed",
            "detail": "the service failed while handling the request",
            "correlation_id": "req-1",
        }
        assert "secret" not in response.text
        assert response.headers["x-request-id"] == "req-1"

        response = await http.get("/ask/slow", headers=headers)
        assert (response.status_code, response.json()["error"]) == (504, "AskTimeout")
        assert response.json()["correlation_id"] == "req-1"

        response = await http.get("/ask/nobody", headers=headers)
        assert (response.status_code, response.json()["error"]) == (503, "ActorStopped")
        assert response.headers["retry-after"] == "7"

        response = await http.get("/fill", headers=headers)
        assert (response.status_code, response.json()["error"]) == (503, "MailboxFull")
        assert response.headers["retry-after"] == "7"


async def test_an_error_that_is_not_the_runtimes_passes_through(
    actor_system: ActorSystem,
) -> None:
    async def broken(request: Request) -> Response:
        raise KeyError("not ours")

    app = Starlette(routes=[Route("/", broken)])
    app.add_middleware(RequestContext)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/")
    assert response.status_code == 500
    assert response.text == "Internal Server Error"  # Starlette's own answer


def test_error_response_maps_every_runtime_error() -> None:
    from actors import ActorError, ActorFailed, ActorStartError, AskTimeout

    cases: list[tuple[Any, int]] = [
        (ActorStopped("x"), 503),
        (MailboxFull("x", message=1), 503),
        (AskTimeout("x"), 504),
        (ActorFailed("x"), 500),
        (ActorStartError("x"), 500),
        (ActorError("x"), 500),
    ]
    for error, status in cases:
        answer = error_response(error, correlation_id=9)
        assert answer.status == status
        assert answer.body["correlation_id"] == 9
        assert answer.body["error"] == type(error).__name__
        assert ("retry-after" in dict(answer.headers)) == (status == 503)
    assert (
        error_response(ActorStopped("x", correlation_id="own"), correlation_id=9).body[
            "correlation_id"
        ]
        == "own"
    )
    with pytest.raises(TypeError, match="maps ActorError"):
        error_response(ValueError("x"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="retry_after"):
        error_response(ActorStopped("x"), retry_after=-1)


# ---------------------------------------------------------------- the request id


async def _recording_chain(system: ActorSystem, seen: list[Any]) -> None:
    last = await system.spawn(functools.partial(Recorder, seen), name="last")
    await system.spawn(functools.partial(Recorder, seen, last), name="first")
    await system.subscribe(last, "events.>")


async def test_the_request_id_is_the_correlation_id_of_every_message_of_the_request() -> None:
    seen: list[Any] = []
    service = ActorService(functools.partial(_recording_chain, seen=seen))
    app = FastAPI(lifespan=service.lifespan)
    app.add_middleware(RequestContext)

    @app.post("/work")
    async def work() -> Any:
        first = service.ref("/first")
        await first.tell("told")  # -> first -> last
        answer = await first.ask("asked")  # -> first -> last
        await service.system.publish("events.done", "published")  # -> last
        return {"answer": answer}

    async with service.lifespan(), client(app) as http:
        response = await http.post("/work", headers={"x-request-id": "abc-123"})
        await service.system.wait_idle()
        assert response.json() == {"answer": "abc-123"}
        assert response.headers["x-request-id"] == "abc-123"
        assert sorted(seen) == sorted(
            [
                ("/first", "told", "abc-123"),
                ("/last", "told", "abc-123"),
                ("/first", "asked", "abc-123"),
                ("/last", "asked", "abc-123"),
                ("/last", "published", "abc-123"),
            ]
        )
        seen.clear()
        # No header (or one that is not a plain token): a fresh id per request, echoed.
        ids = []
        for headers in ({}, {"x-request-id": "bad id\r\nx: y"}):
            response = await http.post("/work", headers=headers)
            ids.append(response.headers["x-request-id"])
            assert response.json() == {"answer": ids[-1]}
        await service.system.wait_idle()
        assert len(set(ids)) == 2
        assert all(len(request_id) == 32 for request_id in ids)


async def test_the_correlation_scope_ends_with_the_request(actor_system: ActorSystem) -> None:
    seen: list[Any] = []
    ref = await actor_system.spawn(functools.partial(Recorder, seen))
    with correlation_scope("outer"):
        with correlation_scope(7):
            assert await ref.ask("a") == 7
        assert await ref.ask("b") == "outer"
        assert await ref.ask("c", correlation_id="given") == "given"
    after = await ref.ask("d")
    assert isinstance(after, int)  # a fresh message id, as outside any scope
    with pytest.raises(TypeError, match="int or a str"), correlation_scope(None):  # type: ignore[arg-type]
        pass


def test_request_context_refuses_a_bad_header_or_retry_after() -> None:
    app: Callable[..., Any] = lambda scope, receive, send: None  # noqa: E731
    with pytest.raises(ValueError, match="header"):
        RequestContext(app, header=" ")
    with pytest.raises(ValueError, match="retry_after"):
        RequestContext(app, retry_after=-2)


def test_importing_the_asgi_integration_imports_no_framework() -> None:
    import subprocess
    import sys

    code = (
        "import sys, actors, actors.asgi, actors.metrics, supervision.asgi\n"
        "loaded = sorted(name for name in ('starlette', 'fastapi', 'httpx', 'uvicorn')"
        " if name in sys.modules)\n"
        "print(loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_log_lines_in_a_correlation_scope_carry_its_id() -> None:
    import structlog
    from structlog.testing import capture_logs

    from actors.logging import add_message_context

    with capture_logs(processors=[add_message_context]) as lines:
        with correlation_scope("req-77"):
            structlog.get_logger("myapp").info("charged")
        structlog.get_logger("myapp").info("after")
    assert [line.get("correlation_id") for line in lines] == ["req-77", None]
