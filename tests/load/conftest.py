"""The load smoke tests import the benchmark harness (`benchmarks/` at the repository root), which is not an
installed package: make it importable however pytest is started."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
