"""Side-by-side benchmarks: the runtime against raw asyncio, pykka, thespian and xoscar.

Run with ``make bench`` (or ``python -m benchmarks.run --help``); see
``docs/explanation/performance.md``.
"""
