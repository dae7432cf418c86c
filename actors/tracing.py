"""Distributed tracing with OpenTelemetry (the optional extra ``otel``:
``pip install "actor-supervision[otel]"``).

Once ``enable()`` is called, the W3C trace context travels with every ``tell``, ``ask`` and
``publish``: a message sent outside any handler takes the caller's current span as its
parent (an HTTP request's server span, say), and a message sent while handling another
inherits the handling span. Each handled message becomes a span (``"<ActorClass>
receive"``, kind ``CONSUMER``, with the actor's path, message type and correlation id as
attributes, the handler's exception recorded), so a request through HTTP and several actors
is one trace. Which traces are recorded is the tracer provider's sampler's choice
(``ParentBased(TraceIdRatioBased(0.1))`` keeps a tenth of the traces, whole); unsampled
traces still propagate their context.

Until ``enable()`` is called nothing of OpenTelemetry is imported and messages carry no
trace context: importing this module costs nothing either.
"""

from __future__ import annotations

import typing

from actors._core import _ambient, _trace_hooks

__all__ = ["disable", "enable", "is_enabled"]


def enable(*, tracer_provider: typing.Any = None, spans: bool = True) -> None:
    """Trace messages from now on, in every actor system of the process.

    Args:
        tracer_provider: the OpenTelemetry ``TracerProvider`` to create spans with; default
            the global one (``opentelemetry.trace.set_tracer_provider``).
        spans: make each handled message a span; ``False`` only carries the trace context
            along (a handler's own spans then join the sender's trace).

    Actors whose incarnation started before the call handle messages without spans until
    they restart: enable tracing before spawning.

    Raises:
        ImportError: ``opentelemetry-api`` is not installed (the ``otel`` extra).
    """
    try:
        from opentelemetry import trace
    except ImportError as error:  # pragma: no cover - the dev environment has it
        raise ImportError(
            "actors.tracing needs opentelemetry-api: pip install 'actor-supervision[otel]'"
        ) from error
    from actors._tracing import Instrumentation

    provider = trace.get_tracer_provider() if tracer_provider is None else tracer_provider
    instrumentation = Instrumentation(provider.get_tracer("actors"), bool(spans))
    if _trace_hooks.trace_source is None:
        _ambient.adjust_active(1)
    _trace_hooks.trace_source = instrumentation.trace_source
    _trace_hooks.wrap_receive = instrumentation.wrap_receive


def disable() -> None:
    """Stop tracing: new messages carry no trace context, and incarnations started from now
    on make no spans. Idempotent."""
    if _trace_hooks.trace_source is not None:
        _ambient.adjust_active(-1)
    _trace_hooks.trace_source = None
    _trace_hooks.wrap_receive = None


def is_enabled() -> bool:
    """Whether ``enable()`` is in effect."""
    return _trace_hooks.trace_source is not None
