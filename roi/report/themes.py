"""The report section "What customers say, and what it costs": the themes of the comments (results.json
`themes`, docs/themes.md), ranked by the revenue at risk that goes with each, with the churn of those who
mention it against everyone else's. Theme names and quoted comments are respondents' or authors' text: plain
strings here, escaped by the renderers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import formatting as f
from .charts import Bar, build_interval_bars
from .content import Block, Bullets, Figure, Section, Subheading, Table, Text
from .reading import get, mapping, records
from .sections import _short_money
from .summary import period_word

TITLE = "What customers say, and what it costs"
HEADLINES = 3


def theme_sentence(theme: Mapping[str, Any], period: str) -> str:
    """'Customers who mention “X” churn at 37.3% (95% CI 32.9% to 42.0%) vs 15.9% (…) for the others;
    $185,989 a year of revenue at risk goes with the theme (95% CI …).'"""
    churn = mapping(theme, "churn")
    mentioned, others = mapping(churn, "mentioned"), mapping(churn, "others")
    text = (f"Customers who mention “{theme.get('name')}” ({f.count(theme.get('customers'))}) churn at "
            f"{f.rate(mentioned.get('rate'))} (95% CI {f.interval(mentioned.get('ci'), f.rate)}) vs "
            f"{f.rate(others.get('rate'))} (95% CI {f.interval(others.get('ci'), f.rate)}) for the others")
    risk = mapping(theme, "revenue_at_risk")
    if f.number(risk.get("excess")) is not None:
        text += (f"; {f.money(risk.get('excess'))} a {period} of revenue at risk goes with the theme (95% CI "
                 f"{f.interval(risk.get('excess_ci'), f.money)})")
    return text + "."


def _odds(theme: Mapping[str, Any]) -> str:
    retention = mapping(theme, "retention")
    if f.number(retention.get("ratio")) is None:
        return f.MISSING
    return f"{f.stat(retention.get('ratio'))} ({f.interval(retention.get('ratio_ci'), f.stat)})"


def build_themes(results: Mapping[str, Any]) -> Section | None:
    """The themes section; None when the results have no `themes` (no open text)."""
    themes = mapping(results, "themes")
    if not themes:
        return None
    period = period_word(results)
    blocks: list[Block] = []
    listed = records(themes, "themes")
    for note in themes.get("notes") or []:
        blocks.append(Text(str(note), "note"))
    if not listed:
        return Section(TITLE, [*blocks, Text("No themes: the comments are too few or share too few words.")],
                       new_page=False)
    codebook = mapping(themes, "codebook")
    source = "found in these comments (a first pass, not reviewed)" if codebook.get("source") == "discovered" \
        else f"from the survey's codebook, version {codebook.get('version')}"
    blocks.append(Text(
        f"{f.count(themes.get('commenters'))} of the {f.count(themes.get('customers'))} analysed customers wrote a "
        f"comment. Themes {source}. A theme mentioned by fewer than {f.count(themes.get('min_customers'))} customers "
        "is listed, not modelled. Each modelled theme enters one churn model and one revenue model together with "
        "the other themes and the controls; the revenue at risk that goes with a theme is the predicted churn of "
        "those who mention it, minus what it would be without the theme, times their revenue. These are "
        "associations, not causes: customers who complain about a thing may leave for reasons that come with it."))
    by_id = {str(t.get("id")): t for t in listed}
    ranked = [by_id[i] for i in themes.get("ranking") or [] if i in by_id]
    if ranked:
        blocks.append(Subheading("Top themes by revenue at risk"))
        blocks.append(Bullets([theme_sentence(t, period) for t in ranked[:HEADLINES]]))
        bars = [Bar(str(t.get("name")), float(f.number(get(t, "revenue_at_risk.excess")) or 0.0),
                    *(f.bounds_of(get(t, "revenue_at_risk.excess_ci")) or (None, None)))
                for t in ranked if f.number(get(t, "revenue_at_risk.excess")) is not None]
        if bars:
            blocks.append(Figure(build_interval_bars(bars, fmt=_short_money, value_fmt=f.money, reference=0.0,
                                                     axis_title=f"Revenue at risk with the theme, a {period}"),
                                 f"Revenue at risk a {period} that goes with each modelled theme, with 95% "
                                 "confidence intervals (whiskers); an interval crossing zero shows no clear link."))
        rows = [[str(t.get("name")), f.count(t.get("customers")), f.rate(get(t, "churn.mentioned.rate")),
                 f.rate(get(t, "churn.others.rate")), _odds(t),
                 f"{f.money(get(t, 'revenue_at_risk.excess'))} "
                 f"({f.interval(get(t, 'revenue_at_risk.excess_ci'), f.money)})",
                 f.stat(get(t, "sentiment.mean"))] for t in ranked]
        blocks.append(Table(["Theme", "Mentions", "Churn with theme", "Churn, others", "Odds ratio (95% CI)",
                             "Revenue at risk (95% CI)", "Sentiment"], rows, numeric=(1, 2, 3, 6),
                            widths=(0.19, 0.1, 0.11, 0.1, 0.17, 0.22, 0.11)))
        blocks.append(Text("Sentiment: mean VADER score (−1 to 1) of the English comments of the theme; comments "
                           "in other languages have none.", "small"))
    unmodelled = [t for t in listed if not t.get("modelled")]
    if unmodelled:
        blocks.append(Subheading("Listed, not modelled"))
        blocks.append(Bullets([f"{t.get('name')}: {t.get('reason')}" for t in unmodelled]))
    quoted = [[str(t.get("name")), str(example)] for t in ranked[:HEADLINES] for example in (t.get("examples") or [])[:2]]
    if quoted:
        blocks.append(Subheading("In their words"))
        blocks.append(Table(["Theme", "Comment, as written"], quoted, widths=(0.25, 0.75), split_rows=True))
    return Section(TITLE, blocks)
