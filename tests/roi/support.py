"""Helpers shared by the roi tests (imported by name: `from tests.roi.support import wilson`)."""

from __future__ import annotations

import math


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson score interval, written out from its formula (z = 1.959964)."""
    z = 1.959964
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half
