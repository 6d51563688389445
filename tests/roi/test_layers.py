"""The floors of roi/, checked on the source: the feature modules stand on `roi.fitting` side by side.

A feature module (retention, survival, revenue, comparison, drivers, money, bands, segments, sentiment,
nonresponse) takes fits and helpers from `roi.fitting` (or the shared `diagnostics`, `results`, `types`,
`config`), never from another feature; the one exception is a feature using another's real result where
that is its meaning. `roi.fitting` imports no feature.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROI = Path(__file__).resolve().parents[2] / "roi"
FEATURES = {"retention", "survival", "revenue", "comparison", "drivers", "money", "bands", "segments", "sentiment",
            "nonresponse"}
RESULTS_USED = {("money", "nonresponse"): {"compare_nonresponse"}}
"""(feature, other feature) → what the first may import from the second: the scenario's non-response weights."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROI.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def roi_imports(path: Path) -> list[tuple[str, str]]:
    """(imported roi module, imported name or "*") for every import of roi code in `path`."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, "*") for alias in node.names if alias.name.split(".")[0] == "roi"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            if base.split(".")[0] != "roi":
                continue
            for alias in node.names:
                if node.module is None:  # from . import diagnostics: the name is a module
                    found.append((f"{base}.{alias.name}", "*"))
                else:
                    found.append((base, alias.name))
    return found


def layer(module: str) -> str:
    """'money' for roi.money.risk, 'fitting' for roi.fitting.logit, 'types' for roi.types."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "roi"


def test_the_resolver_sees_relative_imports() -> None:
    # guard against a check that cannot fail
    assert ("roi.fitting", "fit_logit") in roi_imports(ROI / "money" / "churn_model.py")
    assert ("roi.diagnostics", "*") in roi_imports(ROI / "retention.py")
    assert ("roi.nonresponse", "compare_nonresponse") in roi_imports(ROI / "money" / "scenario.py")


def test_features_take_helpers_from_fitting_not_from_each_other() -> None:
    borrowed = []
    for path in sorted(ROI.rglob("*.py")):
        own = layer(module_name(path))
        if own not in FEATURES:
            continue
        for module, name in roi_imports(path):
            other = layer(module)
            if other in FEATURES and other != own and name not in RESULTS_USED.get((own, other), set()):
                borrowed.append(f"{module_name(path)} imports {name} from {module}")
    assert borrowed == []


def test_fitting_imports_no_feature() -> None:
    upward = [f"{module_name(path)} imports {module}" for path in sorted((ROI / "fitting").rglob("*.py"))
              for module, _ in roi_imports(path) if layer(module) in FEATURES | {"analysis", "report"}]
    assert upward == []
