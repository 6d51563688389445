"""The architecture of DESIGN.md, checked on the source: imports flow webapp → roi → surveys."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "surveys": {"flask", "flask_wtf", "wtforms", "sqlalchemy", "alembic", "webapp", "roi", "reportlab"},
    "roi": {"flask", "flask_wtf", "wtforms", "sqlalchemy", "alembic", "webapp"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_stays_free_of_outer_layers(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {file: names for file, names in offenders.items() if names} == {}


def test_the_check_sees_imports() -> None:
    # guard against a check that cannot fail: it must see the imports of a file that has them
    assert {"flask", "sqlalchemy"} <= imported_modules(ROOT / "tests" / "test_architecture_sample.txt")
