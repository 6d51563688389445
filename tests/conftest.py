"""Shared fixtures. Tests write real files under pytest's tmp_path; nothing is mocked that can run here."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / "tests" / "data"


@pytest.fixture
def example_path() -> Path:
    return ROOT / "examples" / "relationship.yaml"
