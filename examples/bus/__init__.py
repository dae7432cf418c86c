"""The event bus example (docs/how-to/event-bus.md)."""
