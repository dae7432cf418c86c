"""``python -m supervision``: the ``supervise`` command."""

from __future__ import annotations

from supervision._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
