"""Fixtures of the security tests: `site` is (app, database URL) over a fresh SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from tests.security.support import make_app


@pytest.fixture
def site(tmp_path: Path) -> tuple[Flask, str]:
    return make_app(tmp_path)
