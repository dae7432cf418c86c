"""Supervision trees from configuration files: reading, checking, decoding and building.

An implementation package: its modules are private; the public names (``load_tree``,
``spawn_tree``, ``ConfigError``, the specs...) are exported from ``supervision``.
"""
