"""The event bus example (docs/tutorial/event-bus.md)."""
