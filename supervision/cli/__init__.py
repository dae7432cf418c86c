"""The ``supervise`` command (``supervision.cli._main.main``, also ``python -m supervision``).

An implementation package: its modules are private, the command line is the interface.
"""
