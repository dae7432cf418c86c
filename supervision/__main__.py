"""``python -m supervision``: the ``supervise`` command."""

from __future__ import annotations

from supervision.cli._main import main

if __name__ == "__main__":
    raise SystemExit(main())
