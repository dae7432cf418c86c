"""Observability built on the core: statistics, health and the accounting of retired actors.
The public modules ``actors.logging`` and ``actors.metrics`` belong to this layer too."""
