"""The model pages: survival curves and Cox models, the retention (logistic) and revenue (linear) models.

One table per outcome gives each metric's own model (the metric's estimate, its interval, n and how it was
fitted); a second gives every term of the joint model. Numbers are read from results.json and formatted only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import formatting as f
from .charts import Curve, build_survival_curves
from .content import Block, Figure, Section, Subheading, Table, Text
from .reading import get, mapping, not_available, records
from .summary import control_words, metric_label

METHOD_WORDS = {"mle": "maximum likelihood", "firth": "Firth (penalised, after separation)",
                "cox_breslow": "Cox, Breslow ties", "cox_efron": "Cox, Efron ties", "ols_hc3": "OLS, HC3 robust SE",
                "ols_cluster": "OLS, SE clustered by account", "not_estimated": "not estimated"}


def _method(model: Mapping[str, Any]) -> str:
    method = model.get("method")
    return METHOD_WORDS.get(str(method), str(method)) if method else f.MISSING


def _metric_term(model: Mapping[str, Any]) -> Mapping[str, Any]:
    """The term of a single-metric model that belongs to the metric (named like the model)."""
    return next((t for t in records(model, "terms") if t.get("name") == model.get("name")), {})


def _single_models_table(results: Mapping[str, Any], key: str, ratio_key: str, ratio_title: str) -> Table:
    """One row per metric: its own model's estimate for the metric, with the model's n and method."""
    header = ["Metric", "Coef.", "95% CI"]
    if ratio_key:
        header += [ratio_title, "Ratio 95% CI"]
    header += ["p", "q", "n", "Method"]
    rows = []
    for model in records(results, f"{key}.models"):
        term = _metric_term(model)
        note = term.get("ci_note")
        row = [metric_label(results, model.get("name")), f.stat(term.get("coef")),
               f.interval(term.get("ci"), f.stat, note)]
        if ratio_key:
            row += [f.stat(term.get(ratio_key)), f.interval(term.get(f"{ratio_key}_ci"), f.stat, note)]
        row += [f.p_value(term.get("p")), f.p_value(term.get("q")), f.count(model.get("n")), _method(model)]
        rows.append(row)
    if ratio_key:
        widths: tuple[float, ...] = (0.18, 0.08, 0.14, 0.07, 0.13, 0.07, 0.07, 0.07, 0.19)
        numeric: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)
    else:
        widths, numeric = (0.24, 0.12, 0.21, 0.08, 0.08, 0.09, 0.18), (1, 2, 3, 4, 5)
    return Table(header, rows, numeric=numeric, widths=widths)


def _joint_table(model: Mapping[str, Any], results: Mapping[str, Any], ratio_key: str, ratio_title: str) -> Table:
    header = ["Term", "Coef.", "Std. error", "95% CI"]
    if ratio_key:
        header += [ratio_title, "Ratio 95% CI"]
    header.append("p")
    rows = []
    for term in records(model, "terms"):
        note = term.get("ci_note")
        row = [metric_label(results, term.get("name")), f.stat(term.get("coef")), f.stat(term.get("se")),
               f.interval(term.get("ci"), f.stat, note)]
        if ratio_key:
            row += [f.stat(term.get(ratio_key)), f.interval(term.get(f"{ratio_key}_ci"), f.stat, note)]
        row.append(f.p_value(term.get("p")))
        rows.append(row)
    if ratio_key:
        return Table(header, rows, numeric=(1, 2, 3, 4, 5, 6), widths=(0.22, 0.11, 0.1, 0.17, 0.1, 0.18, 0.12))
    return Table(header, rows, numeric=(1, 2, 3, 4), widths=(0.3, 0.16, 0.14, 0.26, 0.14))


def _model_blocks(results: Mapping[str, Any], key: str, title: str, ratio_key: str, ratio_title: str
                  ) -> list[Block]:
    part = mapping(results, key)
    blocks: list[Block] = [Subheading(title)]
    if not records(part, "models") and not mapping(part, "joint"):
        return [*blocks, Text(not_available(f"The {key} models", f"{key}.models"))]
    controls = part.get("controls")
    if isinstance(controls, list) and controls:
        blocks.append(Text("Each model also holds fixed: " + ", ".join(map(control_words, controls)) + ".", "small"))
    if records(part, "models"):
        blocks.append(_single_models_table(results, key, ratio_key, ratio_title))
    joint = mapping(part, "joint")
    if records(joint, "terms"):
        events = f", events = {f.count(joint.get('events'))}" if joint.get("events") is not None else ""
        blocks.append(Text(f"All summary metrics together (joint model, n = {f.count(joint.get('n'))}{events}, "
                           f"{_method(joint)}):", "small"))
        blocks.append(_joint_table(joint, results, ratio_key, ratio_title))
    return blocks


def duration_words(survival: Mapping[str, Any]) -> tuple[str, str, str]:
    """(axis title, phrase, what the clock measures) for the survival time axis, from `survival.duration`:
    the words say what is plotted — time since the survey, or each customer's whole tenure."""
    duration = survival.get("duration")
    if isinstance(duration, str) and duration.startswith("submitted_at"):
        return ("Months since the survey", "months since the customer answered the survey",
                "The clock starts when each customer answered the survey, not when they became a customer.")
    whole = "The time axis is each customer's whole tenure, not time since the survey."
    if duration == "tenure_months":
        return "Months of tenure (months as a customer)", "months as a customer (tenure)", whole
    if isinstance(duration, str) and "start_date" in duration:
        return ("Months as a customer (start date to end date, or to the latest date)",
                "months as a customer, from the start date", whole)
    return ("Months of duration (results.json has no `survival.duration`)", "months of duration",
            "The results do not say where the clock starts.")


def build_survival(results: Mapping[str, Any]) -> Section | None:
    """Survival curves by score band and the Cox models, when the outcomes had durations (else None)."""
    survival = mapping(results, "survival")
    if not survival:
        return None
    axis_title, phrase, clock = duration_words(survival)
    blocks: list[Block] = [Text(
        f"How long customers stay, by score band: each curve is the share still with us after a given number of "
        f"{phrase} (Kaplan–Meier). {clock} "
        "Curves that separate early and stay apart mean the score tells who leaves first. "
        "A hazard ratio below 1 means customers with a higher score leave later.")]
    curves = []
    for curve in records(survival, "curves"):
        times, shares = curve.get("times"), curve.get("survival")
        if not (isinstance(times, list) and isinstance(shares, list) and times and len(times) == len(shares)):
            continue
        xs, ys = [f.number(t) for t in times], [f.number(s) for s in shares]
        if all(x is not None for x in xs) and all(y is not None for y in ys):  # a malformed curve is left out
            curves.append(Curve(str(curve.get("band")), [float(x or 0) for x in xs], [float(y or 0) for y in ys]))
    if curves:
        blocks.append(Figure(build_survival_curves(curves, time_title=axis_title),
                             f"Share of customers still with us against {phrase}, by score band "
                             "(Kaplan–Meier estimates)."))
    else:
        blocks.append(Text(not_available("Survival curves by score band", "survival.curves")))
    blocks += _model_blocks(results, "survival", "Cox proportional-hazards models", "hazard_ratio", "Hazard ratio")
    return Section("How long customers stay", blocks)


def build_models(results: Mapping[str, Any]) -> Section:
    """The model tables: retention (logistic, odds ratios) and revenue (robust standard errors)."""
    blocks: list[Block] = [Text(
        "The fitted models behind the figures, for readers who want to check them. Coefficients are per one "
        "point of the metric. An odds ratio below 1 means a higher value goes with less churn; an interval "
        "that includes 1 (ratios) or 0 (coefficients) means the data cannot tell the direction. With many metrics "
        "some look linked by chance: q is the p-value adjusted for the false-discovery rate across the metrics "
        "of one table (Benjamini–Hochberg), and a metric counts as linked only when q is below 0.05.")]
    blocks += _model_blocks(results, "retention", "Retention: logistic regression of churn", "odds_ratio",
                            "Odds ratio")
    unit = get(results, "revenue.unit")
    blocks += _model_blocks(results, "revenue", "Revenue: linear regression" + (f" ({unit})" if unit else ""),
                            "", "")
    return Section("Model tables", blocks)
