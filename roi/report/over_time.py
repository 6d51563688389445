"""The report's pages on time: did the CX programme pay off (the realised ROI, which leads page 1 when it
exists), and the trend by wave.

Read from results.json `programme` and `over_time` (docs/results.md); every number is printed as it stands there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from . import formatting as f
from .charts import Bar, build_interval_bars
from .content import Block, Bullets, Figure, Section, Subheading, Table, Text
from .reading import get, mapping, records

OUTCOME_WORDS = {"churned": "Churn per period", "revenue": "Revenue per customer per period"}
SUMMARY_FAMILIES = ("bas", "ces", "csat", "nps", "friction_count", "sentiment")
TREND_TABLES = 8
"""Metrics given a table of their own in the trend section; the rest are summarised in one table."""


def _points(value: Any) -> str:
    """A change in a proportion as percentage points, signed."""
    x = f.number(value)
    return f.MISSING if x is None else f"{x * 100:+.1f} points"


def _effect_text(outcome: str, value: Any) -> str:
    return _points(value) if outcome == "churned" else (f.money(value) if f.number(value) is not None else f.MISSING)


def _effect_format(outcome: str) -> Callable[[Any], str]:
    """How an effect on `outcome` is written: percentage points of churn, or money."""
    def written(value: Any) -> str:
        return _effect_text(outcome, value)
    return written


def _score_format(kind: str) -> Callable[[Any], str]:
    def written(value: Any) -> str:
        return _value(kind, value)
    return written


def realised_headline(results: Mapping[str, Any]) -> str | None:
    """Page 1's first sentence when the results hold the programme's realised effect; None when they do not."""
    programme = mapping(results, "programme")
    if not programme:
        return None
    if programme.get("status") == "refused":
        return f"What the CX programme achieved cannot be measured from these data: {programme.get('reason')}."
    money = mapping(programme, "money")
    roi = mapping(money, "roi")
    basis = money.get("basis")
    effect = mapping(programme, f"effects.{basis}") if basis else {}
    if f.number(roi.get("estimate")) is None and f.number(get(money, "value.estimate")) is None:
        reason = get(money, "value.reason") or "no effect was estimated"
        detail = ""
        if effect:
            detail = (f" ({OUTCOME_WORDS.get(str(basis), str(basis)).lower()} changed by "
                      f"{_effect_text(str(basis), effect.get('estimate'))}, 95% CI "
                      f"{f.interval(effect.get('ci'), _effect_format(str(basis)))})")
        return (f"The data show no evidence that the CX programme paid off{detail}: {reason}. "
                "No realised return is stated.")
    value = mapping(money, "value")
    amount = f.number(value.get("estimate")) or 0.0
    sentence = (f"Compared with the {f.count(programme.get('not_reached'))} customers it did not reach, the CX "
                f"programme {'added' if amount >= 0 else 'cost'} {f.money(abs(amount))} of revenue among the "
                f"{f.count(programme.get('reached'))} it reached, over the period after its start "
                f"(95% CI {f.interval(value.get('ci'), f.money)})")
    cost = f.number(money.get("cost"))
    if f.number(roi.get("estimate")) is not None and cost is not None:
        margin = f.number(get(results, "inputs.config.finance.margin"))
        on = f" on the {margin * 100:g}% gross margin" if margin is not None else ""
        sentence += (f"; against its cost of {f.money(cost)} that is a realised ROI{on} of "
                     f"{f.percent(roi.get('estimate'))} (95% CI {f.interval(roi.get('ci'), f.percent)})")
    else:
        sentence += f"; no realised ROI is stated ({roi.get('reason') or 'no programme cost was given'})"
    return sentence + "."


def realised_figures(results: Mapping[str, Any]) -> list[Block]:
    """The realised figures for page 1's key figures: value, benefit, cost, realised ROI (when there are any)."""
    money = mapping(results, "programme.money")
    rows = []
    for key, label, fmt in (("value", "Realised revenue effect (after the start)", f.money),
                            ("benefit", str(money.get("label") or "Benefit"), f.money),
                            ("roi", "Realised ROI (benefit less cost, per unit of cost)", f.percent)):
        estimate = mapping(money, key)
        if f.number(estimate.get("estimate")) is not None:
            rows.append([label, fmt(estimate.get("estimate")), f.interval(estimate.get("ci"), fmt)])
    if not rows:
        return []
    if f.number(money.get("cost")) is not None:
        rows.insert(2, ["Programme cost", f.money(money.get("cost")), ""])
    return [Subheading("What the programme returned"),
            Table(["Figure", "Value", "95% CI"], rows, numeric=(1, 2), widths=(0.5, 0.25, 0.25))]


def lead_page_one(summary: Section, results: Mapping[str, Any]) -> Section:
    """Page 1 led by the realised ROI when the results hold the programme's effect: its sentence and figures
    first, then the summary as it was (the scenario under its own heading)."""
    lead = realised_headline(results)
    if lead is None:
        return summary
    blocks: list[Block] = [Subheading("What the CX programme returned"), Text(lead, "headline"),
                           *realised_figures(results)[1:], Subheading("What raising a score would be worth"),
                           *summary.blocks]
    return Section(summary.title, blocks, new_page=summary.new_page)


def build_realised_roi(results: Mapping[str, Any]) -> Section | None:
    """Did the programme pay off: design, assumptions, effects with intervals, pre-trend check, money."""
    programme = mapping(results, "programme")
    if not programme:
        return None
    lead = realised_headline(results) or ""
    blocks: list[Block] = [Text(lead, "headline")]
    blocks.append(Text(f"Design: {programme.get('design')}. It rests on these assumptions, which the data can only "
                       "partly check:", "body"))
    blocks.append(Bullets([str(a) for a in programme.get("assumptions") or []]))
    if programme.get("status") == "refused":
        return Section("Did the programme pay off?", blocks)
    rows = []
    for outcome, effect in (mapping(programme, "effects")).items():
        if not isinstance(effect, Mapping):
            continue
        shown = _effect_format(outcome)
        means = mapping(effect, "means")
        rows.append([OUTCOME_WORDS.get(outcome, outcome), shown(effect.get("estimate")),
                     f.interval(effect.get("ci"), shown), f.p_value(effect.get("p")),
                     f"{f.count(effect.get('reached'))} / {f.count(effect.get('not_reached'))}",
                     str(effect.get("evidence") or effect.get("reason") or f.MISSING)])
        if means:
            blocks.append(Text(f"{OUTCOME_WORDS.get(outcome, outcome)}, group means: " + "; ".join(
                f"{k.replace('_', ' ')} {_mean_text(outcome, v)}" for k, v in means.items()) + ".", "small"))
    blocks.append(Subheading("The realised effect, per customer"))
    blocks.append(Table(["Outcome", "Effect", "95% CI", "p", "Reached / not", "Evidence"], rows,
                        numeric=(1, 2, 3), widths=(0.24, 0.14, 0.24, 0.08, 0.16, 0.14)))
    method = next((str(e.get("method")) for e in mapping(programme, "effects").values()
                   if isinstance(e, Mapping) and e.get("method")), None)
    if method:
        blocks.append(Text(f"Method: {method}.", "small"))
    for outcome, effect in mapping(programme, "effects").items():
        trends = mapping(effect, "parallel_trends") if isinstance(effect, Mapping) else {}
        if trends:
            line = f"Parallel trends, {OUTCOME_WORDS.get(outcome, outcome).lower()}: {trends.get('note')}"
            if trends.get("checked"):
                shown = _effect_format(outcome)
                line += (f" (reached minus not reached, per period before the start: "
                         f"{shown(trends.get('difference_per_period'))}, 95% CI "
                         f"{f.interval(trends.get('ci'), shown)}, p {f.p_value(trends.get('p'))})")
            blocks.append(Text(line + ".", "note" if trends.get("consistent") is not False else "warning"))
    blocks.extend(realised_figures(results))
    stages = records(programme, "stages")
    if len(stages) > 1:
        blocks.append(Text("Rollout stages (start: reached / not reached): " + "; ".join(
            f"{s.get('start')}: {f.count(s.get('reached'))} / {f.count(s.get('not_reached'))}" for s in stages)
            + ".", "small"))
    return Section("Did the programme pay off?", blocks)


def _mean_text(outcome: str, value: Any) -> str:
    return f.rate(value) if outcome == "churned" else f.money(value)


def _value(kind: str, value: Any) -> str:
    return f.rate(value) if kind == "share" else f.stat(value)


def _change_text(change: Mapping[str, Any] | None, kind: str) -> str:
    if not change:
        return ""
    difference = f.number(change.get("difference"))
    if change.get("p") is None:
        return f"no test: {change.get('note') or 'no estimate'}"
    size = _points(difference) if kind == "share" else (f"{difference:+.2f}" if difference is not None else f.MISSING)
    verdict = "larger than chance" if (f.number(change.get("p_adjusted")) or 1) < 0.05 else "within chance"
    return f"{size}; p {f.p_value(change.get('p'))}, adjusted {f.p_value(change.get('p_adjusted'))}: {verdict}"


def build_trend_by_wave(results: Mapping[str, Any]) -> Section | None:
    """Each metric per wave with its interval, and whether the change from the previous wave is more than chance."""
    over_time = mapping(results, "over_time")
    if not over_time:
        return None
    waves = records(over_time, "waves")
    blocks: list[Block] = [Text(
        f"Waves from {over_time.get('source') or 'the responses'}: "
        + ", ".join(f"{w.get('name')} ({f.count(w.get('respondents'))} respondents)" for w in waves) + ". "
        "Each customer counts once per wave, with their latest answer in it. A change is called larger than chance "
        "when its p-value stays below 0.05 after adjusting for the number of metrics compared.")]
    if over_time.get("reason"):
        blocks.append(Text(str(over_time.get("reason")), "note"))
        return Section("Trend by wave", blocks)
    metrics = records(over_time, "metrics")
    families = {str(m.get("name")): m.get("family") for m in records(results, "metrics")}
    headline = [m for m in metrics if families.get(str(m.get("metric"))) in SUMMARY_FAMILIES] or metrics
    for metric in headline[:TREND_TABLES]:
        kind = str(metric.get("kind"))
        name = str(metric.get("label") or metric.get("metric"))
        scores = records(metric, "scores")
        changes = metric.get("changes") or []
        bars = []
        for wave, score in zip(waves, scores, strict=False):
            if f.number(score.get("estimate")) is not None:
                low, high = f.bounds_of(score.get("ci")) or (None, None)
                bars.append(Bar(str(wave.get("name")), float(score["estimate"]), low, high,
                                note=f"n={f.count(score.get('n'))}"))
        blocks.append(Subheading(name))
        if len(bars) >= 2:
            blocks.append(Figure(build_interval_bars(bars, fmt=(f.rate if kind == "share" else f.stat),
                                                     axis_title=f"{name} by wave",
                                                     zero_based=kind == "share"),
                                 f"{name} in each wave, with 95% confidence intervals (whiskers), earliest first."))
        rows = [[str(w.get("name")), f.count(s.get("n")), _value(kind, s.get("estimate")),
                 f.interval(s.get("ci"), _score_format(kind)),
                 _change_text(c if isinstance(c, Mapping) else None, kind)]
                for w, s, c in zip(waves, scores, changes, strict=False)]
        blocks.append(Table(["Wave", "n", "Score", "95% CI", "Change from the previous wave"], rows,
                            numeric=(1, 2, 3), widths=(0.14, 0.08, 0.1, 0.2, 0.48)))
    rest = [m for m in metrics if m not in headline[:TREND_TABLES]]
    if rest:
        blocks.append(Subheading("Other questions: changes larger than chance"))
        moved = [[str(m.get("label") or m.get("metric")), str(w.get("name")),
                  _change_text(c, str(m.get("kind")))]
                 for m in rest for w, c in zip(waves, m.get("changes") or [], strict=False)
                 if isinstance(c, Mapping) and (f.number(c.get("p_adjusted")) or 1) < 0.05]
        blocks.append(Table(["Question", "Wave", "Change"], moved, widths=(0.35, 0.15, 0.5)) if moved else
                      Text(f"None of the other {len(rest)} questions changed by more than chance.", "body"))
    models = records(over_time, "churn_models")
    if models:
        blocks.append(Subheading("Churn and the score, per window"))
        blocks.append(Text("Logistic model of churn on the headline metric alone, once per window: each wave's "
                           "answers, and the latest answer before the outcome window began when that date is "
                           "configured. Similar odds ratios mean the link between the score and leaving is stable.",
                           "small"))
        rows = [[str(m.get("window")), f.count(m.get("n")), f.count(m.get("events")),
                 f.stat(get(m, "term.odds_ratio")), f.interval(get(m, "term.odds_ratio_ci"), f.stat),
                 f.p_value(get(m, "term.p"))] for m in models]
        blocks.append(Table(["Window", "n", "Left", "Odds ratio", "95% CI", "p"], rows, numeric=(1, 2, 3, 4, 5),
                            widths=(0.34, 0.1, 0.1, 0.14, 0.2, 0.12)))
    for note in over_time.get("notes") or []:
        blocks.append(Text(str(note), "small"))
    return Section("Trend by wave", blocks)
