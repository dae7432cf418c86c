"""Supervision trees on top of the ``actors`` kernel (work in progress)."""

__all__: list[str] = []
