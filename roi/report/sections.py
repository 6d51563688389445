"""The analysis pages after the summary: churn by score band and segment, metric comparison, drivers and the
quadrant, revenue at risk by segment and channel, respondents' comments.

Each builder reads its part of results.json and returns a `Section`; when the part is absent it returns a
section with one "not available" line naming the missing key, never a substitute figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import formatting as f
from .charts import Bar, QuadrantPoint, build_interval_bars, build_quadrant, build_reliability
from .content import Block, Figure, Section, Subheading, Table, Text
from .reading import get, mapping, not_available, records
from .summary import grouping_label, metric_label, period_word, question_label

MAX_BARS = 25
"""Bars per chart: more would not fit a page; the table beside each chart lists every row."""


def _drawn(bars: list[Bar], caption: str) -> tuple[list[Bar], str]:
    """The bars to draw (the first MAX_BARS, in the results' order) and the caption, saying so when cut."""
    if len(bars) <= MAX_BARS:
        return bars, caption
    return bars[:MAX_BARS], f"{caption} Only the first {MAX_BARS} of {len(bars)} are drawn; the table lists all."


def _churn_rows(rows: Sequence[Mapping[str, Any]], label: str, title: str) -> list[Block]:
    """Chart and table of churn rates with their intervals, one row per level (shape of `segments.rows`)."""
    bars = []
    table = []
    for row in rows:
        rate = f.number(row.get("churn_rate"))
        bounds = f.bounds_of(row.get("churn_rate_ci"))
        name = str(row.get("level", ""))
        if rate is not None:
            low, high = bounds or (None, None)
            bars.append(Bar(name, rate, low, high, note=f"n={f.count(row.get('n'))}"))
        table.append([name, f.count(row.get("n")), f.count(row.get("churned")), f.rate(rate),
                      f.interval(row.get("churn_rate_ci"), f.rate)])
    blocks: list[Block] = [Subheading(title)]
    if bars:
        drawn, caption = _drawn(bars, f"Churn rate by {label}, with 95% confidence intervals (whiskers).")
        blocks.append(Figure(build_interval_bars(drawn, fmt=f.rate, axis_title="Churn rate"), caption))
    blocks.append(Table([label.capitalize(), "Customers", "Left", "Churn rate", "95% CI"], table,
                        numeric=(1, 2, 3, 4), widths=(0.3, 0.15, 0.15, 0.15, 0.25)))
    return blocks


def build_churn_by_band(results: Mapping[str, Any]) -> Section:
    """Churn rate in each score band of the headline metric, then by channel and segment, with 95% intervals."""
    matched = get(results, "data_quality.matched")
    who = (f"the {f.count(matched)} respondents matched to customers" if f.number(matched) is not None
           else "surveyed customers")
    blocks: list[Block] = [Text(f"Share of {who} who left. The whisker is the 95% confidence "
                                "interval: the narrower it is, the surer the rate. Small groups have wide "
                                "intervals.")]
    bands = mapping(results, "churn_by_band")
    band_rows = records(bands, "rows")
    if band_rows:
        label = f"{metric_label(results, bands.get('metric'))} band"
        blocks += _churn_rows(band_rows, label, f"By {label}")
    else:
        blocks.append(Text(not_available("Churn rate by score band", "churn_by_band.rows")))
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in records(results, "segments.rows"):
        groups.setdefault(str(row.get("grouping")), []).append(row)
    for grouping, rows in groups.items():
        blocks += _churn_rows(rows, grouping_label(grouping), f"By {grouping_label(grouping)}")
    return Section("Who leaves: churn by score band and segment", blocks)


def build_metric_comparison(results: Mapping[str, Any]) -> Section:
    """Which metric predicts who leaves: out-of-sample AUC with CI and Brier score, ranked."""
    comparison = mapping(results, "metric_comparison")
    scores = sorted(records(comparison, "metrics"), key=_rank)
    if not scores:
        return Section("Which metric predicts retention", [
            Text(not_available("The metric comparison", "metric_comparison.metrics"))])
    method = comparison.get("method")
    blocks: list[Block] = [Text(
        "Each candidate metric was tested on customers it had not seen (cross-validation). AUC is the chance "
        "that a customer who left scored worse than one who stayed: 0.5 is a coin toss, 1 is perfect. The Brier "
        "score is the average squared error of the predicted chance of leaving: lower is better. n is the "
        "customers with a score on that metric (a channel item only those who used the channel).")]
    bars = []
    rows = []
    for score in scores:
        auc = f.number(score.get("auc"))
        bounds = f.bounds_of(score.get("auc_ci"))
        name = str(score.get("label") or score.get("metric"))
        if auc is not None:
            bars.append(Bar(name, auc, *(bounds or (None, None))))
        with_controls = mapping(score, "with_controls")
        rows.append([f.count(score.get("rank")), name, f.stat(auc), f.interval(score.get("auc_ci"), f.stat),
                     f.stat(score.get("brier")), f.stat(with_controls.get("auc")), f.count(score.get("n"))])
    if bars:
        drawn, caption = _drawn(bars, "Out-of-sample AUC of each metric for predicting churn, with 95% confidence "
                                      "intervals; the dashed line at 0.5 is chance.")
        blocks.append(Figure(
            build_interval_bars(drawn, fmt=lambda v: f"{v:.2f}", value_fmt=f.stat,
                                axis_title="Out-of-sample AUC (0.5 = chance)", reference=0.5,
                                reference_label="chance"), caption))
    blocks.append(Table(["Rank", "Metric", "AUC", "95% CI", "Brier", "AUC with controls", "n"], rows,
                        numeric=(0, 2, 3, 4, 5, 6), widths=(0.07, 0.31, 0.1, 0.17, 0.1, 0.15, 0.1)))
    if method:
        blocks.append(Text(f"Method: {method}.", "small"))
    return Section("Which metric predicts retention", blocks)


def _rank(score: Mapping[str, Any]) -> float:
    rank = f.number(score.get("rank"))
    return rank if rank is not None else float("inf")  # unranked (not computable) metrics go last


def _driver_analyses(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The driver analyses present, one per outcome (`drivers.churned`, `drivers.revenue`)."""
    drivers = mapping(results, "drivers")
    return [value for key in ("churned", "revenue") if isinstance(value := drivers.get(key), Mapping)]


def _outcome_words(outcome: Any) -> str:
    return "revenue" if outcome == "revenue" else "retention"


QUADRANT_WORDS = {"keep up": "Strengths to keep", "fix first": "Fix first", "over-invested": "Possible overinvestment",
                  "low priority": "Lower priority"}
"""roi.drivers' quadrant names (`drivers[].quadrant`) in the words the map's corners print."""


def _quadrant_splits(analysis: Mapping[str, Any], items: list[Mapping[str, Any]]) -> tuple[float, float]:
    """Where the quadrant's guide lines go: the analysis' own splits (`splits.share`, `splits.performance`)
    when it records them, else the means over the items, the rule roi.drivers uses for `quadrant`.
    The lines are a drawing aid; no number is printed for them."""
    share, performance = f.number(get(analysis, "splits.share")), f.number(get(analysis, "splits.performance"))
    if share is not None and performance is not None:
        return share, performance
    shares = [float(i["share"]) for i in items if f.number(i.get("share")) is not None]
    scores = [float(i["performance"]) for i in items if f.number(i.get("performance")) is not None]
    return sum(shares) / len(shares), sum(scores) / len(scores)


def drivers_n_sentence(results: Mapping[str, Any], analysis: Mapping[str, Any],
                       items: list[Mapping[str, Any]]) -> str:
    """Why the driver analysis rests on fewer customers than the other pages: it needs an answer to every
    item it weighs (`drivers.<outcome>.n` against `data_quality.matched`), and which items it left out."""
    n, matched = analysis.get("n"), get(results, "data_quality.matched")
    outcome = "revenue" if analysis.get("outcome") == "revenue" else "churn status"
    text = (f"n = {f.count(n)}: only the customers who answered every one of the {f.count(len(items))} items "
            f"below and whose {outcome} is known, because relative importance compares all items on the same "
            "customers (channel items are answered only by users of that channel).")
    if f.number(matched) is not None:
        text += (f" The other pages use all {f.count(matched)} respondents matched to customers, or those with "
                 "the score in question (each table gives its n).")
    excluded = [metric_label(results, e) for e in analysis.get("excluded") or [] if isinstance(e, str)]
    if excluded:
        text += (" Left out because fewer than half of the customers answered them, or their answers do not "
                 f"vary: {', '.join(excluded)}.")
    return text


def build_drivers(results: Mapping[str, Any]) -> Section:
    """Relative importance of each item (with bootstrap CI) and the importance–performance quadrant."""
    analyses = [a for a in _driver_analyses(results) if records(a, "drivers")]
    if not analyses:
        return Section("What drives retention and revenue", [Text(not_available("Driver importance", "drivers"))])
    blocks: list[Block] = [Text(
        "How much each question explains of who leaves (or of revenue), as a share of what all of them "
        "explain together. The whisker is the 95% bootstrap interval. A share says how strongly an item moves "
        "with the outcome, not that changing it would change the outcome.")]
    for analysis in analyses:
        words = _outcome_words(analysis.get("outcome"))
        items = records(analysis, "drivers")
        blocks.append(Subheading(f"Drivers of {words} (n = {f.count(analysis.get('n'))}, "
                                 f"R² {f.stat(analysis.get('r2'))})"))
        blocks.append(Text(drivers_n_sentence(results, analysis, items), "small"))
        bars = []
        for item in items:
            share = f.number(item.get("share"))
            if share is None:
                continue
            bounds = f.bounds_of(item.get("share_ci"))
            direction = "" if item.get("better_helps") is not False else "(better goes with worse)"
            low, high = (bounds[0] / 100, bounds[1] / 100) if bounds else (None, None)
            bars.append(Bar(str(item.get("label") or item.get("item")), share / 100, low, high, note=direction))
        if bars:
            drawn, caption = _drawn(bars, f"Relative importance of each item for {words}, with 95% bootstrap "
                                          "intervals.")
            blocks.append(Figure(build_interval_bars(drawn, fmt=f.percent, value_fmt=lambda v: f.share(v * 100),
                                                     axis_title="Share of explained variance"), caption))
        plotted = [i for i in items
                   if f.number(i.get("share")) is not None and f.number(i.get("performance")) is not None]
        numbers = {id(i): n for n, i in enumerate(plotted, start=1)} if len(plotted) >= 2 else {}
        rows = [[str(numbers.get(id(i), "")), str(i.get("label") or i.get("item")), f.share(i.get("share")),
                 f.interval(i.get("share_ci"), f.share), f.score(i.get("performance")),
                 QUADRANT_WORDS.get(str(i.get("quadrant")), str(i.get("quadrant") or f.MISSING))] for i in items]
        blocks.append(Table(["#", "Item", "Share", "95% CI", "Performance (0–100)", "Quadrant"], rows,
                            numeric=(0, 2, 3, 4), widths=(0.05, 0.33, 0.11, 0.2, 0.16, 0.15)))
        if numbers:
            points = [QuadrantPoint(str(i.get("label") or i.get("item")), float(i["share"]), float(i["performance"]))
                      for i in plotted]
            split_share, split_performance = _quadrant_splits(analysis, items)
            blocks.append(Figure(
                build_quadrant(points, importance_split=split_share, performance_split=split_performance,
                               importance_fmt=lambda v: f"{v:.0f}%", performance_fmt=lambda v: f"{v:.0f}",
                               performance_title="Performance (0–100)"),
                f"Importance–performance map for {words} (numbers as in the table above): items to the right "
                "matter more, lower ones score worse; bottom right is where to act first. Dashed lines: the "
                "averages over the items."))
    return Section("What drives retention and revenue", blocks)


def build_revenue_at_risk(results: Mapping[str, Any]) -> Section:
    """Revenue at risk in total and by channel and segment."""
    risk = mapping(results, "revenue_at_risk")
    if f.number(risk.get("total")) is None:
        reasons = [w.get("message") for w in records(risk, "warnings") if w.get("message")]
        blocks: list[Block] = [Text(not_available("Revenue at risk", "revenue_at_risk.total"))]
        blocks += [Text(str(r), "small") for r in reasons]
        return Section("Revenue at risk", blocks)
    period = period_word(results)
    blocks = [Text(
        f"Revenue at risk is each customer's {period}ly revenue times their predicted chance of leaving, added up: "
        f"{f.money(risk.get('total'))} a {period} (95% CI {f.interval(risk.get('ci'), f.money)}) out of "
        f"{f.money(risk.get('revenue'))} from the {f.count(risk.get('n'))} analysed customers.")]
    predictors = risk.get("predictors")
    if isinstance(predictors, list) and predictors:
        blocks.append(Text("Predicted from: " + ", ".join(metric_label(results, str(p)) for p in predictors) + ".",
                           "small"))
    blocks += _calibration_blocks(mapping(risk, "calibration"))
    segments = records(risk, "by_segment")
    if not segments:
        blocks.append(Text(not_available("Revenue at risk by segment and channel", "revenue_at_risk.by_segment")))
        return Section("Revenue at risk", blocks)
    by_column: dict[str, list[Mapping[str, Any]]] = {}
    for segment in segments:
        by_column.setdefault(str(segment.get("column")), []).append(segment)
    for column, levels in by_column.items():
        column = grouping_label(column)
        blocks.append(Subheading(f"By {column}"))
        bars = [Bar(str(s.get("value")), float(s["revenue_at_risk"])) for s in levels
                if f.number(s.get("revenue_at_risk")) is not None]
        if bars:
            drawn, caption = _drawn(bars, f"Revenue at risk by {column}.")
            blocks.append(Figure(build_interval_bars(drawn, fmt=_short_money, value_fmt=f.money,
                                                     axis_title=f"Revenue at risk a {period}"), caption))
        rows = [[str(s.get("value")), f.count(s.get("n")), f.money(s.get("revenue")), f.stat(s.get("expected_churn")),
                 f.money(s.get("revenue_at_risk"))] for s in levels]
        blocks.append(Table([column.capitalize(), "Customers", f"Revenue a {period}", "Expected leavers",
                             "Revenue at risk"], rows, numeric=(1, 2, 3, 4), widths=(0.28, 0.14, 0.2, 0.18, 0.2)))
    blocks.append(Text("Segment figures are point estimates from the same model as the total; their "
                       "intervals are not in these results.", "note"))
    return Section("Revenue at risk", blocks)


def _calibration_blocks(calibration: Mapping[str, Any]) -> list[Block]:
    """Are the predicted risks right? The reliability chart and one sentence (`revenue_at_risk.calibration`)."""
    groups = [(float(g["predicted"]), float(g["observed"])) for g in records(calibration, "groups")
              if f.number(g.get("predicted")) is not None and f.number(g.get("observed")) is not None]
    if not groups:
        return []
    sentence = (f"Tested on customers the model was not fitted on ({calibration.get('method')}), it expected "
                f"{f.count(round(float(calibration.get('expected') or 0)))} leavers where "
                f"{f.count(calibration.get('observed'))} left")
    if f.number(calibration.get("slope")) is not None:
        sentence += (f"; calibration slope {f.stat(calibration.get('slope'))} (95% CI "
                     f"{f.interval(calibration.get('slope_ci'), f.stat)}; 1 means the risks spread as they should, "
                     "below 1 that they are too extreme)")
    return [Subheading("Are the predicted risks right?"), Text(sentence + ".", "small"),
            Figure(build_reliability(groups), "Observed share of leavers against the mean predicted chance, for ten "
                                              "groups of customers from lowest to highest predicted risk; points on "
                                              "the dashed diagonal are predicted exactly.")]


def _short_money(value: float) -> str:
    """Axis ticks only: $1.2M / $350k, so tick labels fit; the exact figures are in the table."""
    size, sign = abs(value), f.symbol()
    if size >= 1_000_000:
        return f"{sign}{value / 1_000_000:.1f}M"
    if size >= 1_000:
        return f"{sign}{value / 1_000:.0f}k"
    return f"{sign}{value:.0f}"


def build_comments(results: Mapping[str, Any]) -> Section | None:
    """Sentiment of the open-text answers and a sample of respondents' own words, printed exactly as typed
    (the renderers escape them); None when the results hold neither."""
    sentiment = mapping(results, "sentiment")
    if not sentiment:
        return None
    blocks: list[Block] = []
    if f.number(sentiment.get("n")) is not None:
        blocks.append(Text(
            f"{f.count(sentiment.get('n'))} comments: {f.rate(sentiment.get('positive'))} positive, "
            f"{f.rate(sentiment.get('neutral'))} neutral, {f.rate(sentiment.get('negative'))} negative "
            f"(VADER sentiment; mean {f.stat(sentiment.get('mean'))} on a scale from −1 to 1)."))
    comments = records(sentiment, "sample")
    if comments:
        rows = [[str(c.get("text", "")), question_label(results, c.get("question")), f.stat(c.get("compound"))]
                for c in comments]
        blocks.append(Table(["Comment, as written", "Question", "Sentiment"], rows, numeric=(2,),
                            widths=(0.64, 0.18, 0.18), split_rows=True))
    else:
        blocks.append(Text(not_available("A sample of comments", "sentiment.sample")))
    return Section("In customers' words", blocks, new_page=False)
