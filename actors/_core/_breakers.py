"""The circuit breakers a system knows by name (``ActorSystem.circuit_breaker``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from actors._core._breaker import CircuitBreaker

__all__ = ["CircuitBreakers"]


class CircuitBreakers:
    """Breakers by name, in registration order; one per name for the system's lifetime, so an
    actor that asks for its breaker again after a restart gets the same one, state and all."""

    __slots__ = ("_by_name",)

    def __init__(self) -> None:
        self._by_name: dict[str, CircuitBreaker] = {}

    def get(self, name: str, settings: dict[str, Any]) -> CircuitBreaker:
        """The breaker named ``name``, made from ``settings`` on first use.

        Raises:
            ValueError: ``settings`` differ from those of the breaker already registered
                under ``name``, or are out of range.
            TypeError: an unknown setting.
        """
        existing = self._by_name.get(name)
        if existing is not None and not settings:
            return existing
        breaker = CircuitBreaker(name=name, **settings)  # validates, also for an existing name
        if existing is None:
            self._by_name[name] = breaker
            return breaker
        if existing.settings() != breaker.settings():
            raise ValueError(
                f"circuit breaker {name!r} already exists with other settings:"
                f" {existing.settings()}, asked for {breaker.settings()}"
            )
        return existing

    def __iter__(self) -> Iterator[CircuitBreaker]:
        return iter(tuple(self._by_name.values()))

    def __len__(self) -> int:
        return len(self._by_name)
