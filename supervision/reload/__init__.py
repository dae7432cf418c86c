"""Reloading a running tree from a new spec: the diff, its plan, and applying it.

An implementation package: its modules are private; the public names (``apply_tree``,
``plan_reload``, ``diff_trees``, ``ReloadPlan``, ``ReloadChange``, ``ReloadError``) are
exported from ``supervision``.
"""
