"""The architecture of DESIGN.md, checked on the source: imports flow webapp → roi → surveys."""

from __future__ import annotations

import ast
import re
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


# --- no import circles between files -----------------------------------------------------------------------

def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, at module level or inside functions, except those under `if TYPE_CHECKING:`."""
    typing_only = {id(child) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(node.test) for child in ast.walk(node)}
    return [node for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in typing_only]


def import_graph(packages: tuple[str, ...] = ("surveys", "roi", "webapp")) -> dict[str, set[str]]:
    """Which module of the packages imports which (a package's `__init__` is the package's own name)."""
    modules = {_module_name(path): path for package in packages for path in (ROOT / package).rglob("*.py")
               if "migrations" not in path.parts}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        targets: set[str] = set()
        for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                prefix = base[: len(base) - node.level + 1] if node.level else []
                source = ".".join([*prefix, *([node.module] if node.module else [])])
                submodules = [f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in modules]
                candidates = submodules + ([source] if len(submodules) < len(node.names) else [])
            for candidate in candidates:
                while candidate not in modules and "." in candidate:
                    candidate = candidate.rsplit(".", 1)[0]
                if candidate in modules and candidate != name:
                    targets.add(candidate)
        graph[name] = targets
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def test_no_import_circle_between_files() -> None:
    assert import_cycles(import_graph()) == []


def test_the_cycle_check_finds_a_circle() -> None:
    # guard against a check that cannot fail: a planted circle a → b → c → a, and a tail d → a outside it
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_cycles(graph) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []


# --- question types are named only where they are declared --------------------------------------------------

QUESTION_CLASS = re.compile(r"\b[A-Z][A-Za-z]*Question\b")
GENERIC = {"QuestionBase", "ScaleQuestion", "Question"}


def test_no_code_outside_the_declarations_names_a_concrete_question_class() -> None:
    offenders = {}
    for package in ("surveys", "roi", "webapp"):
        for path in (ROOT / package).rglob("*.py"):
            if path.parent == ROOT / "surveys" / "questions":
                continue  # the declarations themselves
            names = set(QUESTION_CLASS.findall(path.read_text(encoding="utf-8"))) - GENERIC
            if names:
                offenders[str(path.relative_to(ROOT))] = sorted(names)
    assert offenders == {}
