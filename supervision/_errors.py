"""The supervision part of the error hierarchy.

The classes are defined beside the kernel's errors (so that the kernel's worker pools can
give up the same way a supervisor does) and are public from here.
"""

from __future__ import annotations

from actors import RestartIntensityExceeded, SupervisionError

__all__ = ["RestartIntensityExceeded", "SupervisionError"]
