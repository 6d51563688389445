"""Page 1, the executive summary: the headline with its interval, revenue at risk, the best metric, the
warnings that matter most, in plain words for a finance reader."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import formatting as f
from .content import Block, Bullets, Section, Subheading, Table, Text
from .reading import first_text, get, mapping, not_available, records

# Most serious first: what can make a number wrong outranks what makes it imprecise. A secondary metric
# without an effect matters least; the headline metric's own warnings are put first whatever their code.
WARNING_ORDER = ("wrong_sign", "leakage", "parallel_trends", "not_identified", "separation", "miscalibration",
                 "low_match", "nonresponse_bias",
                 "no_definition", "non_convergence", "small_sample", "collinearity", "not_comparable", "non_linear",
                 "non_proportional_hazards", "no_effect")
SUMMARY_WARNINGS = 4
MODEL_SHAPE_CODES = ("non_proportional_hazards", "non_linear")
"""Warnings about the shape of a model (listed on the data-quality page, not on page 1)."""
"""Kinds of warning shown on page 1; each kind is one bullet naming every subject it concerns."""

PLAIN_WORDS = {
    "wrong_sign": "A better score goes with more customers leaving, against what the question intends; check the "
                  "question and the data before relying on it.",
    "leakage": "A score predicts leaving almost perfectly, which usually means it was collected after, or "
               "because of, the customer leaving; it is not a fair predictor.",
    "separation": "A score splits leavers from stayers without overlap, usually from too few customers in some "
                  "answers; its estimates are unreliable.",
    "low_match": "Few survey responses could be matched to finance records, so the results may not hold for "
                 "all customers.",
    "nonresponse_bias": "Customers who answered differ from those who did not, so the results may not hold for "
                        "everyone.",
    "non_convergence": "A model could not be fitted reliably; its figures are left out.",
    "small_sample": "Too few customers (or too few who left) for a precise answer; intervals are wide.",
    "collinearity": "Some scores move together so closely that their separate effects cannot be told apart.",
    "no_effect": "The data show no clear link with leaving for these scores (or, for the CX programme, no clear "
                 "effect).",
    "parallel_trends": "The customers the CX programme reached were already drifting apart from the others before "
                       "it started, so part of the measured effect may not be the programme's.",
    "not_identified": "What the CX programme achieved cannot be measured from these data; the programme page says "
                      "why.",
    "not_comparable": "Customers whose case was closed and those whose case was not differ too much in risk to be "
                      "compared like with like; the closing-the-loop figures are not a fair comparison.",
    "miscalibration": "The churn model's predicted risks do not match how many customers actually left, so the "
                      "money figures built on them are off by that much.",
    "no_definition": "Without the survey's definition every numeric column was treated as a question score; "
                     "check which columns the figures rest on.",
}


COLUMN_LABELS = {
    "const": "Intercept", "tenure_months": "Tenure at the survey (months)", "log_revenue": "ln(1 + revenue)",
    "log_revenue_prior": "ln(1 + prior revenue)", "revenue": "Revenue", "revenue_prior": "Prior revenue",
    "revenue_change": "Revenue change", "churned": "Left (churned)", "joint": "Joint model",
    "programme": "the CX programme",
    "customer_id": "Customer id", "account_id": "Account", "duration_months": "Duration (months)",
}
"""Words for the analysis' own column and term names (docs/results.md), which `metrics` does not label."""

GROUPING_WORDS = {"tenure_band": "tenure band", "revenue_tier": "revenue tier", "channel": "channel"}
"""The segment groupings roi.segments makes itself; configured segment columns are named as configured."""


def metric_label(results: Mapping[str, Any], name: Any) -> str:
    """The readable name of a metric: its label in `metrics` (or metric_comparison), the words for a column
    or model term of the analysis (`tenure_months`, `log_revenue`, …), else the name itself."""
    if name is None or name == "":
        return "the metric"
    for metric in records(results, "metrics"):
        if metric.get("name") == name:
            return first_text(metric, "label") or str(name)
    for score in records(results, "metric_comparison.metrics"):
        if score.get("metric") == name:
            return first_text(score, "label") or str(name)
    for theme in records(results, "themes.themes"):  # a comment theme's column (`theme.<id>`) by its name
        if name in (theme.get("column"), f"theme.{theme.get('id')}") and first_text(theme, "name"):
            return f"Comment theme “{first_text(theme, 'name')}”"
    return COLUMN_LABELS.get(str(name), str(name))


def grouping_label(name: Any) -> str:
    """A segment grouping in words, lower case for "By …" (`tenure_band` → "tenure band")."""
    text = str(name)
    return GROUPING_WORDS.get(text, text.replace("_", " "))


def question_label(results: Mapping[str, Any], name: Any) -> str:
    """The open-text question a comment answers: a follow-up of a labelled item (`q_friction.ordering.what`)
    by that item's label, else the column name in words (`q_comment` → "comment")."""
    text = str(name or "")
    names = sorted((str(m.get("name")) for m in records(results, "metrics") if m.get("name")), key=len, reverse=True)
    parent = next((m for m in names if text.startswith(m + ".")), None)
    if parent is not None:
        return f"{metric_label(results, parent)} (follow-up)"
    words = text.removeprefix("q_").replace("_", " ").replace(".", " ").strip()
    return words[:1].upper() + words[1:] if words else f.MISSING


def control_words(control: Any) -> str:
    """A control as the analysis names it (`tenure_months (per month)`) with its column names in words."""
    text = str(control)
    for column, words in (("log_revenue_prior", "ln(1 + prior revenue)"), ("log_revenue", "ln(1 + revenue)"),
                          ("tenure_months", "tenure at the survey in months"), ("revenue_prior", "prior revenue")):
        text = text.replace(column, words)
    return text


def period_word(results: Mapping[str, Any]) -> str:
    period = get(results, "revenue_at_risk.period") or get(results, "inputs.config.revenue_period") or "year"
    return "month" if period == "month" else "year"


def has_money_evidence(results: Mapping[str, Any]) -> bool:
    """True when the analysis itself says the scenario is supported and gives a retained-revenue figure."""
    scenario = mapping(results, "scenario")
    return scenario.get("evidence") == "supported" and f.number(get(scenario, "retained_revenue.estimate")) is not None


def _points(delta: Any) -> str:
    value = f.number(delta)
    if value is None:
        return "some points"
    return "one point" if value == 1 else f"{value:g} points"


def _scope(results: Mapping[str, Any]) -> str:
    scenario = mapping(results, "scenario")
    who = "customers" if scenario.get("extrapolated") else "surveyed customers"
    text = f"among our {f.count(scenario.get('customers_in_scope'))} {who}"
    segment = scenario.get("segment")
    if isinstance(segment, Mapping) and segment:
        text += " with " + " and ".join(f"{grouping_label(k)} {v}" for k, v in segment.items())
    return text


def _horizon_phrase(results: Mapping[str, Any]) -> str:
    years = f.number(get(results, "inputs.config.finance.horizon_years"))
    if years is None or years == 1:
        return "a year"
    return f"over {years:g} years"


def headline(results: Mapping[str, Any]) -> str:
    """The one-sentence answer: the money with its interval, or plainly that the data show no effect (in the
    results' currency)."""
    with f.in_currency(results):
        return _headline(results)


def _headline(results: Mapping[str, Any]) -> str:
    scenario = mapping(results, "scenario")
    label = metric_label(results, scenario.get("metric"))
    if not scenario:
        return ("These results contain no money scenario (it needs both churn and revenue in the outcomes), "
                "so no money figure is given.")
    if not has_money_evidence(results):
        reason = get(scenario, "retained_revenue.reason") or get(scenario, "coefficient.reason")
        because = f" ({reason})" if reason else ""
        return (f"The data show no evidence that raising {label} would keep more customers{because}; "
                "this report therefore gives no money figure for it.")
    retained = mapping(scenario, "retained_revenue")
    sentence = (f"Raising {label} by {_points(scenario.get('delta'))} {_scope(results)} is worth "
                f"{f.money(retained.get('estimate'))} in retained revenue {_horizon_phrase(results)} "
                f"(95% CI {f.interval(retained.get('ci'), f.money)})")
    margin = f.number(get(results, "inputs.config.finance.margin"))
    benefit = mapping(scenario, "benefit")
    gives = "that is"
    if margin is not None and f.number(benefit.get("estimate")) is not None:
        sentence += (f", before the {margin * 100:g}% gross margin: {f.money(benefit.get('estimate'))} of margin "
                     f"(95% CI {f.interval(benefit.get('ci'), f.money)})")
        gives = "that margin gives"
    elif margin is None and get(results, "inputs.config.finance") is not None:
        sentence += ", revenue rather than profit (no gross margin was given)"
    cost = f.number(get(results, "inputs.config.finance.program_cost"))
    roi = mapping(scenario, "roi")
    if cost is not None and f.number(roi.get("estimate")) is not None:
        rate = f.number(get(results, "inputs.config.finance.discount_rate"))
        present = f.number(get(scenario, "lifetime_value.estimate"))
        discounted = rate is not None and rate > 0 and present is not None
        if rate is not None and discounted:  # the ROI and payback rest on the discounted benefit (the lifetime value), say so
            gives = (f"{gives.removesuffix(' gives').removesuffix(' is')}, discounted at {rate * 100:g}% a year to "
                     f"{f.money(present)}, gives")
        sentence += (f"; at a programme cost of {f.money(cost)} {gives} an ROI of {f.percent(roi.get('estimate'))} "
                     f"(95% CI {f.interval(roi.get('ci'), f.percent)})")
        payback = f.number(get(scenario, "payback_months.estimate"))
        reason = str(get(scenario, "payback_months.reason") or "no payback")
        if payback is not None:
            sentence += f", paying back in {f.months(payback)} months"
        else:
            if discounted and present is not None and cost > 0:
                reason = reason.split("; the benefit covers")[0] + (
                    f"; the discounted benefit covers {present / cost:.0%} of the cost")
            sentence += f", and it does not pay back: {reason}"
    else:
        sentence += "; no programme cost was given, so no ROI is stated"
    return sentence + "."


def sorted_warnings(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every warning of the results: those about the scenario's metric first, then by seriousness of the
    code (stable within a code)."""
    rank = {code: i for i, code in enumerate(WARNING_ORDER)}
    headline_metric = get(results, "scenario.metric")

    def key(warning: Mapping[str, Any]) -> tuple[bool, int]:
        return warning.get("subject") != headline_metric, rank.get(str(warning.get("code")), len(rank))

    return sorted(records(results, "warnings"), key=key)


def summary_warning_lines(results: Mapping[str, Any], warnings: list[Mapping[str, Any]]) -> list[str]:
    """One plain-words line per kind of warning (most serious kinds first, at most SUMMARY_WARNINGS), naming
    the subjects it concerns by their labels."""
    by_code: dict[str, list[str]] = {}
    for warning in warnings:
        if str(warning.get("code")) in MODEL_SHAPE_CODES:
            continue  # how a survival or ordinal fit is shaped does not touch page 1's money: data-quality page
        subjects = by_code.setdefault(str(warning.get("code")), [])
        subject = metric_label(results, warning.get("subject")) if warning.get("subject") else ""
        if subject and subject not in subjects:
            subjects.append(subject)
    lines = []
    for code, subjects in list(by_code.items())[:SUMMARY_WARNINGS]:
        explanation = PLAIN_WORDS.get(code) or next(
            (str(w.get("message") or "") for w in warnings if str(w.get("code")) == code), "")
        shown = ", ".join(subjects[:6]) + (f" and {len(subjects) - 6} more" if len(subjects) > 6 else "")
        lines.append(f"{code.replace('_', ' ').capitalize()}: {explanation}" + (f" Concerns: {shown}." if shown else ""))
    return lines


def best_metric(results: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The metric ranked first by the analysis (rank 1), if any."""
    ranked = [m for m in records(results, "metric_comparison.metrics") if f.number(m.get("rank")) is not None]
    return min(ranked, key=lambda m: float(m["rank"])) if ranked else None


def build_summary(results: Mapping[str, Any]) -> Section:
    """The executive summary section (page 1)."""
    blocks: list[Block] = [Text(headline(results), "headline")]
    scenario = mapping(results, "scenario")
    if has_money_evidence(results) and scenario.get("extrapolated"):
        blocks.append(Text("This figure is extrapolated from the respondents to every customer of the segment; "
                           "see the assumptions in the appendix.", "note"))

    risk = mapping(results, "revenue_at_risk")
    if f.number(risk.get("total")) is not None:
        blocks.append(Text(
            f"Revenue at risk: {f.money(risk.get('total'))} a {period_word(results)} "
            f"(95% CI {f.interval(risk.get('ci'), f.money)}) — the revenue of the {f.count(risk.get('n'))} "
            "analysed customers, each weighted by their predicted chance of leaving."))
    else:
        blocks.append(Text("Revenue at risk: not available in these results "
                           "(results.json has no `revenue_at_risk.total`)."))

    best = best_metric(results)
    compared = len(records(results, "metric_comparison.metrics"))
    if best is not None:
        text = (f"Of the {f.count(compared)} metrics compared, {best.get('label') or best.get('metric')} predicts "
                f"who leaves best: AUC {f.stat(best.get('auc'))} (95% CI {f.interval(best.get('auc_ci'), f.stat)}), "
                "where 0.5 is a coin toss and 1 is perfect.")
        low = f.bounds_of(best.get("auc_ci"))
        if low is not None and low[0] <= 0.5:
            text += " Its interval includes 0.5: it is not clearly better than chance."
        blocks.append(Text(text))
    else:
        blocks.append(Text("Best predictor of retention: not available in these results "
                           "(results.json has no ranked `metric_comparison.metrics`)."))

    warnings = sorted_warnings(results)
    blocks.append(Subheading("What to be careful about"))
    if warnings:
        blocks.append(Bullets(summary_warning_lines(results, warnings)))
        blocks.append(Text(f"{len(warnings)} warning(s) in all; each is listed with the analysis' own words on "
                           "the data-quality page.", "small"))
    else:
        blocks.append(Text("The analysis raised no warnings."))
    blocks.extend(_key_figures(results))
    blocks.extend(_sources(results))
    return Section("Executive summary", blocks, new_page=False)


FIGURE_LABELS = {
    "retained_revenue": "Retained revenue (revenue, before any margin)",
    "benefit": "Benefit (retained revenue × gross margin, when one was given)",
    "roi": "ROI (benefit less programme cost, per unit of cost)",
    "payback_months": "Payback (months)",
    "lifetime_value": "Lifetime value (the benefit, discounted)",
}
"""What each scenario figure is by definition (roi.money.scenario), for results without `scenario.labels`."""


def figure_label(results: Mapping[str, Any], key: str) -> str:
    """The analysis' own words for a money figure (`scenario.labels.<key>`), else its definition."""
    return first_text(results, f"scenario.labels.{key}") or FIGURE_LABELS[key]


def _key_figures(results: Mapping[str, Any]) -> list[Block]:
    scenario = mapping(results, "scenario")
    rows: list[list[str]] = []
    dq = mapping(results, "data_quality")
    if dq:
        rows.append(["Respondents matched to customers",
                     f"{f.count(dq.get('matched'))} of {f.count(dq.get('respondents'))} ({f.rate(dq.get('match_rate'))})",
                     ""])
    if has_money_evidence(results):
        for key, fmt in (("retained_revenue", f.money), ("benefit", f.money), ("roi", f.percent),
                         ("payback_months", f.months), ("lifetime_value", f.money)):
            estimate = mapping(scenario, key)
            if f.number(estimate.get("estimate")) is not None:
                rows.append([figure_label(results, key), fmt(estimate.get("estimate")),
                             f.interval(estimate.get("ci"), fmt)])
            elif key == "payback_months" and str(estimate.get("reason") or "").startswith("not within the horizon"):
                rows.append([figure_label(results, key), "not within the horizon", ""])
    if not rows:
        return []
    return [Subheading("Key figures"), Table(["Figure", "Value", "95% CI"], rows, numeric=(1, 2),
                                             widths=(0.5, 0.25, 0.25))]


def data_sources(results: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(file name, sha256) of each input file the analysis recorded in `inputs.files` (a database source
    has no hash and is listed as such)."""
    sources = []
    for role, entry in mapping(results, "inputs.files").items():
        if isinstance(entry, Mapping):
            name = str(entry.get("name") or role)
            sources.append((f"{name} ({role})", str(entry.get("sha256") or "no file hash (not read from a file)")))
    return sources


def _sources(results: Mapping[str, Any]) -> list[Block]:
    sources = data_sources(results)
    if not sources:
        return [Text(not_available("Data sources", "inputs.files"), "small")]
    return [Subheading("Data sources"),
            Table(["File", "SHA-256"], [[name, digest] for name, digest in sources], widths=(0.3, 0.7))]
