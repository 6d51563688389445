"""What each theme costs: churn and revenue of the customers who mention it, and the revenue at risk.

For every theme mentioned by at least `MIN_CUSTOMERS` analysed customers (fewer are listed, not modelled):

* churn of those who mention it and of everyone else, each with Wilson's 95% interval, and the difference
  with Newcombe's hybrid-score interval (statsmodels `confint_proportions_2indep`);
* the **retention model of the themes**: one logistic model of churn on every modelled theme's 0/1
  indicator together, with the analysis' controls (`roi.retention.fit_logit_model`: the same fit, Firth
  under separation, and the same honesty warnings as the metrics' models). Each theme's odds ratio is
  relative to customers who do not mention it, the other themes held fixed; a 95% interval including 1
  gives a `no_effect` warning;
* the **revenue model of the themes**: revenue (or its change) on the same indicators and controls
  (`roi.revenue.fit_ols_model`, HC3 or cluster-robust errors);
* the **drivers**: relative importance of the modelled themes for churn and for revenue
  (`roi.drivers.estimate_drivers`, Johnson's relative weights with a bootstrap interval), as for the items;
* **revenue at risk**: Σ P(churn) × revenue over the customers who mention the theme, and the part of it
  that goes with the theme — Σ (P(churn | x) − P(churn | x without the theme)) × revenue — with a 95%
  interval from parametric draws of the money churn model's coefficients (`roi.money.churn_model`, as for
  the headline revenue at risk). Themes are ranked by that excess.

Themes are associations, not causes: customers who complain about a thing may leave for other reasons
that come with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from .. import diagnostics
from ..drivers import estimate_drivers
from ..fitting import (
    CONTROL_LABELS,
    account_codes,
    build_design,
    control_frame,
    finite_or_none,
    interval_or_none,
    percentile_interval,
)
from ..money.churn_model import drawn_totals, fit_churn_model
from ..results import FittedModel
from ..retention import fit_logit_model
from ..revenue import fit_ols_model
from ..types import AnalysisData, Metric, RoiWarning
from .coding import CodedComments, theme_column

MIN_CUSTOMERS = 30
"""A theme mentioned by fewer analysed customers than this is listed, not modelled."""
MAX_MODELLED = 20
"""At most this many themes (the most mentioned) enter the models together."""


@dataclass(frozen=True)
class ThemeImpact:
    """The themes section of results.json (docs/results.md, `themes`)."""

    customers: int
    commenters: int
    codebook: dict[str, Any]
    themes: tuple[dict[str, Any], ...]
    retention: FittedModel | None
    revenue: FittedModel | None
    controls: tuple[str, ...]
    period: str
    warnings: tuple[RoiWarning, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    drivers: dict[str, Any] = field(default_factory=dict)
    """`roi.drivers.estimate_drivers` over the modelled themes, by outcome (churned, revenue)."""

    def ranking(self) -> list[str]:
        """Modelled themes by excess revenue at risk, largest first (then by churn difference)."""
        def largest_first(value: float | None) -> float:
            return -value if value is not None else np.inf  # unknown amounts last

        modelled = [t for t in self.themes if t["modelled"]]
        modelled.sort(key=lambda t: (largest_first(t["revenue_at_risk"]["excess"]),
                                     largest_first(t["churn"]["difference"])))
        return [t["id"] for t in modelled]

    def to_dict(self) -> dict[str, Any]:
        return {
            "customers": self.customers, "commenters": self.commenters, "min_customers": MIN_CUSTOMERS,
            "codebook": self.codebook, "controls": [CONTROL_LABELS.get(c, c) for c in self.controls],
            "period": self.period, "ranking": self.ranking(), "themes": list(self.themes),
            "retention_model": self.retention.to_dict("odds_ratio") if self.retention else None,
            "revenue_model": self.revenue.to_dict() if self.revenue else None,
            "drivers": self.drivers or None,
            "notes": list(self.notes), "warnings": [w.to_dict() for w in self.warnings],
        }


def _rate(churned: int, n: int) -> dict[str, Any]:
    if n == 0:
        return {"n": 0, "churned": 0, "rate": None, "ci": [None, None]}
    low, high = proportion_confint(churned, n, alpha=0.05, method="wilson")
    return {"n": n, "churned": churned, "rate": churned / n, "ci": interval_or_none(low, high)}


def churn_comparison(churn: np.ndarray, mentioned: np.ndarray) -> dict[str, Any]:
    """Churn of those who mention a theme vs the rest: rates with Wilson intervals, the difference with
    Newcombe's interval (customers with unknown churn left out)."""
    known = np.isfinite(churn)
    inside, outside = known & mentioned, known & ~mentioned
    a, n1 = int(churn[inside].sum()), int(inside.sum())
    b, n0 = int(churn[outside].sum()), int(outside.sum())
    out: dict[str, Any] = {"mentioned": _rate(a, n1), "others": _rate(b, n0), "difference": None,
                           "difference_ci": [None, None]}
    if n1 and n0:
        low, high = confint_proportions_2indep(a, n1, b, n0, method="newcomb", compare="diff")
        out["difference"] = a / n1 - b / n0
        out["difference_ci"] = interval_or_none(low, high)
    return out


def _sentiment(coded: CodedComments, j: int) -> dict[str, Any]:
    members = coded.indicators[:, j] > 0
    status = np.array(coded.sentiment_status, dtype=object)
    scores = coded.sentiment[members & (status == "scored")]
    return {"scored": int(len(scores)), "not_available": int((members & (status == "not_available")).sum()),
            "mean": finite_or_none(scores.mean()) if len(scores) else None,
            "positive": finite_or_none(np.mean(scores >= 0.05)) if len(scores) else None,
            "negative": finite_or_none(np.mean(scores <= -0.05)) if len(scores) else None}


def _term(model: FittedModel | None, name: str) -> dict[str, Any]:
    term = model.term(name) if model is not None else None
    if term is None:
        return {"coef": None, "ci": [None, None], "p": None}
    return {"coef": finite_or_none(term.coef), "ci": interval_or_none(*term.ci), "p": finite_or_none(term.p),
            "ratio": finite_or_none(term.ratio), "ratio_ci": interval_or_none(*term.ratio_ci)}


def estimate_theme_impact(data: AnalysisData, coded: CodedComments, texts: Sequence[str], *, seed: int,
                          replicates: int = 200, codebook: dict[str, Any] | None = None,
                          examples: Sequence[Sequence[str]] | None = None) -> ThemeImpact:
    """Theme by theme churn, models and revenue at risk over `data.frame` (one coded comment per row)."""
    frame = data.frame.copy()
    found: list[RoiWarning] = []
    notes: list[str] = []
    n = len(frame)
    commenters = int(sum(1 for t in texts if t))
    churn = pd.to_numeric(frame["churned"], errors="coerce").to_numpy(float) if "churned" in frame else \
        np.full(n, np.nan)
    counts = coded.indicators.sum(axis=0)
    eligible = [j for j in np.argsort(-counts, kind="stable") if counts[j] >= MIN_CUSTOMERS]
    modelled = sorted(eligible[:MAX_MODELLED])
    if len(eligible) > MAX_MODELLED:
        notes.append(f"{len(eligible) - MAX_MODELLED} theme(s) mentioned by at least {MIN_CUSTOMERS} customers "
                     f"were left out of the models: at most {MAX_MODELLED} themes are modelled together")
    names = [theme_column(coded.themes[j].id) for j in modelled]
    for j, name in zip(modelled, names, strict=True):
        frame[name] = coded.indicators[:, j].astype(float)
    controls = control_frame(frame, data.controls)
    retention = revenue = None
    if modelled and "churned" in frame:
        X_all = np.column_stack([frame[names].to_numpy(float), controls.to_numpy(float)])
        keep = np.isfinite(churn) & np.all(np.isfinite(X_all), axis=1)
        label = "Retention model of the themes"
        found.extend(diagnostics.check_collinearity(names, X_all[keep][:, : len(names)], model=label))
        retention, notes_found = fit_logit_model(churn[keep], X_all[keep], [*names, *controls.columns],
                                                 name="themes", kind="joint", subject="themes", label=label,
                                                 separating=0 if len(names) == 1 else None)
        found.extend(notes_found)
    if modelled and "revenue" in frame and frame["revenue"].notna().any():
        revenue = _revenue_model(data, frame, names, found)
    risk = _revenue_at_risk(data, frame, names, seed=seed, replicates=replicates, found=found) \
        if modelled and "churned" in frame and "revenue" in frame else {}
    drivers: dict[str, Any] = {}
    if len(modelled) >= 2:  # relative importance of the themes, as for the survey's items
        items = tuple(Metric(name, name, "lower_is_better", (0.0, 1.0), "theme", coded.themes[j].name)
                      for j, name in zip(modelled, names, strict=True))
        theme_data = replace(data, frame=frame, metrics=items, items=items)
        outcomes: tuple[Literal["churned", "revenue"], ...] = ("churned", "revenue")
        for offset, outcome in enumerate(outcomes):
            if outcome in frame and frame[outcome].notna().any():
                analysis = estimate_drivers(theme_data, outcome=outcome, seed=seed + 101 + offset,
                                            replicates=replicates)
                found.extend(analysis.warnings)
                drivers[outcome] = analysis.to_dict()
    rows = []
    for j, theme in enumerate(coded.themes):
        mentioned = coded.indicators[:, j] > 0
        column = theme_column(theme.id)
        row: dict[str, Any] = {
            "id": theme.id, "name": theme.name, "column": column, "customers": int(mentioned.sum()),
            "share_of_commenters": (float(mentioned.sum()) / commenters) if commenters else None,
            "sentiment": _sentiment(coded, j), "churn": churn_comparison(churn, mentioned),
            "modelled": j in modelled,
            "reason": None if j in modelled else (
                f"mentioned by {int(mentioned.sum())} customers, fewer than {MIN_CUSTOMERS}"
                if counts[j] < MIN_CUSTOMERS else f"more than {MAX_MODELLED} themes qualified"),
            "retention": _term(retention, column) if j in modelled else None,
            "revenue": _term(revenue, column) if j in modelled else None,
            "revenue_at_risk": risk.get(column, {"among_mentioners": None, "excess": None,
                                                 "excess_ci": [None, None]}),
            "examples": list(examples[j]) if examples is not None else [],
        }
        effect = row["retention"]
        if effect is not None and retention is not None and retention.method in ("mle", "firth"):
            low, high = effect["ci"]
            if low is not None and high is not None and low <= 0 <= high:
                found.append(RoiWarning("no_effect", column,
                                        f"Retention model of the themes: the 95% interval of the odds ratio of "
                                        f"“{theme.name}” ({effect['ratio_ci'][0]:.3g} to {effect['ratio_ci'][1]:.3g}) "
                                        "includes 1; these data show no clear link between this theme and churn."))
        rows.append(row)
    return ThemeImpact(n, commenters, codebook or {"version": coded.codebook_version}, tuple(rows), retention,
                       revenue, tuple(controls.columns), data.revenue_period, tuple(diagnostics.unique(found)),
                       tuple(notes), drivers)


def _revenue_model(data: AnalysisData, frame: pd.DataFrame, names: list[str],
                   found: list[RoiWarning]) -> FittedModel:
    has_prior = "revenue_prior" in frame.columns and frame["revenue_prior"].notna().any()
    y_all = (frame["revenue"] - frame["revenue_prior"]).to_numpy(float) if has_prior else \
        frame["revenue"].to_numpy(float)
    wanted = [c for c in data.controls if c not in ("revenue", "revenue_prior")] + (["revenue_prior"] if has_prior
                                                                                   else [])
    controls = control_frame(frame, wanted)
    X_all = np.column_stack([frame[names].to_numpy(float), controls.to_numpy(float)])
    keep = np.isfinite(y_all) & np.all(np.isfinite(X_all), axis=1)
    groups = account_codes(frame)
    model, notes = fit_ols_model(y_all[keep], X_all[keep], [*names, *controls.columns], name="themes",
                                 kind="joint", subject="themes", label="Revenue model of the themes",
                                 groups=groups[keep] if groups is not None else None)
    found.extend(notes)
    return model


def _revenue_at_risk(data: AnalysisData, frame: pd.DataFrame, names: list[str], *, seed: int, replicates: int,
                     found: list[RoiWarning]) -> dict[str, dict[str, Any]]:
    with_revenue = frame[frame["revenue"].notna()]
    columns = [*names, *(c for c in data.controls if c in frame.columns)]
    model, used, notes = fit_churn_model(with_revenue, columns, subject="revenue at risk by theme")
    found.extend(notes)
    if model is None:
        return {}
    rows = with_revenue[used]
    X = build_design(rows, columns).to_numpy(float)
    revenue = rows["revenue"].to_numpy(float)
    now = model.probabilities(X, model.fit.params[:, None])[:, 0]
    out = {}
    for index, name in enumerate(names):
        inside = X[:, index] > 0
        X_in = X[inside]
        X_without = X_in.copy()
        X_without[:, index] = 0.0
        before = model.probabilities(X_without, model.fit.params[:, None])[:, 0]
        excess = float(((now[inside] - before) * revenue[inside]).sum())
        draws = drawn_totals(model, X_in, revenue[inside], replicates=replicates, seed=seed + index,
                             X_after=X_without) if replicates and inside.any() else np.array([])
        out[name] = {"among_mentioners": float((now[inside] * revenue[inside]).sum()), "excess": excess,
                     "excess_ci": interval_or_none(*percentile_interval(draws)), "n": int(inside.sum())}
    return out
