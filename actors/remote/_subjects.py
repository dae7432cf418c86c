"""Actor paths as NATS subject tokens."""

from __future__ import annotations

import re

__all__ = ["escape_path"]

# Subject tokens may not hold '.', '*', '>' or whitespace; actor names may (all but '/'
# and whitespace). Anything outside this set is written as %XX.
_UNSAFE = re.compile(r"[^A-Za-z0-9_$-]")


def escape_path(path: str) -> str:
    """``/shop/orders`` -> ``shop.orders``: one subject token per path segment."""
    return ".".join(
        _UNSAFE.sub(lambda match: "".join(f"%{byte:02X}" for byte in match[0].encode()), part)
        for part in path.strip("/").split("/")
    )
