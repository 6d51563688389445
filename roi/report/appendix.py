"""The closing pages: data quality (match rate, non-response, every warning), methods and caveats in plain
language, and a glossary for readers who are not statisticians."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import formatting as f
from .content import Block, Bullets, Section, Subheading, Table, Text
from .plain import in_words
from .reading import get, mapping, not_available, records
from .summary import data_sources, metric_label, sorted_warnings

GLOSSARY: tuple[tuple[str, str], ...] = (
    ("95% confidence interval (CI)", "The range of values the data are consistent with. If the analysis were "
     "repeated on new customers, ranges built this way would contain the true value 95 times in 100. A wide "
     "range means little certainty."),
    ("AUC", "How well a score sorts customers who left from those who stayed: the chance that a random leaver "
     "scored worse than a random stayer. 0.5 is a coin toss, 1 is perfect."),
    ("Brier score", "The average squared gap between the predicted chance of leaving and what happened "
     "(0 or 1). Lower is better."),
    ("Churn", "A customer leaving (not renewing, cancelling) in the period the outcome data cover."),
    ("Odds ratio", "How the odds of leaving change for one more point of a score. Below 1: fewer leave; "
     "above 1: more leave; 1: no change."),
    ("Hazard ratio", "Like an odds ratio, for how soon customers leave: below 1 means they stay longer."),
    ("Revenue at risk", "Each customer's revenue times their predicted chance of leaving, added up."),
    ("Retained revenue", "Revenue the scenario would keep: the drop in predicted leavers times their revenue. "
     "It is revenue, before the gross margin, over the horizon and undiscounted."),
    ("Benefit", "The retained revenue times the gross margin: the margin kept, which ROI and payback use."),
    ("Lifetime value", "The benefit with later money discounted (and, beyond the first year, only customers who "
     "would have stayed anyway counted), so it is usually smaller than the undiscounted benefit."),
    ("ROI", "Return on investment: (benefit − programme cost) ÷ programme cost."),
    ("Payback", "Months until the benefit has covered the programme cost."),
    ("Relative importance", "The share of what all items together explain about the outcome that belongs to "
     "one item. It shows association, not what would happen if the item changed."),
    ("Match rate", "The share of survey responses that could be linked to a customer in the finance data."),
    ("Non-response bias", "When customers who answer the survey differ from those who do not, results from "
     "respondents may not hold for everyone."),
    ("p-value", "How surprising the data would be if there were no link at all. Small values (below 0.05) "
     "suggest a real link; they do not measure how large it is."),
    ("Bootstrap", "Re-running a calculation on many resampled versions of the data to see how much the answer "
     "moves; the spread gives the interval."),
)


def build_data_quality(results: Mapping[str, Any]) -> Section:
    """Match rate, dropped rows, the non-response comparison and every warning, in full."""
    blocks: list[Block] = []
    dq = mapping(results, "data_quality")
    if dq:
        rows = [["Survey responses read", f.count(dq.get("responses"))],
                ["Respondents (customers who answered)", f.count(dq.get("respondents"))],
                ["Customers in the outcome data", f.count(dq.get("customers"))],
                ["Respondents matched to a customer", f.count(dq.get("matched"))],
                ["Match rate (matched ÷ respondents)", f.rate(dq.get("match_rate"))],
                ["Matched customers who left", f.count(dq.get("churned"))]]
        dropped = dq.get("dropped")
        if isinstance(dropped, Mapping):
            rows += [[f"Rows dropped: {reason}", f.count(n)] for reason, n in dropped.items()]
        blocks.append(Table(["", "Count"], rows, numeric=(1,), widths=(0.7, 0.3)))
        notes = dq.get("notes")
        if isinstance(notes, list) and notes:
            blocks.append(Bullets([in_words(results, n) for n in notes]))
        unmatched = dq.get("unmatched_respondent_ids_sample")
        if isinstance(unmatched, list) and unmatched:
            blocks.append(Text("Some respondents with no customer record: " + ", ".join(map(str, unmatched)) + ".",
                               "small"))
    else:
        blocks.append(Text(not_available("Match counts", "data_quality")))

    blocks.append(Subheading("Do respondents differ from non-respondents?"))
    nonresponse = mapping(results, "nonresponse")
    comparisons = records(nonresponse, "comparisons")
    if comparisons:
        if f.number(nonresponse.get("response_rate")) is not None:
            blocks.append(Text(f"Response rate: {f.rate(nonresponse.get('response_rate'))} of customers answered."))
        rows = [[metric_label(results, c.get("variable")), f.stat(c.get("respondents")), f.stat(c.get("non_respondents")),
                 f.stat(c.get("difference")), f.interval(c.get("ci"), f.stat), f.p_value(c.get("p_holm"))]
                for c in comparisons]
        blocks.append(Table(["Variable", "Respondents", "Non-respondents", "Difference", "95% CI", "p (Holm)"],
                            rows, numeric=(1, 2, 3, 4, 5), widths=(0.22, 0.15, 0.17, 0.14, 0.2, 0.12),
                            caption="Means (or shares) of what finance knows about every customer."))
    elif nonresponse and nonresponse.get("applicable") is False:
        blocks.append(Text("Not possible: the outcome data hold only respondents, so there is no one to compare "
                           "them with."))
    else:
        blocks.append(Text(not_available("The non-response comparison", "nonresponse.comparisons")))

    blocks.append(Subheading("Every warning"))
    warnings = sorted_warnings(results)
    if warnings:
        blocks.append(Table(["Warning", "About", "What it means"],
                            [[str(w.get("code", "")).replace("_", " "),
                              metric_label(results, w.get("subject")) if w.get("subject") else "",
                              in_words(results, w.get("message") or "")] for w in warnings],
                            widths=(0.17, 0.2, 0.63)))
    else:
        blocks.append(Text("The analysis raised no warnings."))

    sources = data_sources(results)
    blocks.append(Subheading("Data sources"))
    if sources:
        blocks.append(Table(["File", "SHA-256"], [list(s) for s in sources], widths=(0.3, 0.7)))
    else:
        blocks.append(Text(not_available("Source file hashes", "inputs.files")))
    return Section("Data quality", blocks)


def _sample_sizes(results: Mapping[str, Any]) -> list[str]:
    """One line per fitted model and money figure: how many customers (and events) it rests on."""
    lines = []
    for key, what in (("retention", "Retention"), ("survival", "Survival"), ("revenue", "Revenue")):
        models = records(results, f"{key}.models")
        joint = mapping(results, f"{key}.joint")
        for model in [*models, *([joint] if joint else [])]:
            name = "all summary metrics" if model.get("kind") == "joint" else metric_label(results, model.get("name"))
            events = f" ({f.count(model.get('events'))} left)" if model.get("events") is not None else ""
            lines.append(f"{what} model for {name}: {f.count(model.get('n'))} customers{events}.")
    for key, what in (("churned", "retention"), ("revenue", "revenue")):
        n_drivers = get(results, f"drivers.{key}.n")
        if f.number(n_drivers) is not None:
            lines.append(f"Drivers of {what}: {f.count(n_drivers)} customers (those who answered every item "
                         "analysed).")
    n_risk = get(results, "revenue_at_risk.n")
    if f.number(n_risk) is not None:
        lines.append(f"Revenue at risk: {f.count(n_risk)} customers.")
    in_scope = get(results, "scenario.customers_in_scope")
    if f.number(in_scope) is not None:
        lines.append(f"Money scenario: {f.count(in_scope)} customers in scope.")
    return lines


def build_methods(results: Mapping[str, Any]) -> Section:
    """Methods and caveats in plain words, with the assumptions the analysis recorded."""
    blocks: list[Block] = [
        Text("Association is not causation. The figures in this report come from comparing customers who gave "
             "different answers. Customers who rate us well may stay for other reasons (price, contract, "
             "habit) that also shape their answers. The money figure reads the link as if raising the score "
             "would cause the change; treat it as an informed estimate, and test it (for example, improve one "
             "region first and compare)."),
        Text("Every figure carries a 95% confidence interval. The interval covers the uncertainty from having a "
             "sample of customers; it does not cover a wrong model, data errors, or a future unlike the past."),
        Subheading("What was assumed"),
    ]
    assumptions = get(results, "scenario.assumptions")
    if isinstance(assumptions, list) and assumptions:
        blocks.append(Bullets([in_words(results, a) for a in assumptions]))
    else:
        blocks.append(Text(not_available("The scenario's assumptions", "scenario.assumptions")))
    blocks.append(Subheading("Sample sizes"))
    sizes = _sample_sizes(results)
    blocks.append(Bullets(sizes) if sizes else Text(not_available("Sample sizes", "retention.n")))
    methods = [f"Metric comparison: {m}." for m in [get(results, "metric_comparison.method")] if m]
    methods += [f"Drivers: {m}." for m in [get(results, "drivers.churned.method") or get(results, "drivers.revenue.method")]
                if m]
    if methods:
        blocks.append(Subheading("Methods"))
        blocks.append(Bullets(methods))
    return Section("Methods and caveats", blocks)


def build_glossary() -> Section:
    """Plain-language definitions of the terms the report uses."""
    return Section("Glossary", [Table(["Term", "Meaning"], [list(t) for t in GLOSSARY], widths=(0.25, 0.75))])
