"""The runtime's logger. The library never configures logging; applications do.

Debug events (one per actor start or stop) are guarded by ``debug_enabled`` so that an
unconfigured structlog, which prints every level, is not flooded by them.
"""

from __future__ import annotations

import structlog

logger = structlog.get_logger("actors")

debug_enabled = False
