"""The results of an analysis: fitted-model shapes, the `Results` object and `results.json` I/O.

`results.json` is documented field by field in docs/results.md. NaN and infinities never reach the JSON:
`to_jsonable` turns them into null.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from surveys.errors import CxroiError

from .types import RoiWarning

SCHEMA_VERSION = 2
"""2 since the retention models carry their coefficient `covariance` (issue 11); 1 before, the same layout
without it. A reader of version 1 still works on version 2 (the field is added, nothing removed)."""


def number(value: Any) -> float | None:
    """A finite float, or None for None/NaN/inf."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def to_jsonable(value: Any) -> Any:
    """Plain JSON data from nested dicts/lists/tuples/numpy scalars; NaN and ±inf become None."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return number(value)
    if value is None or isinstance(value, str):
        return value
    if hasattr(value, "to_dict"):
        return to_jsonable(value.to_dict())
    return str(value)


CI_NOTES = {
    "not estimated": "the model could not be fitted (see its notes), so there is no estimate and no interval",
    "no interval": "the standard error is infinite or could not be computed, so no interval is given",
    "zero width": "the interval has no width (a standard error of zero), which measures nothing; no interval is "
                  "given",
    "unbounded": "the data put no limit on one side of the interval (that end is null)",
}
"""The words a degenerate interval carries in results.json (`ci_note`) instead of numbers (docs/results.md)."""


ZERO_WIDTH = 1e-9
"""An interval narrower than this (relative to its ends, at least 1) has no width: a standard error of zero up to
rounding, as an exact fit or a constant outcome gives."""


def interval_note(coef: float | None, ci: tuple[float | None, float | None]) -> str | None:
    """None for an ordinary interval, else the key of `CI_NOTES` that describes it: the fit failed (no
    coefficient), both ends missing or infinite, one end missing or infinite, or both ends equal."""
    if number(coef) is None:
        return "not estimated"
    low, high = number(ci[0]), number(ci[1])
    if low is None and high is None:
        return "no interval"
    if low is None or high is None:
        return "unbounded"
    return "zero width" if high - low <= ZERO_WIDTH * max(1.0, abs(low), abs(high)) else None


@dataclass(frozen=True)
class Term:
    """One coefficient of a fitted model, per one unit of its column as it is in the data.

    `ratio` is the odds ratio (logistic) or hazard ratio (Cox), exp(coef), with `ratio_ci` = exp(ci);
    None for linear models. `ame` is the average marginal effect on the churn probability (logistic only).
    """

    name: str
    coef: float | None
    se: float | None
    ci: tuple[float | None, float | None]
    p: float | None
    ratio: float | None = None
    ratio_ci: tuple[float | None, float | None] = (None, None)
    ame: float | None = None
    ame_se: float | None = None
    q: float | None = None
    """The metric's Benjamini–Hochberg q-value across the section's single-metric models (metric terms only)."""

    def to_dict(self, ratio_name: str | None = None) -> dict[str, Any]:
        """The term's results.json entry. A degenerate interval (`interval_note`) is written as words, `ci_note`,
        with its ends null: a zero-width interval's two equal numbers are not written as if they were one."""
        note = interval_note(self.coef, self.ci)
        ci = [None, None] if note == "zero width" else [number(self.ci[0]), number(self.ci[1])]
        out: dict[str, Any] = {"name": self.name, "coef": number(self.coef), "se": number(self.se), "ci": ci,
                               "p": number(self.p)}
        if note is not None:
            out["ci_note"] = note
        if self.q is not None:
            out["q"] = number(self.q)
        if ratio_name:
            out[ratio_name] = number(self.ratio)
            out[f"{ratio_name}_ci"] = [None, None] if note == "zero width" else \
                [number(self.ratio_ci[0]), number(self.ratio_ci[1])]
        if ratio_name == "odds_ratio":
            out["ame"] = number(self.ame)
            out["ame_se"] = number(self.ame_se)
        return out


@dataclass(frozen=True)
class FittedModel:
    """One fitted model: `name` is the metric (or "joint"), `method` how it was estimated.

    Methods: "mle" (maximum likelihood), "firth" (penalised likelihood after separation), "cox_efron", "cox_breslow",
    "ols_hc3", "ols_cluster", "not_estimated" (then every term's numbers are None and `notes` say why).
    """

    name: str
    kind: str  # "single" or "joint"
    method: str
    n: int
    terms: tuple[Term, ...]
    events: int | None = None
    predictors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    tabulation: tuple[dict[str, Any], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def term(self, name: str) -> Term | None:
        return next((t for t in self.terms if t.name == name), None)

    def to_dict(self, ratio_name: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "method": self.method, "n": self.n}
        if self.events is not None:
            out["events"] = self.events
        out["predictors"] = list(self.predictors)
        out["terms"] = [t.to_dict(ratio_name) for t in self.terms]
        out["notes"] = list(self.notes)
        if self.tabulation:
            out["tabulation"] = list(self.tabulation)
        out.update(self.extra)
        return out


def empty_terms(names: Sequence[str]) -> tuple[Term, ...]:
    """Terms with null estimates, for a model that could not be estimated."""
    return tuple(Term(name, None, None, (None, None), None) for name in names)


@dataclass(frozen=True)
class Results:
    """Everything `analyze` produces; `to_dict()` is the results.json document (docs/results.md)."""

    inputs: dict[str, Any]
    data_quality: dict[str, Any]
    warnings: tuple[RoiWarning, ...]
    metrics: list[dict[str, Any]]
    retention: dict[str, Any]
    survival: dict[str, Any] | None
    revenue: dict[str, Any] | None
    metric_comparison: dict[str, Any] | None = None
    drivers: dict[str, Any] | None = None
    scenario: dict[str, Any] | None = None
    revenue_at_risk: dict[str, Any] | None = None
    segments: dict[str, Any] | None = None
    nonresponse: dict[str, Any] | None = None
    sentiment: dict[str, Any] | None = None
    churn_by_band: dict[str, Any] | None = None
    themes: dict[str, Any] | None = None
    """Open-text themes and what each costs (`roi.themes`, docs/themes.md)."""
    over_time: dict[str, Any] | None = None
    """Metrics per wave, their changes and the churn models per window (`roi.over_time`)."""
    programme: dict[str, Any] | None = None
    """The CX programme's realised effect, money value and ROI (`roi.programme`)."""
    customer_lifetime_value: dict[str, Any] | None = None
    """Survival-based customer lifetime value per segment (`roi.money.lifetime`)."""
    case_loop: dict[str, Any] | None = None
    """Retention of customers whose churn-risk case was closed vs comparable ones (`roi.case_loop`)."""

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable({
            "schema_version": SCHEMA_VERSION,
            "inputs": self.inputs,
            "data_quality": self.data_quality,
            "warnings": [w.to_dict() for w in self.warnings],
            "metrics": self.metrics,
            "metric_comparison": self.metric_comparison,
            "retention": self.retention,
            "survival": self.survival,
            "revenue": self.revenue,
            "drivers": self.drivers,
            "scenario": self.scenario,
            "revenue_at_risk": self.revenue_at_risk,
            "churn_by_band": self.churn_by_band,
            "segments": self.segments,
            "nonresponse": self.nonresponse,
            "sentiment": self.sentiment,
            "themes": self.themes,
            "over_time": self.over_time,
            "programme": self.programme,
            "customer_lifetime_value": self.customer_lifetime_value,
            "case_loop": self.case_loop,
        })


class InvalidResults(CxroiError, ValueError):
    """A results.json that cannot be read back."""


def to_results_json(results: Results | Mapping[str, Any]) -> str:
    """The JSON text of results (strict JSON: no NaN)."""
    data = results.to_dict() if isinstance(results, Results) else to_jsonable(results)
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_results(results: Results | Mapping[str, Any], path: str | Path) -> None:
    """Write results.json (UTF-8, strict JSON)."""
    Path(path).write_text(to_results_json(results), encoding="utf-8")


REQUIRED_KEYS = ("inputs", "data_quality", "warnings", "retention")


def read_results(path: str | Path) -> dict[str, Any]:
    """Read a results.json written by `write_results` as plain data; InvalidResults names what is wrong."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidResults(f"{path}: cannot read the file: {error}") from None
    except json.JSONDecodeError as error:
        raise InvalidResults(f"{path}: line {error.lineno}, column {error.colno}: {error.msg}") from None
    if not isinstance(data, dict):
        raise InvalidResults(f"{path}: expected a JSON object with {', '.join(REQUIRED_KEYS)}")
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise InvalidResults(f"{path}: not a cxroi results file (missing {', '.join(missing)})")
    if not isinstance(data["warnings"], list) or any(
        not isinstance(w, dict) or set(w) != {"code", "subject", "message"} for w in data["warnings"]
    ):
        raise InvalidResults(f"{path}: warnings: expected a list of {{code, subject, message}}")
    return data
