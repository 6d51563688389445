"""Helpers shared by the roi tests (imported by name: `from tests.roi.support import wilson`)."""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass

from pypdf import PdfReader


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson score interval, written out from its formula (z = 1.959964)."""
    z = 1.959964
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def pdf_text(data: bytes) -> list[str]:
    """Text of each page of a PDF, runs of whitespace (line breaks of wrapped paragraphs) made single spaces."""
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages]


@dataclass(frozen=True)
class RenderedReport:
    """A finance PDF rendered once and shared by the tests that only read it (tests/roi/conftest.py)."""

    data: bytes
    pages: tuple[str, ...]
