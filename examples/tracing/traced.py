"""How-to "Trace messages with OpenTelemetry": one trace from a caller's span through two
actors, printed by the SDK's console exporter (``python -m examples.tracing.traced``)."""

from __future__ import annotations

# --8<-- [start:traced]
import asyncio
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import actors.tracing
from actors import Actor, ActorRef, ActorSystem


class Prices(Actor):
    def receive(self, message: Any) -> Any:
        return {"apples": 3}.get(message, 0)


class Quotes(Actor):
    def __init__(self, prices: ActorRef) -> None:
        self.prices = prices

    async def receive(self, message: Any) -> Any:
        item, quantity = message
        return quantity * await self.prices.ask(item)  # a child span of this one


async def main(exporter: SpanExporter) -> int:
    provider = TracerProvider()  # in a service: the one your OpenTelemetry setup made
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    actors.tracing.enable(tracer_provider=provider)  # before spawning
    try:
        async with ActorSystem("shop") as system:
            prices = await system.spawn(Prices, name="prices")
            quotes = await system.spawn(lambda: Quotes(prices), name="quotes")
            with provider.get_tracer("shop").start_as_current_span("quote request"):
                return int(await quotes.ask(("apples", 2)))  # joins the caller's trace
    finally:
        actors.tracing.disable()
        provider.shutdown()


if __name__ == "__main__":
    spans = InMemorySpanExporter()
    print("total:", asyncio.run(main(spans)))
    for span in spans.get_finished_spans():
        parent = span.parent.span_id if span.parent else None
        print(f"{span.name:<16} trace={span.context.trace_id:032x} parent={parent}")
    assert len({span.context.trace_id for span in spans.get_finished_spans()}) == 1
# --8<-- [end:traced]
