"""The durable events example (docs/how-to/durable-events.md)."""
