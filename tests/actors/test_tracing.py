"""actors.tracing with the OpenTelemetry SDK's in-memory exporter: an HTTP request through
several actors is one trace; without enable() nothing of OpenTelemetry is imported."""

from __future__ import annotations

import functools
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

import actors.tracing
from actors import Actor, ActorFailed, ActorRef, ActorSystem
from actors.asgi import ActorService, RequestContext


class Hop(Actor):
    """Asks (or tells) `next_hop`, if any; raises on "boom"."""

    def __init__(self, next_hop: str | None = None, tell: bool = False) -> None:
        self.next_hop = next_hop
        self.tell = tell

    async def receive(self, message: Any) -> Any:
        if message == "boom":
            raise ValueError("boom")
        if self.next_hop is None:
            return message
        target = self.context.system.lookup(self.next_hop)
        assert target is not None
        if self.tell:
            await target.tell(message)
            return None
        return await target.ask(message)


class Sink(Actor):
    def receive(self, message: Any) -> Any:
        return message


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    actors.tracing.enable(tracer_provider=provider)
    yield spans
    actors.tracing.disable()
    provider.shutdown()


def server_span(provider_tracer: trace.Tracer) -> Any:
    """A stand-in for an ASGI tracing middleware: a SERVER span around each request."""

    def middleware(app: Any) -> Any:
        async def traced(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            with provider_tracer.start_as_current_span(
                f"{scope['method']} {scope['path']}", kind=trace.SpanKind.SERVER
            ):
                await app(scope, receive, send)

        return traced

    return middleware


async def test_an_http_request_through_two_actors_is_one_trace(
    exporter: InMemorySpanExporter,
) -> None:
    async def setup(system: ActorSystem) -> None:
        await system.spawn(Sink, name="last")
        await system.spawn(functools.partial(Hop, "/last"), name="first")

    service = ActorService(setup)

    async def work(request: Request) -> Response:
        return JSONResponse(await service.ref("/first").ask("hello"))

    app = Starlette(lifespan=service.lifespan)
    app.add_route("/work", work)
    app.add_middleware(RequestContext)
    tracer = trace.get_tracer("test", tracer_provider=exporter_provider(exporter))
    asgi = server_span(tracer)(app)
    transport = httpx.ASGITransport(app=asgi)
    async with (
        service.lifespan(),
        httpx.AsyncClient(transport=transport, base_url="http://test") as http,
    ):
        response = await http.get("/work", headers={"X-Request-ID": "req-9"})
        assert response.json() == "hello"
    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert set(spans) == {"GET /work", "Hop receive", "Sink receive"}
    root, hop, sink = spans["GET /work"], spans["Hop receive"], spans["Sink receive"]
    assert len({span.context.trace_id for span in spans.values()}) == 1  # one trace
    assert hop.parent is not None
    assert hop.parent.span_id == root.context.span_id
    assert sink.parent is not None
    assert sink.parent.span_id == hop.context.span_id
    assert hop.kind is trace.SpanKind.CONSUMER
    assert hop.attributes is not None
    assert hop.attributes["actors.actor"] == "/first"
    assert hop.attributes["actors.correlation_id"] == "req-9"
    assert hop.attributes["actors.message_type"] == "str"


def exporter_provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


async def test_tell_publish_and_a_pool_carry_the_trace(
    exporter: InMemorySpanExporter, actor_system: ActorSystem
) -> None:
    sink = await actor_system.spawn(Sink, name="sink")
    await actor_system.subscribe(sink, "events.>")
    pool = await actor_system.spawn_pool(Sink, size=2, name="pool")
    teller = await actor_system.spawn(functools.partial(Hop, "/sink", tell=True), name="teller")
    tracer = exporter_provider(exporter).get_tracer("test")
    exporter.clear()  # the spans of the setup (none from the runtime's own bus actor)
    with tracer.start_as_current_span("job") as job:
        await teller.tell("told")
        await actor_system.publish("events.done", "published")
        assert await pool.ask("pooled") == "pooled"
    await actor_system.wait_idle()
    trace_id = job.get_span_context().trace_id
    spans = exporter.get_finished_spans()
    handled = [span for span in spans if span.name != "job"]
    assert sorted(span.attributes["actors.actor"] for span in handled if span.attributes) == [
        "/pool",
        "/pool/routee-0",
        "/sink",
        "/sink",
        "/teller",
    ]
    assert all(span.context.trace_id == trace_id for span in handled)
    topics = [span.attributes.get("actors.topic") for span in handled if span.attributes]
    assert "events.done" in topics


async def test_a_failing_handler_records_the_error_on_its_span(
    exporter: InMemorySpanExporter, actor_system: ActorSystem
) -> None:
    ref = await actor_system.spawn(Hop, name="hop")
    with pytest.raises(ActorFailed):
        await ref.ask("boom")
    [span] = exporter.get_finished_spans()
    assert span.status.status_code is trace.StatusCode.ERROR
    assert [event.name for event in span.events] == ["exception"]


async def test_an_unsampled_trace_records_nothing_but_still_propagates(
    actor_system: ActorSystem,
) -> None:
    spans = InMemorySpanExporter()
    provider = TracerProvider(sampler=ALWAYS_OFF)
    provider.add_span_processor(SimpleSpanProcessor(spans))
    seen: list[Any] = []

    class Peek(Actor):
        def receive(self, message: Any) -> Any:
            seen.append(trace.get_current_span().get_span_context())

    actors.tracing.enable(tracer_provider=provider)
    try:
        ref: ActorRef = await actor_system.spawn(Peek, name="peek")
        await ref.ask("x")
    finally:
        actors.tracing.disable()
    assert spans.get_finished_spans() == ()
    assert seen
    assert not seen[0].trace_flags.sampled


def test_without_enable_nothing_of_opentelemetry_is_imported() -> None:
    code = """
import asyncio, sys
import actors, actors.asgi, actors.metrics, actors.tracing
from actors import Actor, ActorSystem

class Echo(Actor):
    def receive(self, message):
        return message

async def main():
    async with ActorSystem("plain") as system:
        ref = await system.spawn(Echo, name="echo")
        await system.subscribe(ref, "a.>")
        assert await ref.ask(1) == 1
        await system.publish("a.b", 2)
        await system.wait_idle()

asyncio.run(main())
print(sorted(name for name in sys.modules if name.startswith("opentelemetry")))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert not actors.tracing.is_enabled()
