"""OpenTelemetry tracing of messages: W3C trace context carried by envelopes, and a span per
handled message. Imported only by ``actors.tracing.enable`` (it imports opentelemetry)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

from actors._system._system_bus import RUNTIME_PREFIX

if TYPE_CHECKING:
    from actors._core._cell import ActorCell

__all__ = ["Instrumentation"]

_ASYNC = 0  # the receive modes of actors._cell


class Instrumentation:
    """What ``actors.tracing.enable`` installs into the kernel's two hooks."""

    def __init__(self, tracer: trace.Tracer, spans: bool) -> None:
        self.tracer = tracer
        self.spans = spans

    def trace_source(self) -> dict[str, str] | None:
        """The caller's current trace context as a W3C carrier, or None without a span."""
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        return carrier or None

    def wrap_receive(
        self, cell: ActorCell, receive: Callable[[Any], Any], mode: int
    ) -> Callable[[Any], Any]:
        """``receive`` wrapped so that each handled message is a span, child of the span
        that sent it; messages the handler sends carry the new span as their parent."""
        if not self.spans or cell.path.startswith(RUNTIME_PREFIX):
            return receive  # the runtime's own actors (the bus) pass the context on silently
        start = functools.partial(self._start, cell)
        if mode == _ASYNC:

            @functools.wraps(receive)
            async def traced_async(message: Any) -> Any:
                with start(message):
                    return await receive(message)

            return traced_async

        @functools.wraps(receive)
        def traced(message: Any) -> Any:
            with start(message):
                return receive(message)

        return traced

    def _start(self, cell: ActorCell, message: Any) -> Any:
        envelope = cell.current
        parent = None
        attributes: dict[str, Any] = {
            "actors.actor": cell.path,
            "actors.actor_class": cell.actor_class,
            "actors.message_type": type(message).__name__,
        }
        if envelope is not None:
            if envelope.trace:
                parent = propagate.extract(envelope.trace)
            attributes["actors.correlation_id"] = str(envelope.correlation_id)
            attributes["actors.message_id"] = envelope.message_id
            if envelope.topic is not None:
                attributes["actors.topic"] = envelope.topic
        return _HandlerSpan(
            self.tracer, f"{cell.actor_class} receive", parent, attributes, envelope
        )


class _HandlerSpan:
    """The span of one handled message, current while the handler runs."""

    __slots__ = ("_attributes", "_envelope", "_name", "_parent", "_span", "_token", "_tracer")

    def __init__(
        self,
        tracer: trace.Tracer,
        name: str,
        parent: otel_context.Context | None,
        attributes: dict[str, Any],
        envelope: Any,
    ) -> None:
        self._tracer = tracer
        self._name = name
        self._parent = parent
        self._attributes = attributes
        self._envelope = envelope
        self._span: trace.Span | None = None
        self._token: object = None

    def __enter__(self) -> trace.Span:
        span = self._tracer.start_span(
            self._name,
            context=self._parent,
            kind=trace.SpanKind.CONSUMER,
            attributes=self._attributes,
        )
        self._span = span
        self._token = otel_context.attach(trace.set_span_in_context(span))
        if self._envelope is not None:
            # Messages sent while handling inherit the envelope's trace: make it this span.
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            self._envelope.trace = carrier or None
        return span

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        span = self._span
        assert span is not None
        if exc is not None and isinstance(exc, Exception):
            span.record_exception(exc)
            span.set_status(trace.Status(trace.StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        span.end()
        otel_context.detach(self._token)  # type: ignore[arg-type]
