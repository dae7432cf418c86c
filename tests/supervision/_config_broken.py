"""A module that cannot be imported (a configuration names it)."""

raise RuntimeError("this module is broken on purpose")
